package relevance_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/dialog"
	"github.com/dalil-tt/dalil/dialog/nlu"
	"github.com/dalil-tt/dalil/dialog/relevance"
	"github.com/dalil-tt/dalil/internal/vocab"
)

// recorder keeps the queries the harness asks, then answers them.
type recorder struct {
	catalogue.Matcher
	queries []catalogue.Query
}

func (r *recorder) Match(ctx context.Context, q catalogue.Query) (catalogue.Result, error) {
	r.queries = append(r.queries, q)
	return r.Matcher.Match(ctx, q)
}

func youngWomanInTetouan() relevance.Persona {
	return relevance.Persona{
		ID: "young-woman", Lang: "ary", Script: "latin",
		Text: "salam ana bent 3ndi 25 3am, bghit credit sghir bach n7el salon dyal l7ssana f tetouan",
		Facts: map[vocab.Facet][]string{
			vocab.Needs: {"funding.microcredit"}, vocab.Stages: {"creation"}, vocab.Forms: {"individual"},
			vocab.Sectors: {"services"}, vocab.Provinces: {"tetouan"}, vocab.Areas: {"urban"},
			vocab.Publics: {"women", "youth"},
		},
		Ideal: []string{"t-amal-women"},
	}
}

// Buttons only: every question answered from the facts, the tree's and the
// yes/no ones about who the person is (a microcredit reserved to women is
// the ideal service here: asked, she says yes).
func TestRunButtonsAnswersEveryQuestionFromTheFacts(t *testing.T) {
	_, services := testSet(t)
	m := catalogue.NewMemory(services)
	rec := &recorder{Matcher: m}
	p := youngWomanInTetouan()
	eng := defaultEngine(t)
	eng.Catalogue = m
	out, err := relevance.Run(context.Background(), eng, rec, p, relevance.Buttons)
	if err != nil {
		t.Fatal(err)
	}
	if out.Questions < 3 || out.Questions > 7 {
		t.Errorf("questions = %d, want the need, the province and what tells the services apart", out.Questions)
	}
	if len(rec.queries) != 1 {
		t.Fatalf("%d referrals looked up, want 1 (the run stops at the first)", len(rec.queries))
	}
	q := rec.queries[0]
	if q.Lang != "ary" {
		t.Errorf("query language %q, want ary (the language button)", q.Lang)
	}
	for _, f := range []vocab.Facet{vocab.Needs, vocab.Stages, vocab.Forms, vocab.Sectors, vocab.Provinces, vocab.Publics} {
		for _, code := range q.Codes.Get(f) {
			if !slices.Contains(p.Facts[f], code) {
				t.Errorf("query %s = %v: %s is not true of the persona (%v)", f, q.Codes.Get(f), code, p.Facts[f])
			}
		}
	}
	for _, f := range []vocab.Facet{vocab.Needs, vocab.Provinces} {
		if !q.Codes.Has(f) {
			t.Errorf("query has no %s", f)
		}
	}
	if !slices.Contains(q.Codes.Publics, "women") {
		t.Errorf("query publics %v: the yes/no about women was not asked or not answered yes", q.Codes.Publics)
	}
	if len(out.Shown) == 0 {
		t.Error("no service shown")
	}
}

// Free text: the first message is sent as text, and only what it did not
// say is asked.
func TestRunFreeTextSendsTheMessageFirst(t *testing.T) {
	_, services := testSet(t)
	rec := &recorder{Matcher: catalogue.NewMemory(services)}
	p := youngWomanInTetouan()
	said := nlu.Default().Understand(p.Text).Codes
	if !said.Has(vocab.Needs) || !said.Has(vocab.Provinces) {
		t.Fatalf("test premise: the text should express a need and a province, got %+v", said)
	}
	out, err := relevance.Run(context.Background(), defaultEngine(t), rec, p, relevance.FreeText)
	if err != nil {
		t.Fatal(err)
	}
	if out.Questions >= 6 {
		t.Errorf("questions = %d: the text answered some, want fewer than 6", out.Questions)
	}
	if len(rec.queries) != 1 || !slices.Contains(rec.queries[0].Codes.Get(vocab.Provinces), "tetouan") {
		t.Errorf("queries %+v, want one, for Tétouan", rec.queries)
	}
}

// Nothing true among the choices: the one that sets nothing ("other",
// "not decided", "none of these").
func TestRunFallsBackToTheChoiceThatSetsNothing(t *testing.T) {
	_, services := testSet(t)
	rec := &recorder{Matcher: catalogue.NewMemory(services)}
	p := youngWomanInTetouan()
	delete(p.Facts, vocab.Sectors)
	delete(p.Facts, vocab.Forms)
	p.Facts[vocab.Publics] = []string{"disabled"}
	if _, err := relevance.Run(context.Background(), defaultEngine(t), rec, p, relevance.Buttons); err != nil {
		t.Fatal(err)
	}
	q := rec.queries[0].Codes
	if q.Has(vocab.Sectors) || q.Has(vocab.Forms) || q.Has(vocab.Publics) {
		t.Errorf("query %+v: want no sector, form or public", q)
	}
}

func treeEngine(t *testing.T, yaml string) *dialog.Engine {
	t.Helper()
	tree, err := dialog.Parse([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	eng := defaultEngine(t)
	eng.Tree = tree
	return eng
}

func TestRunFailsWhenNoReferralComes(t *testing.T) {
	_, services := testSet(t)
	m := catalogue.NewMemory(services)
	p := youngWomanInTetouan()
	for _, c := range []struct{ name, tree, want string }{
		{"adviser", `
id: t
start: a
nodes:
  - {id: a, kind: adviser, text: {fr: "un conseiller", ar: "مستشار", ary: "مستشار"}}
`, "handed to an adviser"},
		{"loop", `
id: t
start: q
nodes:
  - id: q
    kind: choice
    text: {fr: "encore ?", ar: "مرة أخرى؟", ary: "عاوتاني؟"}
    choices:
      - {id: again, label: {fr: "encore", ar: "مرة أخرى", ary: "عاوتاني"}, next: q}
`, "no referral after 40 steps"},
	} {
		_, err := relevance.Run(context.Background(), treeEngine(t, c.tree), m, p, relevance.Buttons)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got error %v, want %q", c.name, err, c.want)
		}
	}
}

// Evaluate counts harm, first-ideal and questions the way the report says.
func TestEvaluateFigures(t *testing.T) {
	_, services := testSet(t)
	m := catalogue.NewMemory(services)
	good := youngWomanInTetouan()
	man := youngWomanInTetouan()
	man.ID, man.Text = "man", "salam ana rajel, bghit credit sghir f tetouan"
	man.Facts[vocab.Publics] = nil
	man.Ideal = []string{"t-bankm-start"}
	sum, err := relevance.Evaluate(context.Background(), defaultEngine(t), m, relevance.Index(services), []relevance.Persona{good, man}, relevance.Buttons)
	if err != nil {
		t.Fatal(err)
	}
	// Without a catalogue the engine asks the tree as written: five questions.
	if len(sum.Results) != 2 || sum.QuestionsWorst != 5 || sum.QuestionsMedian != 5 {
		t.Errorf("results %d, questions median %g worst %d; want 2, 5, 5", len(sum.Results), sum.QuestionsMedian, sum.QuestionsWorst)
	}
	for _, h := range sum.Harm {
		if h.Persona != "man" {
			t.Errorf("harm for %s: %+v", h.Persona, h)
		}
	}
	r := sum.Results[0]
	if r.FirstIdeal() != (len(r.Outcome.Shown) > 0 && r.Outcome.Shown[0] == "t-amal-women") {
		t.Errorf("first ideal %v for top %v", r.FirstIdeal(), r.Outcome.Shown)
	}
	var report strings.Builder
	if err := relevance.WriteReport(&report, []relevance.Summary{sum}, true); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"mode buttons", "personas", "mean nDCG@3", "first card ideal", "harmful shown in top 3", "median 5, worst 5", "young-woman", "ary-latin"} {
		if !strings.Contains(report.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, report.String())
		}
	}
}
