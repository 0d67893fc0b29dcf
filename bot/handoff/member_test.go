package handoff

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/dalil-tt/dalil/bot/bottest"
	"github.com/dalil-tt/dalil/internal/lang"
)

// When getChatMember fails (an error after retries, or a server without
// the method), a message in the group is not relayed: the check fails
// closed, the sender is told to try again, and the failure is counted.
func TestMembershipCheckFailsClosed(t *testing.T) {
	for _, fault := range []bottest.Fault{{Code: 404, Description: "Not Found"}, {Code: 500, Times: 10}, {Code: 400, Description: "Bad Request: user not found"}} {
		h := newHarness(t, true, nil)
		user := int64(1)<<33 + randInt(1e9)
		stranger := int64(1)<<34 + randInt(1e9) // not a member
		h.open(user, "Amina", demoState(lang.FR))
		thread := h.received(h.group)[0].ThreadID
		h.srv.Fail("getChatMember", fault)
		n, g := len(h.received(user)), len(h.received(h.group))
		h.adviser(stranger, "Intrus", inTopic(thread, map[string]any{"text": "Envoyez-moi votre numéro de carte."}))
		if got := h.since(user, n); len(got) != 0 {
			t.Fatalf("getChatMember %d: a message reached the user unchecked: %s", fault.Code, bottest.Texts(got))
		}
		if st := h.userState(user); st["holder"] != "" {
			t.Fatalf("getChatMember %d: an unchecked sender took the conversation", fault.Code)
		}
		got := h.since(h.group, g)
		if len(got) != 1 || !strings.Contains(got[0].Text, "Non transmis") {
			t.Fatalf("getChatMember %d: the sender was not told: %s", fault.Code, bottest.Texts(got))
		}
		if v := testutil.ToFloat64(h.desk.m.failures.WithLabelValues(failMember)); v != 1 {
			t.Fatalf("getChatMember %d: %v membership failures counted, want 1", fault.Code, v)
		}
		// Once the check answers again, a member gets through (nothing
		// was cached from the failure).
		h.srv.ClearFaults()
		h.srv.SetMember(h.group, stranger, "member")
		h.adviser(stranger, "Nadia", inTopic(thread, map[string]any{"text": "Bonjour"}))
		if got := h.since(user, n); len(got) != 2 {
			t.Fatalf("getChatMember %d: a member not relayed after the server came back: %s", fault.Code, bottest.Texts(got))
		}
	}
}
