package dialog_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/dalil-tt/dalil/dialog"
	"github.com/dalil-tt/dalil/dialog/trees"
	"github.com/dalil-tt/dalil/internal/vocab"
)

// A project has one stage, form, province and area: a second value replaces
// the first, and /back brings the first back. Needs, publics and sectors
// add up. Each facet is stated twice from the transport and twice in free
// text, in the middle of a conversation.
func TestSingleValuedFacets(t *testing.T) {
	cases := []struct {
		f      vocab.Facet
		single bool
		a, b   string // codes as the transport gives them
		ta, tb string // the same codes said in free text
	}{
		{vocab.Needs, false, "training", "premises", "je veux une formation", "je cherche un local"},
		{vocab.Stages, true, "idea", "development", "j'ai une idée de projet", "en fait j'ai déjà lancé mon activité"},
		{vocab.Forms, true, "auto_entrepreneur", "cooperative", "je suis auto-entrepreneur", "finalement ce sera une coopérative"},
		{vocab.Publics, false, "women", "graduates", "je suis une femme", "je suis diplômée"},
		{vocab.Sectors, false, "crafts", "tourism", "je fais de l'artisanat", "et du tourisme"},
		{vocab.Provinces, true, "tetouan", "larache", "ana f tetwan", "ana f l3rayech"},
		{vocab.Areas, true, "urban", "rural", "je travaille en ville", "au village"},
	}
	var facets []vocab.Facet
	for _, c := range cases {
		facets = append(facets, c.f)
		if got := slices.Contains(vocab.SingleValued, c.f); got != c.single {
			t.Errorf("%s: single-valued %v, want %v", c.f, got, c.single)
		}
	}
	if !slices.Equal(facets, vocab.Facets) {
		t.Fatalf("cases cover %v, want every facet %v", facets, vocab.Facets)
	}
	eng := testEngine(t, "testdata/tree.yaml")
	for _, c := range cases {
		for _, how := range []string{"codes", "text"} {
			t.Run(string(c.f)+"/"+how, func(t *testing.T) {
				st := started(t, eng)
				say := func(code, text string) {
					t.Helper()
					in := dialog.Input{Kind: dialog.InText, Text: text}
					if how == "codes" {
						in = dialog.Input{Kind: dialog.InCodes}
						in.Codes.Add(c.f, code)
					}
					var replies []dialog.Reply
					st, replies, _ = eng.Step(st, in)
					for _, r := range replies {
						if strings.HasPrefix(r.Text, "NotUnderstood") {
							t.Fatalf("%s %q: not understood", c.f, text)
						}
					}
				}
				say(c.a, c.ta)
				say(c.b, c.tb)
				want := []string{c.a, c.b}
				if c.single {
					want = []string{c.b}
				}
				if got := st.Codes.Get(c.f); !slices.Equal(got, want) {
					t.Errorf("after %s then %s: %s = %v, want %v", c.a, c.b, c.f, got, want)
				}
				st, _, _ = eng.Step(st, dialog.Input{Kind: dialog.InCommand, Command: "back"})
				if got := st.Codes.Get(c.f); !slices.Equal(got, []string{c.a}) {
					t.Errorf("after /back: %s = %v, want [%s]", c.f, got, c.a)
				}
			})
		}
	}
}

// started is a French conversation waiting at the need question.
func started(t *testing.T, eng *dialog.Engine) dialog.State {
	t.Helper()
	st := eng.NewState()
	for _, in := range []dialog.Input{
		{Kind: dialog.InCommand, Command: "start"},
		{Kind: dialog.InButton, Data: "lang:fr"},
		{Kind: dialog.InButton, Data: "c:" + eng.Tree.Version + ":stage:grow"},
	} {
		st, _, _ = eng.Step(st, in)
	}
	if st.Node != "need" {
		t.Fatalf("conversation at %q, want need", st.Node)
	}
	// The stage button's code would hide a replaced stage: start from none.
	st.Codes = vocab.Codes{}
	st.Hist = nil
	return st
}

// No question of the default tree collects several values of a
// single-valued facet at once: a choice sets at most one of each.
func TestDefaultTreeSetsOneValuePerSingleFacet(t *testing.T) {
	tree, err := dialog.Parse(trees.Default)
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, n := range tree.Nodes {
		for _, c := range n.Choices {
			for _, f := range vocab.SingleValued {
				if len(c.Set[f]) > 1 {
					t.Errorf("node %s choice %s sets %s %v: one value expected", n.ID, c.ID, f, c.Set[f])
				}
				if len(c.Set[f]) == 1 {
					checked++
				}
			}
		}
	}
	if checked < 10 {
		t.Errorf("only %d choices set a single-valued facet: has the tree changed?", checked)
	}
}
