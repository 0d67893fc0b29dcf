package bot

import (
	"context"
	"testing"
	"time"
)

func TestWindowNeverExceedsN(t *testing.T) {
	w := newWindow(5, time.Second)
	base := time.Unix(1000, 0)
	var slots []time.Time
	for range 23 {
		slots = append(slots, w.reserve(base))
	}
	// In any one-second window, at most 5 slots.
	for i := range slots {
		n := 0
		for _, s := range slots {
			if !s.Before(slots[i]) && s.Before(slots[i].Add(time.Second)) {
				n++
			}
		}
		if n > 5 {
			t.Fatalf("%d slots within one second from %v", n, slots[i].Sub(base))
		}
	}
	if last := slots[22].Sub(base); last != 4*time.Second {
		t.Fatalf("23rd slot at %v, want 4s", last)
	}
}

func TestGCRABurstThenRate(t *testing.T) {
	var g gcra
	base := time.Unix(1000, 0)
	var got []time.Duration
	for range 5 {
		got = append(got, g.reserve(base, time.Second, 3).Sub(base))
	}
	want := []time.Duration{0, 0, 0, time.Second, 2 * time.Second}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("slots %v, want %v", got, want)
		}
	}
	// After a long pause the burst is available again.
	later := base.Add(time.Minute)
	if s := g.reserve(later, time.Second, 3); !s.Equal(later) {
		t.Fatalf("after idle: %v", s.Sub(later))
	}
}

func TestLimitsWait(t *testing.T) {
	l := newLimits(0, 100*time.Millisecond, 2)
	ctx := context.Background()
	start := time.Now()
	for range 4 {
		if _, _, err := l.wait(ctx, 1, true); err != nil {
			t.Fatal(err)
		}
	}
	// Two in the burst, then 100ms apart: the 4th at about 200ms.
	if el := time.Since(start); el < 180*time.Millisecond || el > 600*time.Millisecond {
		t.Fatalf("4 messages took %v", el)
	}
	// Another chat is not held up; edits skip the per-chat limit.
	start = time.Now()
	l.wait(ctx, 2, true)
	l.wait(ctx, 1, false)
	if el := time.Since(start); el > 50*time.Millisecond {
		t.Fatalf("unrelated sends waited %v", el)
	}
	// The overall limit.
	g := newLimits(10, 0, 1)
	start = time.Now()
	for i := range 25 {
		g.wait(ctx, int64(i), true)
	}
	if el := time.Since(start); el < 1900*time.Millisecond {
		t.Fatalf("25 messages at 10/s took only %v", el)
	}
}

// TestLimitsNameTheLimitThatWaited: a message held by its chat's limit is
// counted under "chat", even with an overall limit that let it through at
// once (it used to be put down to the overall limit).
func TestLimitsNameTheLimitThatWaited(t *testing.T) {
	l := newLimits(1000, 50*time.Millisecond, 1)
	ctx := context.Background()
	if _, why, err := l.wait(ctx, 7, true); err != nil || why != "" {
		t.Fatalf("first message: waited for %q, %v", why, err)
	}
	d, why, err := l.wait(ctx, 7, true)
	if err != nil || why != scopeChat || d < 20*time.Millisecond {
		t.Fatalf("second message of the chat: waited %v for %q (%v), want the chat limit", d, why, err)
	}
	g := newLimits(1, 0, 1) // one a second overall
	g.wait(ctx, 8, true)
	if d, why, _ := g.wait(ctx, 9, true); why != scopeGlobal || d < 500*time.Millisecond {
		t.Fatalf("second message overall: waited %v for %q, want the overall limit", d, why)
	}
}

// TestResizedWindowKeepsRecentSlots: shrinking the overall window when a
// replica joins must not open a burst: the slots already used in the last
// second still count.
func TestResizedWindowKeepsRecentSlots(t *testing.T) {
	w := newWindow(4, time.Second)
	base := time.Unix(1000, 0)
	for i := range 4 {
		w.reserve(base.Add(time.Duration(i) * 100 * time.Millisecond))
	}
	small := w.resized(2)
	// The two latest slots (200ms, 300ms) are kept: the next two wait for
	// them to leave the window.
	if got := small.reserve(base.Add(300 * time.Millisecond)).Sub(base); got != 1200*time.Millisecond {
		t.Fatalf("first slot after shrinking at %v, want 1.2s", got)
	}
	if got := small.reserve(base.Add(300 * time.Millisecond)).Sub(base); got != 1300*time.Millisecond {
		t.Fatalf("second slot after shrinking at %v, want 1.3s", got)
	}
	// Growing keeps them too, with free slots first.
	big := small.resized(5)
	var free int
	for range 5 {
		if big.reserve(base.Add(1300 * time.Millisecond)).Equal(base.Add(1300 * time.Millisecond)) {
			free++
		}
	}
	if free != 3 {
		t.Fatalf("%d free slots after growing to 5 with 2 used, want 3", free)
	}
}

func TestOverallLimitSharedAmongReplicas(t *testing.T) {
	l := newLimits(30, 0, 1)
	for _, c := range []struct{ replicas, want int }{{1, 30}, {2, 15}, {3, 10}, {4, 7}, {100, 1}, {0, 30}, {2, 15}} {
		if got, changed := l.share(c.replicas); got != c.want || !changed || len(l.global.Load().ring) != c.want {
			t.Fatalf("%d replicas: share %d (changed %v), window %d; want %d", c.replicas, got, changed, len(l.global.Load().ring), c.want)
		}
	}
	// 15 a second here: the 16th message of a burst waits about a second.
	if got, changed := l.share(2); got != 15 || changed {
		t.Fatalf("the same 2 replicas again: share %d, changed %v", got, changed)
	}
	ctx := context.Background()
	start := time.Now()
	for range 16 {
		if _, _, err := l.wait(ctx, 1, false); err != nil {
			t.Fatal(err)
		}
	}
	if el := time.Since(start); el < 900*time.Millisecond {
		t.Fatalf("16 messages in %v under a 15/s share", el)
	}
	if off := newLimits(0, 0, 1); func() bool { n, changed := off.share(3); return n != 0 || changed }() || off.global.Load() != nil {
		t.Fatal("no overall limit must stay off")
	}
}
