package bottest_test

import (
	"context"
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
