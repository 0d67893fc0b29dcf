package postgres_test

import (
	"context"
	"fmt"
	"github.com/dalil-tt/dalil/locales"
	"slices"
	"testing"

	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/catalogue/catalogtest"
	"github.com/dalil-tt/dalil/catalogue/postgres"
	"github.com/dalil-tt/dalil/catalogue/postgres/pgtest"
	"github.com/dalil-tt/dalil/internal/vocab"
	"github.com/jackc/pgx/v5"
)

// newStore returns a store on a fresh, migrated database, and its URL.
func newStore(t testing.TB, locale string) (*postgres.Store, string) {
	t.Helper()
	ctx := context.Background()
	url := pgtest.NewDBLocale(t, locale)
	if err := postgres.Migrate(ctx, url); err != nil {
		t.Fatal(err)
	}
	st, err := postgres.Open(ctx, url, locales.MustDefault())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	return st, url
}

func mustImport(t testing.TB, st *postgres.Store, svcs []*catalogue.Service, opts postgres.ImportOptions) postgres.ImportReport {
	t.Helper()
	rep, err := st.Import(context.Background(), svcs, opts)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func ids(ms []catalogue.Match) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Service.ID
	}
	return out
}

// TestRankingTable runs the shared ranking table against PostgreSQL and
// against the in-memory catalogue: same services, same order, same relaxed
// facets.
func TestRankingTable(t *testing.T) {
	ctx := context.Background()
	st, _ := newStore(t, "")
	mustImport(t, st, catalogtest.Fixture(), postgres.ImportOptions{})
	mem := catalogue.NewMemory(catalogtest.Fixture())
	for _, c := range catalogtest.Cases() {
		t.Run(c.Name, func(t *testing.T) {
			got, err := st.Match(ctx, c.Query)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ids(got.Matches), c.Want) && !(len(c.Want) == 0 && len(got.Matches) == 0) {
				t.Errorf("postgres: got %v, want %v", ids(got.Matches), c.Want)
			}
			if !slices.Equal(got.Relaxed, c.Relaxed) {
				t.Errorf("postgres relaxed %v, want %v", got.Relaxed, c.Relaxed)
			}
			m, err := mem.Match(ctx, c.Query)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ids(m.Matches), ids(got.Matches)) {
				t.Errorf("memory %v, postgres %v", ids(m.Matches), ids(got.Matches))
			}
			for i := range m.Matches {
				if i < len(got.Matches) && m.Matches[i].Score != got.Matches[i].Score {
					t.Errorf("score of %s: memory %d, postgres %d", m.Matches[i].Service.ID, m.Matches[i].Score, got.Matches[i].Score)
				}
			}
		})
	}
}

// TestMatchAgreesWithMemoryOnGenerated compares PostgreSQL and memory on a
// synthetic catalogue and many random queries: it catches a pre-ranking in
// SQL that drifts from catalogue.Score.
func TestMatchAgreesWithMemoryOnGenerated(t *testing.T) {
	ctx := context.Background()
	st, _ := newStore(t, "")
	svcs := catalogue.Generate(2000, 7)
	mustImport(t, st, svcs, postgres.ImportOptions{})
	mem := catalogue.NewMemory(catalogue.Generate(2000, 7))
	for i, q := range randomQueries(150, 3) {
		got, err := st.Match(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := mem.Match(ctx, q)
		if !slices.Equal(ids(got.Matches), ids(want.Matches)) || !slices.Equal(got.Relaxed, want.Relaxed) {
			t.Fatalf("query %d %+v: postgres %v relaxed %v, memory %v relaxed %v", i, q.Codes, ids(got.Matches), got.Relaxed, ids(want.Matches), want.Relaxed)
		}
	}
}

// randomQueries returns n queries of the kind a conversation produces.
func randomQueries(n int, seed uint64) []catalogue.Query {
	r := newRand(seed)
	langs := []string{"fr", "ar", "ary", ""}
	var out []catalogue.Query
	for range n {
		var c vocab.Codes
		c.Add(vocab.Needs, pick(r, vocab.Values[vocab.Needs]))
		if r.IntN(4) == 0 {
			c.Add(vocab.Needs, pick(r, vocab.Values[vocab.Needs]))
		}
		for _, f := range []vocab.Facet{vocab.Provinces, vocab.Stages, vocab.Forms, vocab.Publics, vocab.Sectors, vocab.Areas} {
			if r.IntN(3) > 0 {
				c.Add(f, pick(r, vocab.Values[f]))
			}
		}
		out = append(out, catalogue.Query{Codes: c, Lang: langs[r.IntN(len(langs))], Limit: []int{0, 3, 10}[r.IntN(3)]})
	}
	return out
}

func TestMatchRecordsReferralsWithCodesOnly(t *testing.T) {
	ctx := context.Background()
	st, url := newStore(t, "")
	mustImport(t, st, catalogtest.Fixture(), postgres.ImportOptions{})
	var hit, miss vocab.Codes
	hit.Add(vocab.Needs, "funding")
	hit.Add(vocab.Provinces, "tanger-assilah")
	miss.Add(vocab.Needs, "information") // only an inactive service offers it
	miss.Add(vocab.Provinces, "al-hoceima")
	r1, err := st.Match(ctx, catalogue.Query{Codes: hit, Lang: "ary", Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	r2, err := st.Match(ctx, catalogue.Query{Codes: miss, Lang: "fr"})
	if err != nil {
		t.Fatal(err)
	}
	// procurement is only offered at the development stage: asking it at
	// the idea stage relaxes the stage.
	var relax vocab.Codes
	relax.Add(vocab.Needs, "procurement")
	relax.Add(vocab.Stages, "idea")
	r3, err := st.Match(ctx, catalogue.Query{Codes: relax, Lang: "ar"})
	if err != nil {
		t.Fatal(err)
	}
	if len(r1.Matches) == 0 || len(r2.Matches) != 0 {
		t.Fatalf("fixture changed? hit %v, miss %v", ids(r1.Matches), ids(r2.Matches))
	}
	if err := st.FlushReferrals(ctx); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, _ := conn.Query(ctx, "SELECT lang, needs, provinces, relaxed, result_count, service_ids FROM referral ORDER BY id")
	type rec struct {
		Lang      string
		Needs     []string
		Provinces []string
		Relaxed   []string
		Count     int
		IDs       []string
	}
	got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[rec])
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("%d referrals logged, want 3", len(got))
	}
	if !slices.Equal(got[2].Relaxed, []string{"stages"}) || !slices.Equal(got[2].IDs, ids(r3.Matches)) {
		t.Errorf("relaxed referral logged as %+v (result %v relaxed %v)", got[2], ids(r3.Matches), r3.Relaxed)
	}
	if got[0].Lang != "ary" || !slices.Equal(got[0].Needs, []string{"funding"}) || got[0].Count != len(r1.Matches) || !slices.Equal(got[0].IDs, ids(r1.Matches)) {
		t.Errorf("first referral logged as %+v", got[0])
	}
	if got[1].Count != 0 || len(got[1].IDs) != 0 || !slices.Equal(got[1].Needs, []string{"information"}) || !slices.Equal(got[1].Provinces, []string{"al-hoceima"}) {
		t.Errorf("unmet need logged as %+v", got[1])
	}
}

// TestImportIsAllOrNothing makes the database refuse one row (a cost the
// schema's check rejects) and checks nothing of the import stayed.
func TestImportIsAllOrNothing(t *testing.T) {
	ctx := context.Background()
	st, _ := newStore(t, "")
	mustImport(t, st, catalogtest.Fixture(), postgres.ImportOptions{})
	before, err := st.Services(ctx)
	if err != nil {
		t.Fatal(err)
	}
	next := catalogue.Demo()
	bad := *next[len(next)-1] // a copy: Demo's services are shared
	bad.Cost = "priceless"    // bypasses ReadCSV's check on purpose
	next[len(next)-1] = &bad
	if _, err := st.Import(ctx, next, postgres.ImportOptions{}); err == nil {
		t.Fatal("import with a row the database refuses succeeded")
	}
	after, err := st.Services(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Fatalf("after a failed import %d services, before %d", len(after), len(before))
	}
	for i := range after {
		if after[i].ID != before[i].ID || after[i].Active != before[i].Active || after[i].NameFR != before[i].NameFR {
			t.Errorf("service %s changed by a failed import", after[i].ID)
		}
	}
	if n, err := st.Count(ctx); err != nil || n != len(catalogtest.Fixture())-1 {
		t.Errorf("Count = %d, %v; want the fixture's active services", n, err)
	}
}

// TestMatchSeesImportsFromAnotherProcess checks the in-memory indexes
// follow the catalogue when another store (another process) imports.
func TestMatchSeesImportsFromAnotherProcess(t *testing.T) {
	ctx := context.Background()
	st, url := newStore(t, "")
	mustImport(t, st, catalogtest.Fixture(), postgres.ImportOptions{})
	other, err := postgres.Open(ctx, url, locales.MustDefault())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()

	var c vocab.Codes
	c.Add(vocab.Needs, "procurement")
	q := catalogue.Query{Codes: c}
	res, err := st.Match(ctx, q)
	if err != nil || len(res.Matches) != 1 || res.Matches[0].Service.ID != "procure" {
		t.Fatalf("before: %v %v", ids(res.Matches), err)
	}
	if hits, _ := st.Search(ctx, "procure", 5); len(hits) == 0 {
		t.Fatal("search found nothing before the import")
	}
	var rest []*catalogue.Service
	for _, s := range catalogtest.Fixture() {
		if s.ID != "procure" {
			rest = append(rest, s)
		}
	}
	mustImport(t, other, rest, postgres.ImportOptions{})
	res, err = st.Match(ctx, q)
	if err != nil || slices.Contains(ids(res.Matches), "procure") {
		t.Errorf("after another process deactivated it: %v widened %v, %v", ids(res.Matches), res.Widened, err)
	}
	hits, err := st.Search(ctx, "procure", 5)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hits {
		if h.Service.ID == "procure" {
			t.Error("search still finds the deactivated service")
		}
	}
}

// TestOpenRecomputesCodesWhenVocabularyChanges simulates a catalogue
// stored by a binary with another vocabulary: Open recomputes the packed
// codes before matching.
func TestOpenRecomputesCodesWhenVocabularyChanges(t *testing.T) {
	ctx := context.Background()
	st, url := newStore(t, "")
	mustImport(t, st, catalogtest.Fixture(), postgres.ImportOptions{})
	st.Close()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "UPDATE service SET facet_bits = 0, match_keys = '{}'; UPDATE catalogue_meta SET value = 'an older vocabulary' WHERE key = 'vocabulary'"); err != nil {
		t.Fatal(err)
	}
	st2, err := postgres.Open(ctx, url, locales.MustDefault())
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	mem := catalogue.NewMemory(catalogtest.Fixture())
	for _, c := range catalogtest.Cases() {
		got, err := st2.Match(ctx, c.Query)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := mem.Match(ctx, c.Query)
		if !slices.Equal(ids(got.Matches), ids(want.Matches)) {
			t.Errorf("%s: after the vocabulary change %v, want %v", c.Name, ids(got.Matches), ids(want.Matches))
		}
	}
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM service WHERE active AND (facet_bits = 0 OR match_keys = '{}')").Scan(&n); err != nil || n != 0 {
		t.Errorf("%d active services left without codes (%v)", n, err)
	}
}

func TestMatchAfterCloseFailsWithoutPanic(t *testing.T) {
	st, _ := newStore(t, "")
	mustImport(t, st, catalogtest.Fixture(), postgres.ImportOptions{})
	var c vocab.Codes
	c.Add(vocab.Needs, "funding")
	if _, err := st.Match(context.Background(), catalogue.Query{Codes: c}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if _, err := st.Match(context.Background(), catalogue.Query{Codes: c}); err == nil {
		t.Error("Match on a closed store succeeded")
	}
	st.Close() // twice is fine
}

// TestConcurrentUse runs referrals and searches while imports change the
// catalogue (run with -race): no error, and every service shown is active
// in one of the catalogues imported.
func TestConcurrentUse(t *testing.T) {
	ctx := context.Background()
	st, _ := newStore(t, "")
	a, b := catalogue.Demo(), catalogue.Demo()[:20]
	mustImport(t, st, a, postgres.ImportOptions{})
	known := map[string]bool{}
	for _, s := range a {
		known[s.ID] = true
	}
	done := make(chan struct{})
	errs := make(chan error, 8)
	for w := range 4 {
		go func() {
			qs := randomQueries(50, uint64(w))
			for i := 0; ; i++ {
				select {
				case <-done:
					errs <- nil
					return
				default:
				}
				res, err := st.Match(ctx, qs[i%len(qs)])
				if err != nil {
					errs <- err
					return
				}
				for _, m := range res.Matches {
					if !known[m.Service.ID] || !m.Service.Active {
						errs <- fmt.Errorf("referral showed %s (active %v)", m.Service.ID, m.Service.Active)
						return
					}
				}
				if _, err := st.Search(ctx, []string{"microcrédit", "تكوين", "9ard", "formaton"}[i%4], 5); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for i := range 4 {
		next := a
		if i%2 == 0 {
			next = b
		}
		mustImport(t, st, next, postgres.ImportOptions{})
	}
	close(done)
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
