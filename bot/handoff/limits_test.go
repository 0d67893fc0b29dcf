package handoff

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/dalil-tt/dalil/internal/lang"
)

// turn is one wait for the rate limits.
type turn struct {
	chat   int64
	counts bool
}

// turns records the desk's waits for the limits; fail makes them fail (a
// stop while waiting).
type turns struct {
	mu   sync.Mutex
	got  []turn
	fail bool
}

func (r *turns) WaitTurn(_ context.Context, chat int64, counts bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail {
		return errors.New("stopped")
	}
	r.got = append(r.got, turn{chat, counts})
	return nil
}

func (r *turns) take() []turn {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.got
	r.got = nil
	return out
}

// Every message the desk sends or edits waits its turn under the bot's
// limits (the group's messages count in the group, edits only overall);
// reads do not; a call whose wait fails is not made.
func TestDeskWaitsForTheBotsLimits(t *testing.T) {
	lim := &turns{}
	h := newHarness(t, true, func(o *Options) { o.Limits = lim })
	user := 1<<33 + 300000000 + randInt(1e8)
	const karim = 6789679511
	h.srv.SetMember(h.group, karim, "member")

	h.open(user, "Nadia", demoState(lang.FR))
	// The topic and the card count in the group; the notice to the user too.
	if got, want := lim.take(), []turn{{h.group, true}, {h.group, true}, {user, true}}; !slices.Equal(got, want) {
		t.Fatalf("opening: waits %v, want %v", got, want)
	}
	thread := h.received(h.group)[0].ThreadID

	h.wait(h.srv.Text(user, "Bonjour"))
	if got, want := lim.take(), []turn{{h.group, true}}; !slices.Equal(got, want) {
		t.Fatalf("user → group: waits %v, want %v", got, want)
	}

	// Karim answers: the card is edited (overall only), the user gets his
	// name and the answer.
	h.adviser(karim, "Karim", inTopic(thread, map[string]any{"text": "Bonjour Nadia"}))
	if got, want := lim.take(), []turn{{h.group, false}, {user, true}, {user, true}}; !slices.Equal(got, want) {
		t.Fatalf("adviser → user: waits %v, want %v", got, want)
	}

	// A wait that fails: nothing is sent, and it counts as a failed relay.
	n := len(h.srv.Calls("sendMessage"))
	lim.mu.Lock()
	lim.fail = true
	lim.mu.Unlock()
	h.wait(h.srv.Text(user, "Vous êtes là ?"))
	if got := len(h.srv.Calls("sendMessage")); got != n {
		t.Fatalf("%d messages sent although the wait for the limit failed", got-n)
	}
	if f := testutil.ToFloat64(h.desk.m.failures.WithLabelValues(failToAdviser)); f != 1 {
		t.Fatalf("failed relays counted: %v, want 1", f)
	}
}
