package handoff

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/dalil-tt/dalil/bot/bottest"
	"github.com/dalil-tt/dalil/bot/telegram"
	"github.com/dalil-tt/dalil/dialog"
	"github.com/dalil-tt/dalil/internal/lang"
	"github.com/dalil-tt/dalil/internal/pseudonym"
	"github.com/dalil-tt/dalil/internal/vocab"
	"github.com/dalil-tt/dalil/locales"
)

func env(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

var migrateOnce sync.Once

func services(t testing.TB) (*redis.Client, *pgxpool.Pool) {
	t.Helper()
	ctx := context.Background()
	ropt, err := redis.ParseURL(env("TEST_REDIS_URL", "redis://127.0.0.1:6379/0"))
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(ropt)
	if err := rdb.Ping(ctx).Err(); err != nil {
		t.Fatalf("Redis is needed (TEST_REDIS_URL, default redis://127.0.0.1:6379/0); start it with `redis-server --daemonize yes`: %v", err)
	}
	t.Cleanup(func() { rdb.Close() })
	dbURL := env("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable")
	var merr error
	migrateOnce.Do(func() { merr = Migrate(ctx, dbURL) })
	if merr != nil {
		t.Fatalf("PostgreSQL is needed (TEST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres); start it (deploy/ scripts or `pg_ctlcluster`): %v", merr)
	}
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return rdb, pool
}

// clock is the injected time.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Set(t time.Time)     { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func (c *fakeClock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }
func casa(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, DefaultHours().Loc)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// harness runs a desk against the fake Bot API server the way the bot
// does: every update goes through Intercept first; what it does not take
// is noted as left to the bot.
type harness struct {
	t      *testing.T
	srv    *bottest.Server
	client *telegram.Client
	rdb    *redis.Client
	pool   *pgxpool.Pool
	tr     *locales.Catalog
	clock  *fakeClock
	group  int64
	opts   Options
	desk   *Desk

	mu        sync.Mutex
	processed map[int64]bool
	handled   chan struct{} // closed and replaced when an update is processed
	toBot     []*telegram.Update
	resumed   []int64
	offset    int64
	stop      context.CancelFunc
	done      chan struct{}
}

func randInt(max int64) int64 {
	n, _ := rand.Int(rand.Reader, big.NewInt(max))
	return n.Int64()
}

func newHarness(t *testing.T, forum bool, tweak func(*Options)) *harness {
	t.Helper()
	rdb, pool := services(t)
	srv := bottest.New(bottest.Options{})
	t.Cleanup(srv.Close)
	ctx := context.Background()
	client, err := telegram.New(ctx, srv.Token(), srv.APIURL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, srv: srv, client: client, rdb: rdb, pool: pool, tr: locales.MustDefault(),
		clock: &fakeClock{t: casa(t, "2026-11-24 10:00")}, // a Tuesday, in office hours
		group: -1000000000000 - randInt(1e9), processed: map[int64]bool{}, handled: make(chan struct{})}
	srv.SetGroup(h.group, "Conseillers", forum)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	h.opts = Options{API: client, Redis: rdb, Records: NewRecords(pool), T: h.tr, AdvisersChatID: h.group,
		Pseudonyms: testKeys(), Now: h.clock.Now,
		// Tests that send many messages in a row relay each at once; the
		// limit's own tests set it back.
		RelayBurst: 100, Prefix: "test:ho:" + hex.EncodeToString(b),
		Resume: ResumeFunc(func(ctx context.Context, chat int64) error {
			h.mu.Lock()
			h.resumed = append(h.resumed, chat)
			h.mu.Unlock()
			return nil
		})}
	if tweak != nil {
		tweak(&h.opts)
	}
	h.start()
	t.Cleanup(h.halt)
	return h
}

// start runs a fresh desk and update loop (a new bot process).
func (h *harness) start() {
	d, err := New(h.opts)
	if err != nil {
		h.t.Fatal(err)
	}
	h.desk = d
	ctx, cancel := context.WithCancel(context.Background())
	h.stop, h.done = cancel, make(chan struct{})
	go func() {
		defer close(h.done)
		for ctx.Err() == nil {
			h.mu.Lock()
			off := h.offset
			h.mu.Unlock()
			ups, err := h.client.GetUpdates(ctx, off, 100, time.Second, nil)
			if err != nil {
				continue
			}
			for i := range ups {
				up := &ups[i]
				if !d.Intercept(ctx, up) {
					h.mu.Lock()
					h.toBot = append(h.toBot, up)
					h.mu.Unlock()
				}
				h.mu.Lock()
				h.processed[up.UpdateID] = true
				h.offset = up.UpdateID + 1
				close(h.handled)
				h.handled = make(chan struct{})
				h.mu.Unlock()
			}
		}
	}()
}

// halt stops the loop, as a process that dies.
func (h *harness) halt() {
	if h.stop != nil {
		h.stop()
		<-h.done
		h.stop = nil
	}
}

// wait waits until the update u (as queued by the fake server) is handled.
func (h *harness) wait(u map[string]any) {
	h.t.Helper()
	id := u["update_id"].(int64)
	timeout := time.NewTimer(5 * time.Second)
	defer timeout.Stop()
	for {
		h.mu.Lock()
		ok, next := h.processed[id], h.handled
		h.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-next:
		case <-timeout.C:
			h.t.Fatalf("update %d not handled", id)
		}
	}
}

func (h *harness) received(chat int64) []bottest.Message { return h.srv.Received(chat) }

// since returns what chat received after the first n messages.
func (h *harness) since(chat int64, n int) []bottest.Message {
	ms := h.srv.Received(chat)
	if len(ms) < n {
		return nil
	}
	return ms[n:]
}

func (h *harness) userState(chat int64) state {
	h.t.Helper()
	s, err := h.desk.load(context.Background(), chat)
	if err != nil {
		h.t.Fatal(err)
	}
	return s
}

func (h *harness) open(chat int64, name string, st dialog.State) {
	h.t.Helper()
	h.srv.SetName(chat, name)
	if err := h.desk.Open(context.Background(), chat, st); err != nil {
		h.t.Fatalf("Open: %v", err)
	}
}

// adviser posts fields as adviser id/name in the group.
func (h *harness) adviser(id int64, name string, fields map[string]any) map[string]any {
	fields["from"] = map[string]any{"id": id, "is_bot": false, "first_name": name}
	u := h.srv.GroupMessage(h.group, id, fields)
	h.wait(u)
	return u
}

func inTopic(thread int64, fields map[string]any) map[string]any {
	fields["message_thread_id"] = thread
	fields["is_topic_message"] = true
	return fields
}

func demoState(l lang.Lang) dialog.State {
	st := dialog.State{V: dialog.StateVersion, Lang: l, Source: "salon-tetouan",
		Notes: []string{"bghit n7el t3awniya dyal l3sel"}, Referred: []string{"indh-agr", "anapec-auto"}}
	st.Codes.Add(vocab.Needs, "funding.microcredit")
	st.Codes.Add(vocab.Provinces, "tetouan")
	st.Codes.Add(vocab.Forms, "cooperative")
	return st
}

// media builds the fields of each relayed message kind.
var mediaKinds = map[string]map[string]any{
	"text":     {"text": "Salam, wach kayn chi tamwil?"},
	"photo":    {"photo": []map[string]any{{"file_id": "Fphoto", "file_unique_id": "Uphoto", "width": 90, "height": 90}}, "caption": "tswira"},
	"document": {"document": map[string]any{"file_id": "Fdoc", "file_unique_id": "Udoc", "file_name": "statuts.pdf"}},
	"voice":    {"voice": map[string]any{"file_id": "Fvoice", "file_unique_id": "Uvoice", "duration": 3}},
	"location": {"location": map[string]any{"latitude": 35.57, "longitude": -5.37}},
	"contact":  {"contact": map[string]any{"phone_number": "+212611111111", "first_name": "Cousin"}},
}

var mediaOrder = []string{"text", "photo", "document", "voice", "location", "contact"}

func copyOf(fields map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range fields {
		out[k] = v
	}
	return out
}

func params(m bottest.Message, k string) string { return m.Params[k] }

func contains(t *testing.T, what, got, want string) {
	t.Helper()
	if !strings.Contains(got, want) {
		t.Fatalf("%s: %q does not contain %q", what, got, want)
	}
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

var _ = fmt.Sprint

type nopCaller struct{}

func (nopCaller) Call(context.Context, string, telegram.Params) (json.RawMessage, error) {
	return json.RawMessage(`true`), nil
}

type nopT struct{}

func (nopT) T(_ lang.Lang, id string, _ map[string]any) string { return id }

// relayed reports whether m carries a message of kind from chat from: a
// text as the same text, anything else as a copy of the original.
func relayed(m bottest.Message, kind string, from int64) bool {
	if kind == "text" {
		want := mediaKinds["text"]["text"].(string)
		if from > 0 { // a user's text reaches the group marked as theirs
			want = asRelayed(want)
		}
		return m.Method == "sendMessage" && m.Text == want
	}
	return m.Method == "copyMessage" && m.Params["from_chat_id"] == itoa(from) && m.Params["message_id"] != ""
}

// asRelayed is a user's text as the advisers see it.
func asRelayed(text string) string { return userHeader + "\n" + text }

// testKeys returns a fresh random pseudonym key, with old ones.
func testKeys(old ...[]byte) pseudonym.Keys {
	k, err := pseudonym.New(randomKey(), old...)
	if err != nil {
		panic(err)
	}
	return k
}

func randomKey() []byte {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return b
}
