package main

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dalil-tt/dalil/bot/bottest"
	"github.com/dalil-tt/dalil/catalogue/postgres/pgtest"
	"github.com/dalil-tt/dalil/internal/proctest"
	"github.com/dalil-tt/dalil/internal/redistest"
)

// The real `dalil serve` against the fake Bot API, a Redis of its own
// (redis-server on a free port) and a fresh PostgreSQL database.

// serve runs runServe with env on a free HTTP port until the test ends.
func serve(t *testing.T, env map[string]string) (addr string, stop func() error) {
	t.Helper()
	env["HTTP_ADDR"] = "127.0.0.1:" + strconv.Itoa(proctest.FreePort(t))
	return serveAt(t, env)
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
	deadline := time.Now().Add(10 * time.Second)
	for {
		if url, secret := srv.Webhook(); url == hook && secret == "the-Secret_42-abcdefgh" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("setWebhook not called with WEBHOOK_URL and WEBHOOK_SECRET")
		}
		time.Sleep(20 * time.Millisecond)
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
	if _, ok := env["PSEUDONYM_KEY"]; !ok {
		env["PSEUDONYM_KEY"] = testPseudonymKey
	}
	addr := env["HTTP_ADDR"]
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	logs := &proctest.LockedBuffer{}
	go func() {
		done <- runServe(ctx, nil, stdio{strings.NewReader(""), io.Discard, logs, func(k string) string { return env[k] }})
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
