package handoff

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/dalil-tt/dalil/bot/bottest"
	"github.com/dalil-tt/dalil/internal/lang"
)

// openLive takes user through /start and /adviser on the live bot and
// returns the card posted in the group.
func openLive(t *testing.T, l *live, user int64) bottest.Message {
	t.Helper()
	l.srv.Text(user, "/start")
	m := l.wait(user, 1)
	if _, ok := l.srv.PressLabel(m[0], "Français"); !ok {
		t.Fatalf("no language button: %s", bottest.Texts(m))
	}
	l.wait(user, 2)
	l.srv.Text(user, "/adviser")
	l.wait(user, 4)
	card := l.wait(l.group, 1)[0]
	l.settle(user, l.group)
	return card
}

// A relay is an outbox item: the process stops after the user's message is
// saved in the group's outbox and before Telegram took it (a 429 asks to
// come back in a minute). The restarted process sends it, once, and
// records its message id only then: the adviser's reply to it reaches the
// user.
func TestRelaySurvivesARestartBeforeItsSend(t *testing.T) {
	l := startLive(t, false)
	user := 1<<33 + 420000000 + randInt(1e8)
	const lina = 6789671401
	l.srv.SetMember(l.group, lina, "member")
	card := openLive(t, l, user)

	l.srv.Fail("sendMessage", bottest.Fault{Code: 429, RetryAfter: 60})
	l.srv.Text(user, "je cherche un local")
	l.srv.WaitCalls("sendMessage", len(l.srv.Calls("sendMessage"))+1, 10*time.Second)
	l.stop()
	if g := l.srv.Received(l.group); len(g) != 1 {
		t.Fatalf("relayed before the restart: %s", bottest.Texts(g))
	}
	owed, err := l.bopts.Store.Client().LLen(context.Background(), l.bopts.Store.Key(l.group, "out")).Result()
	if err != nil || owed != 1 {
		t.Fatalf("the relay is not owed in the group's outbox: %d (%v)", owed, err)
	}

	l.srv.ClearFaults()
	l.run()
	g := l.wait(l.group, 2)
	if g[1].Text != asRelayed("je cherche un local") || g[1].Params["reply_to_message_id"] != itoa(card.ID) {
		t.Fatalf("relay after the restart: %s", bottest.Texts(g))
	}
	l.settle(user, l.group)
	if g := l.srv.Received(l.group); len(g) != 2 {
		t.Fatalf("relayed twice: %s", bottest.Texts(g))
	}
	n := len(l.srv.Received(user))
	l.groupMsg(lina, "Lina", map[string]any{"text": "Quelle surface ?", "reply_to_message": l.srv.Ref(g[1])})
	if got := l.wait(user, n+2)[n:]; got[1].Text != "Quelle surface ?" {
		t.Fatalf("a reply to the relay sent after the restart: %s", bottest.Texts(got))
	}
}

// An adviser's first answers: the user learns who answers, then gets the
// messages, in the order written, the notice once.
func TestAdviserNoticeBeforeTheAnswers(t *testing.T) {
	l := startLive(t, true)
	user := 1<<33 + 430000000 + randInt(1e8)
	const karim = 6789671402
	l.srv.SetMember(l.group, karim, "member")
	card := openLive(t, l, user)
	n := len(l.srv.Received(user))
	answers := []string{"Bonjour", "je suis Karim", "quel est votre projet ?", "et où ?"}
	for _, a := range answers {
		l.groupMsg(karim, "Karim", inTopic(card.ThreadID, map[string]any{"text": a}))
	}
	l.settle(user, l.group)
	got := l.srv.Received(user)[n:]
	want := append([]string{l.tr.T(lang.FR, "handoff.user.adviser", map[string]any{"Name": "Karim"})}, answers...)
	if len(got) != len(want) {
		t.Fatalf("user got %s, want %q", bottest.Texts(got), want)
	}
	for i, w := range want {
		if got[i].Text != w {
			t.Fatalf("message %d: %q, want %q (all: %s)", i, got[i].Text, w, bottest.Texts(got))
		}
	}
}

// An adviser's update queued twice (Telegram retrying a webhook, a
// process dying before it acknowledged) is relayed once, even when the
// desk's own flag of handled updates is gone: the relay's once key in the
// user's outbox holds.
func TestDuplicateAdviserUpdateRelayedOnce(t *testing.T) {
	l := startLive(t, true)
	user := 1<<33 + 440000000 + randInt(1e8)
	const karim = 6789671403
	l.srv.SetMember(l.group, karim, "member")
	card := openLive(t, l, user)
	n := len(l.srv.Received(user))
	fields := inTopic(card.ThreadID, map[string]any{"text": "Bonjour",
		"from": map[string]any{"id": karim, "is_bot": false, "first_name": "Karim"}})
	u := l.srv.GroupMessage(l.group, karim, fields)
	l.wait(user, n+2)
	l.settle(user, l.group)
	raw, err := json.Marshal(u)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rdb := l.dopts.Redis
	for range 2 {
		keys, err := rdb.Keys(ctx, l.dopts.Prefix+":up:*").Result()
		if err != nil {
			t.Fatal(err)
		}
		if len(keys) > 0 {
			if err := rdb.Del(ctx, keys...).Err(); err != nil {
				t.Fatal(err)
			}
		}
		if err := l.b.Enqueue(ctx, raw); err != nil {
			t.Fatal(err)
		}
		l.settle(user, l.group)
	}
	got := l.srv.Received(user)[n:]
	if len(got) != 2 || !strings.Contains(got[0].Text, "Karim") || got[1].Text != "Bonjour" {
		t.Fatalf("user got %s, want the notice and the answer once", bottest.Texts(got))
	}
}
