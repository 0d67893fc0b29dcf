package trees_test

import (
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/dialog"
	"github.com/dalil-tt/dalil/dialog/nlu"
	"github.com/dalil-tt/dalil/dialog/trees"
	"github.com/dalil-tt/dalil/internal/lang"
	"github.com/dalil-tt/dalil/internal/vocab"
	"github.com/dalil-tt/dalil/locales"
)

// These tests walk the default tree with the real engine, locales and
// lexicon: they check what a project holder goes through, not the format
// (dialog's own tests validate the file).

func defaultTree(t testing.TB) *dialog.Tree {
	t.Helper()
	tree, err := dialog.Parse(trees.Default)
	if err != nil {
		t.Fatal(err)
	}
	if ps := dialog.Validate(tree); len(ps) > 0 {
		t.Fatalf("default tree is not valid: %v", ps)
	}
	return tree
}

// talk is one conversation on the default tree.
type talk struct {
	t       testing.TB
	e       *dialog.Engine
	s       dialog.State
	replies []dialog.Reply
	effects []dialog.Effect
}

var shared = struct {
	once sync.Once
	tree *dialog.Tree
}{}

func newTalk(t testing.TB, l lang.Lang) *talk {
	shared.once.Do(func() { shared.tree = defaultTree(t) })
	if shared.tree == nil {
		t.Fatal("default tree did not load")
	}
	c := &talk{t: t, e: &dialog.Engine{Tree: shared.tree, NLU: nlu.Default(), T: locales.MustDefault()}}
	c.s = c.e.NewState()
	c.send(dialog.Input{Kind: dialog.InCommand, Command: "start"})
	c.send(dialog.Input{Kind: dialog.InButton, Data: "lang:" + string(l)})
	return c
}

func (c *talk) send(in dialog.Input) {
	c.s, c.replies, c.effects = c.e.Step(c.s, in)
}

// press taps the button of choice id on the question asked last.
func (c *talk) press(choice string) {
	c.t.Helper()
	suffix := ":" + c.s.Node + ":" + choice
	for _, r := range c.replies {
		for _, row := range r.Buttons {
			for _, b := range row {
				if strings.HasSuffix(b.Data, suffix) {
					c.send(dialog.Input{Kind: dialog.InButton, Data: b.Data})
					return
				}
			}
		}
	}
	c.t.Fatalf("no button %q on node %q", choice, c.s.Node)
}

func (c *talk) referral() *catalogue.Query {
	for _, r := range c.replies {
		if r.Referral != nil {
			return r.Referral
		}
	}
	return nil
}

func (c *talk) said(text string) bool {
	return slices.ContainsFunc(c.replies, func(r dialog.Reply) bool { return strings.Contains(r.Text, text) })
}

// The buttons offer every code of the vocabulary a project holder answers
// with, so no catalogue service is out of reach of a button-only path.
// Publics (and the rural area) are not tree buttons: the engine asks about
// each with a yes/no question when a service reserved to it would be shown
// (dialog/eligibility.go, tested there).
func TestButtonsCoverTheVocabulary(t *testing.T) {
	tree := defaultTree(t)
	offered := map[vocab.Facet][]string{}
	for _, n := range tree.Nodes {
		for _, c := range n.Choices {
			for f, codes := range c.Set {
				offered[f] = append(offered[f], codes...)
			}
		}
	}
	want := map[vocab.Facet][]string{}
	for _, f := range []vocab.Facet{vocab.Stages, vocab.Needs, vocab.Forms, vocab.Sectors, vocab.Provinces} {
		want[f] = slices.DeleteFunc(slices.Clone(vocab.Values[f]), func(c string) bool { return c == "funding" })
	}
	for f, codes := range want {
		for _, code := range codes {
			if !slices.Contains(offered[f], code) {
				t.Errorf("no button sets %s %q", f, code)
			}
		}
	}
}

// Random button-only walks: every one reaches a referral after at most five
// questions, whatever the answers (without a catalogue the tree is asked as
// written).
func TestEveryButtonPathReachesAReferralWithinFiveQuestions(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 200 {
		l := lang.All[i%len(lang.All)]
		c := newTalk(t, l)
		var path []string
		for questions := 1; ; questions++ {
			if questions > 5 {
				t.Fatalf("%s path %v: a sixth question %q before any referral", l, path, c.s.Node)
			}
			n := c.e.Tree.Node(c.s.Node)
			if n == nil || n.Kind != dialog.KindChoice {
				t.Fatalf("%s path %v: waiting on %q, not a question", l, path, c.s.Node)
			}
			ch := n.Choices[rng.IntN(len(n.Choices))]
			path = append(path, n.ID+"="+ch.ID)
			c.press(ch.ID)
			if c.referral() != nil {
				break
			}
		}
		if c.s.Node != "after" {
			t.Fatalf("%s path %v: after the referral the bot waits on %q, want the after menu", l, path, c.s.Node)
		}
	}
}

func TestTips(t *testing.T) {
	tree := defaultTree(t)
	tip := func(id string) string { return tree.Node(id).Text[lang.FR] }
	for _, tc := range []struct {
		name    string
		answers []string // stage, need, form, sector
		tip     string
		shown   bool
	}{
		{"idea and microcredit", []string{"idea", "microcredit", "individual", "commerce"}, "idea_tip", true},
		{"idea and a grant", []string{"idea", "grant", "individual", "commerce"}, "idea_tip", true},
		{"idea and training", []string{"idea", "training", "individual", "commerce"}, "idea_tip", false},
		{"running and microcredit", []string{"growth", "microcredit", "individual", "commerce"}, "idea_tip", false},
		{"informal", []string{"growth", "legal", "informal", "commerce"}, "informal_tip", true},
		{"informal, other sector", []string{"growth", "legal", "informal", "other"}, "informal_tip", true},
		// Not the route for farmers and fishers.
		{"informal farmer", []string{"growth", "legal", "informal", "agriculture"}, "informal_tip", false},
		{"informal fisher", []string{"growth", "legal", "informal", "fishing"}, "informal_tip", false},
		{"auto-entrepreneur", []string{"growth", "legal", "auto_entr", "commerce"}, "informal_tip", false},
		{"new cooperative", []string{"creation", "training", "cooperative", "agriculture"}, "coop_tip", true},
		{"running cooperative", []string{"growth", "training", "cooperative", "agriculture"}, "coop_tip", false},
	} {
		c := newTalk(t, lang.FR)
		seen := false
		for _, a := range tc.answers {
			c.press(a)
			seen = seen || c.said(tip(tc.tip))
		}
		if seen != tc.shown {
			t.Errorf("%s: tip %s shown = %v, want %v", tc.name, tc.tip, seen, tc.shown)
		}
		if c.s.Node != "province" {
			t.Errorf("%s: after the sector the bot asks %q, want province", tc.name, c.s.Node)
		}
	}
}

func TestAnswersReachTheQuery(t *testing.T) {
	c := newTalk(t, lang.ARY)
	for _, a := range []string{"creation", "premises", "cooperative", "agrifood", "chefchaouen"} {
		c.press(a)
	}
	q := c.referral()
	if q == nil {
		t.Fatal("no referral after five answers")
	}
	want := vocab.Codes{Needs: []string{"premises"}, Stages: []string{"creation"}, Forms: []string{"cooperative"},
		Sectors: []string{"agrifood"}, Provinces: []string{"chefchaouen"}}
	if got := q.Codes.Normalized(); !equalCodes(got, want.Normalized()) {
		t.Fatalf("query codes %+v, want %+v", got, want)
	}
	if q.Lang != "ary" {
		t.Fatalf("query language %q", q.Lang)
	}

	// Another need keeps the other answers and goes straight to the services.
	c.press("other_need")
	if c.s.Node != "need_again" {
		t.Fatalf("another need asks %q", c.s.Node)
	}
	c.press("training")
	q = c.referral()
	if q == nil || !slices.Equal(q.Codes.Needs, []string{"training"}) || !slices.Equal(q.Codes.Provinces, []string{"chefchaouen"}) {
		t.Fatalf("second referral query %+v", q)
	}

	c.press("done")
	if !c.s.Ended || c.s.Node != "bye" {
		t.Fatalf("done leads to %q (ended %v)", c.s.Node, c.s.Ended)
	}
}

func TestAdviserFromTheMenu(t *testing.T) {
	c := newTalk(t, lang.AR)
	for _, a := range []string{"idea", "coaching", "undecided", "other", "alhoceima"} {
		c.press(a)
	}
	c.press("adviser")
	if c.s.Node != "adviser" || !slices.Contains(c.effects, dialog.Effect{Kind: dialog.EffectAdviser}) {
		t.Fatalf("the adviser button leads to %q with effects %v, want a hand-over", c.s.Node, c.effects)
	}
	if !c.said(c.e.Tree.Node("adviser").Text[lang.AR]) {
		t.Fatal("the hand-over is not announced in Arabic")
	}
}

// Free text jumps ahead: what was said is not asked again.
func TestFreeTextSkipsQuestions(t *testing.T) {
	c := newTalk(t, lang.FR)
	c.send(dialog.Input{Kind: dialog.InText, Text: "je cherche un microcrédit à Tétouan"})
	asked := []string{c.s.Node}
	for c.referral() == nil {
		n := c.e.Tree.Node(c.s.Node)
		if n == nil || len(asked) > 6 {
			t.Fatalf("no referral; asked %v", asked)
		}
		c.press(n.Choices[0].ID)
		asked = append(asked, c.s.Node)
	}
	if slices.Contains(asked, "need") || slices.Contains(asked, "province") {
		t.Fatalf("asked again what the text said: %v", asked)
	}
	q := c.referral()
	if !slices.Contains(q.Codes.Needs, "funding.microcredit") || !slices.Contains(q.Codes.Provinces, "tetouan") {
		t.Fatalf("query lost the free-text answers: %+v", q.Codes)
	}
}

// The yes/no question about youth and free text follow the same age rule
// (35 or under, dialog/nlu/age.go): an age typed in words is young up to
// 35, and the question names 35 and says it is included.
func TestYouthAgeAgrees(t *testing.T) {
	lx := nlu.Default()
	if got := lx.Understand("j'ai 35 ans").Codes.Publics; !slices.Contains(got, "youth") {
		t.Errorf("35 is not young for free text: %v", got)
	}
	if got := lx.Understand("j'ai 36 ans").Codes.Publics; slices.Contains(got, "youth") {
		t.Errorf("36 is young for free text: %v", got)
	}
	included := map[lang.Lang]string{lang.FR: "35 ans ou moins", lang.AR: "35 سنة أو أقل", lang.ARY: "35 عام ولا قل"}
	for l, want := range included {
		// The yes/no question that replaced the profile buttons says it too.
		if ask := locales.MustDefault().T(l, "eligibility.ask.youth", nil); !strings.Contains(ask, want) {
			t.Errorf("%s eligibility.ask.youth %q does not say %q", l, ask, want)
		}
	}
	for l, want := range included {
		if help := locales.MustDefault().T(l, "talk.help.publics", nil); !strings.Contains(help, strings.Fields(want)[0]) {
			t.Errorf("%s talk.help.publics does not give the age 35: %q", l, help)
		}
	}
}

// Someone whose first message says what they look for is not then invited
// to write what they look for (the welcome), but asked what is missing.
func TestFirstFreeTextSkipsTheWelcome(t *testing.T) {
	tree := defaultTree(t)
	welcome := tree.Node("welcome").Text
	e := &dialog.Engine{Tree: tree, NLU: nlu.Default(), T: locales.MustDefault()}
	s, replies, _ := e.Step(e.NewState(), dialog.Input{Kind: dialog.InText, Text: "je cherche un microcrédit à Tétouan"})
	for _, r := range replies {
		if r.Text == welcome[lang.FR] {
			t.Fatalf("welcome shown after a message that said what it wants: %q", r.Text)
		}
	}
	if s.Node != "stage" {
		t.Fatalf("first free text leads to %q, want the stage question", s.Node)
	}
	// Free text that says nothing known still gets the welcome.
	_, replies, _ = e.Step(e.NewState(), dialog.Input{Kind: dialog.InText, Text: "bonjour"})
	if !slices.ContainsFunc(replies, func(r dialog.Reply) bool { return r.Text == welcome[lang.FR] }) {
		t.Fatalf("no welcome for a first message understood as nothing: %+v", replies)
	}
}

// Arabic-script texts of the tree hold no bare Latin letters, which would
// break right-to-left display (see locales for the isolate convention).
func TestArabicTextsHaveNoBareLatin(t *testing.T) {
	tree := defaultTree(t)
	check := func(where string, s string) {
		depth := 0
		for _, r := range s {
			switch {
			case r == '\u2068':
				depth++
			case r == '\u2069':
				depth--
			case depth == 0 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'):
				t.Errorf("%s: Latin letter outside an isolate in %q", where, s)
				return
			}
		}
	}
	for _, n := range tree.Nodes {
		for _, l := range []lang.Lang{lang.AR, lang.ARY} {
			check(n.ID+" text "+string(l), n.Text[l])
			for _, c := range n.Choices {
				check(n.ID+"/"+c.ID+" "+string(l), c.Label[l])
			}
		}
	}
}

func equalCodes(a, b vocab.Codes) bool {
	for _, f := range vocab.Facets {
		if !slices.Equal(a.Get(f), b.Get(f)) {
			return false
		}
	}
	return true
}
