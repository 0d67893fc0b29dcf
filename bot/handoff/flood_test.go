package handoff

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dalil-tt/dalil/bot/bottest"
	"github.com/dalil-tt/dalil/internal/lang"
)

// userTexts returns the user texts quoted in the group's relayed messages,
// in order, and how many messages carried them.
func userTexts(t *testing.T, ms []bottest.Message) (texts []string, messages int) {
	t.Helper()
	for _, m := range ms {
		if m.Method != "sendMessage" || !strings.HasPrefix(m.Text, userHeader) {
			continue
		}
		messages++
		texts = append(texts, quotedParts(t, m.Text, m.Params["entities"])...)
	}
	return texts, messages
}

// One user's burst is relayed at the limit's pace, merged, in order, with
// nothing dropped: the first RelayBurst at once, the rest as one message
// when the user's turn comes; a photo in the middle goes alone, in its place.
func TestRelayLimitMergesBursts(t *testing.T) {
	h := newHarness(t, true, func(o *Options) { o.RelayBurst = 0 }) // the defaults
	ctx := context.Background()
	user := int64(1)<<33 + randInt(1e9)
	h.open(user, "Amina", demoState(lang.FR))
	var want []string
	for i := range 30 {
		text := "message " + itoa(int64(i+1))
		want = append(want, text)
		h.wait(h.srv.Text(user, text))
		if i == 14 {
			h.wait(h.srv.Media(user, "photo"))
		}
	}
	if got := h.received(h.group); len(got) != 1+defaultRelayBurst {
		t.Fatalf("at once: %d messages, want the card and %d: %s", len(got), defaultRelayBurst, bottest.Texts(got))
	}
	for range 3 {
		h.clock.Add(defaultRelayEvery)
		if err := h.desk.FlushRelays(ctx); err != nil {
			t.Fatal(err)
		}
	}
	g := h.received(h.group)
	texts, messages := userTexts(t, g)
	if strings.Join(texts, "|") != strings.Join(want, "|") {
		t.Fatalf("texts relayed: %q", texts)
	}
	if messages != defaultRelayBurst+2 || len(g) != 1+messages+1 || g[len(g)-2].Method != "copyMessage" {
		t.Fatalf("%d text messages, want %d, and the photo between them: %s", messages, defaultRelayBurst+2, bottest.Texts(g))
	}
	// Replies to a merged message reach the user.
	if v, err := h.rdb.Get(ctx, h.desk.gkey("msg:"+itoa(g[len(g)-1].ID))).Int64(); err != nil || v != user {
		t.Fatalf("merged message not mapped to the user: %v %v", v, err)
	}
}

// Through the real bot and its rate limits (the group gets 20 messages a
// minute): one user sends 30 messages in a second while in a handoff;
// another user's /adviser still gets its card posted at once and no
// technical error, and the 30 texts all reach the group in a few messages.
func TestFloodDoesNotStarveOtherRequests(t *testing.T) {
	l := startLive(t, true, func(o *Options) {
		o.Now, o.RelayBurst, o.RelayEvery = time.Now, 0, time.Second
		o.Hours = &Hours{Loc: time.UTC, Days: [7]bool{true, true, true, true, true, true, true}, End: 24 * time.Hour}
	})
	flooder := int64(1)<<33 + randInt(1e9)
	other := int64(1)<<34 + randInt(1e9)
	for _, u := range []int64{flooder, other} {
		l.srv.Text(u, "/start")
		if _, ok := l.srv.PressLabel(l.wait(u, 1)[0], "Français"); !ok {
			t.Fatal("no language button")
		}
		l.wait(u, 2)
	}
	l.srv.Text(flooder, "/adviser")
	l.wait(l.group, 1)
	var want []string
	for i := range 30 {
		text := "au secours " + itoa(int64(i+1))
		want = append(want, text)
		l.srv.Text(flooder, text)
	}
	n := len(l.srv.Received(other))
	l.srv.Text(other, "/adviser")
	got := l.wait(other, n+2)[n:]
	for _, m := range got {
		if m.Text == l.tr.T(lang.FR, "TechnicalError", nil) {
			t.Fatalf("the other user got a technical error: %s", bottest.Texts(got))
		}
	}
	cardPosted := false
	for _, m := range l.srv.Received(l.group) {
		cardPosted = cardPosted || (strings.HasPrefix(m.Text, "🆕") && m.ThreadID != l.srv.Received(l.group)[0].ThreadID)
	}
	if !cardPosted {
		t.Fatalf("the other user's card was not posted: %s", bottest.Texts(l.srv.Received(l.group)))
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		texts, messages := userTexts(t, l.srv.Received(l.group))
		if len(texts) == len(want) {
			if strings.Join(texts, "|") != strings.Join(want, "|") || messages > 8 {
				t.Fatalf("%d messages carried %q", messages, texts)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of 30 texts reached the group", len(texts))
		}
		l.srv.WaitReceived(l.group, len(l.srv.Received(l.group))+1, time.Second)
	}
}
