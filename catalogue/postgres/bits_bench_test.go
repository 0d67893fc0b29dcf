package postgres

import (
	"testing"

	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/internal/vocab"
)

// BenchmarkMatchIndexRank measures the in-memory part of a referral on
// an index loaded as Match loads it (codes decoded from facet_bits), without
// the database round trip.
func BenchmarkMatchIndexRank(b *testing.B) {
	svcs := catalogue.Generate(100_000, 1)
	cache := map[int64][]string{}
	stubs := make([]*catalogue.Service, len(svcs))
	for i, s := range svcs {
		stubs[i] = &catalogue.Service{ID: s.ID, Cost: s.Cost, Active: s.Active}
		decodeBits(encodeBits(s), stubs[i], cache)
	}
	idx := catalogue.NewIndex(stubs)
	var c vocab.Codes
	c.Add(vocab.Needs, "funding.microcredit")
	c.Add(vocab.Provinces, "tetouan")
	c.Add(vocab.Sectors, "crafts")
	c.Add(vocab.Stages, "creation")
	q := catalogue.Query{Codes: c, Lang: "ary"}
	for b.Loop() {
		if len(idx.Rank(q).Matches) == 0 {
			b.Fatal("no match")
		}
	}
}
