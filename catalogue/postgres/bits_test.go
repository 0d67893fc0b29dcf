package postgres

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/catalogue/catalogtest"
	"github.com/dalil-tt/dalil/internal/vocab"
)

// TestFacetBitsRoundTrip checks that facets survive facet_bits, from which
// the ranking index is loaded.
func TestFacetBitsRoundTrip(t *testing.T) {
	svcs := append(catalogue.Generate(1000, 3), catalogtest.Fixture()...)
	cache := map[int64][]string{}
	for _, s := range svcs {
		var d catalogue.Service
		decodeBits(encodeBits(s), &d, cache)
		for _, f := range bitFacets {
			if !slices.Equal(d.Facet(f), s.Facet(f)) {
				t.Fatalf("%s: facet %s decoded as %v, was %v", s.ID, f, d.Facet(f), s.Facet(f))
			}
		}
	}
}

// codesAnswer is the staff search's definition of "a service answers these
// codes": for every facet set, the service lists none (every value) or
// shares one (needs by vocab.NeedCovers). Eligibility is a referral's
// concern (catalogue.Eligible), not a search's.
func codesAnswer(c vocab.Codes, s *catalogue.Service) bool {
	for _, f := range vocab.Facets {
		want := c.Get(f)
		if len(want) == 0 {
			continue
		}
		have := s.Facet(f)
		if f != vocab.Needs && len(have) == 0 {
			continue
		}
		if !slices.ContainsFunc(want, func(w string) bool {
			return slices.ContainsFunc(have, func(h string) bool { return w == h || f == vocab.Needs && vocab.NeedCovers(w, h) })
		}) {
			return false
		}
	}
	return s.Active
}

func TestMatchKeysAgreeWithFilter(t *testing.T) {
	// match_keys is the SQL definition of the staff search's filter: a
	// query's keys intersect a service's keys on every facet it sets
	// exactly when the service answers the codes (codesAnswer).
	svcs := catalogue.Generate(500, 9)
	keys := make([][]string, len(svcs))
	for i, s := range svcs {
		keys[i] = matchKeys(s)
	}
	r := rand.New(rand.NewPCG(7, 8))
	for range 200 {
		var c vocab.Codes
		for _, f := range vocab.Facets {
			if r.IntN(2) == 0 {
				vals := vocab.Values[f]
				c.Add(f, vals[r.IntN(len(vals))])
			}
		}
		q := catalogue.Query{Codes: c}
		for i, s := range svcs {
			ok := true
			for _, f := range vocab.Facets {
				qk := queryKeys(f, c.Get(f))
				if qk != nil && !slices.ContainsFunc(qk, func(k string) bool { return slices.Contains(keys[i], k) }) {
					ok = false
				}
			}
			if want := codesAnswer(q.Codes, s); ok != want {
				t.Fatalf("%s for %+v: keys say %v, Filter %v", s.ID, c, ok, want)
			}
		}
	}
}
