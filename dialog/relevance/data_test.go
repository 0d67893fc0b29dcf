package relevance_test

import (
	"strings"
	"testing"

	"github.com/dalil-tt/dalil/dialog/nlu"
	"github.com/dalil-tt/dalil/dialog/relevance"
	"github.com/dalil-tt/dalil/internal/vocab"
)

// The test set itself: big and balanced enough, consistent with its
// catalogue, every text understood in its language, every gap real.
func TestTestSet(t *testing.T) {
	ps, services := testSet(t)
	for _, err := range relevance.Validate(ps, services, nlu.Default()) {
		t.Error(err)
	}
	if len(ps) < 45 {
		t.Errorf("%d personas, want at least 45", len(ps))
	}
	groups := map[string]int{}
	gaps := 0
	for _, p := range ps {
		groups[p.Group()]++
		if p.Gap {
			gaps++
		}
	}
	for _, g := range []string{"fr", "ar", "ary-arabic", "ary-latin"} {
		if groups[g] < 10 {
			t.Errorf("%d personas in %s, want at least 10", groups[g], g)
		}
	}
	if len(groups) != 4 {
		t.Errorf("language groups %v, want exactly fr, ar, ary-arabic, ary-latin", groups)
	}
	if gaps < 10 {
		t.Errorf("%d personas whose ideal service is missing in their province, want at least 10", gaps)
	}
}

// The test catalogue is clearly fictional and varied: t- ids, example.org
// e-mails, no phones; 60 to 90 services covering every need family, with
// reserved, paid and free ones.
func TestTestCatalogue(t *testing.T) {
	_, services := testSet(t)
	if n := len(services); n < 60 || n > 90 {
		t.Errorf("%d services, want 60 to 90", n)
	}
	needs := map[string]bool{}
	publics := map[string]bool{}
	costs := map[string]bool{}
	for _, s := range services {
		if !strings.HasPrefix(s.Org.ID, "t-") || !strings.HasPrefix(s.ID, "t-") {
			t.Errorf("%s (org %s): ids of the test catalogue start with t-", s.ID, s.Org.ID)
		}
		if s.Phone != "" || (s.Email != "" && !strings.HasSuffix(s.Email, "@example.org")) {
			t.Errorf("%s: contact must be fictional (no phone, e-mail @example.org)", s.ID)
		}
		for _, n := range s.Needs {
			needs[n] = true
		}
		for _, p := range s.Publics {
			publics[p] = true
		}
		costs[s.Cost] = true
	}
	for _, n := range vocab.Values[vocab.Needs] {
		if n != "funding" && !needs[n] {
			t.Errorf("no service offers %s", n)
		}
	}
	for _, p := range vocab.Values[vocab.Publics] {
		if !publics[p] {
			t.Errorf("no service reserved to %s", p)
		}
	}
	for _, c := range []string{"free", "paid"} {
		if !costs[c] {
			t.Errorf("no %s service", c)
		}
	}
}

// Validate catches the mistakes a test set editor makes.
func TestValidateReportsProblems(t *testing.T) {
	ps, services := testSet(t)
	p := ps[0]
	bad := func(edit func(*relevance.Persona), want string) {
		t.Helper()
		q := p
		q.Facts = map[vocab.Facet][]string{}
		for f, c := range p.Facts {
			q.Facts[f] = append([]string(nil), c...)
		}
		edit(&q)
		errs := relevance.Validate([]relevance.Persona{q}, services, nlu.Default())
		for _, err := range errs {
			if strings.Contains(err.Error(), want) {
				return
			}
		}
		t.Errorf("want a problem containing %q, got %v", want, errs)
	}
	bad(func(q *relevance.Persona) { q.Ideal = []string{"t-nope"} }, `ideal service "t-nope" is not in the catalogue`)
	bad(func(q *relevance.Persona) { q.Acceptable = append(q.Acceptable, q.Ideal[0]) }, "judged both")
	bad(func(q *relevance.Persona) { q.Facts[vocab.Sectors] = []string{"space"} }, `unknown code "space"`)
	bad(func(q *relevance.Persona) { q.Facts[vocab.Provinces] = nil }, "one province")
	bad(func(q *relevance.Persona) { q.Text = "ana bghit credit f tetouan" }, `understood as "ary"`)
	bad(func(q *relevance.Persona) { q.Ideal = []string{"t-amal-women"} }, "reserved to women")
	bad(func(q *relevance.Persona) { q.Facts[vocab.Provinces] = []string{"tanger-assilah"} }, "marked gap, but \"t-jisr-start\"") // start-up microcredit exists in Tanger
	bad(func(q *relevance.Persona) { q.Lang, q.Script = "ary", "" }, "script")
	// The same persona, untouched, has no problem.
	if errs := relevance.Validate([]relevance.Persona{p}, services, nlu.Default()); len(errs) > 0 {
		t.Errorf("untouched persona: %v", errs)
	}
}

func TestParsePersonasRejectsUnknownFields(t *testing.T) {
	_, err := relevance.ParsePersonas([]byte("personas:\n  - id: x\n    ideel: [t-a]\n"))
	if err == nil || !strings.Contains(err.Error(), "ideel") {
		t.Fatalf("want an error naming the unknown field, got %v", err)
	}
	if _, err := relevance.ParsePersonas([]byte("people: []\n")); err == nil {
		t.Fatal("a file without personas must be refused")
	}
}
