package bot_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dalil-tt/dalil/bot"
	"github.com/dalil-tt/dalil/bot/bottest"
	"github.com/dalil-tt/dalil/bot/telegram"
	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/dialog/redisstore"
)

// replica is one bot process of a test running several on one Redis.
type replica struct {
	b      *bot.Bot
	cancel context.CancelFunc
	done   chan error
}

func startReplica(t *testing.T, srv *bottest.Server, o bot.Options) *replica {
	t.Helper()
	c, err := telegram.New(context.Background(), srv.Token(), srv.APIURL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	o.Client = c
	b, err := bot.New(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &replica{b: b, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- b.Run(ctx) }()
	t.Cleanup(func() { r.stop(t) })
	return r
}

func (r *replica) stop(t *testing.T) {
	if r.cancel == nil {
		return
	}
	r.cancel()
	r.cancel = nil
	select {
	case err := <-r.done:
		if err != nil {
			t.Errorf("replica stopped with %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Error("replica did not stop within 15s")
	}
}

// metric reads one sample of the replica's /metrics (0 when absent).
func (r *replica) metric(t *testing.T, sample string) float64 {
	t.Helper()
	hs := httptest.NewServer(r.b.Handler(nil))
	defer hs.Close()
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(sample) + ` (\S+)$`)
	m := re.FindStringSubmatch(body(t, hs.URL+"/metrics"))
	if m == nil {
		return 0
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v
}

// Two replicas, 1,000 messages scheduled due in the same second over 100
// chats; the replica dispatching them is stopped abruptly (its work cut
// off at once, no grace) while it sends. Every message arrives exactly
// once, in order within its chat.
func TestScheduledTwoReplicasOneKilled(t *testing.T) {
	const chats, perChat, killAt = 100, 10, 300
	rdb := newRedis(t, redisURL())
	prefix := fmt.Sprintf("bs%d", time.Now().UnixNano())
	t.Cleanup(func() {
		ctx := context.Background()
		if keys, _ := rdb.Keys(ctx, prefix+":*").Result(); len(keys) > 0 {
			rdb.Del(ctx, keys...)
		}
	})
	var sent atomic.Int64
	halfway := make(chan struct{})
	srv := bottest.New(bottest.Options{OnSend: func(int64, *bottest.Message) {
		if sent.Add(1) == killAt {
			close(halfway)
		}
	}})
	t.Cleanup(srv.Close)
	eng, tr := engine(t)
	opts := func(grace time.Duration) bot.Options {
		return bot.Options{
			Store:  redisstore.New(rdb, redisstore.Options{Prefix: prefix, LockTTL: 2 * time.Second}),
			Engine: eng, T: tr, Matcher: catalogue.NewMemory(catalogue.Demo()),
			// Each chat's own limit makes the sending take a while: the
			// kill lands in the middle of it.
			ChatInterval: 50 * time.Millisecond, ChatBurst: 5, Grace: grace,
			SendBackoff: 20 * time.Millisecond, SendTimeout: 2 * time.Second,
			SweepEvery: 100 * time.Millisecond, ScheduleEvery: 100 * time.Millisecond, ScheduleLease: time.Second,
			Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		}
	}
	a := startReplica(t, srv, opts(time.Nanosecond)) // no grace: a stop cuts its work off
	b := startReplica(t, srv, opts(3*time.Second))

	ctx := context.Background()
	// All due in the same second, a few seconds ahead: putting 2,000
	// schedules (each twice) under -race on a busy CI box took more than
	// the 1-2 s this used to leave, and the messages fell due mid-way.
	at := time.Now().Truncate(time.Second).Add(6 * time.Second)
	chatID := func(i int) int64 { return 1<<32 + 1000 + int64(i) }
	for n := range perChat {
		for i := range chats {
			key := fmt.Sprintf("followup-%d-%d", chatID(i), n)
			m := bot.Message{Text: fmt.Sprintf("follow-up %d", n)}
			ok, err := a.b.Schedule(ctx, chatID(i), at, m, key)
			if err != nil || !ok {
				t.Fatalf("Schedule(%s) = %v, %v", key, ok, err)
			}
			// The same key again (a retried job, another replica): nothing.
			if ok, err := b.b.Schedule(ctx, chatID(i), at, m, key); err != nil || ok {
				t.Fatalf("Schedule(%s) again = %v, %v; want false", key, ok, err)
			}
		}
	}
	if time.Now().After(at) {
		t.Fatalf("scheduling took too long: the messages were due before all were scheduled")
	}

	select {
	case <-halfway:
	case <-time.After(30 * time.Second):
		t.Fatalf("only %d of %d messages sent", sent.Load(), chats*perChat)
	}
	// Stop the replica that dispatched the messages (the lease holder).
	dispatcher, other := a, b
	if a.metric(t, "dalil_scheduled_dispatched_total") == 0 {
		dispatcher, other = b, a
	}
	if dispatcher.metric(t, "dalil_scheduled_dispatched_total") == 0 {
		t.Fatal("no replica dispatched the scheduled messages")
	}
	dispatcher.stop(t)
	// (The survivor goes on meanwhile: count what the killed one sent.)
	if n := dispatcher.metric(t, `dalil_botapi_requests_total{method="sendMessage"}`); n >= chats*perChat {
		t.Fatalf("the killed replica sent every message (%v) before it stopped: the test proves nothing", n)
	}

	for i := range chats {
		if _, err := srv.WaitReceived(chatID(i), perChat, 30*time.Second); err != nil {
			t.Fatalf("chat %d: %v (%d sent in all)", i, err, sent.Load())
		}
	}
	// Nothing more can come once both have stopped: count what arrived.
	other.stop(t)
	for i := range chats {
		ms := srv.Received(chatID(i))
		if len(ms) != perChat {
			t.Errorf("chat %d received %d messages, want %d: %s", i, len(ms), perChat, texts(ms))
			continue
		}
		for n, m := range ms {
			if want := fmt.Sprintf("follow-up %d", n); m.Text != want {
				t.Errorf("chat %d message %d is %q, want %q (order)", i, n, m.Text, want)
				break
			}
		}
	}
	if n := rdb.ZCard(ctx, prefix+":{sched}:due").Val(); n != 0 {
		t.Errorf("%d scheduled messages left", n)
	}
	if n := other.metric(t, `dalil_botapi_requests_total{method="sendMessage"}`); n == 0 {
		t.Error("the surviving replica sent nothing: the kill did not hand over any sending")
	}
}

// /forget drops what is scheduled for the user, and only for them.
func TestForgetCancelsScheduled(t *testing.T) {
	h := start(t, nil, nil)
	const chat, other = 1<<32 + 3005, 1<<32 + 3006
	ctx := context.Background()
	h.say(chat, "/start")
	h.press(chat, "Français")
	at := time.Now().Add(7 * 24 * time.Hour)
	for _, c := range []int64{chat, other} {
		if ok, err := h.b.Schedule(ctx, c, at, bot.Message{Text: "Alors, ce rendez-vous ?"}, fmt.Sprintf("followup-%d", c)); err != nil || !ok {
			t.Fatalf("Schedule: %v %v", ok, err)
		}
	}
	h.say(chat, "/forget")
	if got := h.press(chat, "Oui"); !strings.Contains(texts(got), "C'est fait") {
		t.Fatalf("confirm: %s", texts(got))
	}
	due := h.store.GlobalKey("{sched}:due")
	if n := h.rdb.ZCard(ctx, due).Val(); n != 1 {
		t.Fatalf("%d messages scheduled after /forget, want 1 (the other user's)", n)
	}
	if n := h.rdb.HLen(ctx, h.store.GlobalKey("{sched}:body")).Val(); n != 1 {
		t.Fatalf("%d message bodies kept after /forget, want 1", n)
	}
	if n := h.rdb.Exists(ctx, h.store.GlobalKey(fmt.Sprintf("{sched}:key:followup-%d", chat))).Val(); n != 0 {
		t.Fatal("the idempotency key naming the user kept after /forget")
	}
	if n := h.rdb.Exists(ctx, h.store.GlobalKey(fmt.Sprintf("{sched}:key:followup-%d", other))).Val(); n != 1 {
		t.Fatal("the other user's idempotency key went too")
	}
}

// A notice is put in the outbox once per key, in order with the rest.
func TestNotifyOncePerKey(t *testing.T) {
	h := start(t, nil, nil)
	const chat = 1<<32 + 3010
	ctx := context.Background()
	for i, key := range []string{"closed:h1", "closed:h1", "closed:h2"} {
		if err := h.b.Notify(ctx, chat, key, telegram.SendMessage{Text: fmt.Sprintf("notice %d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	// The last one arriving means the ones before it have been dealt with.
	ms := h.wait(chat, 2)
	if got := texts(ms); len(ms) != 2 || ms[0].Text != "notice 0" || ms[1].Text != "notice 2" {
		t.Fatalf("received %s, want notice 0 then notice 2", got)
	}
}
