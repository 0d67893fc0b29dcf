package main

// Replica mode (-replicas N): the same users are played first against one
// bot, then against N bots sharing Redis and PostgreSQL, each with its own
// Telegram client, Redis connections and queue consumer, in webhook mode
// behind one round-robin front (as Telegram → load balancer → replicas).
// Besides throughput and latency it checks per-chat ordering: every update
// a user sent is handled exactly once, in the order sent, whichever replica
// took it; the closing burst sends each user a button press, its duplicate
// (a redelivery) and a /back command back to back, so that updates of one
// chat meet on different replicas.

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dalil-tt/dalil/bot"
	"github.com/dalil-tt/dalil/bot/bottest"
	"github.com/dalil-tt/dalil/bot/telegram"
	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/catalogue/postgres"
	"github.com/dalil-tt/dalil/dialog"
	"github.com/dalil-tt/dalil/dialog/nlu"
	"github.com/dalil-tt/dalil/dialog/redisstore"
	"github.com/dalil-tt/dalil/dialog/trees"
	"github.com/dalil-tt/dalil/locales"
)

// sentHook, when set, is told of every update a simulated user sends.
var sentHook func(chat, updateID int64)

// stepHook, when set, is told which update (0, 1, …) a simulated user is
// about to send.
var stepHook func(chat int64, k int)

// ledger records, per chat, the updates sent and the order replicas
// handled them in.
type ledger struct {
	mu      sync.Mutex
	chatOf  map[int64]int64
	sent    map[int64][]int64
	handled map[int64][]int64
	by      []map[int64]int // replica -> chat -> updates handled
	// strict are the updates sent only once the one before was queued
	// (the burst): their order is the order the bot must keep. In the
	// closed loop a user may send before its previous update was even
	// posted (the fake server posts webhooks concurrently), so order
	// there proves nothing.
	strict map[int64]bool
}

func newLedger(replicas int) *ledger {
	l := &ledger{chatOf: map[int64]int64{}, sent: map[int64][]int64{}, handled: map[int64][]int64{}, strict: map[int64]bool{}}
	for range replicas {
		l.by = append(l.by, map[int64]int{})
	}
	return l
}

func (l *ledger) onSent(chat, id int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, dup := l.chatOf[id]; dup {
		return // a redelivery of an update already sent
	}
	l.chatOf[id] = chat
	l.sent[chat] = append(l.sent[chat], id)
}

// chats lists the chats that sent updates.
func (l *ledger) chats() []int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]int64, 0, len(l.sent))
	for c := range l.sent {
		out = append(out, c)
	}
	return out
}

// distinct is the number of distinct updates sent.
func (l *ledger) distinct() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.chatOf)
}

// setHandled records the updates a chat's conversation says were handled,
// in order (process mode, where no hook sees them one by one).
func (l *ledger) setHandled(chat int64, ids []int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.handled[chat] = ids
}

func (l *ledger) onHandled(replica int, id int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	chat := l.chatOf[id]
	l.handled[chat] = append(l.handled[chat], id)
	l.by[replica][chat]++
}

// check reports chats whose updates were lost, handled twice or out of
// order, and how many chats were served by more than one replica.
func (l *ledger) check() (lost, twice, disorder, shared, chats int, example string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for chat, sent := range l.sent {
		chats++
		got := l.handled[chat]
		seen := map[int64]int{}
		for _, id := range got {
			seen[id]++
		}
		for _, id := range sent {
			switch n := seen[id]; {
			case n == 0:
				lost++
			case n > 1:
				twice++
			}
		}
		var ordered []int64
		for _, id := range got {
			if l.strict[id] {
				ordered = append(ordered, id)
			}
		}
		for i := 1; i < len(ordered); i++ {
			if ordered[i] <= ordered[i-1] {
				disorder++
				if example == "" {
					example = fmt.Sprintf("chat sent %v (the last two back to back), handled %v", sent, got)
				}
				break
			}
		}
		n := 0
		for _, by := range l.by {
			if by[chat] > 0 {
				n++
			}
		}
		if n > 1 {
			shared++
		}
	}
	return
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// runReplicas plays the users against 1 then n replicas and compares.
func runReplicas(ctx context.Context, redisURL string, pg *postgres.Store, users, steps int, think time.Duration, n int, chatLimit bool) error {
	if procMode {
		return runProcessReplicas(ctx, redisURL, users, steps, think, n, chatLimit)
	}
	if replicaCPU > 0 || dalilBin != "" {
		return fmt.Errorf("-replica-cpu and -dalil-bin need -processes")
	}
	var rates []float64
	for _, k := range []int{1, n} {
		res, err := runWebhookReplicas(ctx, redisURL, pg, users, steps, think, k, chatLimit)
		if err != nil {
			return err
		}
		rates = append(rates, res.rate())
	}
	fmt.Printf("throughput %d replicas / 1 replica: %.2f\n", n, rates[1]/rates[0])
	return nil
}

// runWebhookReplicas runs one measurement with n replicas.
func runWebhookReplicas(ctx context.Context, redisURL string, pg *postgres.Store, users, steps int, think time.Duration, n int, chatLimit bool) (result, error) {
	in := newInbox(users)
	srv := bottest.New(bottest.Options{NoRecord: true, OnSend: in.onSend})
	defer srv.Close()
	led := newLedger(n)
	sentHook = led.onSent
	defer func() { sentHook = nil }()

	tree, err := dialog.Parse(trees.Default)
	if err != nil {
		return result{}, err
	}
	tr, err := locales.Load()
	if err != nil {
		return result{}, err
	}
	var matcher catalogue.Matcher = pg
	if memCatalogue {
		matcher = catalogue.NewMemory(catalogue.Demo())
	}
	prefix := fmt.Sprintf("load%d", time.Now().UnixNano())

	front := newFront(in, false)
	defer front.Close()
	var handlers []http.Handler

	var hmu sync.Mutex
	handling := make([]time.Duration, 0, users*steps)
	var bots []*bot.Bot
	var rdbs []*redis.Client
	defer func() {
		for _, r := range rdbs {
			r.Close()
		}
	}()
	ropt, err := redis.ParseURL(redisURL)
	if err != nil {
		return result{}, err
	}
	for i := range n {
		client, err := telegram.New(ctx, srv.Token(), srv.APIURL(), nil)
		if err != nil {
			return result{}, err
		}
		o := *ropt
		o.PoolSize = 64
		rdb := redis.NewClient(&o)
		rdbs = append(rdbs, rdb)
		b, err := bot.New(bot.Options{
			Client: client, Store: redisstore.New(rdb, redisstore.Options{Prefix: prefix}),
			Engine:  &dialog.Engine{Tree: tree, NLU: nlu.Default(), T: tr},
			Matcher: matcher, T: tr, ChatInterval: botChatInterval(chatLimit),
			WebhookURL: front.URL + bot.DefaultWebhookPath, WebhookSecret: "load-secret",
			OnHandled: func(id int64, d time.Duration) {
				led.onHandled(i, id)
				hmu.Lock()
				handling = append(handling, d)
				hmu.Unlock()
			},
		})
		if err != nil {
			return result{}, err
		}
		bots = append(bots, b)
		handlers = append(handlers, b.Handler(nil))
	}
	front.backends.Store(&handlers)
	defer cleanup(rdbs[0], prefix)
	bctx, cancel := context.WithCancel(ctx)
	done := make(chan error, n)
	for _, b := range bots {
		go func() { done <- b.Run(bctx) }()
	}
	deadline := time.Now().Add(10 * time.Second)
	for u, _ := srv.Webhook(); u == "" && time.Now().Before(deadline); u, _ = srv.Webhook() {
		time.Sleep(10 * time.Millisecond)
	}
	load0 := loadAverage()
	lat, timeouts, elapsed := play(srv, in, users, steps, think, false)
	load1 := loadAverage()
	burst(srv, in, users, &front.acked, led)
	cancel()
	for range bots {
		if err := <-done; err != nil {
			return result{}, err
		}
	}
	hmu.Lock()
	name := fmt.Sprintf("%dx", n)
	res := result{name: name, updates: users * steps, elapsed: elapsed, handling: handling, reply: lat, timeouts: timeouts}
	hmu.Unlock()
	fmt.Println(res)
	lost, twice, disorder, shared, chats, example := led.check()
	fmt.Printf("       load average before %s, after %s; %d chats: %d updates lost, %d handled twice, %d chats out of order; %d chats served by more than one replica\n",
		load0, load1, chats, lost, twice, disorder, shared)
	if example != "" {
		fmt.Printf("       out of order, for example: %s\n", example)
	}
	return res, nil
}

// ack is closed once an update is queued.
type ack struct {
	once sync.Once
	ch   chan struct{}
}

func newAck() *ack   { return &ack{ch: make(chan struct{})} }
func (a *ack) done() { a.once.Do(func() { close(a.ch) }) }

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) { w.code = code; w.ResponseWriter.WriteHeader(code) }

func (l *ledger) markStrict(id int64) {
	l.mu.Lock()
	l.strict[id] = true
	l.mu.Unlock()
}

// burst sends each user, back to back, a button press, the same press
// again (a redelivery) and /back, each once the previous one is queued,
// then waits for the answers to settle.
func burst(srv *bottest.Server, in *inbox, users int, acked *sync.Map, led *ledger) {
	waitAck := func(id int64) {
		a, _ := acked.LoadOrStore(id, newAck())
		select {
		case <-a.(*ack).ch:
		case <-time.After(10 * time.Second):
		}
	}
	var wg sync.WaitGroup
	for u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			chat := in.base + int64(u)
			m, ok := srv.LastWithButtons(chat)
			if !ok {
				return
			}
			data := m.Buttons[0][0].Data
			up := srv.Press(m, data)
			id, _ := up["update_id"].(int64)
			sentHook(chat, id)
			led.markStrict(id)
			waitAck(id)
			srv.Redeliver(up)
			back := srv.Text(chat, "/back")
			bid, _ := back["update_id"].(int64)
			sentHook(chat, bid)
			led.markStrict(bid)
			waitAck(bid)
		}()
	}
	wg.Wait()
	// Let the answers settle: nothing new for half a second.
	var last int
	for range 40 {
		time.Sleep(500 * time.Millisecond)
		total := 0
		for u := range users {
			total += srv.Count(in.base + int64(u))
		}
		if total == last {
			return
		}
		last = total
	}
}
