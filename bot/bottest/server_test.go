package bottest_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dalil-tt/dalil/bot/bottest"
	"github.com/dalil-tt/dalil/bot/telegram"
)

// The fake server answers the Bot API calls a client makes and shows a
// test what each chat received.
func TestFakeServerRoundTrip(t *testing.T) {
	srv := bottest.New(bottest.Options{})
	defer srv.Close()
	ctx := context.Background()
	c, err := telegram.New(ctx, srv.Token(), srv.APIURL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	// A user in a forum group replies to a message the bot sent there.
	srv.SetGroup(-100, "Conseillers", true)
	sent, err := c.SendMessage(ctx, -100, "résumé", nil)
	if err != nil {
		t.Fatal(err)
	}
	got := srv.Received(-100)
	srv.GroupMessage(-100, 9, map[string]any{"text": "je m'en occupe", "reply_to_message": srv.Ref(got[0]),
		"message_thread_id": 3, "is_topic_message": true})
	ups, err := c.GetUpdates(ctx, 0, 10, time.Second, nil)
	if err != nil || len(ups) != 1 {
		t.Fatalf("%v %+v", err, ups)
	}
	m := ups[0].Message
	if m.Chat.Type != "supergroup" || !m.Chat.IsForum || m.MessageThreadID != 3 || m.ReplyToMessage == nil ||
		m.ReplyToMessage.MessageID != sent.MessageID || m.From.ID != 9 {
		t.Fatalf("group reply: %+v", m)
	}
	// Topics and copies.
	raw, err := c.Call(ctx, "createForumTopic", telegram.Params{"chat_id": "-100", "name": "Client 42"})
	if err != nil || !strings.Contains(string(raw), "message_thread_id") {
		t.Fatalf("createForumTopic: %s %v", raw, err)
	}
	if _, err := c.Call(ctx, "copyMessage", telegram.Params{"chat_id": "42", "from_chat_id": "-100", "message_id": "1"}); err != nil {
		t.Fatal(err)
	}
	if ms := srv.Received(42); len(ms) != 1 || ms[0].Method != "copyMessage" {
		t.Fatalf("copy: %+v", ms)
	}
	if n := len(srv.Calls("sendMessage")); n != 1 {
		t.Fatalf("%d sendMessage calls recorded", n)
	}
}

// TestNoRecordKeepsWhatMayBePressed: a load run's server keeps no history,
// but the last message with buttons can still be pressed and edited, and
// messages are counted.
func TestNoRecordKeepsWhatMayBePressed(t *testing.T) {
	s := bottest.New(bottest.Options{NoRecord: true})
	defer s.Close()
	call := func(method string, p url.Values) {
		t.Helper()
		resp, err := http.PostForm(s.APIURL()+"/bot"+s.Token()+"/"+method, p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", method, resp.StatusCode)
		}
	}
	kb := `{"inline_keyboard":[[{"text":"A","callback_data":"c:a"}]]}`
	call("sendMessage", url.Values{"chat_id": {"5"}, "text": {"q1"}, "reply_markup": {kb}})
	call("sendMessage", url.Values{"chat_id": {"5"}, "text": {"note"}})
	call("sendMessage", url.Values{"chat_id": {"5"}, "text": {"q2"}, "reply_markup": {kb}})
	if n := s.Count(5); n != 3 {
		t.Fatalf("count %d, want 3", n)
	}
	if got := s.Received(5); len(got) != 0 {
		t.Fatalf("NoRecord kept a history: %v", got)
	}
	m, ok := s.LastWithButtons(5)
	if !ok || m.Text != "q2" {
		t.Fatalf("last with buttons: %+v %v", m, ok)
	}
	call("editMessageReplyMarkup", url.Values{"chat_id": {"5"}, "message_id": {strconv.FormatInt(m.ID, 10)}, "reply_markup": {`{"inline_keyboard":[]}`}})
	if m, ok := s.LastWithButtons(5); !ok || m.Text != "q1" {
		t.Fatalf("after q2's keyboard went: %+v %v", m, ok)
	}
}

// WaitCalls returns as soon as the calls are recorded, and reports how many
// came when they do not.
func TestWaitCalls(t *testing.T) {
	srv := bottest.New(bottest.Options{})
	defer srv.Close()
	ctx := context.Background()
	c, err := telegram.New(ctx, srv.Token(), srv.APIURL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	const chat = int64(1) << 33
	errs := make(chan error, 1)
	go func() {
		for i := range 3 {
			if _, err := c.SendMessage(ctx, chat, "m"+strconv.Itoa(i), nil); err != nil {
				errs <- err
				return
			}
		}
		errs <- nil
	}()
	if calls := srv.WaitCalls("sendMessage", 3, 10*time.Second); len(calls) != 3 {
		t.Fatalf("WaitCalls: %d calls, want 3", len(calls))
	}
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	if calls := srv.WaitCalls("sendMessage", 4, 50*time.Millisecond); len(calls) != 3 {
		t.Fatalf("a fourth call that never comes: %d calls", len(calls))
	}
}
