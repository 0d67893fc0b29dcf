package dialog_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/dalil-tt/dalil/dialog"
	"github.com/dalil-tt/dalil/dialog/nlu"
	"github.com/dalil-tt/dalil/dialog/trees"
	"github.com/dalil-tt/dalil/internal/lang"
	"github.com/dalil-tt/dalil/internal/vocab"
	"github.com/dalil-tt/dalil/locales"
)

// at returns a state of the test tree in language l, its codes given,
// waiting at node with one miss already counted.
func at(t *testing.T, eng *dialog.Engine, l lang.Lang, node string) dialog.State {
	t.Helper()
	st := eng.NewState()
	st.Lang, st.Node, st.Misses = l, node, 1
	st.Hist = []dialog.Frame{{Node: "stage"}}
	if eng.Tree.Node(node) == nil {
		t.Fatalf("no node %q", node)
	}
	return st
}

func texts(replies []dialog.Reply) []string {
	var out []string
	for _, r := range replies {
		out = append(out, r.Text)
	}
	return out
}

// A greeting, thanks or confusion is answered in the conversation's
// language, then the question is asked again; it is no miss (the adviser
// button of a second miss does not come), and it changes nothing else.
func TestTalkIsNoMiss(t *testing.T) {
	eng := testEngine(t, "testdata/tree.yaml")
	for _, tc := range []struct {
		l    lang.Lang
		text string
		want string // first reply
	}{
		{lang.FR, "bonjour", "talk.greeting/fr"},
		{lang.FR, "salut !", "talk.greeting/fr"},
		{lang.FR, "merci", "talk.thanks/fr"},
		{lang.FR, "je n'ai pas compris", "talk.help.needs/fr talk.help.choice/fr"},
		{lang.AR, "السلام عليكم", "talk.salam/ar"},
		{lang.AR, "مرحبا", "talk.greeting/ar"},
		{lang.AR, "شكرا جزيلا", "talk.thanks/ar"},
		{lang.AR, "لم أفهم", "talk.help.needs/ar talk.help.choice/ar"},
		{lang.ARY, "salam", "talk.salam/ary"},
		{lang.ARY, "سلام", "talk.salam/ary"},
		{lang.ARY, "chokran", "talk.thanks/ary"},
		{lang.ARY, "الله يعطيك الصحة", "talk.thanks/ary"},
		{lang.ARY, "mafhamtch", "talk.help.needs/ary talk.help.choice/ary"},
		{lang.ARY, "شنو هادشي", "talk.help.needs/ary talk.help.choice/ary"},
		{lang.ARY, "3awnni 3afak", "talk.help.needs/ary talk.help.choice/ary"},
	} {
		st := at(t, eng, tc.l, "need")
		before, _ := json.Marshal(st)
		next, replies, effects := eng.Step(st, dialog.Input{Kind: dialog.InText, Text: tc.text})
		got := texts(replies)
		if len(got) != 2 || got[0] != tc.want || !strings.HasPrefix(got[1], eng.Tree.Node("need").Text.In(tc.l)) {
			t.Errorf("%s %q: replies %q, want %q then the question", tc.l, tc.text, got, tc.want)
		}
		if len(effects) != 0 {
			t.Errorf("%s %q: effects %v", tc.l, tc.text, effects)
		}
		if after, _ := json.Marshal(next); string(after) != string(before) {
			t.Errorf("%s %q: state changed\n  was %s\n  now %s", tc.l, tc.text, before, after)
		}
	}
}

// Asking for a person in free text does what /adviser does, from any
// question, a clarification awaited kept as /adviser keeps it.
func TestAskForPersonIsAdviser(t *testing.T) {
	eng := testEngine(t, "testdata/tree.yaml")
	for _, tc := range []struct {
		l       lang.Lang
		text    string
		node    string
		pending string
	}{
		{lang.FR, "je veux parler à quelqu'un", "stage", ""},
		{lang.FR, "un conseiller svp", "describe", ""},
		{lang.AR, "أريد التحدث مع شخص", "province", ""},
		{lang.AR, "مستشار", "need", ""},
		{lang.ARY, "wach kayn chi 7ad nhder m3ah?", "need", ""},
		{lang.ARY, "bghit mostachar", "describe", ""},
		{lang.ARY, "بغيت نهضر مع شي واحد", "province", "pick:provinces=tanger-assilah|tetouan"},
	} {
		st := at(t, eng, tc.l, tc.node)
		st.Pending = dialog.ParsePending(tc.pending)
		wantSt, wantR, wantE := eng.Step(st, dialog.Input{Kind: dialog.InCommand, Command: "adviser"})
		gotSt, gotR, gotE := eng.Step(st, dialog.Input{Kind: dialog.InText, Text: tc.text})
		if !slices.Equal(texts(gotR), texts(wantR)) || !slices.Equal(gotE, wantE) {
			t.Errorf("%s %q: replies %q effects %v, want %q %v", tc.l, tc.text, texts(gotR), gotE, texts(wantR), wantE)
		}
		g, _ := json.Marshal(gotSt)
		w, _ := json.Marshal(wantSt)
		if string(g) != string(w) {
			t.Errorf("%s %q: state %s, want as /adviser %s", tc.l, tc.text, g, w)
		}
		if !slices.Contains(gotE, dialog.Effect{Kind: dialog.EffectAdviser}) {
			t.Errorf("%s %q: no adviser effect", tc.l, tc.text)
		}
	}
}

// A request for a person that also names a need keeps the need (with a
// step for /back), says so, and hands over without asking anything; the
// question answered is passed, so it is not asked again on return.
func TestAskForPersonKeepsCodes(t *testing.T) {
	eng := testEngine(t, "testdata/tree.yaml")
	st := at(t, eng, lang.FR, "need")
	next, replies, effects := eng.Step(st, dialog.Input{Kind: dialog.InText, Text: "je veux parler à un conseiller pour une formation"})
	want := []string{"Understood/fr{List=code.needs.training/fr}", "AdviserRequested/fr"}
	if !slices.Equal(texts(replies), want) {
		t.Errorf("replies %q, want %q", texts(replies), want)
	}
	if len(effects) != 1 || effects[0].Kind != dialog.EffectAdviser {
		t.Errorf("effects %v, want the adviser", effects)
	}
	if !slices.Equal(next.Codes.Get(vocab.Needs), []string{"training"}) {
		t.Errorf("codes %v, want the training kept", next.Codes)
	}
	if next.Node != "province" {
		t.Errorf("node %q, want province (need answered, funding_kind skipped)", next.Node)
	}
	if len(next.Hist) != len(st.Hist)+1 || len(next.Notes) != 1 {
		t.Errorf("hist %v notes %q: want one step and the note for the adviser", next.Hist, next.Notes)
	}
	// Given back, the conversation goes on where it stands.
	_, replies, _ = eng.Step(next, dialog.Input{Kind: dialog.InCommand, Command: "help"})
	if got := texts(replies); len(got) != 2 || got[1] != "Province ?" {
		t.Errorf("after the handoff, /help asks %q, want the province", got)
	}
}

// Thanks once the services are shown or the conversation ended is
// answered warmly with the way to another search, and asks nothing.
func TestThanksAtTheEnd(t *testing.T) {
	eng := testEngine(t, "testdata/tree.yaml")
	for _, node := range []string{"after", "bye", "adviser"} {
		st := at(t, eng, lang.ARY, node)
		st.Ended = node == "bye"
		_, replies, _ := eng.Step(st, dialog.Input{Kind: dialog.InText, Text: "barak llah fik"})
		if len(replies) != 1 || replies[0].Text != "talk.thanks.end/ary" ||
			len(replies[0].Buttons) != 1 || replies[0].Buttons[0][0].Label != "ButtonRestart/ary" {
			t.Errorf("%s: replies %+v, want talk.thanks.end with the restart button", node, replies)
		}
	}
	// "Merci" is a button of "after": the button, not thanks.
	st := at(t, eng, lang.FR, "after")
	next, _, _ := eng.Step(st, dialog.Input{Kind: dialog.InText, Text: "Merci"})
	if next.Node != "bye" {
		t.Errorf("Merci at after: node %q, want bye (the button)", next.Node)
	}
}

// A greeting or thanks beside what the project needs is politeness: the
// need is understood as ever, and nothing of the intent shows.
func TestIntentBesideCodesIgnored(t *testing.T) {
	eng := testEngine(t, "testdata/tree.yaml")
	for _, text := range []string{
		"salam, bghit credit f tanja",
		"Bonjour, je cherche une formation pour aider les femmes",
		"شكرا، بغيت نفتح تعاونية فتطوان",
		"bghit nhder 3la l9ard",
		"خاصني مستشار فالتسويق",
	} {
		st := at(t, eng, lang.ARY, "stage")
		next, replies, effects := eng.Step(st, dialog.Input{Kind: dialog.InText, Text: text})
		for _, r := range replies {
			if strings.HasPrefix(r.Text, "talk.") || strings.HasPrefix(r.Text, "Adviser") || strings.HasPrefix(r.Text, "NotUnderstood") {
				t.Errorf("%q: reply %q", text, r.Text)
			}
		}
		if len(effects) != 0 || next.Codes.Empty() {
			t.Errorf("%q: effects %v codes %v, want the codes and no handoff", text, effects, next.Codes)
		}
	}
}

// /forget then a greeting: the greeting answers "no" like any message,
// and the clarification the confirmation held is asked again.
func TestTalkAfterForget(t *testing.T) {
	eng := testEngine(t, "testdata/tree.yaml")
	st := at(t, eng, lang.FR, "province")
	st.Pending = dialog.Pending{Forget: true, Pick: &vocab.Codes{Provinces: []string{"tanger-assilah", "tetouan"}}}
	next, replies, effects := eng.Step(st, dialog.Input{Kind: dialog.InText, Text: "bonjour"})
	if next.Pending.String() != "pick:provinces=tanger-assilah|tetouan" || len(effects) != 0 {
		t.Errorf("pending %q effects %v, want the clarification back and nothing forgotten", next.Pending, effects)
	}
	if got := texts(replies); len(got) != 2 || got[0] != "talk.greeting/fr" || !strings.HasPrefix(got[1], "pick.provinces/fr") {
		t.Errorf("replies %q", got)
	}
}

// Every answer the engine gives to an intent exists in every language,
// including the explanation of each question of the default tree.
func TestTalkMessagesExist(t *testing.T) {
	cat := locales.MustDefault()
	tree, err := dialog.Parse(trees.Default)
	if err != nil {
		t.Fatal(err)
	}
	eng := &dialog.Engine{Tree: tree, NLU: nlu.Default(), T: cat}
	ids := []string{"talk.greeting", "talk.salam", "talk.thanks", "talk.thanks.end",
		"talk.help.choice", "talk.help.text", "talk.help.pick", "talk.help.end"}
	for _, n := range tree.Nodes {
		if n.Facet != "" {
			ids = append(ids, "talk.help."+string(n.Facet))
		}
	}
	for _, l := range lang.All {
		for _, id := range ids {
			if !cat.Has(l, id) {
				t.Errorf("%s: message %q missing", l, id)
			}
		}
		// Played on the real tree: "I don't understand" at the first
		// question explains it in the language chosen.
		st := eng.NewState()
		st, _, _ = eng.Step(st, dialog.Input{Kind: dialog.InButton, Data: "lang:" + string(l)})
		_, replies, _ := eng.Step(st, dialog.Input{Kind: dialog.InText, Text: "je ne comprends pas"})
		want := cat.T(l, "talk.help.stages", nil) + " " + cat.T(l, "talk.help.choice", nil)
		if len(replies) != 2 || replies[0].Text != want {
			t.Errorf("%s: replies %q, want %q first", l, texts(replies), want)
		}
	}
}

// A first message that only greets in Arabic script says nothing of Arabic
// or Darija: greeted back, then asked which, with no language taken. A
// greeting in Latin letters tells its language, as a need beside it does.
func TestFirstGreetingInArabicScriptAsksTheLanguage(t *testing.T) {
	eng := testEngine(t, "testdata/tree.yaml")
	for _, text := range []string{"السلام عليكم", "السلام عليكم ورحمة الله", "مرحبا"} {
		st, replies, _ := eng.Step(eng.NewState(), dialog.Input{Kind: dialog.InText, Text: text})
		got := texts(replies)
		if st.Lang != "" || len(got) != 2 || !strings.HasPrefix(got[0], "talk.") || !strings.Contains(got[1], "ChooseLanguage/ary") {
			t.Errorf("%q first: language %q, replies %q; want a greeting, then the choice of language", text, st.Lang, got)
		}
	}
	for text, want := range map[string]lang.Lang{"salam": lang.ARY, "bonjour": lang.FR, "السلام عليكم، بغيت تمويل": lang.ARY} {
		if st, _, _ := eng.Step(eng.NewState(), dialog.Input{Kind: dialog.InText, Text: text}); st.Lang != want {
			t.Errorf("%q first: language %q, want %q", text, st.Lang, want)
		}
	}
}
