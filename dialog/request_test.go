package dialog_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/dalil-tt/dalil/dialog"
)

// TestRequestConsentTable: whatever the person does, a request leaves
// (EffectRequest) only after the yes to the preview they last saw, and
// carries exactly that preview's fields.
func TestRequestConsentTable(t *testing.T) {
	target := &dialog.Target{Service: "svc-a", Org: "org-a", ServiceName: "Service A", OrgName: "Org A", FirstName: "Amina"}
	press := func(data string) dialog.Input { return dialog.Input{Kind: dialog.InButton, Data: data} }
	text := func(s string) dialog.Input { return dialog.Input{Kind: dialog.InText, Text: s} }
	open := dialog.Input{Kind: dialog.InButton, Data: dialog.RequestData("svc-a"), Target: target}
	long := strings.Repeat("é", dialog.MaxQuestionRunes+20)
	// Steps name a button of the last replies by its label id ("#id"), or
	// are inputs.
	type step struct {
		label string
		in    dialog.Input
	}
	cases := []struct {
		name     string
		steps    []step
		sent     bool   // an EffectRequest at the last step
		followUp bool   // its FollowUp
		question string // its Question
		phone    string // its Phone
		reply    string // a reply id the last step must give ("" none checked)
	}{
		{name: "yes then yes", steps: []step{{in: open}, {label: "request.button.yes"}, {label: "ButtonYes"}}, sent: true, followUp: true},
		{name: "yes then typed no", steps: []step{{in: open}, {label: "request.button.yes"}, {in: text("non merci")}}, sent: true},
		{name: "typed yes then other text", steps: []step{{in: open}, {in: text("oui")}, {in: text("je suis à Larache")}}, sent: true},
		{name: "no", steps: []step{{in: open}, {label: "request.button.no"}}, reply: "request.cancelled"},
		{name: "typed no", steps: []step{{in: open}, {in: text("non")}}, reply: "request.cancelled"},
		{name: "yes without follow-up answer", steps: []step{{in: open}, {label: "request.button.yes"}}, reply: "request.followup.ask"},
		{name: "forget at the preview", steps: []step{{in: open}, {in: dialog.Input{Kind: dialog.InCommand, Command: "forget"}}}, reply: "ForgetConfirm"},
		{name: "forget after the yes", steps: []step{{in: open}, {label: "request.button.yes"}, {in: dialog.Input{Kind: dialog.InCommand, Command: "forget"}}}, reply: "ForgetConfirm"},
		{name: "back", steps: []step{{in: open}, {in: dialog.Input{Kind: dialog.InCommand, Command: "back"}}}, reply: "request.cancelled"},
		{name: "other text", steps: []step{{in: open}, {in: text("je suis à Larache")}}, reply: "request.cancelled"},
		{name: "question then yes", steps: []step{{in: open}, {label: "request.button.question"}, {in: text("  Quels papiers ?  ")}, {label: "request.button.yes"}, {label: "ButtonNo"}},
			sent: true, question: "Quels papiers ?"},
		{name: "long question", steps: []step{{in: open}, {label: "request.button.question"}, {in: text(long)}}, reply: "request.question.long"},
		{name: "own phone", steps: []step{{in: open}, {in: dialog.Input{Kind: dialog.InContact, Text: "+212600000001"}}, {label: "request.button.yes"}, {label: "ButtonYes"}},
			sent: true, followUp: true, phone: "+212600000001"},
		{name: "someone else's phone", steps: []step{{in: open}, {in: dialog.Input{Kind: dialog.InContact, Text: "+212600000002", What: "other"}}, {label: "request.button.yes"}, {label: "ButtonYes"}},
			sent: true, followUp: true},
		{name: "no target", steps: []step{{in: dialog.Input{Kind: dialog.InButton, Data: dialog.RequestData("svc-a")}}}, reply: "request.unavailable"},
		{name: "target of another service", steps: []step{{in: dialog.Input{Kind: dialog.InButton, Data: dialog.RequestData("svc-b"), Target: target}}}, reply: "request.unavailable"},
		{name: "contact with no request", steps: []step{{in: dialog.Input{Kind: dialog.InContact, Text: "+212600000001"}}}, reply: "Unsupported"},
		{name: "request already open", steps: []step{{in: dialog.Input{Kind: dialog.InButton, Data: dialog.RequestData("svc-a"),
			Target: &dialog.Target{Service: "svc-a", Org: "org-a", OrgName: "Org A", Open: true}}}}, reply: "request.open"},
		{name: "forged yes", steps: []step{{in: open}, {in: press("rqy:abc")}}, reply: "StaleButton"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			eng := testEngine(t, "testdata/tree.yaml")
			st := eng.NewState()
			st, _, _ = eng.Step(st, text("je veux un microcrédit à Tétouan"))
			var replies []dialog.Reply
			var effects []dialog.Effect
			for i, s := range c.steps {
				in := s.in
				if s.label != "" {
					in = press(buttonData(t, replies, s.label))
				}
				st, replies, effects = eng.Step(st, in)
				for _, e := range effects {
					if e.Kind == dialog.EffectRequest && i < len(c.steps)-1 {
						t.Fatalf("step %d: request sent before the last step", i+1)
					}
				}
			}
			var sent *dialog.Draft
			for _, e := range effects {
				if e.Kind == dialog.EffectRequest {
					sent = e.Request
				}
			}
			if (sent != nil) != c.sent {
				t.Fatalf("sent %v, want %v (replies %v)", sent != nil, c.sent, replies)
			}
			if sent != nil {
				if sent.FollowUp != c.followUp || sent.Question != c.question || sent.Phone != c.phone || sent.Target != *target || sent.Lang != "fr" ||
					strings.Join(sent.Facts.Needs, ",") != "funding.microcredit" || strings.Join(sent.Facts.Provinces, ",") != "tetouan" {
					t.Fatalf("sent %+v", sent)
				}
				if st.Pending.Request != nil {
					t.Fatal("the draft stays after it was sent")
				}
			}
			if c.reply != "" {
				found := false
				for _, r := range replies {
					found = found || strings.HasPrefix(r.Text, c.reply+"/")
				}
				if !found {
					t.Fatalf("no %s in %v", c.reply, replies)
				}
			}
			if c.name == "long question" && utf8.RuneCountInString(st.Pending.Request.Question) != dialog.MaxQuestionRunes {
				t.Fatalf("question of %d runes kept", utf8.RuneCountInString(st.Pending.Request.Question))
			}
		})
	}
}

// buttonData is the data of the button labelled id (idTranslator) in replies.
func buttonData(t *testing.T, replies []dialog.Reply, id string) string {
	t.Helper()
	for _, r := range replies {
		for _, row := range r.Buttons {
			for _, b := range row {
				if b.Label == id+"/fr" {
					return b.Data
				}
			}
		}
	}
	t.Fatalf("no button %s in %v", id, replies)
	return ""
}
