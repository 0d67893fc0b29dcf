package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dalil-tt/dalil/bot/bottest"
	"github.com/dalil-tt/dalil/catalogue/postgres/pgtest"
	"github.com/dalil-tt/dalil/internal/proctest"
	"github.com/dalil-tt/dalil/internal/redistest"
)

// The real `dalil serve` against the fake Bot API, a Redis of its own
// (redis-server on a free port) and a fresh PostgreSQL database.

// serve runs serve with env on a free HTTP port until the test ends.
func serve(t *testing.T, env map[string]string) (addr string, stop func() error) {
	t.Helper()
	return serveWith(t, env, nil)
}

// serveWith is serve, giving opened the Main once it is open and before it
// runs (to hook its clients).
func serveWith(t *testing.T, env map[string]string, opened func(*Main)) (addr string, stop func() error) {
	t.Helper()
	env["HTTP_ADDR"] = "127.0.0.1:" + strconv.Itoa(proctest.FreePort(t))
	return serveAtWith(t, env, opened)
}

func TestServeLongPolling(t *testing.T) {
	srv := bottest.New(bottest.Options{})
	t.Cleanup(srv.Close) // after serve has stopped (cleanups run last first)
	env := map[string]string{
		"TELEGRAM_BOT_TOKEN": srv.Token(), "TELEGRAM_API_URL": srv.APIURL(),
		"REDIS_URL": redistest.URL(t), "DATABASE_URL": pgtest.NewDB(t),
	}
	addr, stop := serve(t, env)
	const chat = 555001
	srv.Text(chat, "/start")
	ms, err := srv.WaitReceived(chat, 1, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Français", "العربية", "الدارجة"} {
		if !strings.Contains(bottest.Texts(ms), want) {
			t.Fatalf("/start lacks %q: %s", want, bottest.Texts(ms))
		}
	}
	srv.Press(ms[0], "lang:ary")
	ms, err = srv.WaitReceived(chat, 2, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ms[1].Text, "بالدارجة") || len(ms[1].Buttons) == 0 {
		t.Fatalf("after الدارجة: %s", bottest.Texts(ms))
	}
	// Command menus in French and Arabic, and a description.
	if !strings.Contains(srv.Commands("fr"), `"forget"`) || !strings.Contains(srv.Commands("ar"), `"adviser"`) ||
		len(srv.Calls("setMyDescription")) == 0 {
		t.Errorf("menus: fr %s / ar %s", srv.Commands("fr"), srv.Commands("ar"))
	}
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/metrics": 200} {
		resp, err := http.Get("http://" + addr + path)
		if err != nil || resp.StatusCode != want {
			t.Fatalf("%s: %v %v", path, resp, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if path == "/metrics" && !strings.Contains(string(b), `dalil_updates_total{outcome="handled"} 2`) {
			t.Errorf("metrics: %s", b)
		}
	}
	if err := stop(); err != nil {
		t.Fatalf("serve stopped with %v", err)
	}
}

func TestServeWebhook(t *testing.T) {
	srv := bottest.New(bottest.Options{})
	t.Cleanup(srv.Close) // after serve has stopped (cleanups run last first)
	port := proctest.FreePort(t)
	hook := "http://127.0.0.1:" + strconv.Itoa(port) + "/telegram/hook"
	env := map[string]string{
		"TELEGRAM_BOT_TOKEN": srv.Token(), "TELEGRAM_API_URL": srv.APIURL(), "REDIS_URL": redistest.URL(t),
		"WEBHOOK_URL": hook, "WEBHOOK_SECRET": "the-Secret_42-abcdefgh",
	}
	env["HTTP_ADDR"] = "127.0.0.1:" + strconv.Itoa(port) // where WEBHOOK_URL points
	_, stop := serveAt(t, env)
	if !srv.WaitFor(func() bool {
		url, secret := srv.Webhook()
		return url == hook && secret == "the-Secret_42-abcdefgh"
	}, 10*time.Second) {
		t.Fatal("setWebhook not called with WEBHOOK_URL and WEBHOOK_SECRET")
	}
	const chat = 555002
	srv.Text(chat, "/start")
	if _, err := srv.WaitReceived(chat, 1, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	code, err := srv.PostWebhook(context.Background(), map[string]any{"message": map[string]any{"message_id": 5, "text": "/help",
		"chat": map[string]any{"id": chat, "type": "private"}}}, "not-the-secret")
	if err != nil || code != 401 {
		t.Fatalf("wrong secret: %d %v", code, err)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

// testPseudonymKey is the PSEUDONYM_KEY the tests run serve with.
const testPseudonymKey = "5f0c2a9e81d34b7aa6e0c3f19b2d4e8871c6a0f3d95e2b4c7a1f8e3d6b9c0a24"

// serveAt is serve with HTTP_ADDR already chosen (and, unless env says
// otherwise, the test pseudonym key).
func serveAt(t *testing.T, env map[string]string) (string, func() error) {
	t.Helper()
	return serveAtWith(t, env, nil)
}

// serveAtWith runs what runServe runs (newMain, Open, Run, Close), with
// the test's logs and a look at the Main between Open and Run.
func serveAtWith(t *testing.T, env map[string]string, opened func(*Main)) (string, func() error) {
	t.Helper()
	if _, ok := env["PSEUDONYM_KEY"]; !ok {
		env["PSEUDONYM_KEY"] = testPseudonymKey
	}
	addr := env["HTTP_ADDR"]
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	logs := &proctest.LockedBuffer{}
	t.Cleanup(func() { // after serve has stopped
		if t.Failed() {
			t.Logf("serve's log (%s):\n%s", addr, logs)
		}
	})
	go func() {
		done <- func() error {
			m, err := newMain(func(k string) string { return env[k] })
			if err != nil {
				return err
			}
			m.Log = slog.New(slog.NewTextHandler(logs, nil))
			defer m.Close()
			if err := m.Open(ctx); err != nil {
				return err
			}
			if opened != nil {
				opened(m)
			}
			return m.Run(ctx)
		}()
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
			break
		}
		select {
		case err := <-done:
			t.Fatalf("serve stopped at start: %v\n%s", err, logs)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start:\n%s", logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	var once sync.Once
	var err error
	stop := func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-done:
			case <-time.After(20 * time.Second):
				t.Error("serve did not stop within 20s")
			}
		})
		return err
	}
	t.Cleanup(func() { stop() })
	return addr, stop
}

func TestServeMissingToken(t *testing.T) {
	code, _, stderr := runWithEnv(t, map[string]string{}, "", "serve")
	if code == 0 || !strings.Contains(stderr, "TELEGRAM_BOT_TOKEN") || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

// TELEGRAM_CHAT_RATE_LIMIT=0 lets a chat's replies go without the per-chat
// wait (about one a second by default): a burst of commands is answered
// with no chat-limit wait counted.
func TestServeChatRateLimitOff(t *testing.T) {
	srv := bottest.New(bottest.Options{})
	t.Cleanup(srv.Close)
	addr, stop := serve(t, map[string]string{
		"TELEGRAM_BOT_TOKEN": srv.Token(), "TELEGRAM_API_URL": srv.APIURL(),
		"REDIS_URL": redistest.URL(t), "TELEGRAM_CHAT_RATE_LIMIT": "0",
	})
	const chat = 555003
	const n = 9 // more than the burst the per-chat limit allows
	for range n {
		srv.Text(chat, "/help")
	}
	if _, err := srv.WaitReceived(chat, n, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.Contains(string(b), `dalil_ratelimit_waits_total{limit="chat"}`) {
		t.Errorf("replies waited for the per-chat limit that was turned off:\n%s", b)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

// serve opens one PostgreSQL pool. After a conversation, a recorded
// handoff and a tree watcher at work, every connection to serve's database
// carries the pool's application_name and they are no more than the pool's
// MaxConns; the catalogue's match index was built once; Close leaves none.
func TestServeOnePool(t *testing.T) {
	logs := &proctest.LockedBuffer{} // the storage packages log through slog's default
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(logs, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })
	srv := bottest.New(bottest.Options{})
	t.Cleanup(srv.Close)
	const group, user = -1001234567890 - 11, int64(1)<<33 + 5150
	srv.SetGroup(group, "Conseillers", true)
	srv.SetName(user, "Amina")
	db := pgtest.NewDB(t)
	u, err := url.Parse(db)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("pool_max_conns", "4") // pgx's default depends on the CPUs
	u.RawQuery = q.Encode()
	var m *Main
	_, stop := serveWith(t, map[string]string{
		"TELEGRAM_BOT_TOKEN": srv.Token(), "TELEGRAM_API_URL": srv.APIURL(),
		"REDIS_URL": redistest.URL(t), "DATABASE_URL": u.String(),
		"ADVISERS_CHAT_ID": strconv.Itoa(group), "HANDOFF_HOURS": "Mon-Sun 00:00-24:00",
	}, func(opened *Main) { m = opened })
	if got := m.DB.Config().MaxConns; got != 4 {
		t.Fatalf("the pool's MaxConns is %d, not DATABASE_URL's pool_max_conns=4", got)
	}
	if m.Requests == nil {
		t.Error("no requests store with DATABASE_URL")
	}
	if m.RequestPeople != m.Bot {
		t.Error("the bot is not the requests' person side")
	}
	wait := func(chat int64, n int) []bottest.Message { return received(t, srv, chat, n) }
	srv.Text(user, "/start")
	srv.Press(wait(user, 1)[0], "lang:fr")
	wait(user, 2)
	srv.Text(user, "/adviser")
	wait(group, 1)

	ctx := context.Background()
	mon, err := pgx.Connect(ctx, db) // not named: counted apart
	if err != nil {
		t.Fatal(err)
	}
	defer mon.Close(ctx)
	count := func() (named, all int) {
		t.Helper()
		if err := mon.QueryRow(ctx, `SELECT count(*) FILTER (WHERE application_name = $1), count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid()`, poolAppName).Scan(&named, &all); err != nil {
			t.Fatal(err)
		}
		return named, all
	}
	var handoffs int
	if !proctest.WaitFor(10*time.Second, func() bool {
		return mon.QueryRow(ctx, `SELECT count(*) FROM handoffs`).Scan(&handoffs) == nil && handoffs == 1
	}) {
		t.Fatalf("the handoff was not recorded (%d rows)", handoffs)
	}
	named, all := count()
	t.Logf("serve holds %d connections to its database (pool MaxConns 4)", all)
	if named == 0 || named != all || all > 4 {
		t.Errorf("serve holds %d connections to its database, %d of them from its pool (%q); want 1 to 4, all from the pool", all, named, poolAppName)
	}
	if n := strings.Count(logs.String(), `msg="catalogue index built" index="match index"`); n != 1 {
		t.Errorf("the match index was built %d times, want once:\n%s", n, logs)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if !proctest.WaitFor(5*time.Second, func() bool { _, all := count(); return all == 0 }) {
		_, all := count()
		t.Errorf("%d connections left after serve stopped", all)
	}
}

// The pool's size is DATABASE_URL's pool_max_conns when given, at least
// defaultPoolConns otherwise; its connections are named for
// pg_stat_activity unless the URL names them.
func TestOpenPoolSizeAndName(t *testing.T) {
	ctx := context.Background()
	db := pgtest.NewDB(t)
	for _, c := range []struct {
		query   string
		max     int32
		appName string
	}{
		{"", defaultPoolConns, poolAppName},
		{"pool_max_conns=3&application_name=ops", 3, "ops"},
	} {
		u, err := url.Parse(db)
		if err != nil {
			t.Fatal(err)
		}
		if c.query != "" {
			u.RawQuery += "&" + c.query
		}
		pool, err := openPool(ctx, u.String())
		if err != nil {
			t.Fatal(err)
		}
		var name string
		err = pool.QueryRow(ctx, "SELECT current_setting('application_name')").Scan(&name)
		if got := pool.Config().MaxConns; got < c.max || (c.query != "" && got != c.max) || err != nil || name != c.appName {
			t.Errorf("%q: MaxConns %d, application_name %q (%v); want %d, %q", c.query, got, name, err, c.max, c.appName)
		}
		pool.Close()
	}
}
