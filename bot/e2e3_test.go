package bot_test

import (
	"context"
	"fmt"
	"github.com/dalil-tt/dalil/locales"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dalil-tt/dalil/bot"
	"github.com/dalil-tt/dalil/bot/bottest"
	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/catalogue/postgres"
	"github.com/dalil-tt/dalil/catalogue/postgres/pgtest"
	"github.com/dalil-tt/dalil/internal/lang"
	"github.com/dalil-tt/dalil/internal/proctest"
	"github.com/dalil-tt/dalil/internal/vocab"
)

func TestEveryMessageType(t *testing.T) {
	h := start(t, nil, nil)
	const chat = 3001
	h.say(chat, "/start")
	h.press(chat, "Français")
	unsupported := h.tr.T(lang.FR, "Unsupported", nil)
	for _, kind := range []string{"sticker", "photo", "voice", "document", "video", "audio", "video_note", "animation", "contact"} {
		n := len(h.srv.Received(chat))
		h.srv.Media(chat, kind)
		h.wait(chat, n+1)
		if got := h.settle(chat)[n:]; !strings.Contains(texts(got), unsupported) {
			t.Errorf("%s: %s", kind, texts(got))
		}
	}
	// A shared location in Tétouan answers "which province".
	n := len(h.srv.Received(chat))
	h.srv.Location(chat, 35.5711, -5.3724)
	h.wait(chat, n+1)
	h.settle(chat)
	conv, _, _ := h.store.Load(context.Background(), chat)
	if len(conv.State.Codes.Provinces) != 1 || conv.State.Codes.Provinces[0] != "tetouan" {
		t.Errorf("location: provinces %v", conv.State.Codes.Provinces)
	}
	// A very long message is answered.
	if got := h.say(chat, strings.Repeat("je cherche un financement pour ma coopérative ", 90)[:4000]); len(got) == 0 {
		t.Error("no answer to a 4000-character message")
	}
	// A quick correction (edited message) is read again.
	u := h.srv.Text(chat, "tangr")
	h.wait(chat, n+1)
	h.settle(chat)
	n = len(h.srv.Received(chat))
	h.srv.Edit(u, "je suis à Tanger")
	h.wait(chat, n+1)
	h.settle(chat)
	conv, _, _ = h.store.Load(context.Background(), chat)
	if !strings.Contains(strings.Join(conv.State.Codes.Provinces, ","), "tanger-assilah") {
		t.Errorf("edited message not understood: %v", conv.State.Codes.Provinces)
	}
	// Every command answers.
	for _, c := range []string{"/help", "/language", "/back", "/restart", "/adviser", "/unknown"} {
		if got := h.say(chat, c); len(got) == 0 {
			t.Errorf("%s: no answer", c)
		}
	}
}

func TestGroupToldOnceToTalkInPrivate(t *testing.T) {
	h := start(t, nil, nil)
	const group = -100500
	h.srv.SetGroup(group, "Coopératives Tanger", false)
	h.srv.GroupText(group, 7, "bonjour tout le monde") // not for the bot
	h.srv.GroupText(group, 7, "/start@"+bottest.BotUsername)
	ms := h.wait(group, 1)
	if !strings.Contains(ms[0].Text, "privé") || !hasArabic(ms[0].Text) || len(ms[0].Buttons) != 1 || strings.Contains(ms[0].Text, "/link") ||
		!strings.Contains(ms[0].Buttons[0][0].URL, "t.me/"+bottest.BotUsername) {
		t.Fatalf("group notice: %+v", ms[0])
	}
	h.srv.GroupText(group, 8, "/help@"+bottest.BotUsername)
	if ms := h.settle(group); len(ms) != 1 {
		t.Fatalf("group told more than once: %s", texts(ms))
	}
}

func TestSendFailuresRetried(t *testing.T) {
	var logs proctest.LockedBuffer
	h := start(t, nil, func(o *bot.Options) { o.Log = slog.New(slog.NewTextHandler(&logs, nil)) })
	const chat = 3002
	// 429 with retry_after: waited, then sent.
	h.srv.Fail("sendMessage", bottest.Fault{Code: 429, RetryAfter: 1})
	start := time.Now()
	h.say(chat, "/start")
	if el := time.Since(start); el < time.Second {
		t.Fatalf("429 retry_after 1 not waited (%v)", el)
	}
	// 5xx twice and a timeout: retried until sent, once.
	h.srv.Fail("sendMessage", bottest.Fault{Code: 502, Times: 2})
	h.srv.Fail("sendMessage", bottest.Fault{Delay: 2500 * time.Millisecond})
	got := h.press(chat, "Français")
	if strings.Count(texts(got), "Très bien, continuons") != 1 {
		t.Fatalf("after 5xx and timeout: %s", texts(got))
	}
	// A message Telegram refuses (400) is dropped, logged, and the rest goes on.
	help := h.tr.T(lang.FR, "Help", nil)
	h.srv.Fail("sendMessage", bottest.Fault{Code: 400})
	n := len(h.srv.Received(chat))
	h.srv.Text(chat, "/help")
	if got := h.settle(chat)[n:]; len(got) != 0 {
		t.Fatalf("400: %s", texts(got))
	}
	if got := h.say(chat, "/help"); !strings.Contains(got[0].Text, help[:20]) {
		t.Fatalf("after a 400: %s", texts(got))
	}
	metrics := h.metrics()
	for _, want := range []string{
		`dalil_botapi_errors_total{code="429",method="sendMessage"} 1`,
		`dalil_botapi_errors_total{code="502",method="sendMessage"} 2`,
		`dalil_botapi_errors_total{code="0",method="sendMessage"} 1`,
		`dalil_ratelimit_waits_total{limit="retry_after"} 1`,
		`dalil_messages_failed_total{reason="rejected"} 1`,
		`dalil_update_handling_seconds_count`,
		`dalil_updates_total{outcome="handled"}`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	// The logs say what happened, without the bot token.
	for _, want := range []string{
		`msg="Bot API asked to slow down; waiting and retrying" method=sendMessage`,
		`msg="Bot API call failed; retrying" method=sendMessage`,
		`code=502`,
		`msg="reply not delivered, dropped"`,
	} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %s:\n%s", want, logs.String())
		}
	}
	if strings.Contains(logs.String(), h.srv.Token()) {
		t.Errorf("the bot token is in the logs")
	}
}

func body(t testing.TB, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func TestBlockedUserNothingKeptPending(t *testing.T) {
	h := start(t, nil, nil)
	const chat = 3003
	h.say(chat, "/start")
	h.srv.Block(chat)
	h.srv.Press(h.lastButtons(chat), "lang:fr")
	h.srv.WaitCalls("sendMessage", 2, 5*time.Second)
	// Until the press is handled and its sender has given up (or timeout:
	// the assertions below tell what is left).
	h.srv.WaitFor(func() bool { return h.busy(chat) == "" }, 10*time.Second)
	// One refused call, no retries, nothing left owed.
	var refused int
	for _, c := range h.srv.Calls("sendMessage") {
		if c.Code == 403 {
			refused++
		}
	}
	if refused != 1 {
		t.Fatalf("%d calls refused with 403, want 1 (no retry)", refused)
	}
	if n, _ := h.rdb.Exists(context.Background(), h.store.Key(chat, "out"), h.store.Key(chat, "send")).Result(); n != 0 {
		t.Fatal("replies still owed to a user who blocked the bot")
	}
}

func TestForget(t *testing.T) {
	var forgotten []int64
	h := start(t, nil, func(o *bot.Options) {
		o.Forget = func(ctx context.Context, chat int64) error { forgotten = append(forgotten, chat); return nil }
	})
	const chat = 3004
	h.say(chat, "/start")
	h.press(chat, "Français")
	got := h.say(chat, "/forget")
	if !strings.Contains(texts(got), h.tr.T(lang.FR, "ForgetConfirm", nil)) {
		t.Fatalf("/forget: %s", texts(got))
	}
	got = h.press(chat, "Oui")
	if !strings.Contains(texts(got), "C'est fait") {
		t.Fatalf("confirm: %s", texts(got))
	}
	if _, found, _ := h.store.Load(context.Background(), chat); found {
		t.Fatal("conversation kept after /forget")
	}
	if len(forgotten) != 1 || forgotten[0] != chat {
		t.Fatalf("forget hook: %v", forgotten)
	}
}

func TestSetupAndHealth(t *testing.T) {
	h := start(t, nil, nil)
	// A Bot API server without setMyShortDescription does not stop the menus.
	h.srv.Fail("setMyShortDescription", bottest.Fault{Code: 404})
	if err := h.b.Setup(context.Background()); err == nil || !strings.Contains(err.Error(), "setMyShortDescription") {
		t.Fatalf("Setup: %v", err)
	}
	for _, code := range []string{"", "fr", "ar"} {
		cmds := h.srv.Commands(code)
		for _, c := range []string{"start", "help", "language", "back", "restart", "adviser", "forget"} {
			if !strings.Contains(cmds, `"command":"`+c+`"`) {
				t.Errorf("menu %q lacks /%s: %s", code, c, cmds)
			}
		}
		if code == "ar" && !hasArabic(cmds) {
			t.Errorf("Arabic menu not in Arabic: %s", cmds)
		}
	}
	if n := len(h.srv.Calls("setMyDescription")); n != 3 {
		t.Errorf("%d setMyDescription calls", n)
	}
	hs := httptest.NewServer(h.b.Handler(nil))
	defer hs.Close()
	if get(t, hs.URL+"/healthz") != 200 || get(t, hs.URL+"/readyz") != 200 {
		t.Fatal("health endpoints")
	}
}

// TestPostgresDown closes the catalogue's pool: PostgreSQL went away.
func TestPostgresDown(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDB(t)
	if err := postgres.Migrate(ctx, url); err != nil {
		t.Fatal(err)
	}
	pg, err := postgres.Open(ctx, url, locales.MustDefault())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pg.Import(ctx, catalogue.Demo(), postgres.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	h := start(t, nil, func(o *bot.Options) {
		o.Matcher = pg
		o.Ready = []bot.Check{{Name: "postgres", Fn: pg.Ping}}
	})
	const chat = 3005
	h.say(chat, "/start")
	h.press(chat, "Français")
	all := h.walk(chat) // services from PostgreSQL
	if !hasCard(all) {
		t.Fatal("no card")
	}
	h.say(chat, "/restart")
	pg.Close() // the database goes away
	hs := httptest.NewServer(h.b.Handler(nil))
	defer hs.Close()
	if code := get(t, hs.URL+"/readyz"); code != 503 {
		t.Fatalf("/readyz with PostgreSQL down: %d", code)
	}
	got := h.say(chat, "je cherche un microcrédit pour une coopérative agricole à Tanger, je suis une femme et je démarre")
	for range 8 {
		if strings.Contains(texts(got), h.tr.T(lang.FR, "TechnicalError", nil)) {
			break
		}
		m := h.lastButtons(chat)
		n := len(h.srv.Received(chat))
		h.srv.Press(m, m.Buttons[0][0].Data)
		h.wait(chat, n+1)
		got = h.settle(chat)[n:]
	}
	if !strings.Contains(texts(got), h.tr.T(lang.FR, "TechnicalError", nil)) {
		t.Fatalf("PostgreSQL down: %s", texts(got))
	}
}

// wideCatalogue is five services that fit every project.
func wideCatalogue() *catalogue.Memory {
	var svcs []*catalogue.Service
	for i := range 5 {
		s := *catalogue.Demo()[0]
		s.ID = fmt.Sprintf("wide-%d", i)
		s.Needs, s.Stages, s.Forms = vocab.Values[vocab.Needs], vocab.Values[vocab.Stages], vocab.Values[vocab.Forms]
		s.Sectors, s.Provinces, s.Areas = vocab.Values[vocab.Sectors], vocab.Values[vocab.Provinces], vocab.Values[vocab.Areas]
		s.Publics = nil
		svcs = append(svcs, &s)
	}
	return catalogue.NewMemory(svcs)
}

func TestReferralPages(t *testing.T) {
	handled := make(chan int64, 64)
	h := start(t, nil, func(o *bot.Options) {
		o.PageSize = 1
		o.Matcher = wideCatalogue()
		o.OnHandled = func(id int64, _ time.Duration) {
			select {
			case handled <- id:
			default: // the test reads only the last ones
			}
		}
	})
	const chat = 1<<32 + 3006
	h.say(chat, "/start")
	h.press(chat, "Français")
	all := h.walk(chat)
	var more bottest.Message
	for _, m := range all {
		for _, row := range m.Buttons {
			if strings.HasPrefix(row[0].Data, "pg:") {
				more = m
			}
		}
	}
	if more.ID == 0 {
		t.Fatalf("no 'more' button with one service per page: %s", texts(all))
	}
	if strings.Contains(texts(all), "2) ") {
		t.Fatalf("second service shown before 'more': %s", texts(all))
	}
	n := len(h.srv.Received(chat))
	h.srv.Press(more, more.Buttons[0][0].Data)
	h.wait(chat, n+1)
	got := h.settle(chat)[n:]
	if !strings.HasPrefix(got[0].Text, "2) ") {
		t.Fatalf("next page: %s", texts(got))
	}
	// The same button again (an old message) shows nothing twice: once
	// the press is handled, the pages metric below and the list kept by
	// the engine say no page was added.
	for len(handled) > 0 {
		<-handled
	}
	n = len(h.srv.Received(chat))
	h.srv.Press(more, more.Buttons[0][0].Data)
	select {
	case <-handled:
	case <-time.After(10 * time.Second):
		t.Fatal("second press of 'more' not handled")
	}
	if got := h.srv.Received(chat)[n:]; strings.Contains(texts(got), "2) ") {
		t.Fatalf("page shown twice: %s", texts(got))
	}
	conv, _, _ := h.store.Load(context.Background(), chat)
	if len(conv.State.Referred) < 2 {
		t.Fatalf("services shown not recorded: %v", conv.State.Referred)
	}
	// Paging is the engine's: the list and how much of it was shown are in
	// its state.
	if l := conv.State.List; l == nil || l.Shown != 2 {
		t.Fatalf("list kept %+v: want the engine's list with 2 shown", l)
	}
	metrics := h.metrics()
	for _, want := range []string{
		`dalil_referral_pages_total 1`,          // the stale press is not a page
		`dalil_referral_services_shown_total 2`, // one per page
		`dalil_referral_codes_total{code="`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if !regexp.MustCompile(`dalil_referrals_total\{outcome="(matched|widened)"\} 1\n`).MatchString(metrics) {
		t.Errorf("referral not counted:\n%s", metrics)
	}
}
