package bot_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dalil-tt/dalil/bot"
	"github.com/dalil-tt/dalil/bot/bottest"
	"github.com/dalil-tt/dalil/bot/telegram"
	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/dialog"
	"github.com/dalil-tt/dalil/dialog/nlu"
	"github.com/dalil-tt/dalil/dialog/redisstore"
	"github.com/dalil-tt/dalil/dialog/trees"
	"github.com/dalil-tt/dalil/internal/redistest"
	"github.com/dalil-tt/dalil/locales"
)

// harness runs a real Bot (real engine, real Redis) against the fake Bot API.
type harness struct {
	t      testing.TB
	srv    *bottest.Server
	rdb    *redis.Client
	store  *redisstore.Store
	opts   bot.Options
	b      *bot.Bot
	cancel context.CancelFunc
	done   chan error
	tr     *locales.Catalog
}

func redisURL() string { return redistest.SharedURL() }

func newRedis(t testing.TB, url string) *redis.Client {
	t.Helper()
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("Redis URL %q: %v", url, err)
	}
	opt.MaxRetries = 1
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { rdb.Close() })
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("Redis is not reachable at %s (%v): start it with `redis-server` or set TEST_REDIS_URL", url, err)
	}
	return rdb
}

func engine(t testing.TB) (*dialog.Engine, *locales.Catalog) {
	t.Helper()
	tree, err := dialog.Parse(trees.Default)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	return &dialog.Engine{Tree: tree, NLU: nlu.Default(), T: tr}, tr
}

// start runs a bot; tweak adjusts its options. rdb nil means the test Redis.
func start(t testing.TB, rdb *redis.Client, tweak func(*bot.Options)) *harness {
	t.Helper()
	if rdb == nil {
		rdb = newRedis(t, redisURL())
	}
	prefix := fmt.Sprintf("bt%d", time.Now().UnixNano())
	t.Cleanup(func() {
		ctx := context.Background()
		if keys, _ := rdb.Keys(ctx, prefix+":*").Result(); len(keys) > 0 {
			rdb.Del(ctx, keys...)
		}
	})
	srv := bottest.New(bottest.Options{})
	t.Cleanup(srv.Close)
	eng, tr := engine(t)
	h := &harness{t: t, srv: srv, rdb: rdb, tr: tr,
		store: redisstore.New(rdb, redisstore.Options{Prefix: prefix, LockTTL: 2 * time.Second})}
	h.opts = bot.Options{
		Store: h.store, Engine: eng, T: tr, Matcher: catalogue.NewMemory(catalogue.Demo()),
		ChatInterval: time.Millisecond, ChatBurst: 5, Grace: 3 * time.Second,
		SendBackoff: 20 * time.Millisecond, SendTimeout: 2 * time.Second,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	if testing.Verbose() {
		h.opts.Log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if tweak != nil {
		tweak(&h.opts)
	}
	h.run()
	t.Cleanup(h.stop)
	return h
}

// run starts (or restarts) the bot process on the same Redis and server.
func (h *harness) run() {
	h.t.Helper()
	c, err := telegram.New(context.Background(), h.srv.Token(), h.srv.APIURL(), nil)
	if err != nil {
		h.t.Fatal(err)
	}
	o := h.opts
	o.Client = c
	b, err := bot.New(o)
	if err != nil {
		h.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.b, h.cancel, h.done = b, cancel, make(chan error, 1)
	go func() { h.done <- b.Run(ctx) }()
}

// stop asks the bot to stop and waits for it (SIGTERM).
func (h *harness) stop() {
	if h.cancel == nil {
		return
	}
	h.cancel()
	select {
	case err := <-h.done:
		if err != nil {
			h.t.Errorf("bot stopped with %v", err)
		}
	case <-time.After(15 * time.Second):
		h.t.Error("bot did not stop within 15s")
	}
	h.cancel = nil
}

// wait waits until chat has received n messages in all.
func (h *harness) wait(chat int64, n int) []bottest.Message {
	h.t.Helper()
	ms, err := h.srv.WaitReceived(chat, n, 10*time.Second)
	if err != nil {
		h.t.Fatal(err)
	}
	return ms
}

// settle waits until every update sent so far is handled and chat's
// replies are all sent, and returns everything chat received. It waits on
// that state (the fake server, the bot's update queue and chat's outbox in
// Redis), rechecked on each Bot API call, not for a quiet while: a reply
// that would come late makes it wait, so "nothing more came" is true.
func (h *harness) settle(chat int64) []bottest.Message {
	h.t.Helper()
	var why string
	if !h.srv.WaitFor(func() bool { why = h.busy(chat); return why == "" }, 10*time.Second) {
		h.t.Fatalf("chat %d not settled after 10s (%s): %s", chat, why, texts(h.srv.Received(chat)))
	}
	return h.srv.Received(chat)
}

// partitions is the bot's number of update queue partitions (bot/partition.go).
const partitions = 16

// busy says what is still under way for chat, "" when nothing is: an
// update the bot has not taken from the fake server, one queued and not
// yet handled (the bot deletes it from its partition once its outcome is
// saved, replies included), or replies owed to chat or being sent. With
// Redis down, only the first applies.
func (h *harness) busy(chat int64) string {
	if n := h.srv.Pending(); n > 0 {
		return fmt.Sprintf("%d updates not taken", n)
	}
	st := h.opts.Store
	ctx := context.Background()
	pipe := st.Client().Pipeline()
	lens := make([]*redis.IntCmd, partitions)
	for p := range partitions {
		lens[p] = pipe.XLen(ctx, st.GlobalKey("{updates:"+strconv.Itoa(p)+"}"))
	}
	owed := pipe.LLen(ctx, st.Key(chat, "out"))
	sending := pipe.Exists(ctx, st.Key(chat, "send"))
	if _, err := pipe.Exec(ctx); err != nil {
		// Redis down: the bot handles each batch before confirming it, its
		// notice sent on the way (bot/run.go), and nothing can be queued or
		// owed; the batch's confirmation, checked above, is the event.
		return ""
	}
	for p, l := range lens {
		if l.Val() > 0 {
			return fmt.Sprintf("%d updates queued in partition %d", l.Val(), p)
		}
	}
	if owed.Val() > 0 || sending.Val() > 0 {
		return fmt.Sprintf("%d replies owed, sender %d", owed.Val(), sending.Val())
	}
	return ""
}

// firstQuestion starts chat in French and returns the first question, the
// one with buttons after the language.
func (h *harness) firstQuestion(chat int64) bottest.Message {
	h.t.Helper()
	h.say(chat, "/start")
	h.press(chat, "Français")
	return h.lastButtons(chat)
}

// metrics returns what the bot's /metrics serves now.
func (h *harness) metrics() string {
	h.t.Helper()
	hs := httptest.NewServer(h.b.Handler(nil))
	defer hs.Close()
	return body(h.t, hs.URL+"/metrics")
}

// lastButtons returns the last message of chat with buttons.
func (h *harness) lastButtons(chat int64) bottest.Message {
	h.t.Helper()
	m, ok := h.srv.LastWithButtons(chat)
	if !ok {
		h.t.Fatalf("chat %d has no message with buttons: %s", chat, bottest.Texts(h.srv.Received(chat)))
	}
	return m
}

// press presses the button labelled label on the last message with buttons
// and waits for the answer.
func (h *harness) press(chat int64, label string) []bottest.Message {
	h.t.Helper()
	n := len(h.srv.Received(chat))
	if _, ok := h.srv.PressLabel(h.lastButtons(chat), label); !ok {
		h.t.Fatalf("no button %q in %s", label, bottest.Texts([]bottest.Message{h.lastButtons(chat)}))
	}
	h.wait(chat, n+1)
	return h.settle(chat)[n:]
}

// say sends a text and returns what came back.
func (h *harness) say(chat int64, text string) []bottest.Message {
	h.t.Helper()
	n := len(h.srv.Received(chat))
	h.srv.Text(chat, text)
	h.wait(chat, n+1)
	return h.settle(chat)[n:]
}

// walk answers every question with its first tree button until services
// are shown; it returns every message received.
func (h *harness) walk(chat int64) []bottest.Message {
	h.t.Helper()
	for range 12 {
		ms := h.srv.Received(chat)
		if hasCard(ms) {
			return ms
		}
		m := h.lastButtons(chat)
		data := ""
		for _, row := range m.Buttons {
			for _, b := range row {
				if data == "" && (strings.HasPrefix(b.Data, "c:") || strings.HasPrefix(b.Data, "yn:")) {
					data = b.Data
				}
			}
		}
		if data == "" {
			h.t.Fatalf("no tree button to press: %s", bottest.Texts(ms))
		}
		n := len(ms)
		h.srv.Press(m, data)
		h.wait(chat, n+1)
		h.settle(chat)
	}
	h.t.Fatalf("no services shown after 12 answers: %s", bottest.Texts(h.srv.Received(chat)))
	return nil
}

func hasCard(ms []bottest.Message) bool {
	for _, m := range ms {
		if strings.HasPrefix(m.Text, "1) ") {
			return true
		}
	}
	return false
}

func texts(ms []bottest.Message) string { return bottest.Texts(ms) }

// miniRedis runs a throwaway redis-server on a free port, so a test can stop
// and start it without touching the machine's Redis.
type miniRedis struct {
	t    *testing.T
	port int
	cmd  *exec.Cmd
}

func newMiniRedis(t *testing.T) *miniRedis {
	t.Helper()
	path, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("redis-server is not installed (apt-get install redis-server): %v", err)
	}
	_ = path
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	m := &miniRedis{t: t, port: port}
	m.start()
	t.Cleanup(m.stop)
	return m
}

func (m *miniRedis) url() string { return "redis://127.0.0.1:" + strconv.Itoa(m.port) + "/0" }

func (m *miniRedis) start() {
	m.t.Helper()
	m.cmd = exec.Command("redis-server", "--port", strconv.Itoa(m.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no")
	m.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // never outlive a crashed test
	if err := m.cmd.Start(); err != nil {
		m.t.Fatalf("starting redis-server: %v", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(m.port)); err == nil {
			c.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	m.t.Fatal("redis-server did not start")
}

func (m *miniRedis) stop() {
	if m.cmd == nil || m.cmd.Process == nil {
		return
	}
	_ = m.cmd.Process.Kill()
	_, _ = m.cmd.Process.Wait()
	m.cmd = nil
}
