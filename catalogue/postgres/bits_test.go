package postgres

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/catalogue/catalogtest"
	"github.com/dalil-tt/dalil/catalogue/vocab"
)

// TestScoreBitsMatchesScore checks that the in-memory index's filter and
// pre-ranking over facet_bits are exactly catalogue.Filter and
// catalogue.Score, and that facets survive encoding.
func TestScoreBitsMatchesScore(t *testing.T) {
	svcs := append(catalogue.Generate(1000, 3), catalogtest.Fixture()...)
	r := rand.New(rand.NewPCG(5, 6))
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
	for range 100 {
		var c vocab.Codes
		for _, f := range vocab.Facets {
			for range r.IntN(3) {
				vals := vocab.Values[f]
				c.Add(f, vals[r.IntN(len(vals))])
			}
		}
		q := catalogue.Query{Codes: c, Lang: []string{"", "fr", "ar", "ary", "es"}[r.IntN(5)]}
		f, sc := newBitFilter(q), newBitScorer(q)
		for _, s := range svcs {
			if !s.Active {
				continue
			}
			b := encodeBits(s)
			if got, want := f.match(b), catalogue.Filter(q, s); got != want {
				t.Fatalf("filter of %s for %+v: bits %v, catalogue %v", s.ID, c, got, want)
			}
			if got, want := sc.score(b), catalogue.Score(q, s); got != want {
				t.Fatalf("score of %s for %+v lang %q: bits %d, catalogue %d", s.ID, c, q.Lang, got, want)
			}
		}
	}
}

func TestMatchKeysAgreeWithFilter(t *testing.T) {
	// match_keys is the SQL definition of the filter (for staff queries):
	// a query's keys intersect a service's keys on every facet it sets
	// exactly when catalogue.Filter accepts the service.
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
			if want := catalogue.Filter(q, s); ok != want {
				t.Fatalf("%s for %+v: keys say %v, Filter %v", s.ID, c, ok, want)
			}
		}
	}
}
