package handoff

import (
	"context"
	"testing"

	"github.com/dalil-tt/dalil/bot/bottest"
	"github.com/dalil-tt/dalil/bot/telegram"
	"github.com/dalil-tt/dalil/internal/lang"
)

// An update seen twice (redelivery, two replicas) is relayed once; /take
// takes a conversation without writing to the user.
func TestDuplicateAndTake(t *testing.T) {
	h := newHarness(t, false, nil)
	ctx := context.Background()
	user := 1<<33 + 500000000 + randInt(1e8)
	const nadia = 6789679901
	h.srv.SetMember(h.group, nadia, "member")
	h.open(user, "Sara", demoState(lang.FR))
	card := h.received(h.group)[0]

	up := &telegram.Update{UpdateID: 7_000_000 + randInt(1e6), Message: &telegram.Message{MessageID: 77, Text: "allo",
		Chat: telegram.Chat{ID: user, Type: "private"}, From: &telegram.User{ID: user}}}
	n := len(h.received(h.group))
	for i := 0; i < 2; i++ {
		if !h.desk.Intercept(ctx, up) {
			t.Fatal("a message during a handoff went to the bot")
		}
	}
	if got := h.since(h.group, n); len(got) != 1 {
		t.Fatalf("one update relayed %d times: %s", len(got), bottest.Texts(got))
	}

	// /adviser again is answered, not relayed.
	n, nu := len(h.received(h.group)), len(h.received(user))
	h.wait(h.srv.Text(user, "/adviser"))
	if g, u := h.since(h.group, n), h.since(user, nu); len(g) != 0 || len(u) != 1 || u[0].Text != h.tr.T(lang.FR, "handoff.user.already", nil) {
		t.Fatalf("/adviser during a handoff: group %s user %s", bottest.Texts(g), bottest.Texts(u))
	}

	nu = len(h.received(user))
	h.adviser(nadia, "Nadia", map[string]any{"text": "/take", "reply_to_message": h.srv.Ref(card)})
	if got := h.since(user, nu); len(got) != 0 {
		t.Fatalf("/take wrote to the user: %s", bottest.Texts(got))
	}
	if s := h.userState(user); s["holder"] != itoa(nadia) {
		t.Fatalf("holder after /take: %q", s["holder"])
	}
	contains(t, "card", h.received(h.group)[0].Text, "Pris en charge par Nadia")
}
