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
	"github.com/dalil-tt/dalil/catalogue/vocab"
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
			for i := 1; i < len(r.Matches); i++ {
				if r.Matches[i].Score > r.Matches[i-1].Score {
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
	want := []vocab.Facet{vocab.Areas, vocab.Stages, vocab.Forms, vocab.Publics, vocab.Sectors, vocab.Provinces}
	if !slices.Equal(catalogue.RelaxOrder, want) {
		t.Fatalf("RelaxOrder = %v, want %v", catalogue.RelaxOrder, want)
	}
	if slices.Contains(catalogue.RelaxOrder, vocab.Needs) {
		t.Fatal("needs must never be relaxed")
	}
}

// MatchWith calls fetch with each query it tries, dropping one set facet
// more each time, in RelaxOrder.
func TestMatchWithRelaxesCumulatively(t *testing.T) {
	var c vocab.Codes
	c.Set(vocab.Needs, "premises")
	c.Set(vocab.Areas, "rural")
	c.Set(vocab.Forms, "cooperative")
	c.Set(vocab.Sectors, "fishing")
	c.Set(vocab.Provinces, "ouezzane")
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
	// Dropped one by one: areas, forms, sectors, provinces; then the facets
	// that were not in the way are taken back: the incubator does take
	// cooperatives, so forms was not needed.
	dropped := []vocab.Facet{vocab.Areas, vocab.Forms, vocab.Sectors, vocab.Provinces}
	wantRelaxed := []vocab.Facet{vocab.Areas, vocab.Sectors, vocab.Provinces}
	if !slices.Equal(r.Relaxed, wantRelaxed) {
		t.Fatalf("relaxed = %v, want %v", r.Relaxed, wantRelaxed)
	}
	if len(seen) != 5+3 {
		t.Fatalf("fetch called %d times, want 5 to relax and 3 to take facets back", len(seen))
	}
	for i, f := range dropped {
		if seen[i].Has(f) == false || seen[i+1].Has(f) {
			t.Errorf("step %d: facet %s should be dropped between calls %d and %d", i, f, i, i+1)
		}
		if !seen[i+1].Has(vocab.Needs) {
			t.Errorf("call %d dropped needs", i+1)
		}
	}
	if got := ids(r); !slices.Equal(got, []string{"incubator"}) {
		t.Errorf("matches = %v", got)
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
	r, err := catalogue.MatchWith(context.Background(), catalogue.Query{Codes: c, Limit: 20}, func(context.Context, catalogue.Query) ([]*catalogue.Service, error) {
		return dup, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(r); len(got) != 5 {
		t.Fatalf("matches = %v, want 5 distinct", got)
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
		{"restricted public, none asked", codes(vocab.Needs, "funding"), svc(func(s *catalogue.Service) { s.Publics = []string{"women"} }), true},
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
	if catalogue.Score(q0, women) >= catalogue.Score(q0, base()) {
		t.Error("a women-only service should rank below an open one when no public is stated")
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
