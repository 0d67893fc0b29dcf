package postgres

import (
	"slices"
	"testing"

	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/catalogue/vocab"
)

// BenchmarkMatchIndexCandidates measures the in-memory part of a referral
// (filter and pre-rank 100,000 services, then MatchWith on the best few),
// without the database round trip.
func BenchmarkMatchIndexCandidates(b *testing.B) {
	svcs := catalogue.Generate(100_000, 1)
	slices.SortFunc(svcs, func(a, b *catalogue.Service) int {
		if a.ID < b.ID {
			return -1
		}
		return 1
	})
	idx := &matchIndex{}
	for _, s := range svcs {
		idx.ids = append(idx.ids, s.ID)
		idx.bits = append(idx.bits, encodeBits(s))
	}
	idx.buildLists()
	var c vocab.Codes
	c.Add(vocab.Needs, "funding.microcredit")
	c.Add(vocab.Provinces, "tetouan")
	c.Add(vocab.Sectors, "crafts")
	c.Add(vocab.Stages, "creation")
	q := catalogue.Query{Codes: c, Lang: "ary"}
	cache := map[int64][]string{}
	for b.Loop() {
		if len(idx.candidates(q, q, 15, cache)) == 0 {
			b.Fatal("no candidate")
		}
	}
}
