package handoff

import (
	"testing"

	"github.com/dalil-tt/dalil/bot/bottest"
	"github.com/dalil-tt/dalil/internal/lang"
)

// A 429 from Telegram (the group's 20 messages a minute) is waited out.
func TestRelayWaitsOutTooManyRequests(t *testing.T) {
	h := newHarness(t, false, nil)
	user := 1<<33 + 200000000 + randInt(1e8)
	h.open(user, "Rim", demoState(lang.FR))
	h.srv.Fail("copyMessage", bottest.Fault{Code: 429, RetryAfter: 1})
	h.wait(h.srv.Media(user, "voice"))
	if g := h.received(h.group); len(g) != 2 || !relayed(g[1], "voice", user) {
		t.Fatalf("voice note after a 429: %s", bottest.Texts(g))
	}
	if c := h.srv.Calls("copyMessage"); len(c) != 2 || c[0].Code != 429 {
		t.Fatalf("calls: %+v", c)
	}
}
