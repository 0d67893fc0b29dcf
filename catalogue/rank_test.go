package catalogue_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/catalogue/catalogtest"
	"github.com/dalil-tt/dalil/internal/vocab"
)

func ids(r catalogue.Result) []string {
	var out []string
	for _, m := range r.Matches {
		out = append(out, m.Service.ID)
	}
	return out
}

func TestMemoryRankingTable(t *testing.T) {
	m := catalogue.NewMemory(catalogtest.Fixture())
	for _, tc := range catalogtest.Cases() {
		t.Run(tc.Name, func(t *testing.T) {
			r, err := m.Match(context.Background(), tc.Query)
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(r); !slices.Equal(got, tc.Want) {
				var scores []string
				for _, mm := range r.Matches {
					scores = append(scores, fmt.Sprintf("%s=%d", mm.Service.ID, mm.Score))
				}
				t.Errorf("matches = %v, want %v (scores %v)", got, tc.Want, scores)
			}
			if !slices.Equal(r.Relaxed, tc.Relaxed) {
				t.Errorf("relaxed = %v, want %v", r.Relaxed, tc.Relaxed)
			}
			if r.Widened != tc.Widened {
				t.Errorf("widened = %v, want %v", r.Widened, tc.Widened)
			}
			for _, mm := range r.Matches {
				if !catalogue.Eligible(tc.Query, mm.Service) {
					t.Errorf("%s shown to someone it cannot serve", mm.Service.ID)
				}
			}
			// Best first among those that fit best, then the extras.
			for i := 1; i < len(r.Matches); i++ {
				a, b := r.Matches[i-1], r.Matches[i]
				if a.Extra && !b.Extra {
					t.Errorf("match %d, an extra, before match %d", i-1, i)
				}
				if a.Extra == b.Extra && !a.Extra && b.Score > a.Score {
					t.Errorf("match %d scores more than match %d", i, i-1)
				}
			}
		})
	}
}

func TestFixtureIsValidCatalogue(t *testing.T) {
	fx := catalogtest.Fixture()
	var active []*catalogue.Service
	for _, s := range fx {
		if s.Active {
			active = append(active, s)
		}
	}
	got := roundTrip(t, active)
	if len(got) != len(active) {
		t.Fatalf("round trip gave %d services, want %d", len(got), len(active))
	}
}

func TestRelaxOrder(t *testing.T) {
	want := []vocab.Facet{vocab.Areas, vocab.Stages, vocab.Forms, vocab.Sectors}
	if !slices.Equal(catalogue.RelaxOrder, want) {
		t.Fatalf("RelaxOrder = %v, want %v", catalogue.RelaxOrder, want)
	}
	for _, f := range []vocab.Facet{vocab.Needs, vocab.Provinces, vocab.Publics} {
		if slices.Contains(catalogue.RelaxOrder, f) {
			t.Fatalf("%s must never be relaxed", f)
		}
	}
}

// MatchWith climbs the ladder: the weak preferences dropped one by one with
// the need exact, then the need widened keeping the sector, then the
// sector dropped; province and publics stay in every query it fetches.
func TestMatchWithLadder(t *testing.T) {
	var c vocab.Codes
	c.Set(vocab.Needs, "premises")
	c.Set(vocab.Areas, "rural")
	c.Set(vocab.Forms, "cooperative")
	c.Set(vocab.Sectors, "fishing")
	c.Set(vocab.Provinces, "tanger-assilah")
	q := catalogue.Query{Codes: c}
	var seen []vocab.Codes
	fx := catalogtest.Fixture()
	r, err := catalogue.MatchWith(context.Background(), q, func(_ context.Context, q catalogue.Query) ([]*catalogue.Service, error) {
		seen = append(seen, q.Codes.Clone())
		return fx, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The incubator (Tanger, services and digital, urban) is the only
	// premises: found once the sector is dropped; areas had to go too,
	// forms had not (it takes every form).
	if got := ids(r); !slices.Equal(got, []string{"incubator"}) {
		t.Fatalf("matches = %v", got)
	}
	if want := []vocab.Facet{vocab.Areas, vocab.Sectors}; !slices.Equal(r.Relaxed, want) {
		t.Errorf("relaxed = %v, want %v", r.Relaxed, want)
	}
	if r.Widened != catalogue.NeedExact {
		t.Errorf("widened = %v, want the exact need", r.Widened)
	}
	for i, s := range seen {
		if !s.Has(vocab.Provinces) || !s.Has(vocab.Needs) {
			t.Errorf("call %d dropped the province or the need: %+v", i, s)
		}
	}
	// areas, +stages (not set: skipped), +forms, family, help, +sectors:
	// the first rung that finds anything, then the facets taken back.
	if len(seen) < 5 {
		t.Errorf("fetch called %d times, want the ladder climbed", len(seen))
	}
	if !q.Codes.Has(vocab.Areas) {
		t.Error("MatchWith modified the caller's query")
	}
}

func TestMatchWithErrors(t *testing.T) {
	boom := errors.New("boom")
	_, err := catalogue.MatchWith(context.Background(), catalogue.Query{}, func(context.Context, catalogue.Query) ([]*catalogue.Service, error) {
		return nil, boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want wrapping boom", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = catalogue.NewMemory(catalogtest.Fixture()).Match(ctx, catalogue.Query{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestMatchWithDeduplicatesFetch(t *testing.T) {
	fx := catalogtest.Fixture()
	dup := append(slices.Clone(fx), fx...)
	var c vocab.Codes
	c.Set(vocab.Needs, "funding")
	c.Set(vocab.Provinces, "tanger-assilah")
	r, err := catalogue.MatchWith(context.Background(), catalogue.Query{Codes: c, Limit: 20}, func(context.Context, catalogue.Query) ([]*catalogue.Service, error) {
		return dup, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(r); len(got) != 3 {
		t.Fatalf("matches = %v, want the 3 eligible ones, each once", got)
	}
}

func TestFilter(t *testing.T) {
	svc := func(set func(s *catalogue.Service)) *catalogue.Service {
		s := &catalogue.Service{ID: "s", Needs: []string{"funding.grant"}, Provinces: slices.Clone(vocab.Values[vocab.Provinces]), Active: true}
		set(s)
		return s
	}
	codes := func(pairs ...any) catalogue.Query {
		var c vocab.Codes
		for i := 0; i < len(pairs); i += 2 {
			c.Set(pairs[i].(vocab.Facet), pairs[i+1].(string))
		}
		return catalogue.Query{Codes: c}
	}
	none := func(*catalogue.Service) {}
	tests := []struct {
		name string
		q    catalogue.Query
		s    *catalogue.Service
		want bool
	}{
		{"broader query need", codes(vocab.Needs, "funding"), svc(none), true},
		{"same need", codes(vocab.Needs, "funding.grant"), svc(none), true},
		{"sibling need", codes(vocab.Needs, "funding.loan"), svc(none), false},
		{"generic service need", codes(vocab.Needs, "funding.loan"), svc(func(s *catalogue.Service) { s.Needs = []string{"funding"} }), true},
		{"other need", codes(vocab.Needs, "legal"), svc(none), false},
		{"region-wide matches a province", codes(vocab.Provinces, "ouezzane"), svc(none), true},
		{"other province", codes(vocab.Provinces, "ouezzane"), svc(func(s *catalogue.Service) { s.Provinces = []string{"larache"} }), false},
		{"open to all publics", codes(vocab.Publics, "women"), svc(none), true},
		{"restricted public, none stated: unknown is not yes", codes(vocab.Needs, "funding"), svc(func(s *catalogue.Service) { s.Publics = []string{"women"} }), false},
		{"restricted public, stated", codes(vocab.Publics, "women"), svc(func(s *catalogue.Service) { s.Publics = []string{"women", "rural"} }), true},
		{"rural public, rural area stated", codes(vocab.Areas, "rural"), svc(func(s *catalogue.Service) { s.Publics = []string{"rural"} }), true},
		{"restricted to another public", codes(vocab.Publics, "youth"), svc(func(s *catalogue.Service) { s.Publics = []string{"women"} }), false},
		{"empty sectors match all", codes(vocab.Sectors, "fishing"), svc(none), true},
		{"other sector", codes(vocab.Sectors, "fishing"), svc(func(s *catalogue.Service) { s.Sectors = []string{"crafts"} }), false},
		{"empty stages, forms, areas match", codes(vocab.Stages, "idea", vocab.Forms, "company", vocab.Areas, "rural"), svc(none), true},
		{"inactive", codes(vocab.Needs, "funding"), svc(func(s *catalogue.Service) { s.Active = false }), false},
		{"nil service", codes(), nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := catalogue.Filter(tc.q, tc.s); got != tc.want {
				t.Errorf("Filter = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestScoreRules(t *testing.T) {
	base := func() *catalogue.Service {
		return &catalogue.Service{ID: "s", Needs: []string{"funding.grant"}, Provinces: slices.Clone(vocab.Values[vocab.Provinces]), Active: true}
	}
	q := func(set func(c *vocab.Codes)) catalogue.Query {
		var c vocab.Codes
		c.Set(vocab.Needs, "funding.grant")
		set(&c)
		return catalogue.Query{Codes: c}
	}
	local := base()
	local.Provinces = []string{"tetouan"}
	twoProv := base()
	twoProv.Provinces = []string{"tetouan", "larache"}
	qp := q(func(c *vocab.Codes) { c.Set(vocab.Provinces, "tetouan") })
	if !(catalogue.Score(qp, local) > catalogue.Score(qp, twoProv) && catalogue.Score(qp, twoProv) > catalogue.Score(qp, base())) {
		t.Errorf("province specificity: local %d, two %d, region-wide %d", catalogue.Score(qp, local), catalogue.Score(qp, twoProv), catalogue.Score(qp, base()))
	}
	generic := base()
	generic.Needs = []string{"funding"}
	q0 := q(func(*vocab.Codes) {})
	if catalogue.Score(q0, base()) <= catalogue.Score(q0, generic) {
		t.Error("exact need should outrank the generic funding service")
	}
	focused, broad := base(), base()
	broad.Needs = []string{"funding.grant", "legal", "training"}
	if catalogue.Score(q0, focused) <= catalogue.Score(q0, broad) {
		t.Error("a focused service should outrank one offering many other needs")
	}
	women := base()
	women.Publics = []string{"women"}
	paid, mixed := base(), base()
	paid.Cost, mixed.Cost = "paid", "mixed"
	if !(catalogue.Score(q0, base()) > catalogue.Score(q0, mixed) && catalogue.Score(q0, mixed) > catalogue.Score(q0, paid)) {
		t.Error("free services should come before mixed, and mixed before paid, at equal fit")
	}
	qm := q0
	qm.Codes.Set(vocab.Needs, "funding.microcredit")
	paid.Needs = []string{"funding.microcredit"}
	free := base()
	free.Needs = paid.Needs
	if catalogue.Score(qm, paid) != catalogue.Score(qm, free) {
		t.Error("a microcredit asked for is paid by nature: no penalty")
	}
	qw := q(func(c *vocab.Codes) { c.Set(vocab.Publics, "women") })
	if catalogue.Score(qw, women) <= catalogue.Score(qw, base()) {
		t.Error("a women-only service should rank above an open one for a woman")
	}
	ar := base()
	ar.Languages = []string{"ar"}
	qa := q0
	qa.Lang = "ary"
	if catalogue.Score(qa, ar) <= catalogue.Score(qa, base()) {
		t.Error("a service speaking Arabic should get the language bonus for a Darija speaker")
	}
}

func TestMemoryConcurrentAndServices(t *testing.T) {
	fx := catalogtest.Fixture()
	m := catalogue.NewMemory(fx)
	fx[0] = nil // NewMemory copied the slice
	if got := m.Services(); len(got) != len(fx) || got[0] == nil {
		t.Fatal("Services does not return the catalogue given to NewMemory")
	}
	var wg sync.WaitGroup
	for _, tc := range catalogtest.Cases() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := m.Match(context.Background(), tc.Query)
			if err != nil || !slices.Equal(ids(r), tc.Want) {
				t.Errorf("%s: concurrent match = %v, %v", tc.Name, ids(r), err)
			}
		}()
	}
	wg.Wait()
}

func benchQueries() []catalogue.Query {
	mk := func(pairs ...any) catalogue.Query {
		var c vocab.Codes
		for i := 0; i < len(pairs); i += 2 {
			c.Set(pairs[i].(vocab.Facet), pairs[i+1].([]string)...)
		}
		return catalogue.Query{Codes: c, Lang: "ary"}
	}
	return []catalogue.Query{
		mk(vocab.Needs, []string{"funding"}),
		mk(vocab.Needs, []string{"funding.microcredit"}, vocab.Provinces, []string{"tetouan"}, vocab.Publics, []string{"women"}),
		mk(vocab.Needs, []string{"coaching", "training"}, vocab.Sectors, []string{"crafts"}, vocab.Stages, []string{"idea"}, vocab.Provinces, []string{"al-hoceima"}),
		mk(vocab.Needs, []string{"procurement"}, vocab.Forms, []string{"cooperative"}, vocab.Sectors, []string{"fishing"}, vocab.Publics, []string{"disabled"}, vocab.Areas, []string{"rural"}, vocab.Provinces, []string{"ouezzane"}),
	}
}

func BenchmarkMemoryMatch100k(b *testing.B) {
	m := catalogue.NewMemory(catalogue.Generate(100000, 1))
	ctx := context.Background()
	for i, q := range benchQueries() {
		b.Run(fmt.Sprintf("q%d", i), func(b *testing.B) {
			for b.Loop() {
				if _, err := m.Match(ctx, q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// A service's codes are held as 16-bit sets, one per facet (rank.go).
func TestEveryFacetFitsSixteenBits(t *testing.T) {
	for f, codes := range vocab.Values {
		if len(codes) > 16 {
			t.Errorf("facet %s has %d codes: the ranking holds 16 at most", f, len(codes))
		}
	}
}
