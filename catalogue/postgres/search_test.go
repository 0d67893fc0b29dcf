package postgres_test

import (
	"context"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/catalogue/postgres"
)

// searchCases are queries in French, Arabic (with diacritics and letter
// variants), Arabizi and with typos, and a demo service each must find
// among the first three.
var searchCases = []struct {
	name, query, want string
}{
	{"french", "incubation", "demo-babtech-incubation"},
	{"french without accents", "peche artisanale equipement", "demo-peche-equipement"},
	{"french typo", "formalitées entreprize", "demo-ccis-formalites"},
	{"french typo 2", "domicilaition", "demo-babtech-domiciliation"},
	{"arabic", "قرض الشرف", "demo-honneur-pret"},
	{"arabic with diacritics", "حَاضِنَة", "demo-babtech-incubation"},
	{"arabic letter variants", "الصناعه التقليديه", "demo-artisanat-carte"},
	{"arabic hamza variants", "احداث المقاوله", "demo-cri-creation"},
	{"arabic typo", "التعاونيات النساءية", "demo-nisaa-accompagnement"},
	{"arabizi", "9ard chraf", "demo-honneur-pret"},
	{"arabizi 7", "7adina", "demo-babtech-incubation"},
	{"darija arabizi", "mou9awala dati", "demo-emploi-autoentrepreneur"},
}

func checkSearch(t *testing.T, st *postgres.Store) {
	ctx := context.Background()
	for _, c := range searchCases {
		t.Run(c.name, func(t *testing.T) {
			hits, err := st.Search(ctx, c.query, 10)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, h := range hits {
				got = append(got, h.Service.ID)
			}
			if i := slices.Index(got, c.want); i < 0 || i > 2 {
				t.Errorf("Search(%q): %s at position %d of %v", c.query, c.want, i, got)
			}
		})
	}
}

func TestSearch(t *testing.T) {
	st, _ := newStore(t, "")
	mustImport(t, st, catalogue.Demo(), postgres.ImportOptions{})
	checkSearch(t, st)

	hits, err := st.Search(context.Background(), "zzzz qqqq", 10)
	if err != nil || len(hits) != 0 {
		t.Errorf("nonsense query found %d services (%v)", len(hits), err)
	}
	hits, err = st.Search(context.Background(), "   ", 10)
	if err != nil || len(hits) != 0 {
		t.Errorf("blank query found %d services (%v)", len(hits), err)
	}
}

// TestSearchUnderCLocale runs the same searches in a database created with
// LC_COLLATE and LC_CTYPE C, where pg_trgm sees no Arabic letter.
func TestSearchUnderCLocale(t *testing.T) {
	st, url := newStore(t, "C")
	mustImport(t, st, catalogue.Demo(), postgres.ImportOptions{})
	checkSearch(t, st)

	// The reason for ASCII keys: trigrams of Arabic are empty under C.
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var arabic, key int
	if err := conn.QueryRow(ctx, "SELECT cardinality(show_trgm('تمويل')), cardinality(show_trgm($1))", postgres.SearchKey("تمويل")).Scan(&arabic, &key); err != nil {
		t.Fatal(err)
	}
	if arabic != 0 {
		t.Logf("pg_trgm makes %d trigrams of Arabic under LC_CTYPE C on this server", arabic)
	}
	if key == 0 {
		t.Errorf("the search key of an Arabic word has no trigram under LC_CTYPE C")
	}
}

func TestSearchIgnoresInactive(t *testing.T) {
	st, _ := newStore(t, "C.UTF-8")
	demo := catalogue.Demo()
	mustImport(t, st, demo, postgres.ImportOptions{})
	var rest []*catalogue.Service
	for _, s := range demo {
		if s.ID != "demo-babtech-incubation" {
			rest = append(rest, s)
		}
	}
	mustImport(t, st, rest, postgres.ImportOptions{})
	hits, err := st.Search(context.Background(), "incubation", 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hits {
		if h.Service.ID == "demo-babtech-incubation" {
			t.Error("search found an inactive service")
		}
	}
}
