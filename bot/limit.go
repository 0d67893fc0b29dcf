package bot

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// window allows at most n events in any window of length d (a sliding
// log): Telegram's overall limit counts messages per second with no burst
// on top, and its group limit counts per minute. Reserve hands out the
// earliest free slot, so waiters are served in order without polling.
type window struct {
	mu   sync.Mutex
	d    time.Duration
	ring []time.Time // the last n slots handed out
	head int
}

func newWindow(n int, d time.Duration) *window {
	return &window{d: d, ring: make([]time.Time, n)}
}

// reserve returns when the next event may happen (now or later).
func (w *window) reserve(now time.Time) time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	t := now
	if oldest := w.ring[w.head]; !oldest.IsZero() && oldest.Add(w.d).After(t) {
		t = oldest.Add(w.d)
	}
	w.ring[w.head] = t
	w.head = (w.head + 1) % len(w.ring)
	return t
}

// resized returns a window allowing n events, holding the latest of w's
// slots, so that a change of size does not open a burst.
func (w *window) resized(n int) *window {
	w.mu.Lock()
	defer w.mu.Unlock()
	var slots []time.Time // oldest first
	for i := range w.ring {
		if t := w.ring[(w.head+i)%len(w.ring)]; !t.IsZero() {
			slots = append(slots, t)
		}
	}
	if len(slots) > n {
		slots = slots[len(slots)-n:]
	}
	nw := newWindow(n, w.d)
	copy(nw.ring[n-len(slots):], slots) // free slots first: the head is the oldest
	return nw
}

// gcra is a per-chat limiter: one event per interval on average with
// bursts of up to burst events (generic cell rate algorithm).
type gcra struct {
	tat time.Time // theoretical arrival time of the next event
}

func (g *gcra) reserve(now time.Time, interval time.Duration, burst int) time.Time {
	tol := time.Duration(burst-1) * interval
	t := now
	if start := g.tat.Add(-tol); start.After(t) {
		t = start
	}
	if g.tat.Before(now) {
		g.tat = now
	}
	g.tat = g.tat.Add(interval)
	return t
}

// limits holds the bot's send limits: overall (0 = off), per private chat
// and per group.
type limits struct {
	// global is the overall limit (nil: off): the bot's perSecond divided
	// among the live replicas, since Telegram counts all of a bot's
	// messages together.
	global    atomic.Pointer[window]
	perSecond int
	replicas  atomic.Int32

	mu     sync.Mutex
	chats  map[int64]*gcra
	groups map[int64]*window
	swept  time.Time

	chatInterval time.Duration
	chatBurst    int
	groupN       int
	groupWindow  time.Duration
}

func newLimits(perSecond int, chatInterval time.Duration, chatBurst int) *limits {
	l := &limits{chats: map[int64]*gcra{}, groups: map[int64]*window{},
		chatInterval: chatInterval, chatBurst: chatBurst, groupN: 20, groupWindow: time.Minute}
	if perSecond > 0 {
		l.perSecond = perSecond
		l.global.Store(newWindow(perSecond, time.Second))
	}
	if l.chatBurst < 1 {
		l.chatBurst = 1
	}
	return l
}

// share sets how many replicas of the bot send messages: each takes an
// equal part of the overall limit (at least one message a second). It
// returns the part this replica now has (0 when there is no overall limit)
// and whether the number of replicas changed.
func (l *limits) share(replicas int) (perSecond int, changed bool) {
	if l.perSecond == 0 {
		return 0, false
	}
	replicas = max(replicas, 1)
	n := max(1, l.perSecond/replicas)
	if int(l.replicas.Swap(int32(replicas))) == replicas {
		return n, false
	}
	if old := l.global.Load(); len(old.ring) != n {
		l.global.Store(old.resized(n))
	}
	return n, true
}

// scope names the limit that made a message wait, for metrics.
type scope string

const (
	scopeGlobal scope = "global"
	scopeChat   scope = "chat"
	scopeGroup  scope = "group"
)

// wait blocks until a message to chat may be sent. perChat is false for
// what Telegram does not count as a new message in the chat (edits). It
// reports the longest wait and the limit that caused it.
func (l *limits) wait(ctx context.Context, chat int64, perChat bool) (time.Duration, scope, error) {
	now := time.Now()
	at, why := now, scope("")
	if perChat && l.chatInterval > 0 {
		l.mu.Lock()
		if now.Sub(l.swept) > time.Minute {
			l.sweep(now)
		}
		var t time.Time
		if chat < 0 {
			w := l.groups[chat]
			if w == nil {
				w = newWindow(l.groupN, l.groupWindow)
				l.groups[chat] = w
			}
			t, why = w.reserve(now), scopeGroup
		} else {
			g := l.chats[chat]
			if g == nil {
				g = &gcra{}
				l.chats[chat] = g
			}
			t, why = g.reserve(now, l.chatInterval, l.chatBurst), scopeChat
		}
		l.mu.Unlock()
		at = t
	}
	if global := l.global.Load(); global != nil {
		// The overall slot is taken when the chat's own turn comes, so a
		// slow chat does not hold overall slots it cannot use yet.
		if err := sleepUntil(ctx, at); err != nil {
			return 0, why, err
		}
		turn := time.Now()
		t := global.reserve(turn) // never before turn, so never before at
		if t.Sub(turn) > at.Sub(now) {
			why = scopeGlobal // the overall limit held the message longer
		}
		at = t
	}
	d := at.Sub(now)
	if err := sleepUntil(ctx, at); err != nil {
		return d, why, err
	}
	if d <= time.Millisecond {
		return 0, "", nil
	}
	return d, why, nil
}

// sweep forgets idle chats' limiters (l.mu held).
func (l *limits) sweep(now time.Time) {
	l.swept = now
	for id, g := range l.chats {
		if g.tat.Before(now) {
			delete(l.chats, id)
		}
	}
	for id, w := range l.groups {
		last := w.ring[(w.head+len(w.ring)-1)%len(w.ring)]
		if last.Add(w.d).Before(now) {
			delete(l.groups, id)
		}
	}
}

func sleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// WaitTurn blocks until a Bot API call to chat may be made under the bot's
// send limits: the overall one, and when countsInChat the chat's own (a
// private chat's, or a group's 20 a minute). Code that calls the Bot API
// beside the bot's sender (the adviser desk) uses it, so that both draw on
// one budget instead of only learning of the limit from a 429.
func (b *Bot) WaitTurn(ctx context.Context, chat int64, countsInChat bool) error {
	return b.send.WaitTurn(ctx, chat, countsInChat)
}
