package bot_test

import (
	"context"
	"fmt"
	"hash/fnv"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dalil-tt/dalil/bot"
	"github.com/dalil-tt/dalil/dialog"
	"github.com/dalil-tt/dalil/internal/lang"
	"github.com/dalil-tt/dalil/internal/proctest"
)

// panicky is the test hook: the real engine, except that one particular
// text makes it panic (with the text in the panic, as a careless bug
// would).
type panicky struct {
	bot.Engine
	trigger string
	calls   *atomic.Int32
}

func (p panicky) Step(s dialog.State, in dialog.Input) (dialog.State, []dialog.Reply, []dialog.Effect) {
	if in.Kind == dialog.InText && in.Text == p.trigger {
		p.calls.Add(1)
		var m map[string]int
		m[in.Text]++ // assignment to a nil map: a runtime panic
	}
	return p.Engine.Step(s, in)
}

// One input that panics used to crash the process, and crash it again on
// every redelivery from the update queue. Now it is retried, set aside
// after the third failure, the user gets an apology in their language, and
// the chat goes on.
func TestPoisonUpdateSetAside(t *testing.T) {
	const trigger = "mon numéro est 0612345678 et ça plante"
	calls := &atomic.Int32{}
	logs := &proctest.LockedBuffer{}
	h := start(t, nil, func(o *bot.Options) {
		o.Engine = panicky{Engine: o.Engine, trigger: trigger, calls: calls}
		o.Log = slog.New(slog.NewTextHandler(logs, nil))
	})
	const chat = 5_000_000_123 // above 2^32, as Telegram ids now are
	h.say(chat, "/start")
	h.press(chat, "الدارجة")
	n := len(h.srv.Received(chat))

	h.srv.Text(chat, trigger)
	ms := h.wait(chat, n+1)
	want := h.tr.T(lang.ARY, "bot.poison", nil)
	if got := ms[n].Text; got != want || !strings.HasPrefix(want, "سمح ليا") {
		t.Fatalf("after the poison update the user got %q, want the Darija apology %q", got, want)
	}
	if c := calls.Load(); c != 3 {
		t.Errorf("the failing update was tried %d times, want 3", c)
	}
	m := h.metrics()
	for _, line := range []string{`dalil_updates_total{outcome="panicked"} 3`, `dalil_updates_total{outcome="poisoned"} 1`} {
		if !strings.Contains(m, line) {
			t.Errorf("metrics lack %s", line)
		}
	}
	// Kept in the dead-letter stream, which expires.
	ctx := context.Background()
	key := h.store.GlobalKey("updates:dead")
	dead, err := h.rdb.XRange(ctx, key, "-", "+").Result()
	if err != nil || len(dead) != 1 || !strings.Contains(dead[0].Values["u"].(string), "0612345678") {
		t.Fatalf("dead-letter stream %s: %v %v", key, dead, err)
	}
	if ttl := h.rdb.TTL(ctx, key).Val(); ttl <= 0 || ttl > 8*24*time.Hour {
		t.Errorf("dead-letter stream TTL %v", ttl)
	}
	// Nothing of what the user wrote reaches the logs.
	if strings.Contains(logs.String(), "0612345678") || strings.Contains(logs.String(), "plante") {
		t.Errorf("the user's text is in the logs:\n%s", logs)
	}
	if !strings.Contains(logs.String(), "update set aside") {
		t.Errorf("no log line about the set-aside update:\n%s", logs)
	}
	// The chat is not stuck: the lock is free and later updates are
	// handled as usual.
	got := h.say(chat, "/help")
	if len(got) == 0 || got[0].Text == want {
		t.Fatalf("after the poison update: %s", texts(got))
	}
	if !strings.Contains(h.metrics(), `dalil_updates_total{outcome="handled"}`) {
		t.Error("no update handled after the poison one")
	}
	conv, _, err := h.store.Load(ctx, chat)
	if err != nil || conv.State.Lang != lang.ARY {
		t.Errorf("conversation after the poison update: %+v %v", conv.State, err)
	}
}

// A panic that does not repeat costs only a retry: the update is handled.
func TestPanicOnceIsRetried(t *testing.T) {
	var once sync.Once
	calls := &atomic.Int32{}
	h := start(t, nil, func(o *bot.Options) {
		o.Engine = flaky{Engine: o.Engine, once: &once, calls: calls}
	})
	const chat = 5_000_000_124
	got := h.say(chat, "/start")
	if len(got) == 0 || !strings.Contains(texts(got), "Français") {
		t.Fatalf("/start after one panic: %s", texts(got))
	}
	if calls.Load() != 1 || !strings.Contains(h.metrics(), `dalil_updates_total{outcome="panicked"} 1`) || strings.Contains(h.metrics(), `outcome="poisoned"`) {
		t.Errorf("panics %d; metrics:\n%s", calls.Load(), h.metrics())
	}
}

type flaky struct {
	bot.Engine
	once  *sync.Once
	calls *atomic.Int32
}

func (f flaky) Step(s dialog.State, in dialog.Input) (dialog.State, []dialog.Reply, []dialog.Effect) {
	f.once.Do(func() {
		f.calls.Add(1)
		panic("a failure that does not repeat")
	})
	return f.Engine.Step(s, in)
}

// An update whose handling kills the process outright (a fatal error no
// recover catches) stays unacknowledged and comes back to each new holder
// of its partition. After crashDeliveries deliveries it is set aside
// unhandled.
func TestUpdateThatKeepsKillingTheProcessIsSetAside(t *testing.T) {
	const trigger = "texte qui tue le processus"
	calls := &atomic.Int32{}
	h := start(t, nil, func(o *bot.Options) {
		o.Engine = panicky{Engine: o.Engine, trigger: trigger, calls: calls}
	})
	const chat = 5_000_000_125
	h.say(chat, "/start")
	h.press(chat, "Français")
	h.stop()
	n := len(h.srv.Received(chat))

	// What five processes that died with it in hand leave in the queue.
	ctx := context.Background()
	f := fnv.New32a()
	f.Write([]byte(strconv.FormatInt(chat, 10)))
	key := h.store.GlobalKey("{updates:" + strconv.Itoa(int(f.Sum32()%16)) + "}")
	raw := fmt.Sprintf(`{"update_id":990001,"message":{"message_id":990001,"date":%d,"chat":{"id":%d,"type":"private"},"from":{"id":%d,"is_bot":false,"first_name":"A","language_code":"fr"},"text":%q}}`,
		time.Now().Unix(), chat, chat, trigger)
	if err := h.rdb.XAdd(ctx, &redis.XAddArgs{Stream: key, Values: []any{"u", raw}}).Err(); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		id := ">"
		if i > 0 {
			id = "0"
		}
		if err := h.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "bot", Consumer: "holder", Streams: []string{key, id}, Count: 10}).Err(); err != nil {
			t.Fatal(err)
		}
	}

	h.run()
	ms := h.wait(chat, n+1)
	if want := h.tr.T(lang.FR, "bot.poison", nil); ms[n].Text != want || !strings.HasPrefix(want, "Désolé") {
		t.Fatalf("got %q, want the apology", ms[n].Text)
	}
	if calls.Load() != 0 {
		t.Errorf("the update was handled again (%d times)", calls.Load())
	}
	if dead, err := h.rdb.XRange(ctx, h.store.GlobalKey("updates:dead"), "-", "+").Result(); err != nil || len(dead) != 1 || dead[0].Values["reason"] != "unfinished" {
		t.Errorf("dead-letter stream: %v %v", dead, err)
	}
	// Acknowledged: the partition's pending list is empty.
	var p *redis.XPending
	var err error
	if !h.srv.WaitFor(func() bool { p, err = h.rdb.XPending(ctx, key, "bot").Result(); return err == nil && p.Count == 0 }, 5*time.Second) {
		t.Fatalf("still pending: %+v %v", p, err)
	}
	if got := h.say(chat, "/help"); len(got) == 0 {
		t.Fatal("no answer after the set-aside update")
	}
}
