package partners_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/redis/go-redis/v9"

	"github.com/dalil-tt/dalil/bot"
	"github.com/dalil-tt/dalil/bot/bottest"
	"github.com/dalil-tt/dalil/bot/outbox"
	"github.com/dalil-tt/dalil/bot/partners"
	"github.com/dalil-tt/dalil/bot/telegram"
	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/catalogue/postgres/pgtest"
	"github.com/dalil-tt/dalil/dialog"
	"github.com/dalil-tt/dalil/dialog/nlu"
	"github.com/dalil-tt/dalil/dialog/redisstore"
	"github.com/dalil-tt/dalil/dialog/trees"
	"github.com/dalil-tt/dalil/internal/lang"
	"github.com/dalil-tt/dalil/internal/pseudonym"
	"github.com/dalil-tt/dalil/internal/redistest"
	"github.com/dalil-tt/dalil/internal/vocab"
	"github.com/dalil-tt/dalil/locales"
	"github.com/dalil-tt/dalil/requests"
	rqpg "github.com/dalil-tt/dalil/requests/postgres"
	"github.com/dalil-tt/dalil/staff"
)

const wait = 10 * time.Second

func randInt(max int64) int64 {
	n, _ := rand.Int(rand.Reader, big.NewInt(max))
	return n.Int64()
}

// people records what the person would be told, once per request and
// status as the bot's outbox does (requests.People).
type people struct {
	mu      sync.Mutex
	changed []requests.Request
	seen    map[string]bool
}

func (p *people) Changed(ctx context.Context, r *requests.Request) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if k := r.ID + ":" + string(r.Status); !p.seen[k] {
		if p.seen == nil {
			p.seen = map[string]bool{}
		}
		p.seen[k] = true
		p.changed = append(p.changed, *r)
	}
	return nil
}
func (p *people) Lapsed(ctx context.Context, r *requests.Request) error { return nil }
func (p *people) FollowUp(ctx context.Context, r *requests.Request, n int) error {
	return nil
}
func (p *people) all() []requests.Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]requests.Request(nil), p.changed...)
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// names names the test's organisation and services.
type names struct{}

func (names) Org(ctx context.Context, id string, l lang.Lang) string {
	if id == "org-a" {
		return map[lang.Lang]string{lang.FR: "Association Amal", lang.AR: "جمعية أمل"}[l]
	}
	return ""
}
func (names) Service(ctx context.Context, id string, l lang.Lang) string {
	return map[lang.Lang]string{lang.FR: "Microcrédit jeunes", lang.AR: "قروض صغرى للشباب"}[l]
}

// harness runs a real bot (real Redis outbox) against the fake Bot API,
// with the partners' Intercept plugged in, on the PostgreSQL store.
type harness struct {
	t      *testing.T
	srv    *bottest.Server
	rdb    *redis.Client
	store  *rqpg.Store
	people *people
	clock  *clock
	p      *partners.Partners
	opts   partners.Options
	b      *bot.Bot
	group  int64
	keys   pseudonym.Keys
}

func redisClient(t *testing.T) *redis.Client { return redistest.Client(t) }

// newStore is the requests store on a fresh PostgreSQL database.
func newStore(t *testing.T) *rqpg.Store {
	t.Helper()
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, pgtest.NewDB(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	if err := staff.MigrateDB(ctx, db); err != nil {
		t.Fatal(err)
	}
	if err := rqpg.MigrateDB(ctx, db); err != nil {
		t.Fatal(err)
	}
	return rqpg.New(pool)
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	rdb := redisClient(t)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	prefix := "pt" + hex.EncodeToString(b)
	t.Cleanup(func() {
		ctx := context.Background()
		if keys, _ := rdb.Keys(ctx, prefix+"*").Result(); len(keys) > 0 {
			rdb.Del(ctx, keys...)
		}
	})
	srv := bottest.New(bottest.Options{})
	t.Cleanup(srv.Close)
	tree, err := dialog.Parse(trees.Default)
	if err != nil {
		t.Fatal(err)
	}
	tr := locales.MustDefault()
	keys, err := pseudonym.New([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, srv: srv, rdb: rdb, store: newStore(t), people: &people{},
		clock: &clock{t: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}, group: -1000000000000 - randInt(1e9), keys: keys}
	srv.SetGroup(h.group, "Association Amal", false)
	client, err := telegram.New(context.Background(), srv.Token(), srv.APIURL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	// The partners first (the bot takes their hooks at construction),
	// their outbox the bot built next.
	h.opts = partners.Options{Store: h.store, Out: lateBot{h}, People: h.people, T: tr, Names: names{},
		Orgs:       func(context.Context) ([]string, error) { return []string{"org-a", "org-b"}, nil },
		Pseudonyms: keys, Redis: rdb, Prefix: prefix + ":partners", BotName: bottest.BotUsername, Now: h.clock.Now, Log: log}
	h.p = h.partners()
	h.b, err = bot.New(bot.Options{Client: client, Store: redisstore.New(rdb, redisstore.Options{Prefix: prefix + ":bot"}),
		Engine: &dialog.Engine{Tree: tree, NLU: nlu.Default(), T: tr}, Matcher: catalogue.NewMemory(catalogue.Demo()), T: tr,
		ChatInterval: time.Millisecond, GroupWindow: time.Second, SendBackoff: 20 * time.Millisecond, Grace: 2 * time.Second, Log: log,
		Intercept: h.p.Intercept, AfterSend: h.p.AfterSend(),
		Migrated: func(ctx context.Context, from, to int64) { h.p.Moved(ctx, from, to) }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.b.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return h
}

// lateBot is the harness's bot as the partners' outbox, bound once built.
type lateBot struct{ h *harness }

func (l lateBot) Put(ctx context.Context, chat int64, once string, msgs ...outbox.Message) (bool, error) {
	return l.h.b.Put(ctx, chat, once, msgs...)
}

func (l lateBot) AnswerPress(ctx context.Context, chat int64, id, text string) error {
	return l.h.b.AnswerPress(ctx, chat, id, text)
}

// partners builds another Partners on the same store, Redis and outbox
// (a restart, or another replica).
func (h *harness) partners() *partners.Partners {
	p, err := partners.New(h.opts)
	if err != nil {
		h.t.Fatal(err)
	}
	return p
}

// linked links the harness's group to org-a in l.
func (h *harness) linked(l lang.Lang) {
	h.t.Helper()
	ctx := context.Background()
	code, err := h.store.NewLinkCode(ctx, "org-a", l, h.clock.Now().Add(time.Hour))
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.store.Link(ctx, code, h.group, h.clock.Now()); err != nil {
		h.t.Fatal(err)
	}
}

// request records a request just sent to org-a.
func (h *harness) request(id string) *requests.Request {
	h.t.Helper()
	r := &requests.Request{ID: id, Service: "svc-1", Org: "org-a", Chat: 5_000_000_000 + randInt(1e9),
		Shared: requests.Shared{FirstName: "Salma", Lang: lang.ARY, Facts: vocab.Codes{Needs: []string{"funding.microcredit"}, Provinces: []string{"tetouan"}},
			Question: "Bghit nft7 mahal dyal l7lwa", Phone: "+212600000001"},
		Status: requests.Sent, SentAt: h.clock.Now()}
	if err := h.store.Create(context.Background(), r); err != nil {
		h.t.Fatal(err)
	}
	return r
}

// card delivers r and returns its card as the group received it.
func (h *harness) card(r *requests.Request) bottest.Message {
	h.t.Helper()
	n := len(h.srv.Received(h.group))
	if err := h.p.Deliver(context.Background(), r); err != nil {
		h.t.Fatal(err)
	}
	ms, err := h.srv.WaitReceived(h.group, n+1, wait)
	if err != nil {
		h.t.Fatal(err)
	}
	// The card's id is kept once it is sent.
	if !h.srv.WaitFor(func() bool {
		id, err := h.rdb.Get(context.Background(), fmt.Sprintf("%s:card:%d:%s", h.opts.Prefix, h.group, r.ID)).Int64()
		return err == nil && id == ms[n].ID
	}, wait) {
		h.t.Fatal("the card's message id was not kept")
	}
	return ms[n]
}

// message is the group's message id as it stands now.
func (h *harness) message(id int64) bottest.Message {
	for _, m := range h.srv.Received(h.group) {
		if m.ID == id {
			return m
		}
	}
	h.t.Fatalf("no message %d in the group", id)
	return bottest.Message{}
}

// waitEdited waits until the message was edited n times in all.
func (h *harness) waitEdited(id int64, n int) bottest.Message {
	h.t.Helper()
	if !h.srv.WaitFor(func() bool { return h.message(id).Edited >= n }, wait) {
		h.t.Fatalf("message %d edited %d times, want %d: %q", id, h.message(id).Edited, n, h.message(id).Text)
	}
	return h.message(id)
}

func data(m bottest.Message) []string {
	var out []string
	for _, row := range m.Buttons {
		for _, b := range row {
			out = append(out, b.Data)
		}
	}
	return out
}

func hasButton(m bottest.Message, d string) bool {
	for _, v := range data(m) {
		if v == d {
			return true
		}
	}
	return false
}

// answers are the texts the presses were answered with, in order.
func (h *harness) answers(n int) []string {
	h.t.Helper()
	calls := h.srv.WaitCalls("answerCallbackQuery", n, wait)
	if len(calls) < n {
		h.t.Fatalf("%d presses answered, want %d", len(calls), n)
	}
	var out []string
	for _, c := range calls {
		out = append(out, c.Params["text"])
	}
	return out
}

// acts are the organisation's actions recorded on a request (not the
// person's or the clock's events).
func (h *harness) acts(id string) []rqpg.Event {
	h.t.Helper()
	evs, err := h.store.Events(context.Background(), id)
	if err != nil {
		h.t.Fatal(err)
	}
	var out []rqpg.Event
	for _, e := range evs {
		switch requests.Status(e.Kind) {
		case requests.Accepted, requests.Declined, requests.Contacted, requests.Helped, requests.NotHelped:
			out = append(out, e)
		}
	}
	return out
}
