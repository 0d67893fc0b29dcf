package handoff

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dalil-tt/dalil/bot/bottest"
	"github.com/dalil-tt/dalil/internal/lang"
)

// stallSave is a Redis hook that, once armed, holds the transaction saving
// a user's handoff state (the HSET of a ":h" key) until its context ends:
// a process stopped between the card posted and the state saved.
type stallSave struct {
	mu      sync.Mutex
	armed   bool
	reached chan struct{}
}

func (s *stallSave) arm() chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.armed, s.reached = true, make(chan struct{})
	return s.reached
}

func (s *stallSave) DialHook(next redis.DialHook) redis.DialHook          { return next }
func (s *stallSave) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }
func (s *stallSave) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		for _, c := range cmds {
			args := c.Args()
			if strings.EqualFold(c.Name(), "hset") && len(args) > 1 && strings.HasSuffix(args[1].(string), "}:h") {
				s.mu.Lock()
				armed := s.armed
				if armed {
					s.armed = false
					close(s.reached)
				}
				s.mu.Unlock()
				if armed {
					<-ctx.Done()
					return ctx.Err()
				}
			}
		}
		return next(ctx, cmds)
	}
}

func cardsPosted(ms []bottest.Message) []bottest.Message {
	var cards []bottest.Message
	for _, m := range ms {
		if m.Method == "sendMessage" && strings.Contains(m.Text, statusWaiting) {
			cards = append(cards, m)
		}
	}
	return cards
}

func (h *harness) records(chat int64) int {
	h.t.Helper()
	var n int
	if err := h.pool.QueryRow(context.Background(), `SELECT count(*) FROM handoffs WHERE user_key = $1`,
		h.desk.UserKey(chat)).Scan(&n); err != nil {
		h.t.Fatal(err)
	}
	return n
}

// An opening run again under the same key (the bot's effect after a
// crash before its mark) posts one card, opens one record, and tells the
// user what happens next, not that they are already with an adviser.
func TestOpeningTwicePostsOneCard(t *testing.T) {
	h := newHarness(t, false, nil)
	user := int64(1<<33 + 810000000 + randInt(1e8))
	h.srv.SetName(user, "Amina")
	ctx := context.Background()
	first, err := h.desk.OpenNotice(ctx, user, "77.1", demoState(lang.FR))
	if err != nil {
		t.Fatal(err)
	}
	h.halt()
	h.start() // a new process runs the same effect again
	second, err := h.desk.OpenNotice(ctx, user, "77.1", demoState(lang.FR))
	if err != nil {
		t.Fatal(err)
	}
	if second != first || !strings.HasPrefix(first, "C'est transmis") {
		t.Fatalf("the notice of the second run: %q, want the first's %q", second, first)
	}
	if cards := cardsPosted(h.received(h.group)); len(cards) != 1 {
		t.Fatalf("%d cards posted, want 1", len(cards))
	}
	if n := h.records(user); n != 1 {
		t.Fatalf("%d records opened, want 1", n)
	}
	// Another opening (another key) while this one is open is refused as before.
	if again, err := h.desk.OpenNotice(ctx, user, "78.1", demoState(lang.FR)); err != nil || again != h.tr.T(lang.FR, "handoff.user.already", nil) {
		t.Fatalf("a second request: %q, %v", again, err)
	}
	// Closed by an adviser, then the same effect once more: it neither
	// reopens the handoff nor tells the user anything.
	const karim = 6789671311
	h.srv.SetMember(h.group, karim, "member")
	card := cardsPosted(h.received(h.group))[0]
	h.adviser(karim, "Karim", map[string]any{"text": "/close", "reply_to_message": h.srv.Ref(card)})
	if h.userState(user).open() {
		t.Fatal("/close left the handoff open")
	}
	if third, err := h.desk.OpenNotice(ctx, user, "77.1", demoState(lang.FR)); err != nil || third != "" || h.userState(user).open() {
		t.Fatalf("the effect after a close: %q, %v, open %v", third, err, h.userState(user).open())
	}
	if n := cardCalls(h.srv, h.group); n != 1 {
		t.Fatalf("%d cards posted, want 1", n)
	}
}

// cardCalls counts the cards posted to group, whatever they became since.
func cardCalls(srv *bottest.Server, group int64) int {
	n := 0
	for _, c := range srv.Calls("sendMessage") {
		if c.Params["chat_id"] == itoa(group) && strings.Contains(c.Params["text"], statusWaiting) {
			n++
		}
	}
	return n
}

// The process stops after the card is posted and before the handoff's
// state is saved: the run after the restart posts no second card, saves
// the first card's id, and advisers' replies to it reach the user.
func TestOpeningStoppedAfterTheCard(t *testing.T) {
	stall := &stallSave{}
	h := newHarness(t, false, func(o *Options) {
		c := redis.NewClient(o.Redis.(*redis.Client).Options())
		c.AddHook(stall)
		t.Cleanup(func() { c.Close() })
		o.Redis = c
	})
	user := int64(1<<33 + 820000000 + randInt(1e8))
	h.srv.SetName(user, "Amina")
	reached := stall.arm()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := h.desk.OpenNotice(ctx, user, "91.1", demoState(lang.FR))
		errc <- err
	}()
	<-reached
	cancel() // the process stops
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("the stopped run: %v", err)
	}
	cards := cardsPosted(h.received(h.group))
	if len(cards) != 1 || h.userState(user).open() {
		t.Fatalf("before the restart: %d cards, state %v", len(cards), h.userState(user))
	}

	h.halt()
	h.start()
	notice, err := h.desk.OpenNotice(context.Background(), user, "91.1", demoState(lang.FR))
	if err != nil || !strings.HasPrefix(notice, "C'est transmis") {
		t.Fatalf("the run after the restart: %q, %v", notice, err)
	}
	if got := cardsPosted(h.received(h.group)); len(got) != 1 {
		t.Fatalf("%d cards posted, want 1", len(got))
	}
	if s := h.userState(user); s["card"] != itoa(cards[0].ID) {
		t.Fatalf("state's card %q, want the one posted, %d", s["card"], cards[0].ID)
	}
	if n := h.records(user); n != 1 {
		t.Fatalf("%d records opened, want 1", n)
	}
	const karim = 6789671301
	h.srv.SetMember(h.group, karim, "member")
	n := len(h.received(user))
	h.adviser(karim, "Karim", map[string]any{"text": "Bonjour, je suis Karim.",
		"reply_to_message": h.srv.Ref(cards[0])})
	if got, err := h.srv.WaitReceived(user, n+2, 5*time.Second); err != nil || got[len(got)-1].Text != "Bonjour, je suis Karim." {
		t.Fatalf("an adviser's reply to the card: %v %v", bottest.Texts(got), err)
	}
}

// Through the real bot: the process stops while the handoff effect is
// between the card and the state; the restarted bot runs the effect again
// (it was not marked done) and the group still gets one card, the user the
// notice once.
func TestThroughTheBotEffectRunTwice(t *testing.T) {
	stall := &stallSave{}
	l := startLive(t, false, func(o *Options) {
		c := redis.NewClient(o.Redis.(*redis.Client).Options())
		c.AddHook(stall)
		t.Cleanup(func() { c.Close() })
		o.Redis = c
	})
	user := int64(1<<33 + 830000000 + randInt(1e8))
	l.srv.SetName(user, "Amina")
	l.srv.Text(user, "/start salon")
	m := l.wait(user, 1)
	if _, ok := l.srv.PressLabel(m[0], "Français"); !ok {
		t.Fatalf("no language button: %s", bottest.Texts(m))
	}
	l.wait(user, 2)
	reached := stall.arm()
	l.srv.Text(user, "/adviser")
	<-reached
	l.stop()
	if cards := cardsPosted(l.srv.Received(l.group)); len(cards) != 1 {
		t.Fatalf("before the restart: %d cards", len(cards))
	}
	n := len(l.srv.Received(user))
	l.run()
	got := l.wait(user, n+1)[n:]
	if !strings.HasPrefix(got[0].Text, "C'est transmis") {
		t.Fatalf("after the restart: %s", bottest.Texts(got))
	}
	l.quiet(user, n+1, "a second notice")
	if cards := cardsPosted(l.srv.Received(l.group)); len(cards) != 1 {
		t.Fatalf("%d cards posted, want 1", len(cards))
	}
	// The user's next message reaches the advisers under the one card.
	l.srv.Text(user, "je cherche un microcrédit")
	if g := l.wait(l.group, 2); g[1].Text != asRelayed("je cherche un microcrédit") {
		t.Fatalf("relay: %s", bottest.Texts(g))
	}
}
