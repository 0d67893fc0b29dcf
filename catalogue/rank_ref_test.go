package catalogue_test

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/internal/vocab"
)

// The ranking works on bit sets for speed. This is the same ranking written
// plainly over the codes, as rank.go's comment states it; the two must agree
// on every service and query.

var refWeights = map[vocab.Facet]int{vocab.Areas: 5, vocab.Stages: 10, vocab.Forms: 15, vocab.Sectors: 20, vocab.Publics: 25, vocab.Provinces: 30}

func refFacetMatches(f vocab.Facet, want, have []string) bool {
	if f == vocab.Needs {
		for _, w := range want {
			for _, h := range have {
				if vocab.NeedCovers(w, h) {
					return true
				}
			}
		}
		return false
	}
	if len(have) == 0 {
		return true
	}
	for _, w := range want {
		if slices.Contains(have, w) {
			return true
		}
	}
	return false
}

// refPublics is who the person is known to be: the publics stated, and
// "rural" for someone living in a rural area.
func refPublics(q catalogue.Query) []string {
	p := slices.Clone(q.Codes.Publics)
	if slices.Contains(q.Codes.Areas, "rural") {
		p = append(p, "rural")
	}
	return p
}

func refEligible(q catalogue.Query, s *catalogue.Service) bool {
	if !s.Active {
		return false
	}
	if n := len(s.Provinces); n > 0 && n < len(vocab.Values[vocab.Provinces]) && !refFacetMatches(vocab.Provinces, q.Codes.Provinces, s.Provinces) {
		return false
	}
	if len(s.Publics) > 0 && !slices.ContainsFunc(refPublics(q), func(p string) bool { return slices.Contains(s.Publics, p) }) {
		return false
	}
	return true
}

func refFilter(q catalogue.Query, s *catalogue.Service) bool {
	if !refEligible(q, s) {
		return false
	}
	for _, f := range []vocab.Facet{vocab.Needs, vocab.Stages, vocab.Forms, vocab.Sectors, vocab.Areas} {
		if want := q.Codes.Get(f); len(want) > 0 && !refFacetMatches(f, want, s.Facet(f)) {
			return false
		}
	}
	return true
}

func refScore(q catalogue.Query, s *catalogue.Service) int {
	score := 0
	if want := q.Codes.Needs; len(want) > 0 {
		used := 0
		for _, h := range s.Needs {
			if slices.ContainsFunc(want, func(w string) bool {
				return vocab.NeedCovers(w, h) || slices.Contains(vocab.NeedFamily(w), h) || slices.Contains(vocab.NeedHelpers(w), h)
			}) {
				used++
			}
		}
		var values []int
		for _, w := range want {
			best := 0
			for _, h := range s.Needs {
				switch {
				case w == h:
					best = max(best, 100)
				case strings.HasPrefix(h, w+"."):
					best = max(best, 80)
				case strings.HasPrefix(w, h+"."):
					best = max(best, 60)
				case slices.Contains(vocab.NeedFamily(w), h):
					best = max(best, 40)
				case slices.Contains(vocab.NeedHelpers(w), h):
					best = max(best, 20)
				}
			}
			values = append(values, best)
		}
		slices.Sort(values)
		top := values[len(values)-1]
		score += top
		for _, v := range values[:len(values)-1] {
			if v >= 60 {
				score += 10
			}
		}
		score -= 5 * (len(s.Needs) - used)
	}
	for f, wt := range refWeights {
		want, have := q.Codes.Get(f), s.Facet(f)
		if f == vocab.Publics {
			want = refPublics(q)
		}
		all := len(vocab.Values[f])
		if len(want) == 0 {
			if len(have) > 0 && len(have) < all && f != vocab.Publics && f != vocab.Provinces {
				score -= wt / 2
			}
			continue
		}
		switch {
		case len(have) == 0 || len(have) >= all:
		case refFacetMatches(f, want, have):
			score += wt - wt*(len(have)-1)/all
		default:
			score -= wt
		}
	}
	if !slices.Contains(q.Codes.Needs, "funding.microcredit") && !slices.Contains(q.Codes.Needs, "funding.loan") {
		switch s.Cost {
		case "paid":
			score -= 8
		case "mixed":
			score -= 4
		}
	}
	l := q.Lang
	if l != "" && (slices.Contains(s.Languages, l) || ((l == "ar" || l == "ary") && (slices.Contains(s.Languages, "ar") || slices.Contains(s.Languages, "ary")))) {
		score += 3
	}
	return score
}

func randomQuery(rng *rand.Rand) catalogue.Query {
	var c vocab.Codes
	for _, f := range vocab.Facets {
		if rng.IntN(2) == 0 {
			continue
		}
		vals := vocab.Values[f]
		for range 1 + rng.IntN(2) {
			c.Add(f, vals[rng.IntN(len(vals))])
		}
	}
	langs := []string{"", "fr", "ar", "ary"}
	return catalogue.Query{Codes: c, Lang: langs[rng.IntN(len(langs))]}
}

func TestRankingMatchesReference(t *testing.T) {
	services := append(catalogue.Generate(400, 7), catalogue.Demo()...)
	services[3].Active = false
	rng := rand.New(rand.NewPCG(1, 2))
	for range 300 {
		q := randomQuery(rng)
		for _, s := range services {
			if got, want := catalogue.Eligible(q, s), refEligible(q, s); got != want {
				t.Fatalf("Eligible(%+v, %s) = %v, reference %v", q.Codes, s.ID, got, want)
			}
			if got, want := catalogue.Filter(q, s), refFilter(q, s); got != want {
				t.Fatalf("Filter(%+v, %s) = %v, reference %v", q.Codes, s.ID, got, want)
			}
			if got, want := catalogue.Score(q, s), refScore(q, s); got != want {
				t.Fatalf("Score(%+v, %s) = %d, reference %d", q.Codes, s.ID, got, want)
			}
		}
	}
}
