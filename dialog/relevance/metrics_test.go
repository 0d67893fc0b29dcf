package relevance_test

import (
	"math"
	"strings"
	"testing"

	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/dialog/relevance"
	"github.com/dalil-tt/dalil/internal/vocab"
)

// Worked by hand: DCG = sum gain_i / log2(i+1), ranks from 1; log2(3) =
// 1.5849625, log2(4) = 2.
func TestNDCGHandComputed(t *testing.T) {
	for _, c := range []struct {
		name          string
		shown, judged []float64
		want          float64
	}{
		{"best order", []float64{2, 1, 0}, []float64{2, 1}, 1},
		// (0 + 2/1.5849625 + 1/2) / (2 + 1/1.5849625) = 1.7618595 / 2.6309298
		{"ideal second", []float64{0, 2, 1}, []float64{2, 1}, 0.6696718},
		// 1 / (2 + 2/1.5849625 + 1/2) = 1 / 3.7618595
		{"acceptable alone", []float64{1}, []float64{2, 2, 1}, 0.2658262},
		// ranks beyond K count neither shown nor judged: (2 + 0 + 1/2) / (2 + 2/1.5849625 + 2/2)
		{"cut at K", []float64{2, 0, 1, 2}, []float64{2, 2, 2, 2}, 0.5865984},
		{"nothing shown", nil, []float64{2}, 0},
		{"nothing to gain", []float64{1}, nil, 0},
	} {
		got := relevance.NDCG(c.shown, c.judged, relevance.K)
		if math.Abs(got-c.want) > 1e-6 {
			t.Errorf("%s: nDCG@3(%v | %v) = %.7f, want %.7f", c.name, c.shown, c.judged, got, c.want)
		}
	}
}

func TestJudge(t *testing.T) {
	p := relevance.Persona{
		ID:         "p",
		Facts:      map[vocab.Facet][]string{vocab.Provinces: {"tetouan"}, vocab.Publics: {"youth"}},
		Ideal:      []string{"ideal"},
		Acceptable: []string{"ok"},
		Harmful:    []string{"bad"},
		Why:        "a reason",
	}
	svc := func(id string, provinces, publics []string) *catalogue.Service {
		return &catalogue.Service{ID: id, Provinces: provinces, Publics: publics}
	}
	all := vocab.Values[vocab.Provinces]
	for _, c := range []struct {
		s    *catalogue.Service
		want relevance.Grade
		why  string
	}{
		{svc("ideal", all, nil), relevance.Ideal, ""},
		{svc("ok", []string{"tetouan"}, []string{"youth", "women"}), relevance.Acceptable, ""},
		{svc("other", all, nil), relevance.Other, ""},
		{svc("bad", all, nil), relevance.Harmful, "judged harmful: a reason"},
		{svc("ideal", []string{"larache"}, nil), relevance.Harmful, "serves larache, not tetouan"},
		{svc("ideal", all, []string{"women"}), relevance.Harmful, "reserved to women"},
	} {
		g, why := relevance.Judge(p, c.s)
		if g != c.want || !strings.Contains(why, c.why) || (c.why == "") != (why == "") {
			t.Errorf("%s (provinces %v, publics %v): got %v %q, want %v %q", c.s.ID, c.s.Provinces, c.s.Publics, g, why, c.want, c.why)
		}
	}
}

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		xs   []int
		want float64
	}{{nil, 0}, {[]int{3}, 3}, {[]int{6, 1, 4}, 4}, {[]int{5, 1, 2, 6}, 3.5}} {
		if got := relevance.Median(c.xs); got != c.want {
			t.Errorf("Median(%v) = %g, want %g", c.xs, got, c.want)
		}
	}
}
