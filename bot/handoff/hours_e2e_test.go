package handoff

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dalil-tt/dalil/bot/bottest"
	"github.com/dalil-tt/dalil/internal/lang"
)

// A request on Saturday: the user is told when advisers come back; on
// Monday morning the advisers see it; after 30 minutes of office time
// nobody answered, so the user is offered a call back, leaves a number,
// advisers see it in /pending; closing drops the number.
func TestOfficeHoursAndWaiting(t *testing.T) {
	h := newHarness(t, true, nil)
	ctx := context.Background()
	user := 1<<33 + 900000000 + randInt(1e8)
	const karim = 6789679701
	h.srv.SetMember(h.group, karim, "member")
	h.clock.Set(casa(t, "2026-11-28 11:00")) // Saturday

	h.open(user, "Hind", demoState(lang.FR))
	u := h.received(user)
	if len(u) != 1 || !strings.Contains(u[0].Text, "lundi à 09:00") || !strings.Contains(u[0].Text, "pas là") {
		t.Fatalf("user told: %s", bottest.Texts(u))
	}
	card := h.received(h.group)[0]
	contains(t, "card", card.Text, "hors heures de bureau")

	// The weekend passes: no office time, no waiting message, no recap.
	h.clock.Set(casa(t, "2026-11-30 08:30"))
	if err := h.desk.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if len(h.received(user)) != 1 || len(h.received(h.group)) != 1 {
		t.Fatalf("something sent before opening: user %s group %s", bottest.Texts(h.received(user)), bottest.Texts(h.received(h.group)))
	}
	// Monday 09:05: advisers are shown what came in, once.
	h.clock.Set(casa(t, "2026-11-30 09:05"))
	for i := 0; i < 2; i++ {
		if err := h.desk.Tick(ctx); err != nil {
			t.Fatal(err)
		}
	}
	g := h.received(h.group)
	if len(g) != 2 || !strings.Contains(g[1].Text, "hors heures de bureau") || !strings.Contains(g[1].Text, "Hind · français") {
		t.Fatalf("recap: %s", bottest.Texts(g))
	}
	if len(h.received(user)) != 1 {
		t.Fatal("user told too early")
	}
	// 09:31: 31 minutes of office time without an answer.
	h.clock.Set(casa(t, "2026-11-30 09:31"))
	for i := 0; i < 2; i++ {
		if err := h.desk.Tick(ctx); err != nil {
			t.Fatal(err)
		}
	}
	u = h.received(user)
	if len(u) != 2 || u[1].Text != h.tr.T(lang.FR, "handoff.user.nobody", nil) ||
		!strings.Contains(u[1].Params["reply_markup"], `"request_contact":true`) {
		t.Fatalf("waiting message: %s %v", bottest.Texts(u), u[len(u)-1].Params)
	}

	if c := h.received(h.group)[0]; !strings.Contains(c.Text, "rappel téléphonique a été proposé") || len(c.Buttons) == 0 {
		t.Fatalf("card after the waiting time: %q", c.Text)
	}

	// The user types a number: relayed, kept, advisers told, user thanked.
	ng := len(h.received(h.group))
	h.wait(h.srv.Text(user, "0612 34 56 78"))
	g = h.since(h.group, ng)
	if len(g) != 2 || g[0].Text != asRelayed("0612 34 56 78") || !strings.Contains(g[1].Text, "0612 34 56 78") {
		t.Fatalf("call back: %s", bottest.Texts(g))
	}
	if u := h.received(user); !strings.Contains(u[len(u)-1].Text, "Merci") {
		t.Fatalf("not thanked: %s", bottest.Texts(u))
	}
	id := h.userState(user)["id"]
	rec, err := h.opts.Records.Get(ctx, id)
	if err != nil || rec.Phone == nil || *rec.Phone != "0612 34 56 78" || !rec.OffHours {
		t.Fatalf("record: %+v %v", rec, err)
	}

	// /pending lists it with its wait and the call back.
	ng = len(h.received(h.group))
	h.adviser(karim, "Karim", map[string]any{"text": "/pending"})
	g = h.since(h.group, ng)
	if len(g) != 1 || !strings.Contains(g[0].Text, "Hind · français") || !strings.Contains(g[0].Text, "rappel demandé") ||
		!strings.Contains(g[0].Text, "1 j 22 h") {
		t.Fatalf("/pending: %s", bottest.Texts(g))
	}

	// Karim answers and closes: the number goes (no retention).
	thread := card.ThreadID
	h.adviser(karim, "Karim", inTopic(thread, map[string]any{"text": "Je vous appelle."}))
	h.clock.Add(10 * time.Minute)
	h.adviser(karim, "Karim", inTopic(thread, map[string]any{"text": "/close@" + bottest.BotUsername}))
	rec, err = h.opts.Records.Get(ctx, id)
	if err != nil || rec.Phone != nil || rec.ClosedAt == nil || rec.FirstAnswerAt == nil {
		t.Fatalf("record after close: %+v %v", rec, err)
	}
	ng = len(h.received(h.group))
	h.adviser(karim, "Karim", map[string]any{"text": "/pending"})
	if g := h.since(h.group, ng); len(g) != 1 || !strings.Contains(g[0].Text, "Aucune demande") {
		t.Fatalf("/pending after close: %s", bottest.Texts(g))
	}
}

// /restart gives the user back to the bot at once; /forget erases the
// handoffs, the topic and the relay maps.
func TestRestartAndForget(t *testing.T) {
	h := newHarness(t, true, nil)
	ctx := context.Background()
	user := 1<<33 + 600000000 + randInt(1e8)
	const karim = 6789679801
	h.srv.SetMember(h.group, karim, "member")

	h.open(user, "Omar", demoState(lang.AR))
	thread := h.received(h.group)[0].ThreadID
	h.wait(h.srv.Text(user, "/restart"))
	if len(h.toBot) != 1 || h.userState(user).open() {
		t.Fatalf("/restart: bot saw %d, still open %v", len(h.toBot), h.userState(user).open())
	}
	if c := h.received(h.group)[0]; !strings.Contains(c.Text, "/restart") {
		t.Fatalf("card after /restart: %q", c.Text)
	}

	h.open(user, "Omar", demoState(lang.AR))
	h.wait(h.srv.Text(user, "سلام"))
	h.adviser(karim, "Karim", inTopic(thread, map[string]any{"text": "Bonjour"}))
	u := h.received(user)
	if !strings.Contains(u[len(u)-2].Text, "\u2068Karim\u2069") {
		t.Fatalf("adviser's name not isolated in Arabic: %q", u[len(u)-2].Text)
	}
	key := h.desk.UserKey(user)
	if err := h.desk.Forget(ctx, user); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := h.pool.QueryRow(ctx, `SELECT count(*) FROM handoffs WHERE user_key = $1`, key).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d handoffs left after /forget (%v)", n, err)
	}
	keys, err := h.rdb.Keys(ctx, h.opts.Prefix+":{chat:"+itoa(user)+"}:*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if !strings.Contains(k, ":up:") { // update dedup flags expire by themselves
			t.Fatalf("key left after /forget: %s", k)
		}
	}
	// The user's topic is deleted, with everything in it.
	for _, m := range h.received(h.group) {
		if !m.Deleted {
			t.Fatalf("left in the group after /forget: %s", bottest.Texts([]bottest.Message{m}))
		}
	}
	nu := len(h.received(user))
	h.adviser(karim, "Karim", inTopic(thread, map[string]any{"text": "Vous êtes là ?"}))
	if got := h.since(user, nu); len(got) != 0 {
		t.Fatalf("relayed after /forget: %s", bottest.Texts(got))
	}
}
