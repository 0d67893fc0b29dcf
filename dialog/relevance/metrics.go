package relevance

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/internal/vocab"
)

// K is the depth the figures look at: the first three cards are what a
// person on a phone reads.
const K = 3

// Grade is the judgment of one service for one persona.
type Grade int

const (
	Harmful    Grade = -1 // judged harmful, or the persona is not eligible
	Other      Grade = 0
	Acceptable Grade = 1
	Ideal      Grade = 2
)

// Gain is the grade's gain in nDCG: ideal 2, acceptable 1, anything else 0
// (a harmful service is counted apart, not as a negative gain).
func (g Grade) Gain() float64 { return float64(max(g, 0)) }

// Mark is the grade's one-character mark in reports.
func (g Grade) Mark() string {
	switch g {
	case Ideal:
		return "*"
	case Acceptable:
		return "+"
	case Harmful:
		return "!"
	}
	return "-"
}

// Ineligible says why the persona is not eligible for s ("" when they
// are): the service's provinces do not include theirs, or it is reserved
// to publics they belong to none of.
func Ineligible(p Persona, s *catalogue.Service) string {
	if len(s.Provinces) > 0 && !slices.Contains(s.Provinces, p.Province()) {
		return fmt.Sprintf("serves %s, not %s", strings.Join(s.Provinces, "|"), p.Province())
	}
	if len(s.Publics) > 0 && !slices.ContainsFunc(s.Publics, func(c string) bool { return p.Has(vocab.Publics, c) }) {
		return "reserved to " + strings.Join(s.Publics, "|")
	}
	return ""
}

// Judge grades s for p and, for a harmful one, says why.
func Judge(p Persona, s *catalogue.Service) (Grade, string) {
	if why := Ineligible(p, s); why != "" {
		return Harmful, why
	}
	switch {
	case slices.Contains(p.Harmful, s.ID):
		return Harmful, "judged harmful: " + p.Why
	case slices.Contains(p.Ideal, s.ID):
		return Ideal, ""
	case slices.Contains(p.Acceptable, s.ID):
		return Acceptable, ""
	}
	return Other, ""
}

// DCG is the discounted cumulative gain of the first k gains:
// sum of gain_i / log2(i+1), ranks i counted from 1.
func DCG(gains []float64, k int) float64 {
	var d float64
	for i, g := range gains[:min(k, len(gains))] {
		d += g / math.Log2(float64(i+2))
	}
	return d
}

// NDCG is DCG@k of the gains shown divided by DCG@k of the best order the
// judgments allow (all ideal services, then all acceptable ones); 0 when
// the judgments allow no gain at all.
func NDCG(shown, judged []float64, k int) float64 {
	best := slices.Clone(judged)
	sort.Sort(sort.Reverse(sort.Float64Slice(best)))
	idcg := DCG(best, k)
	if idcg == 0 {
		return 0
	}
	return DCG(shown, k) / idcg
}

// idealGains are the gains of every service the persona's judgments value.
func idealGains(p Persona) []float64 {
	var g []float64
	for range p.Ideal {
		g = append(g, Ideal.Gain())
	}
	for range p.Acceptable {
		g = append(g, Acceptable.Gain())
	}
	return g
}

// Median of counts (the mean of the two middle ones for an even number);
// 0 for none.
func Median(xs []int) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return float64(s[n/2])
	}
	return float64(s[n/2-1]+s[n/2]) / 2
}
