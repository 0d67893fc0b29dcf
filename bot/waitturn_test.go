package bot

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// WaitTurn draws on the sender's own limits: calls made beside the bot
// (the adviser desk) and the bot's replies share a group's budget.
func TestWaitTurnSharesTheSendersLimits(t *testing.T) {
	ctx := context.Background()
	l := newLimits(0, time.Millisecond, 1)
	l.groupN, l.groupWindow = 2, 300*time.Millisecond
	m := newMetrics()
	b := &Bot{send: &sender{limits: l, m: m}, m: m} // as New wires them
	const group = -1001
	start := time.Now()
	// The bot's sender takes one slot of the group's window…
	if _, _, err := l.wait(ctx, group, true); err != nil {
		t.Fatal(err)
	}
	// …the desk the other; an edit does not count in the chat.
	for _, counts := range []bool{true, false} {
		if err := b.WaitTurn(ctx, group, counts); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Fatalf("the first two messages waited %v", d)
	}
	// The third message in the window waits for it to slide.
	if err := b.WaitTurn(ctx, group, true); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 250*time.Millisecond {
		t.Fatalf("the third message in a window of two went out after %v", d)
	}
	if n := testutil.ToFloat64(b.m.waits.WithLabelValues("group")); n != 1 {
		t.Fatalf("group waits counted: %v, want 1", n)
	}
	// A stop while waiting is reported.
	cctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	var err error
	for i := 0; i < 3 && err == nil; i++ {
		err = b.WaitTurn(cctx, group, true)
	}
	if err == nil {
		t.Fatal("WaitTurn returned no error when its context ended while waiting")
	}
}
