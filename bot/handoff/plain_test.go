package handoff

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dalil-tt/dalil/bot/bottest"
	"github.com/dalil-tt/dalil/internal/lang"
)

// A plain supergroup: the user's messages answer the card; advisers answer
// by replying to a relayed message (or the card); a message that replies
// to nothing is chatter between advisers; the card's Close button; texts
// kept when a retention is set; a restart of the bot in the middle.
func TestPlainGroupHandoff(t *testing.T) {
	h := newHarness(t, false, func(o *Options) { o.Retention = time.Hour; o.HideName = true })
	ctx := context.Background()
	user := 1<<33 + 800000000 + randInt(1e8)
	const karim = 6789679601
	h.srv.SetMember(h.group, karim, "member")

	h.open(user, "Youssef", demoState(lang.FR))
	if n := len(h.srv.Calls("createForumTopic")); n != 0 {
		t.Fatalf("%d topics in a plain group", n)
	}
	card := h.received(h.group)[0]
	id := h.userState(user)["id"]
	if card.ThreadID != 0 || !strings.Contains(card.Text, "Youssef · français") {
		t.Fatalf("card: %+v", card)
	}
	u := h.received(user)
	if len(u) != 1 || u[0].Text != h.tr.T(lang.FR, "handoff.user.waiting", map[string]any{
		"Count": 30, "Hours": "du lundi au vendredi, de 09:00 à 17:00"}) {
		t.Fatalf("user told: %s", bottest.Texts(u))
	}

	for _, kind := range mediaOrder {
		n := len(h.received(h.group))
		h.wait(h.srv.Message(user, copyOf(mediaKinds[kind])))
		got := h.since(h.group, n)
		if len(got) != 1 || !relayed(got[0], kind, user) || params(got[0], "reply_to_message_id") != itoa(card.ID) {
			t.Fatalf("%s from the user: %+v", kind, got)
		}
	}
	userText := h.received(h.group)[1] // the user's text, copied

	// Chatter that replies to nothing stays in the group.
	n := len(h.received(user))
	h.adviser(karim, "Karim", map[string]any{"text": "Qui prend ?"})
	if got := h.since(user, n); len(got) != 0 {
		t.Fatalf("chatter relayed: %s", bottest.Texts(got))
	}
	// Replies reach the user, every kind, without the adviser's name.
	for i, kind := range mediaOrder {
		f := copyOf(mediaKinds[kind])
		f["reply_to_message"] = h.srv.Ref(userText)
		n := len(h.received(user))
		h.adviser(karim, "Karim", f)
		got := h.since(user, n)
		want := 1
		if i == 0 {
			want = 2
			if got[0].Text != h.tr.T(lang.FR, "handoff.user.adviser.anon", nil) || strings.Contains(got[0].Text, "Karim") {
				t.Fatalf("intro: %q", got[0].Text)
			}
		}
		if len(got) != want || !relayed(got[len(got)-1], kind, h.group) || params(got[len(got)-1], "chat_id") != itoa(user) {
			t.Fatalf("%s reply: %s", kind, bottest.Texts(got))
		}
	}

	// The bot restarts: a new process, same Redis and PostgreSQL.
	h.halt()
	h.start()
	n = len(h.received(h.group))
	h.wait(h.srv.Text(user, "Merci, et pour le local ?"))
	if got := h.since(h.group, n); len(got) != 1 || got[0].Text != asRelayed("Merci, et pour le local ?") {
		t.Fatalf("after restart, user → group: %s", bottest.Texts(got))
	}
	n = len(h.received(user))
	f := map[string]any{"text": "Voyez la pépinière.", "reply_to_message": h.srv.Ref(card)}
	h.adviser(karim, "Karim", f)
	if got := h.since(user, n); len(got) != 1 || got[0].Text != "Voyez la pépinière." {
		t.Fatalf("after restart, reply to the card → user: %s", bottest.Texts(got))
	}

	// Close with the card's button.
	cardNow := h.received(h.group)[0]
	n = len(h.received(user))
	h.wait(h.srv.PressAs(cardNow, karim, "Karim", cardNow.Buttons[0][1].Data))
	got := h.since(user, n)
	if len(got) != 1 || got[0].Text != h.tr.T(lang.FR, "handoff.user.closed", nil) || len(h.resumed) != 1 {
		t.Fatalf("close button: %s, resumed %v", bottest.Texts(got), h.resumed)
	}
	// A late reply is not relayed; the adviser is told.
	n, ng := len(h.received(user)), len(h.received(h.group))
	f = map[string]any{"text": "Encore une chose", "reply_to_message": h.srv.Ref(userText)}
	h.adviser(karim, "Karim", f)
	if got := h.since(user, n); len(got) != 0 {
		t.Fatalf("relayed after close: %s", bottest.Texts(got))
	}
	if got := h.since(h.group, ng); len(got) != 1 || !strings.Contains(got[0].Text, "close") {
		t.Fatalf("adviser not told the request is closed: %s", bottest.Texts(got))
	}

	// Texts kept under the retention, in order.
	rec, err := h.opts.Records.Get(ctx, id)
	if err != nil || rec.ClosedAt == nil || rec.FirstAnswerAt == nil || *rec.Outcome != "closed" {
		t.Fatalf("record: %+v %v", rec, err)
	}
	texts, err := h.opts.Records.Texts(ctx, id)
	if err != nil || len(texts) < 3 || texts[0] != mediaKinds["text"]["text"] {
		t.Fatalf("kept texts: %q %v", texts, err)
	}
	// Past the retention they go.
	if err := h.opts.Records.Purge(ctx, h.clock.Now().Add(2*time.Hour), time.Hour); err != nil {
		t.Fatal(err)
	}
	if texts, _ := h.opts.Records.Texts(ctx, id); len(texts) != 0 {
		t.Fatalf("texts kept past the retention: %q", texts)
	}
}
