package handoff

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dalil-tt/dalil/bot/bottest"
	"github.com/dalil-tt/dalil/internal/lang"
)

// forgetScene runs two handoffs of one user (the first two days old by the
// time of /forget): texts, a photo, a call-back number, notes and two cards
// in the group.
func forgetScene(t *testing.T, h *harness, user, adviser int64) {
	t.Helper()
	h.srv.SetMember(h.group, adviser, "member")
	h.open(user, "Amina", demoState(lang.ARY))
	card := h.received(h.group)[0]
	to := func(text string) map[string]any {
		f := map[string]any{"text": text}
		if card.ThreadID != 0 {
			return inTopic(card.ThreadID, f)
		}
		f["reply_to_message"] = h.srv.Ref(card)
		return f
	}
	h.wait(h.srv.Text(user, "Ana Amina, sakna f Derb Sidi Ali 12, Chefchaouen"))
	photo := copyOf(mediaKinds["photo"])
	delete(photo, "caption")
	h.wait(h.srv.Message(user, photo))
	h.clock.Add(time.Hour)
	if err := h.desk.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.wait(h.srv.Text(user, "0612345678"))
	h.adviser(adviser, "Nadia", to("/pending")) // a list naming her
	h.adviser(adviser, "Nadia", to("/close"))
	// Two days later she is back.
	h.srv.Age(h.group, 49*time.Hour)
	h.clock.Add(49 * time.Hour)
	h.open(user, "Amina", demoState(lang.ARY))
	h.wait(h.srv.Text(user, "Rani 3awdt, nemra dyali 0698765432"))
	h.adviser(adviser, "Nadia", map[string]any{"text": "/pending"}) // outside her topic
}

// personal reports whether a group message still shows something of the
// user: her name, her address, a number, her words.
func personal(m bottest.Message) bool {
	if m.Deleted {
		return false
	}
	text := m.Text + m.Params["caption"]
	for _, s := range []string{"Amina", "Derb", "0612345678", "0698765432", "3awdt", "bghit n7el"} {
		if strings.Contains(text, s) {
			return true
		}
	}
	return m.Method == "copyMessage" // a copied photo shows her photo
}

// /forget removes the user from the advisers' group: in a forum whose
// topics the bot may not delete, the topic is renamed and closed, recent
// messages are deleted, older texts are overwritten, every card says the
// request was erased, and the user is told honestly that an old photo
// could not be removed.
func TestForgetCleansTheGroup(t *testing.T) {
	h := newHarness(t, true, nil)
	user := int64(1)<<33 + randInt(1e9)
	forgetScene(t, h, user, int64(1)<<33+randInt(1e9))
	thread := h.received(h.group)[0].ThreadID
	h.srv.Fail("deleteForumTopic", bottest.Fault{Code: 400, Description: "Bad Request: not enough rights to delete the topic"})

	notice, err := h.desk.ForgetNotice(context.Background(), user, lang.ARY)
	if err != nil {
		t.Fatal(err)
	}
	if want := h.tr.T(lang.ARY, "handoff.user.forget.left", map[string]any{"Count": 1}); notice != want {
		t.Fatalf("told the user %q, want %q", notice, want)
	}
	var left []bottest.Message
	cards, lists := 0, 0
	for _, m := range h.received(h.group) {
		if personal(m) {
			left = append(left, m)
		}
		if m.Text == erasedCard {
			cards++
		}
		if m.Text == erasedList {
			lists++
		}
	}
	if len(left) != 1 || left[0].Method != "copyMessage" {
		t.Fatalf("what the user was not told about is left in the group: %s", bottest.Texts(left))
	}
	if cards != 2 {
		t.Fatalf("%d cards say the request was erased, want 2: %s", cards, bottest.Texts(h.received(h.group)))
	}
	if lists != 1 { // the old one overwritten, the recent one deleted
		t.Fatalf("%d lists overwritten, want 1: %s", lists, bottest.Texts(h.received(h.group)))
	}
	renamed := false
	for _, c := range h.srv.Calls("editForumTopic") {
		renamed = renamed || (c.Params["name"] == erasedTopic && c.Params["message_thread_id"] == itoa(thread))
	}
	if !renamed || len(h.srv.Calls("closeForumTopic")) == 0 {
		t.Fatalf("topic not renamed and closed: %+v", h.srv.Calls("editForumTopic"))
	}
	keys, err := h.rdb.Keys(context.Background(), h.opts.Prefix+":{chat:"+itoa(user)+"}:*").Result()
	if err != nil || len(keys) != 0 {
		t.Fatalf("keys left after /forget: %q %v", keys, err)
	}
}

// Where the group allows it, the topic is deleted with all it holds,
// whatever its age; in a plain group, recent messages are deleted and the
// card overwritten. The user is told the group was cleaned too.
func TestForgetDeletesTopicOrMessages(t *testing.T) {
	for _, forum := range []bool{true, false} {
		h := newHarness(t, forum, nil)
		user := int64(1)<<33 + randInt(1e9)
		adviser := int64(1)<<33 + randInt(1e9)
		if forum {
			forgetScene(t, h, user, adviser)
		} else {
			h.srv.SetMember(h.group, adviser, "member")
			h.open(user, "Amina", demoState(lang.FR))
			h.wait(h.srv.Text(user, "Ana Amina, sakna f Derb Sidi Ali 12"))
			h.wait(h.srv.Media(user, "photo"))
		}
		notice, err := h.desk.ForgetNotice(context.Background(), user, lang.AR)
		if err != nil {
			t.Fatal(err)
		}
		if want := h.tr.T(lang.AR, "handoff.user.forget.group", nil); notice != want {
			t.Fatalf("forum %v: told the user %q, want %q", forum, notice, want)
		}
		for _, m := range h.received(h.group) {
			if personal(m) {
				t.Fatalf("forum %v: left in the group: %s", forum, bottest.Texts([]bottest.Message{m}))
			}
		}
		if n := len(h.srv.Calls("deleteForumTopic")); forum != (n == 1) {
			t.Fatalf("forum %v: %d topics deleted", forum, n)
		}
	}
}
