package dialog_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/dalil-tt/dalil/dialog"
	"github.com/dalil-tt/dalil/dialog/nlu"
	"github.com/dalil-tt/dalil/internal/lang"
	"github.com/dalil-tt/dalil/internal/vocab"
	"github.com/dalil-tt/dalil/locales"
)

// A message naming several values of a single-valued facet keeps none of
// them (the value known before stays), keeps the rest of what it said, and
// asks which one in the user's language with one button per value; each
// button sets its value, and /back brings the earlier one back and asks
// the same question again, even after the value known before was picked.
func TestSeveralValuesAskWhichOne(t *testing.T) {
	cat := locales.MustDefault()
	eng := testEngine(t, "testdata/tree.yaml")
	eng.T = cat
	cases := []struct {
		l      lang.Lang
		text   string
		f      vocab.Facet
		values []string    // the buttons, in vocabulary order
		before string      // the facet's value known before, "" for none
		kept   vocab.Codes // what else the message said, applied
	}{
		{lang.FR, "je suis entre Tétouan et Tanger", vocab.Provinces, []string{"tanger-assilah", "tetouan"}, "", vocab.Codes{}},
		{lang.FR, "Tanger w Tetouan", vocab.Provinces, []string{"tanger-assilah", "tetouan"}, "larache", vocab.Codes{}},
		{lang.FR, "je cherche une formation à Tanger ou à Tétouan", vocab.Provinces, []string{"tanger-assilah", "tetouan"}, "", vocab.Codes{Needs: []string{"training"}}},
		{lang.ARY, "tanja w titwan", vocab.Provinces, []string{"tanger-assilah", "tetouan"}, "", vocab.Codes{}},
		{lang.ARY, "ana f tanja w titwan", vocab.Provinces, []string{"tanger-assilah", "tetouan"}, "tetouan", vocab.Codes{}},
		{lang.ARY, "أنا فطنجة ولا تطوان", vocab.Provinces, []string{"tanger-assilah", "tetouan"}, "", vocab.Codes{}},
		{lang.AR, "أبحث عن تكوين، مشروعي بين طنجة وتطوان", vocab.Provinces, []string{"tanger-assilah", "tetouan"}, "", vocab.Codes{Needs: []string{"training"}}},
		{lang.FR, "j'ai une idée mais j'ai déjà lancé mon activité", vocab.Stages, []string{"idea", "development"}, "", vocab.Codes{}},
		{lang.ARY, "ana cooperative wla association", vocab.Forms, []string{"cooperative", "association"}, "company", vocab.Codes{}},
		{lang.AR, "مشروعي في المدينة والقرية", vocab.Areas, []string{"urban", "rural"}, "", vocab.Codes{Publics: []string{"rural"}}},
	}
	for _, c := range cases {
		t.Run(string(c.l)+"/"+c.text, func(t *testing.T) {
			// At the first question, with the earlier value known.
			st := eng.NewState()
			st, _, _ = eng.Step(st, dialog.Input{Kind: dialog.InButton, Data: "lang:" + string(c.l)})
			if c.before != "" {
				var in dialog.Input
				in.Kind = dialog.InCodes
				in.Codes.Add(c.f, c.before)
				st, _, _ = eng.Step(st, in)
			}
			if st.Node != "stage" {
				t.Fatalf("at %q, want the stage question", st.Node)
			}
			want := c.kept.Clone()
			if c.before != "" {
				want.Add(c.f, c.before)
			}
			asked, replies, _ := eng.Step(st, dialog.Input{Kind: dialog.InText, Text: c.text})
			if got := asked.Codes.Normalized(); !equalCodes(got, want.Normalized()) {
				t.Fatalf("codes %+v, want %+v", got, want.Normalized())
			}
			if len(replies) == 0 {
				t.Fatal("no reply")
			}
			if !c.kept.Empty() {
				ack := cat.T(c.l, "Understood", map[string]any{"List": cat.Code(c.l, vocab.Needs, "training")})
				if c.kept.Has(vocab.Publics) {
					ack = cat.T(c.l, "Understood", map[string]any{"List": cat.Code(c.l, vocab.Publics, "rural")})
				}
				if replies[0].Text != ack {
					t.Errorf("first reply %q, want the acknowledgement %q", replies[0].Text, ack)
				}
			}
			q := replies[len(replies)-1]
			var names []string
			for _, v := range c.values {
				names = append(names, cat.Code(c.l, c.f, v))
			}
			sep := ", "
			if c.l.RTL() {
				sep = "، "
			}
			if wantText := cat.T(c.l, "pick."+string(c.f), map[string]any{"List": strings.Join(names, sep)}); q.Text != wantText {
				t.Errorf("question %q, want %q", q.Text, wantText)
			}
			var buttons []dialog.Button
			for _, row := range q.Buttons {
				for _, b := range row {
					if !strings.HasPrefix(b.Data, "nav:back") {
						buttons = append(buttons, b)
					}
				}
			}
			if len(buttons) != len(c.values) {
				t.Fatalf("buttons %v, want one per value %v", buttons, c.values)
			}
			for i, b := range buttons {
				if b.Label != names[i] || len(b.Data) > dialog.MaxCallbackData {
					t.Errorf("button %d %+v, want label %q and at most %d bytes of data", i, b, names[i], dialog.MaxCallbackData)
				}
				picked, replies, _ := eng.Step(asked, dialog.Input{Kind: dialog.InButton, Data: b.Data})
				if got := picked.Codes.Get(c.f); !slices.Equal(got, []string{c.values[i]}) {
					t.Errorf("after pressing %s: %s = %v", c.values[i], c.f, got)
				}
				if len(replies) == 0 || replies[len(replies)-1].Node == "" || !picked.Pending.Empty() {
					t.Errorf("after pressing %s: replies %v, pending %q: want the conversation to go on", c.values[i], replies, picked.Pending)
				}
				back, replies, _ := eng.Step(picked, dialog.Input{Kind: dialog.InCommand, Command: "back"})
				if got := back.Codes.Normalized(); !equalCodes(got, want.Normalized()) {
					t.Errorf("after pressing %s then /back: codes %+v, want %+v", c.values[i], got, want.Normalized())
				}
				if back.Pending.String() != asked.Pending.String() || back.Node != asked.Node || len(back.Hist) != len(asked.Hist) {
					t.Errorf("after pressing %s then /back: at %q, pending %q, %d frames; want %q, %q, %d frames as when asked",
						c.values[i], back.Node, back.Pending, len(back.Hist), asked.Node, asked.Pending, len(asked.Hist))
				}
				if len(replies) != 1 || !reflect.DeepEqual(replies[0], q) {
					t.Errorf("after pressing %s then /back: replies %+v, want the clarification again %+v", c.values[i], replies, q)
				}
				// The same press once the conversation has moved on is stale.
				_, replies, _ = eng.Step(picked, dialog.Input{Kind: dialog.InButton, Data: b.Data})
				if len(replies) == 0 || !replies[0].Stale {
					t.Errorf("pressing %s again: %v, want a stale answer", c.values[i], replies)
				}
			}
		})
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

// Every clarification message exists in every language, names the values
// and renders without template leftovers.
func TestPickMessages(t *testing.T) {
	cat := locales.MustDefault()
	for _, f := range vocab.SingleValued {
		for _, l := range lang.All {
			id := "pick." + string(f)
			if !cat.Has(l, id) {
				t.Errorf("%s missing in %s", id, l)
				continue
			}
			if got := cat.T(l, id, map[string]any{"List": "«x»"}); !strings.Contains(got, "«x»") {
				t.Errorf("%s %s does not list the values: %q", l, id, got)
			}
		}
	}
}

// A clarification's buttons stay within Telegram's 64 bytes of callback
// data even at a node with the longest id the validator lets through.
func TestPickDataFits(t *testing.T) {
	long := strings.Repeat("n", 50)
	src := `
id: t
start: ` + long + `
nodes:
  - id: ` + long + `
    kind: text
    facet: provinces
    text: {fr: "Province ?", ar: "الإقليم؟", ary: "فين؟"}
    next: bye
  - id: bye
    kind: end
    text: {fr: "Fin.", ar: "نهاية.", ary: "سالينا."}
`
	tree, err := dialog.Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	eng := &dialog.Engine{Tree: tree, NLU: nlu.Default(), T: idTranslator{}}
	st, _, _ := eng.Step(eng.NewState(), dialog.Input{Kind: dialog.InButton, Data: "lang:fr"})
	st, replies, _ := eng.Step(st, dialog.Input{Kind: dialog.InText, Text: "je suis à Tanger ou à M'diq-Fnideq"})
	var pressed bool
	for _, r := range replies {
		for _, row := range r.Buttons {
			for _, b := range row {
				if len(b.Data) > dialog.MaxCallbackData {
					t.Errorf("button %q: %d bytes of data", b.Label, len(b.Data))
				}
				if !pressed && strings.Contains(b.Data, "mdiq-fnideq") {
					pressed = true
					next, _, _ := eng.Step(st, dialog.Input{Kind: dialog.InButton, Data: b.Data})
					if got := next.Codes.Get(vocab.Provinces); !slices.Equal(got, []string{"mdiq-fnideq"}) {
						t.Errorf("after the press: provinces %v", got)
					}
				}
			}
		}
	}
	if !pressed {
		t.Fatalf("no clarification button: %v", replies)
	}
}

// One message unclear on two facets asks about one, then the other; the
// second clarification can be answered by its number.
func TestTwoFacetsAskedInTurn(t *testing.T) {
	eng := testEngine(t, "testdata/tree.yaml")
	st, _, _ := eng.Step(eng.NewState(), dialog.Input{Kind: dialog.InButton, Data: "lang:fr"})
	st, replies, _ := eng.Step(st, dialog.Input{Kind: dialog.InText, Text: "j'ai une idée mais j'ai déjà lancé mon activité, à Tanger ou à Tétouan"})
	last := replies[len(replies)-1]
	if !strings.HasPrefix(last.Text, "pick.stages/") || st.Codes.Has(vocab.Stages) || st.Codes.Has(vocab.Provinces) {
		t.Fatalf("asks %q with codes %+v: want the stage asked first, nothing set", last.Text, st.Codes)
	}
	st, replies, _ = eng.Step(st, dialog.Input{Kind: dialog.InButton, Data: last.Buttons[0][0].Data})
	last = replies[len(replies)-1]
	if !strings.HasPrefix(last.Text, "pick.provinces/") || !slices.Equal(st.Codes.Stages, []string{"idea"}) || st.Node != "need" {
		t.Fatalf("after the stage: asks %q at %q with codes %+v: want the province asked", last.Text, st.Node, st.Codes)
	}
	st, replies, _ = eng.Step(st, dialog.Input{Kind: dialog.InText, Text: "2"})
	if !slices.Equal(st.Codes.Provinces, []string{"tetouan"}) || st.Node != "need" || replies[len(replies)-1].Node != "need" {
		t.Fatalf("after \"2\": at %q with codes %+v, replies %v: want Tétouan and the need question", st.Node, st.Codes, replies)
	}
}

// A state stored before frames kept the clarification they answered (no
// "k" in its frames) still reads, and /back after a value picked at the
// referral still goes back to the question before it, as it did then,
// rather than show the services again.
func TestBackOldFrameAtReferral(t *testing.T) {
	eng := testEngine(t, "testdata/tree.yaml")
	old := fmt.Sprintf(`{"v":%d,"t":%q,"l":"fr","n":"after","h":[{"n":"stage","a":{"stages":["idea"]}},`+
		`{"n":"need","a":{"needs":["training"]}},{"n":"province","a":{"provinces":["tetouan"]}},`+
		`{"n":"describe","a":{"sectors":["crafts"]}},{"n":"results","a":{"provinces":["larache"]},"r":{"provinces":["tetouan"]}}],`+
		`"c":{"needs":["training"],"provinces":["larache"],"sectors":["crafts"],"stages":["idea"]}}`,
		dialog.StateVersion, eng.Tree.Version)
	var st dialog.State
	if err := json.Unmarshal([]byte(old), &st); err != nil {
		t.Fatal(err)
	}
	back, replies, _ := eng.Step(st, dialog.Input{Kind: dialog.InCommand, Command: "back"})
	want := vocab.Codes{Needs: []string{"training"}, Stages: []string{"idea"}, Provinces: []string{"tetouan"}}
	if back.Node != "describe" || !back.Pending.Empty() || len(back.Hist) != 3 || !equalCodes(back.Codes.Normalized(), want.Normalized()) {
		t.Errorf("at %q, pending %q, %d frames, codes %+v: want the activity question, tetouan and no crafts",
			back.Node, back.Pending, len(back.Hist), back.Codes)
	}
	if len(replies) != 1 || replies[0].Node != "describe" || replies[0].Referral != nil {
		t.Errorf("replies %+v, want the activity question alone", replies)
	}
}

// A clarification naming only values the vocabulary no longer has (stored
// by an older version, in the state or in a frame) is none: the referral it
// would hold is shown, and /back does not bring it back.
func TestStaleClarificationIsNone(t *testing.T) {
	eng := testEngine(t, "testdata/tree.yaml")
	st := eng.NewState()
	st.Lang, st.Node, st.Pending = lang.FR, "results", dialog.ParsePending("pick:provinces=rabat|fes")
	st.Codes = vocab.Codes{Needs: []string{"training"}}
	_, replies, _ := eng.Step(st, dialog.Input{Kind: dialog.InCommand, Command: "help"})
	if len(replies) < 3 || replies[2].Referral == nil {
		t.Errorf("replies %+v, want help then the services", replies)
	}
	st.Node, st.Pending = "after", dialog.Pending{}
	st.Hist = []dialog.Frame{{Node: "describe"}, {Node: "results", Added: vocab.Codes{Sectors: []string{"crafts"}}, Pick: &vocab.Codes{Provinces: []string{"rabat", "fes"}}}}
	back, replies, _ := eng.Step(st, dialog.Input{Kind: dialog.InCommand, Command: "back"})
	if !back.Pending.Empty() || len(replies) == 0 || replies[len(replies)-1].Node != "after" {
		t.Errorf("after /back: pending %q, replies %+v: want the services and the next question", back.Pending, replies)
	}
}

// /forget asked while a clarification is awaited holds it: answering "no"
// (the button, or any message) brings it back, so the referral still waits
// for the value and a typed number still picks it; "yes" erases it with the
// rest.
func TestForgetKeepsTheClarification(t *testing.T) {
	cat := locales.MustDefault()
	eng := testEngine(t, "testdata/tree.yaml")
	eng.T = cat
	for _, l := range []lang.Lang{lang.FR, lang.AR, lang.ARY} {
		t.Run(string(l), func(t *testing.T) {
			st := eng.NewState()
			st, _, _ = eng.Step(st, dialog.Input{Kind: dialog.InButton, Data: "lang:" + string(l)})
			asked, replies, _ := eng.Step(st, dialog.Input{Kind: dialog.InText, Text: "tanja w titwan"})
			if !strings.HasPrefix(asked.Pending.String(), "pick:") || len(replies) == 0 {
				t.Fatalf("pending %q after naming two provinces, want a clarification", asked.Pending)
			}
			q := replies[len(replies)-1]
			confirm, replies, _ := eng.Step(asked, dialog.Input{Kind: dialog.InCommand, Command: "forget"})
			if len(replies) != 1 || replies[0].Text != cat.T(l, "ForgetConfirm", nil) {
				t.Fatalf("/forget: %+v, want the confirmation", replies)
			}

			kept, replies, _ := eng.Step(confirm, dialog.Input{Kind: dialog.InButton, Data: "fg:n"})
			if kept.Pending.String() != asked.Pending.String() || !equalCodes(kept.Codes, asked.Codes) {
				t.Errorf("after no: pending %q codes %+v, want %q %+v", kept.Pending, kept.Codes, asked.Pending, asked.Codes)
			}
			if len(replies) != 2 || replies[0].Text != cat.T(l, "ForgetCancelled", nil) || !reflect.DeepEqual(replies[1], q) {
				t.Errorf("after no: %+v, want the cancellation then the clarification %+v", replies, q)
			}

			picked, _, _ := eng.Step(confirm, dialog.Input{Kind: dialog.InText, Text: "2"})
			if got := picked.Codes.Get(vocab.Provinces); !slices.Equal(got, []string{"tetouan"}) || !picked.Pending.Empty() {
				t.Errorf("typing 2 instead of answering: provinces %v pending %q, want tetouan picked", got, picked.Pending)
			}

			gone, _, effects := eng.Step(confirm, dialog.Input{Kind: dialog.InButton, Data: "fg:y"})
			if !gone.Pending.Empty() || len(effects) != 1 || effects[0].Kind != dialog.EffectForget {
				t.Errorf("after yes: pending %q effects %+v, want nothing left and the erasure", gone.Pending, effects)
			}
		})
	}
}

// A second tap of "yes, erase" finds nothing kept: it gets no reply (the
// first said everything was erased), where a conversation still kept gets
// the stale-button notice for an old confirmation.
func TestForgetTappedTwice(t *testing.T) {
	eng := testEngine(t, "testdata/tree.yaml")
	eng.T = locales.MustDefault()
	st := eng.NewState()
	st, _, _ = eng.Step(st, dialog.Input{Kind: dialog.InButton, Data: "lang:ary"})
	st, _, _ = eng.Step(st, dialog.Input{Kind: dialog.InCommand, Command: "forget"})
	gone, replies, effects := eng.Step(st, dialog.Input{Kind: dialog.InButton, Data: "fg:y"})
	if len(effects) != 1 || len(replies) != 1 {
		t.Fatalf("yes: %d effects, replies %+v; want the erasure and one reply", len(effects), replies)
	}
	for _, from := range []dialog.State{gone, {}} { // as kept after the erasure, and as Redis has it: nothing
		again, replies, effects := eng.Step(from, dialog.Input{Kind: dialog.InButton, Data: "fg:y"})
		if len(replies) != 0 || len(effects) != 0 || again.Lang != "" {
			t.Errorf("yes again: replies %+v, effects %+v, language %q; want nothing", replies, effects, again.Lang)
		}
	}
	kept, _, _ := eng.Step(st, dialog.Input{Kind: dialog.InButton, Data: "fg:n"})
	_, replies, _ = eng.Step(kept, dialog.Input{Kind: dialog.InButton, Data: "fg:y"})
	if len(replies) == 0 || !replies[0].Stale {
		t.Errorf("an old confirmation in a kept conversation: %+v, want the stale-button notice", replies)
	}
}
