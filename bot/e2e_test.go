package bot_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dalil-tt/dalil/bot"
	"github.com/dalil-tt/dalil/bot/bottest"
	"github.com/dalil-tt/dalil/internal/lang"
)

func TestConversationFrench(t *testing.T) {
	h := start(t, nil, func(o *bot.Options) { o.TypingAfter = -1 })
	const chat = 1001
	got := h.say(chat, "/start salon-tanger")
	m := got[len(got)-1]
	for _, want := range []string{"Français", "العربية", "الدارجة"} {
		if !strings.Contains(texts([]bottest.Message{m}), want) {
			t.Fatalf("/start: no %q button: %s", want, texts(got))
		}
	}
	got = h.press(chat, "Français")
	if !strings.Contains(texts(got), "Où en est votre projet") {
		t.Fatalf("after Français: %s", texts(got))
	}
	// The language question's keyboard was removed and the press answered.
	if len(h.srv.Calls("answerCallbackQuery")) != 1 || len(h.srv.Calls("editMessageReplyMarkup")) != 1 {
		t.Fatalf("answer/edit calls: %d/%d", len(h.srv.Calls("answerCallbackQuery")), len(h.srv.Calls("editMessageReplyMarkup")))
	}
	if ms := h.srv.Received(chat); len(ms[0].Buttons) != 0 || ms[0].Edited != 1 {
		t.Fatalf("language keyboard still there: %+v", ms[0])
	}
	all := h.walk(chat)
	if !strings.Contains(texts(all), "+212") && !strings.Contains(texts(all), "@") {
		t.Fatalf("cards show no contact: %s", texts(all))
	}
	t.Logf("conversation:%s", texts(all))
	if len(h.srv.Calls("sendChatAction")) == 0 {
		t.Error("no typing action while looking services up")
	}
	conv, found, err := h.store.Load(context.Background(), chat)
	if err != nil || !found || conv.State.Source != "salon-tanger" || conv.State.Lang != lang.FR || len(conv.State.Referred) == 0 {
		t.Fatalf("stored conversation: %+v %v %v", conv, found, err)
	}
}

func hasArabic(s string) bool {
	for _, r := range s {
		if r >= 0x0600 && r <= 0x06FF {
			return true
		}
	}
	return false
}

func TestConversationArabic(t *testing.T) {
	h := start(t, nil, nil)
	const chat = 1002
	h.say(chat, "/start")
	got := h.press(chat, "العربية")
	if !hasArabic(texts(got)) || strings.Contains(texts(got), "Où en est") {
		t.Fatalf("after العربية: %s", texts(got))
	}
	all := h.walk(chat)
	for _, m := range all {
		if strings.HasPrefix(m.Text, "1) ") && !hasArabic(m.Text) {
			t.Fatalf("card not in Arabic: %q", m.Text)
		}
	}
	// Free text after the referral is understood and answered in Arabic.
	got = h.say(chat, "أحتاج إلى تكوين في التسويق")
	if !hasArabic(texts(got)) {
		t.Fatalf("free text: %s", texts(got))
	}
}

func TestConversationDarija(t *testing.T) {
	h := start(t, nil, nil)
	const chat = 1003
	h.say(chat, "/start")
	got := h.press(chat, "الدارجة")
	if !hasArabic(texts(got)) {
		t.Fatalf("after الدارجة: %s", texts(got))
	}
	// A Darija sentence answers several questions at once.
	got = h.say(chat, "بغيت نفتح تعاونية ديال الفلاحة فشفشاون وخاصني تمويل")
	if !hasArabic(texts(got)) {
		t.Fatalf("free text: %s", texts(got))
	}
	h.walk(chat)
	conv, _, _ := h.store.Load(context.Background(), chat)
	if conv.State.Lang != lang.ARY || len(conv.State.Codes.Provinces) == 0 || conv.State.Codes.Provinces[0] != "chefchaouen" {
		t.Fatalf("state after Darija text: %+v", conv.State)
	}
	// Arabizi too.
	got = h.say(chat, "bghit chi formation f marketing")
	if len(got) == 0 {
		t.Fatal("no answer to Arabizi")
	}
}

// A duplicate reaches the handler when an update is queued again under the
// same update_id (Telegram retrying a webhook that timed out after
// queueing, a process that died before acknowledging): the conversation's
// record of handled updates drops it, so it is answered once. The copies go
// in through the bot's own queue, as the webhook puts them (a fake server
// never gives getUpdates an update below its offset).
func TestDuplicateUpdatesAnsweredOnce(t *testing.T) {
	h := start(t, nil, nil)
	ctx := context.Background()
	const chat = 1<<32 + 1004
	again := func(u map[string]any) {
		t.Helper()
		raw, err := json.Marshal(u)
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := h.b.Enqueue(ctx, raw); err != nil {
				t.Fatal(err)
			}
		}
	}
	u := h.srv.Text(chat, "/start")
	h.wait(chat, 1)
	again(u)
	if ms := h.settle(chat); len(ms) != 1 {
		t.Fatalf("a redelivered update was answered again: %s", texts(ms))
	}
	// A redelivered button press is not applied twice either.
	m := h.lastButtons(chat)
	p, _ := h.srv.PressLabel(m, "Français")
	h.wait(chat, 2)
	n := len(h.settle(chat))
	again(p)
	if ms := h.settle(chat); len(ms) != n {
		t.Fatalf("redelivered press answered again: %s", texts(ms[n:]))
	}
}

func TestConcurrentTapsOneAnswer(t *testing.T) {
	h := start(t, nil, nil)
	const chat = 1005
	q := h.firstQuestion(chat) // "Où en est votre projet ?"
	n := len(h.srv.Received(chat))
	// Two buttons of the same question tapped at once.
	h.srv.Press(q, q.Buttons[0][0].Data)
	h.srv.Press(q, q.Buttons[1][0].Data)
	h.wait(chat, n+2)
	got := h.settle(chat)[n:]
	conv, _, _ := h.store.Load(context.Background(), chat)
	if len(conv.State.Codes.Stages) != 1 {
		t.Fatalf("both taps applied: stages %v", conv.State.Codes.Stages)
	}
	stale := strings.Count(texts(got), h.tr.T(lang.FR, "StaleButton", nil))
	if stale != 1 {
		t.Fatalf("want exactly one stale-button notice, got %d: %s", stale, texts(got))
	}
	if c := len(h.srv.Calls("answerCallbackQuery")); c != 3 {
		t.Fatalf("%d callback answers, want 3 (every press)", c)
	}
	// Both presses came with the keyboard shown, so both remove it; Telegram
	// refuses the second edit as changing nothing, which is no failure.
	removals := 0
	for _, c := range h.srv.Calls("editMessageReplyMarkup") {
		if c.Params["message_id"] == strconv.FormatInt(q.ID, 10) {
			removals++
		}
	}
	if removals != 2 {
		t.Errorf("%d removals of the question's keyboard, want 2 (one per press)", removals)
	}
	editRefusedNotFailed(t, h)
}

func TestStaleButton(t *testing.T) {
	h := start(t, nil, nil)
	const chat = 1006
	old := h.firstQuestion(chat)
	h.press(chat, old.Buttons[0][0].Text)
	// A press on the old question's button (still shown in a slow app).
	n := len(h.srv.Received(chat))
	h.srv.Press(old, old.Buttons[2][0].Data)
	h.wait(chat, n+1)
	got := h.settle(chat)[n:]
	if !strings.Contains(texts(got), h.tr.T(lang.FR, "StaleButton", nil)) {
		t.Fatalf("stale press: %s", texts(got))
	}
	conv, _, _ := h.store.Load(context.Background(), chat)
	if len(conv.State.Codes.Stages) != 1 || conv.State.Codes.Stages[0] != "idea" {
		t.Fatalf("stale press changed the answer: %v", conv.State.Codes.Stages)
	}
}

// A Bot API server whose update ids start again from the first one (a
// test server, a reset local server) is not mistaken for redeliveries.
func TestUpdateIDsStartingAgain(t *testing.T) {
	h := start(t, nil, nil)
	const chat = 1007
	u := h.srv.Text(chat, "/start")
	h.wait(chat, 1)
	h.stop()
	h.srv = bottest.New(bottest.Options{})
	defer h.srv.Close()
	h.run()
	defer h.stop() // before the server closes
	v := h.srv.Text(chat, "/help")
	if u["update_id"] != v["update_id"] {
		t.Fatalf("the new server's first update id %v differs from %v: the test proves nothing", v["update_id"], u["update_id"])
	}
	if got := h.wait(chat, 1); len(got) == 0 {
		t.Fatal("no answer")
	}
}

// A button tapped twice before its keyboard went (a slow network): the
// second tap changes nothing and gets the stale-button notice, and a
// double tap of "back" undoes one step, not two.
func TestDoubleTaps(t *testing.T) {
	h := start(t, nil, nil)
	const chat = 1010
	q := h.firstQuestion(chat) // "Où en est votre projet ?"
	n := len(h.srv.Received(chat))
	h.srv.Press(q, q.Buttons[0][0].Data)
	h.srv.Press(q, q.Buttons[0][0].Data)
	h.srv.WaitCalls("answerCallbackQuery", 3, 10*time.Second) // both taps handled
	h.wait(chat, n+2)
	got := h.settle(chat)[n:]
	if c := strings.Count(texts(got), h.tr.T(lang.FR, "StaleButton", nil)); c != 1 {
		t.Fatalf("want one stale-button notice for the second tap, got %d: %s", c, texts(got))
	}
	conv, _, _ := h.store.Load(context.Background(), chat)
	hist := len(conv.State.Hist)
	if len(conv.State.Codes.Stages) != 1 {
		t.Fatalf("stages %v after a double tap", conv.State.Codes.Stages)
	}

	// One more answer, so that two steps could be undone.
	next := h.lastButtons(chat)
	n = len(h.srv.Received(chat))
	h.srv.Press(next, next.Buttons[0][0].Data)
	h.wait(chat, n+1)
	h.settle(chat)
	conv, _, _ = h.store.Load(context.Background(), chat)
	if hist = len(conv.State.Hist); hist < 2 {
		t.Fatalf("%d steps recorded, want two", hist)
	}
	next = h.lastButtons(chat)
	var back string
	for _, row := range next.Buttons {
		for _, b := range row {
			if strings.HasPrefix(b.Data, "nav:back") {
				back = b.Data
			}
		}
	}
	if back == "" {
		t.Fatalf("no back button on %q", next.Text)
	}
	h.srv.Press(next, back)
	h.srv.Press(next, back)
	h.srv.WaitCalls("answerCallbackQuery", 6, 10*time.Second)
	h.settle(chat)
	conv, _, _ = h.store.Load(context.Background(), chat)
	if len(conv.State.Hist) != hist-1 {
		t.Fatalf("double tap of back: %d steps left of %d, want one undone", len(conv.State.Hist), hist)
	}
}

// A press on a message the user has since deleted: Telegram refuses to
// remove its keyboard ("message to edit not found"), which is no failure;
// the press itself is taken.
func TestPressOnDeletedMessage(t *testing.T) {
	h := start(t, nil, nil)
	const chat = 1011
	h.say(chat, "/start")
	q := h.lastButtons(chat)
	h.srv.Fail("editMessageReplyMarkup", bottest.Fault{Code: 400, Description: "Bad Request: message to edit not found"})
	n := len(h.srv.Received(chat))
	h.srv.Press(q, "lang:fr")
	h.wait(chat, n+1)
	h.settle(chat)
	conv, _, _ := h.store.Load(context.Background(), chat)
	if conv.State.Lang != lang.FR {
		t.Fatalf("the press was not taken: language %q", conv.State.Lang)
	}
	editRefusedNotFailed(t, h)
}

// editRefusedNotFailed checks that Telegram refused one keyboard removal
// and that the refusal did not count as a failed message.
func editRefusedNotFailed(t *testing.T, h *harness) {
	t.Helper()
	m := h.metrics()
	if !strings.Contains(m, `dalil_botapi_errors_total{code="400",method="editMessageReplyMarkup"} 1`) {
		t.Errorf("no keyboard removal was refused, the test proves nothing:\n%s", m)
	}
	if strings.Contains(m, "dalil_messages_failed_total") {
		t.Errorf("a refused keyboard removal counted as a failed message:\n%s", m)
	}
}
