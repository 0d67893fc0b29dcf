package postgres

import (
	"context"
	"github.com/dalil-tt/dalil/locales"
	"math"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/catalogue/postgres/pgtest"
)

// TestDictionarySimilarityIsPgTrgm checks the in-memory similarity lookup
// against pg_trgm itself, in a C-locale database: same similarity values,
// and the same words found (search_word rows with word % query).
func TestDictionarySimilarityIsPgTrgm(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDBLocale(t, "C")
	if err := Migrate(ctx, url); err != nil {
		t.Fatal(err)
	}
	st, err := Open(ctx, url, locales.MustDefault())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Import(ctx, catalogue.Demo(), ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	idx, err := st.searchIndex(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "SET pg_trgm.similarity_threshold = 0.4"); err != nil {
		t.Fatal(err)
	}
	queries := []string{"formaton", "entreprize", "domicilaition", "microcredi", "frmtn", "9rd", "7dn", "tml", "cooperativ", "x", "zzzzzz"}
	for _, q := range queries {
		rows, _ := conn.Query(ctx, "SELECT word, similarity($1, word) FROM search_word WHERE word % $1 ORDER BY 2 DESC, word COLLATE \"C\"", q)
		type ws struct {
			Word string
			Sim  float32
		}
		want, err := pgx.CollectRows(rows, pgx.RowToStructByPos[ws])
		if err != nil {
			t.Fatal(err)
		}
		got := idx.dict.similar(0, q)
		if len(want) > similarWords {
			want = want[:similarWords]
		}
		if len(got) != len(want) {
			t.Errorf("%q: in memory %v, pg_trgm %v", q, got, want)
			continue
		}
		for i := range got {
			if got[i].word != want[i].Word || math.Abs(float64(got[i].sim-want[i].Sim)) > 1e-6 {
				t.Errorf("%q #%d: in memory %s %.4f, pg_trgm %s %.4f", q, i, got[i].word, got[i].sim, want[i].Word, want[i].Sim)
			}
		}
	}
	// The dictionary table holds the words the in-memory index has.
	rows, _ := conn.Query(ctx, "SELECT word FROM search_word ORDER BY word COLLATE \"C\"")
	table, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(table, idx.dict.words) {
		t.Errorf("search_word has %d words, the in-memory dictionary %d", len(table), len(idx.dict.words))
	}
}
