package handoff

import (
	"context"
	"strings"
	"testing"

	"github.com/dalil-tt/dalil/bot/bottest"
	"github.com/dalil-tt/dalil/internal/lang"
)

// Telegram ids are 64-bit: an adviser above 2^32 answers and closes a
// conversation of a user above 2^32, in a group below -10^12, and the
// record keeps the adviser's id whole (it once went through an int4
// parameter and the close failed).
func TestIDsAbove32Bits(t *testing.T) {
	for _, forum := range []bool{true, false} {
		h := newHarness(t, forum, nil)
		ctx := context.Background()
		user := int64(1)<<33 + randInt(1e9)
		adviser := int64(6789679993) + randInt(1e6)
		if h.group > -1_000_000_000_000 {
			t.Fatalf("group id %d not below -10^12", h.group)
		}
		h.srv.SetMember(h.group, adviser, "member")
		h.open(user, "Amina", demoState(lang.FR))
		id := h.userState(user)["id"]
		card := h.received(h.group)[0]
		f := map[string]any{"text": "Bonjour, je suis là."}
		if forum {
			f = inTopic(card.ThreadID, f)
		} else {
			f["reply_to_message"] = h.srv.Ref(card)
		}
		n := len(h.received(user))
		h.adviser(adviser, "Nadia", f)
		if got := h.since(user, n); len(got) != 2 {
			t.Fatalf("forum %v: the answer of an adviser above 2^32: %s", forum, bottest.Texts(got))
		}
		close := map[string]any{"text": "/close"}
		if forum {
			close = inTopic(card.ThreadID, close)
		} else {
			close["reply_to_message"] = h.srv.Ref(card)
		}
		h.adviser(adviser, "Nadia", close)
		if h.userState(user).open() {
			t.Fatalf("forum %v: an adviser above 2^31 could not close", forum)
		}
		rec, err := h.opts.Records.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if rec.ClosedAt == nil || rec.AdviserID == nil || *rec.AdviserID != adviser || rec.Outcome == nil || *rec.Outcome != "closed" {
			t.Fatalf("forum %v: record after close: %+v", forum, rec)
		}
		if c := h.received(h.group)[0]; !strings.Contains(c.Text, "Close par Nadia") {
			t.Fatalf("forum %v: card after close: %q", forum, c.Text)
		}
	}
}
