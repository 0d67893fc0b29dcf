package bot_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dalil-tt/dalil/bot"
	"github.com/dalil-tt/dalil/bot/bottest"
	"github.com/dalil-tt/dalil/bot/telegram"
	"github.com/dalil-tt/dalil/internal/lang"
	"github.com/dalil-tt/dalil/internal/proctest"
)

func TestRestartMidConversation(t *testing.T) {
	h := start(t, nil, nil)
	const chat = 2001
	q := h.firstQuestion(chat)
	h.stop() // SIGTERM
	h.run()  // a new process on the same Redis
	n := len(h.srv.Received(chat))
	h.srv.Press(q, q.Buttons[0][0].Data)
	h.wait(chat, n+1)
	got := h.settle(chat)[n:]
	if !strings.Contains(texts(got), "De quoi avez-vous besoin") {
		t.Fatalf("after restart the conversation did not go on: %s", texts(got))
	}
}

func TestCrashBeforeSendingRepliesOwedSentOnce(t *testing.T) {
	h := start(t, nil, func(o *bot.Options) { o.Grace = 300 * time.Millisecond })
	const chat = 2002
	// Telegram hangs: the reply is saved as owed but cannot be sent before
	// the process is stopped.
	h.srv.Fail("sendMessage", bottest.Fault{Delay: 20 * time.Second, Times: 100})
	h.srv.Text(chat, "/start")
	// The sender is at Telegram (hanging) only once the reply is saved.
	if !h.srv.WaitFor(func() bool { return h.srv.Counts()["sendMessage"] > 0 }, 5*time.Second) {
		t.Fatal("the reply was never sent to Telegram")
	}
	h.stop()
	if ms := h.srv.Received(chat); len(ms) != 0 {
		t.Fatalf("received %s before the restart", texts(ms))
	}
	h.srv.ClearFaults()
	h.run()
	ms := h.wait(chat, 1)
	if !strings.Contains(ms[0].Text, "Choisissez votre langue") {
		t.Fatalf("owed reply: %s", texts(ms))
	}
	if ms := h.settle(chat); len(ms) != 1 {
		t.Fatalf("owed reply sent %d times: %s", len(ms), texts(ms))
	}
}

func TestRedisStoppedAndStarted(t *testing.T) {
	mr := newMiniRedis(t)
	rdb := newRedis(t, mr.url())
	h := start(t, rdb, func(o *bot.Options) { o.LockWait = 500 * time.Millisecond })
	const chat = 2003
	h.say(chat, "/start")
	hs := httptest.NewServer(h.b.Handler(nil))
	defer hs.Close()
	if code := get(t, hs.URL+"/readyz"); code != 200 {
		t.Fatalf("/readyz with Redis up: %d", code)
	}

	mr.stop()
	got := h.say(chat, "bonjour")
	if !strings.Contains(texts(got), h.tr.T(lang.FR, "TechnicalError", nil)) {
		t.Fatalf("Redis down: %s", texts(got))
	}
	if code := get(t, hs.URL+"/readyz"); code != 503 {
		t.Fatalf("/readyz with Redis down: %d", code)
	}

	mr.start()
	// The client's pool, after failing to dial, tries again in the
	// background about once a second: the bot is back once /readyz says so
	// (a user who writes before is told to try again in a moment).
	if !h.srv.WaitFor(func() bool { return get(t, hs.URL+"/readyz") == 200 }, 10*time.Second) {
		t.Fatal("/readyz not 200 within 10s of Redis coming back")
	}
	got = h.say(chat, "/start")
	if !strings.Contains(texts(got), "Choisissez votre langue") {
		t.Fatalf("Redis back: %s", texts(got))
	}
}

func get(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// startWebhook starts a bot in webhook mode (secret s3cret-Token_1) behind
// a test server, once it has registered its webhook.
func startWebhook(t *testing.T, tweak func(*bot.Options)) *harness {
	t.Helper()
	var handler atomic.Value
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hnd, _ := handler.Load().(http.Handler)
		if hnd == nil {
			http.Error(w, "starting", 503)
			return
		}
		hnd.ServeHTTP(w, r)
	}))
	t.Cleanup(hook.Close)
	h := start(t, nil, func(o *bot.Options) {
		o.WebhookURL = hook.URL + "/tg/hook"
		o.WebhookSecret = "s3cret-Token_1"
		if tweak != nil {
			tweak(o)
		}
	})
	handler.Store(http.Handler(h.b.Handler(nil)))
	if !h.srv.WaitFor(func() bool {
		url, secret := h.srv.Webhook()
		return url == hook.URL+"/tg/hook" && secret == "s3cret-Token_1"
	}, 5*time.Second) {
		t.Fatal("setWebhook not called with the URL and secret")
	}
	return h
}

func TestWebhookSecret(t *testing.T) {
	h := startWebhook(t, nil)
	const chat = 2004
	// The fake server posts with the registered secret, like Telegram.
	u := h.srv.Text(chat, "/start")
	h.wait(chat, 1)

	ctx := context.Background()
	if code, err := h.srv.PostWebhook(ctx, map[string]any{"message": map[string]any{"message_id": 99, "text": "/help",
		"chat": map[string]any{"id": chat, "type": "private"}}}, "wrong"); err != nil || code != 401 {
		t.Fatalf("wrong secret: %d %v", code, err)
	}
	if code, err := h.srv.PostWebhook(ctx, map[string]any{"message": map[string]any{"message_id": 99, "text": "/help",
		"chat": map[string]any{"id": chat, "type": "private"}}}, ""); err != nil || code != 401 {
		t.Fatalf("no secret: %d %v", code, err)
	}
	// Telegram redelivers an update: answered once.
	if code, err := h.srv.PostWebhook(ctx, u, "s3cret-Token_1"); err != nil || code != 200 {
		t.Fatalf("redelivery: %d %v", code, err)
	}
	if ms := h.settle(chat); len(ms) != 1 {
		t.Fatalf("webhook: %s", texts(ms))
	}
	got := h.press(chat, "Français")
	if !strings.Contains(texts(got), "Où en est votre projet") {
		t.Fatalf("webhook conversation: %s", texts(got))
	}
}

// A press that Intercept takes (the adviser desk, while a person holds the
// conversation) is answered by it, with its own text (a toast), and by
// nothing else: Telegram takes one answer per press, so neither the bot
// after it nor the webhook's reply to Telegram may answer it too.
func TestInterceptedPressAnsweredOnceByItsTaker(t *testing.T) {
	var h *harness
	h = startWebhook(t, func(o *bot.Options) {
		o.Intercept = func(ctx context.Context, up *telegram.Update) bool {
			cq := up.CallbackQuery
			if cq == nil || cq.Data != "busy" {
				return false
			}
			c, err := telegram.New(ctx, h.srv.Token(), h.srv.APIURL(), nil)
			if err == nil {
				_, err = c.Call(ctx, "answerCallbackQuery", telegram.Params{"callback_query_id": cq.ID, "text": "Un conseiller vous répond"})
			}
			if err != nil {
				t.Errorf("intercept: %v", err)
			}
			return true
		}
	})
	const chat = 2005
	h.srv.Text(chat, "/start")
	q := h.wait(chat, 1)[0]
	h.srv.Press(q, "busy")
	if !proctest.WaitFor(5*time.Second, func() bool { return len(h.srv.Calls("answerCallbackQuery")) > 0 }) {
		t.Fatal("the press was not answered")
	}
	// A second answer would come from the webhook's reply (the post is
	// done once settled) or from the bot's own answer (its senders are done
	// once it stopped).
	h.settle(chat)
	h.stop()
	answers := h.srv.Calls("answerCallbackQuery")
	if len(answers) != 1 || answers[0].Webhook || answers[0].Params["text"] != "Un conseiller vous répond" {
		t.Fatalf("answers to the press: %+v, want the handler's one, with its text", answers)
	}
}

// TestTwoReplicas runs two bot processes on the same Redis and Bot API:
// both poll (the fake server, unlike Telegram, gives both every update, as
// a redelivery storm would), both consume the queue. Every update is still
// answered exactly once and no answer is lost.
func TestTwoReplicas(t *testing.T) {
	h := start(t, nil, nil)
	second := &harness{t: t, srv: h.srv, rdb: h.rdb, store: h.store, opts: h.opts, tr: h.tr}
	second.run()
	defer second.stop()
	chats := []int64{4001, 4002, 4003, 4004, 4005, 4006}
	for _, c := range chats {
		h.srv.Text(c, "/start")
	}
	for _, c := range chats {
		h.wait(c, 1)
	}
	for _, c := range chats {
		h.srv.PressLabel(h.lastButtons(c), "Français")
	}
	for _, c := range chats {
		h.wait(c, 2)
	}
	for _, c := range chats {
		q := h.lastButtons(c)
		// Two quick taps on the same question, handled by either replica.
		h.srv.Press(q, q.Buttons[0][0].Data)
		h.srv.Press(q, q.Buttons[1][0].Data)
	}
	for _, c := range chats {
		ms := h.wait(c, 4)
		if ms := h.settle(c); len(ms) != 4 {
			t.Errorf("chat %d: %d messages, want 4 (start, language, next question, stale notice): %s", c, len(ms), texts(ms))
		}
		if !strings.HasPrefix(ms[0].Text, "👋") {
			t.Errorf("chat %d: %s", c, texts(ms))
		}
		conv, _, _ := h.store.Load(context.Background(), c)
		if len(conv.State.Codes.Stages) != 1 {
			t.Errorf("chat %d: stages %v: both taps applied", c, conv.State.Codes.Stages)
		}
	}
}

// TestKilledConsumerTakesBackItsUpdates: a process of an earlier version
// read an update from the single queue of those versions (dalil:updates)
// and was killed before handling it; the bot started again moves what is
// left there, read or not, to the 16 partition streams (migrateLegacy in
// bot/partition.go) and handles it at once. The partitions' own case (a
// holder killed with updates read but not acknowledged, its leases still
// running) is TestRestartedInPlaceTakesBackAtOnce.
func TestKilledConsumerTakesBackItsUpdates(t *testing.T) {
	h := start(t, nil, nil)
	h.stop()
	ctx := context.Background()
	const chat = 2005
	raw := `{"update_id":77001,"message":{"message_id":1,"date":1,"text":"/start","chat":{"id":2005,"type":"private"}}}`
	key := h.store.GlobalKey("updates")
	h.rdb.XGroupCreateMkStream(ctx, key, "bot", "0") // made by the first run, or now
	if err := h.rdb.XAdd(ctx, &redis.XAddArgs{Stream: key, Values: []any{"u", raw}}).Err(); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	if err := h.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "bot", Consumer: host, Streams: []string{key, ">"}, Count: 1}).Err(); err != nil {
		t.Fatal(err)
	}
	h.run()
	ms, err := h.srv.WaitReceived(chat, 1, 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ms[0].Text, "Choisissez votre langue") {
		t.Fatalf("%s", texts(ms))
	}
}
