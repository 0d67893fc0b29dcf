package handoff

import (
	"testing"

	"github.com/dalil-tt/dalil/internal/lang"
)

// Without PostgreSQL (no DATABASE_URL) handoffs still work, unrecorded;
// a group the server does not describe (getChat fails) gets posts in its
// main chat.
func TestWithoutDatabase(t *testing.T) {
	h := newHarness(t, false, func(o *Options) { o.Records = nil; o.AdvisersChatID = -1009999999999 })
	h.group = h.opts.AdvisersChatID
	user := 1<<33 + 300000000 + randInt(1e8)
	h.srv.SetMember(h.group, 42, "creator")
	h.open(user, "Ali", demoState(lang.FR))
	card := h.received(h.group)[0]
	h.wait(h.srv.Text(user, mediaKinds["text"]["text"].(string)))
	if g := h.received(h.group); len(g) != 2 || !relayed(g[1], "text", user) {
		t.Fatalf("user → group without a database: %+v", g)
	}
	h.adviser(42, "Lina", map[string]any{"text": "/close", "reply_to_message": h.srv.Ref(card)})
	if u := h.received(user); u[len(u)-1].Text != h.tr.T(lang.FR, "handoff.user.closed", nil) {
		t.Fatalf("close without a database: %q", u[len(u)-1].Text)
	}
}
