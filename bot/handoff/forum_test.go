package handoff

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/dalil-tt/dalil/bot/bottest"
	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/internal/lang"
	"github.com/dalil-tt/dalil/internal/vocab"
)

// A private user, a forum supergroup: card in a topic of its own, relay of
// every message kind both ways, answering takes, take over, a non-member
// and a forged button ignored, /close gives the user back, the topic is
// reused when the user comes back.
func TestForumHandoff(t *testing.T) {
	h := newHarness(t, true, func(o *Options) {
		o.Services = NamesFrom(func(context.Context) ([]*catalogue.Service, error) { return catalogue.Demo(), nil }, time.Minute)
	})
	ctx := context.Background()
	user := 1<<33 + 700000000 + randInt(1e8)
	const karim, salma, stranger = 6789679501, 6789679502, 6789679999
	h.srv.SetMember(h.group, karim, "member")
	h.srv.SetMember(h.group, salma, "administrator")

	shown := demoState(lang.ARY)
	shown.Referred = []string{"demo-jisr-creation", "indh-agr"} // the second one no longer in the catalogue
	h.open(user, "Amina", shown)

	topics := h.srv.Calls("createForumTopic")
	if len(topics) != 1 || topics[0].Params["name"] != "Amina · darija · microcrédit · Tétouan" {
		t.Fatalf("topic: %+v", topics)
	}
	g := h.received(h.group)
	if len(g) != 1 {
		t.Fatalf("group received %d messages: %s", len(g), bottest.Texts(g))
	}
	card := g[0]
	if card.ThreadID == 0 {
		t.Fatal("card not posted in the user's topic")
	}
	thread := card.ThreadID
	id := h.userState(user)["id"]
	for _, want := range []string{"darija", "microcrédit", "Tétouan", "coopérative", "bghit n7el t3awniya dyal l3sel",
		"Services déjà proposés :\n  • Jisr Microcrédit (fictif) — Microcrédit de démarrage\n  • indh-agr\n", "salon-tetouan", "Demande du 24/11 à 10:00", "En attente"} {
		contains(t, "card", card.Text, want)
	}
	if len(card.Buttons) != 1 || len(card.Buttons[0]) != 2 || !strings.HasPrefix(card.Buttons[0][0].Data, dataTake) {
		t.Fatalf("card buttons: %+v", card.Buttons)
	}
	u := h.received(user)
	if len(u) != 1 || !strings.Contains(u[0].Text, "30") || !strings.Contains(u[0].Text, "التنين") {
		t.Fatalf("user told: %s", bottest.Texts(u))
	}

	// The user's messages of every kind reach the topic.
	for _, kind := range mediaOrder {
		n := len(h.received(h.group))
		up := h.srv.Message(user, copyOf(mediaKinds[kind]))
		h.wait(up)
		got := h.since(h.group, n)
		if len(got) != 1 || !relayed(got[0], kind, user) || got[0].ThreadID != thread {
			t.Fatalf("%s from the user: %s %+v", kind, bottest.Texts(got), got)
		}
	}
	if len(h.toBot) != 0 {
		t.Fatalf("the bot saw %d updates while a person held the conversation", len(h.toBot))
	}

	// A non-member's message in the topic is not relayed.
	nu := len(h.received(user))
	h.adviser(stranger, "Intrus", inTopic(thread, map[string]any{"text": "coucou"}))
	if got := h.since(user, nu); len(got) != 0 {
		t.Fatalf("a non-member reached the user: %s", bottest.Texts(got))
	}

	// Karim answers: that takes the conversation; the user sees his name once.
	h.adviser(karim, "Karim", inTopic(thread, copyOf(mediaKinds["text"])))
	got := h.since(user, nu)
	if len(got) != 2 || !strings.Contains(got[0].Text, "Karim") || !relayed(got[1], "text", h.group) {
		t.Fatalf("Karim's first answer: %s", bottest.Texts(got))
	}
	if c := h.srv.Received(h.group)[0]; !strings.Contains(c.Text, "Pris en charge par Karim") {
		t.Fatalf("card not marked taken: %q", c.Text)
	}
	for _, kind := range mediaOrder[1:] {
		n := len(h.received(user))
		h.adviser(karim, "Karim", inTopic(thread, copyOf(mediaKinds[kind])))
		got := h.since(user, n)
		if len(got) != 1 || !relayed(got[0], kind, h.group) {
			t.Fatalf("%s from Karim: %s", kind, bottest.Texts(got))
		}
	}

	// Salma cannot speak over Karim without taking over.
	n := len(h.received(user))
	h.adviser(salma, "Salma", inTopic(thread, map[string]any{"text": "Bonjour !"}))
	if got := h.since(user, n); len(got) != 0 {
		t.Fatalf("a second adviser spoke without taking over: %s", bottest.Texts(got))
	}
	// A forged button (unknown card id) does nothing.
	cardMsg := h.srv.Received(h.group)[0]
	up := h.srv.PressAs(cardMsg, salma, "Salma", dataTake+"AAAAAAAAAAAA")
	h.wait(up)
	if st := h.userState(user); st["holder"] != itoa(karim) {
		t.Fatalf("a forged take changed the holder to %q", st["holder"])
	}
	if a := h.srv.Calls("answerCallbackQuery"); len(a) == 0 || !strings.Contains(a[len(a)-1].Params["text"], "refusé") {
		t.Fatalf("forged press not refused: %+v", a)
	}
	// Salma takes over with the card's button.
	up = h.srv.PressAs(cardMsg, salma, "Salma", cardMsg.Buttons[0][0].Data)
	h.wait(up)
	if c := h.srv.Received(h.group)[0]; !strings.Contains(c.Text, "Repris par Salma") {
		t.Fatalf("card after take over: %q", c.Text)
	}
	h.adviser(salma, "Salma", inTopic(thread, map[string]any{"text": "Je prends la suite."}))
	got = h.since(user, n)
	if len(got) != 2 || !strings.Contains(got[0].Text, "Salma") || got[1].Text != "Je prends la suite." {
		t.Fatalf("after take over: %s", bottest.Texts(got))
	}

	// /language still reaches the bot, and the handoff stays.
	h.wait(h.srv.Text(user, "/language"))
	if len(h.toBot) != 1 || !h.userState(user).open() {
		t.Fatalf("/language: bot saw %d, open %v", len(h.toBot), h.userState(user).open())
	}

	// /close in the topic: the user is back with the bot, told in Darija.
	n = len(h.received(user))
	h.adviser(salma, "Salma", inTopic(thread, map[string]any{"text": "/close"}))
	got = h.since(user, n)
	if len(got) != 1 || got[0].Text != h.tr.T(lang.ARY, "handoff.user.closed", nil) {
		t.Fatalf("close: %s", bottest.Texts(got))
	}
	if len(h.resumed) != 1 || h.resumed[0] != user {
		t.Fatalf("the bot was not asked to go on: %v", h.resumed)
	}
	if h.userState(user).open() {
		t.Fatal("handoff still open after /close")
	}
	if c := h.srv.Received(h.group)[0]; !strings.Contains(c.Text, "Close par Salma") || len(c.Buttons) != 0 {
		t.Fatalf("card after close: %q %v", c.Text, c.Buttons)
	}
	h.wait(h.srv.Text(user, "merci"))
	if len(h.toBot) != 2 {
		t.Fatal("after /close the user's text did not go to the bot")
	}

	// The record: times, adviser, counts, no text kept.
	// The console's list has it, answered and closed.
	recs, err := h.opts.Records.Handoffs(ctx, h.clock.Now().Add(-time.Second))
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range recs {
		found = found || (r.ID == id && r.Lang == "ary" && !r.ClosedAt.IsZero() && !r.FirstAnswerAt.IsZero() &&
			len(r.Needs) == 1 && r.Needs[0] == "funding.microcredit")
	}
	if !found {
		t.Fatalf("handoff %s not listed for the console among %d", id, len(recs))
	}
	rec, err := h.opts.Records.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if rec.UserMessages != 6 || rec.AdviserMessages != len(mediaOrder)+1 || rec.AdviserID == nil || *rec.AdviserID != salma ||
		*rec.Outcome != "closed" || rec.FirstAnswerAt == nil || rec.UserKey == itoa(user) {
		t.Fatalf("record: %+v", rec)
	}
	if texts, _ := h.opts.Records.Texts(ctx, id); len(texts) != 0 {
		t.Fatalf("texts kept with no retention: %v", texts)
	}

	// Back later with another need: the same topic, renamed, a new card.
	st := demoState(lang.ARY)
	st.Codes.Set(vocab.Needs, "training")
	h.open(user, "Amina", st)
	if e := h.srv.Calls("editForumTopic"); len(e) != 1 || e[0].Params["name"] != "Amina · darija · formation · Tétouan" ||
		e[0].Params["message_thread_id"] != itoa(thread) {
		t.Fatalf("topic not renamed: %+v", e)
	}
	if n := len(h.srv.Calls("createForumTopic")); n != 1 {
		t.Fatalf("%d topics created for one user", n)
	}
	if last := h.received(h.group); last[len(last)-1].ThreadID != thread {
		t.Fatal("second card not in the user's topic")
	}

	// A relay Telegram refuses is counted as a failure of its kind.
	h.srv.Fail("sendMessage", bottest.Fault{Code: 400})
	h.wait(h.srv.Text(user, "Vous êtes là ?"))
	if err := h.desk.Tick(ctx); err != nil {
		t.Fatal(err)
	}

	// The counters followed all of it.
	m := h.desk.m
	for what, c := range map[string]struct{ got, want float64 }{
		"requests (office)":         {testutil.ToFloat64(m.requests.WithLabelValues("office")), 2},
		"requests (off hours)":      {testutil.ToFloat64(m.requests.WithLabelValues("off_hours")), 0},
		"cards posted":              {testutil.ToFloat64(m.posted), 2},
		"taken by answering":        {testutil.ToFloat64(m.taken.WithLabelValues("answer")), 1},
		"taken over by the button":  {testutil.ToFloat64(m.taken.WithLabelValues("button")), 1},
		"closed by an adviser":      {testutil.ToFloat64(m.closed.WithLabelValues("closed")), 1},
		"relayed to the advisers":   {testutil.ToFloat64(m.relayed.WithLabelValues("to_advisers")), float64(len(mediaOrder))},
		"relayed to the user":       {testutil.ToFloat64(m.relayed.WithLabelValues("to_user")), float64(len(mediaOrder)) + 1},
		"failed relays to advisers": {testutil.ToFloat64(m.failures.WithLabelValues(failToAdviser)), 1},
		"failures of any kind":      {float64(testutil.CollectAndCount(m.failures)), 1},
		"waiting now (office)":      {testutil.ToFloat64(m.waiting.WithLabelValues("office")), 1},
		"waiting now (off hours)":   {testutil.ToFloat64(m.waiting.WithLabelValues("off_hours")), 0},
		"first takes timed":         {float64(testutil.CollectAndCount(m.wait)), 1},
	} {
		if c.got != c.want {
			t.Errorf("%s: %v, want %v", what, c.got, c.want)
		}
	}
}
