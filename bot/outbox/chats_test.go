package outbox_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/dalil-tt/dalil/bot/outbox"
	"github.com/dalil-tt/dalil/dialog"
	"github.com/dalil-tt/dalil/dialog/redisstore"
	"github.com/dalil-tt/dalil/internal/lang"
	"github.com/dalil-tt/dalil/internal/redistest"
)

// testChats returns a conversation store with a prefix of its own on the
// test Redis, and its chats' outboxes.
func testChats(t *testing.T, o redisstore.Options) (*redisstore.Store, *outbox.Chats) {
	t.Helper()
	rdb := redistest.Client(t)
	o.Prefix = redistest.Prefix(t, rdb, "testob")
	st := redisstore.New(rdb, o)
	return st, outbox.NewChats(st)
}

func TestCommitSendInOrder(t *testing.T) {
	ctx := context.Background()
	st, s := testChats(t, redisstore.Options{})
	sess, err := st.Begin(ctx, 42)
	if err != nil {
		t.Fatal(err)
	}
	if sess.Found {
		t.Fatalf("new chat: %+v", sess)
	}
	if _, err := st.Begin(ctx, 42); !errors.Is(err, redisstore.ErrBusy) {
		t.Fatalf("second Begin: got %v, want ErrBusy", err)
	}
	conv := &redisstore.Conversation{State: dialog.State{Lang: lang.ARY, Node: "need"}}
	conv.MarkHandled(7)
	snd, err := s.Commit(ctx, sess, conv, []outbox.Item{{ID: "7.0", Body: []byte(`{"a":1}`)}, {ID: "7.1", Body: []byte(`b|c`)}})
	if err != nil || snd == nil || snd.Head().ID != "7.0" || string(snd.Head().Body) != `{"a":1}` {
		t.Fatalf("commit: %+v %v", snd, err)
	}
	// The conversation lock is free at once; a second commit while sending
	// does not get a second sender: the first one sends its items too.
	sess2, err := st.Begin(ctx, 42)
	if err != nil {
		t.Fatalf("conversation lock kept after commit: %v", err)
	}
	if !sess2.Found || sess2.Conv.State.Lang != lang.ARY || !sess2.Conv.Handled(7) || sess2.Conv.Handled(8) {
		t.Fatalf("reloaded: %+v", sess2.Conv)
	}
	snd2, err := s.Commit(ctx, sess2, &sess2.Conv, []outbox.Item{{ID: "8.0", Body: []byte("c")}})
	if err != nil || snd2 != nil {
		t.Fatalf("second commit got a sender %+v (%v) while one is sending", snd2, err)
	}
	var got []string
	for snd.Head() != nil {
		got = append(got, snd.Head().ID)
		if err := s.Next(ctx, snd, snd.Head().ID); err != nil {
			t.Fatal(err)
		}
	}
	if fmt.Sprint(got) != "[7.0 7.1 8.0]" {
		t.Fatalf("sent %v", got)
	}
	if snd, err := s.Claim(ctx, 42); snd != nil || err != nil {
		t.Fatalf("claim of an empty outbox: %+v %v", snd, err)
	}
}

func TestNextMarksSeveralInOrder(t *testing.T) {
	ctx := context.Background()
	st, s := testChats(t, redisstore.Options{})
	sess, _ := st.Begin(ctx, 11)
	var items []outbox.Item
	for i := range 6 {
		items = append(items, outbox.Item{ID: fmt.Sprintf("5.%d", i), Body: []byte("m")})
	}
	snd, err := s.Commit(ctx, sess, &redisstore.Conversation{}, items)
	if err != nil || len(snd.Items) != 4 {
		t.Fatalf("window: %+v %v", snd, err)
	}
	// An id out of order stops the marking: nothing after it is dropped.
	if err := s.Next(ctx, snd, "5.0", "5.2"); err != nil || snd.Head().ID != "5.1" {
		t.Fatalf("after 5.0,5.2: head %+v %v", snd.Head(), err)
	}
	if err := s.Next(ctx, snd, "5.1", "5.2", "5.3"); err != nil || snd.Head().ID != "5.4" || len(snd.Items) != 2 {
		t.Fatalf("after 5.1-5.3: %+v %v", snd.Items, err)
	}
	if err := s.Next(ctx, snd, "5.4", "5.5"); err != nil || snd.Head() != nil {
		t.Fatalf("end: %+v %v", snd.Items, err)
	}
}

func TestOwedRepliesSurviveACrash(t *testing.T) {
	ctx := context.Background()
	st, s := testChats(t, redisstore.Options{LockTTL: 150 * time.Millisecond})
	sess, _ := st.Begin(ctx, 5)
	dead, err := s.Commit(ctx, sess, &redisstore.Conversation{}, []outbox.Item{{ID: "1.0", Body: []byte("hello|world")}})
	if err != nil || dead == nil {
		t.Fatal(err)
	}
	// The process "dies" here, before sending. Another one finds the reply owed.
	var owed []int64
	if err := s.Owed(ctx, func(c int64) { owed = append(owed, c) }); err != nil || len(owed) != 1 || owed[0] != 5 {
		t.Fatalf("owed: %v %v", owed, err)
	}
	if snd, _ := s.Claim(ctx, 5); snd != nil {
		t.Fatal("claimed while the dead sender's lock is still valid")
	}
	expired(t, st, st.Key(5, "send"))
	snd, err := s.Claim(ctx, 5)
	if err != nil || snd == nil || snd.Head().ID != "1.0" || string(snd.Head().Body) != "hello|world" {
		t.Fatalf("claim: %+v %v", snd, err)
	}
	// The dead sender's late acknowledgement is refused.
	if err := s.Next(ctx, dead, "1.0"); !errors.Is(err, outbox.ErrLockLost) {
		t.Fatalf("stale ack: %v", err)
	}
	if err := s.Next(ctx, snd, "1.0"); err != nil || snd.Head() != nil {
		t.Fatalf("next: %+v %v", snd.Head(), err)
	}
	// A dead conversation lock frees itself too, and a late commit is refused.
	sess, _ = st.Begin(ctx, 6)
	expired(t, st, st.Key(6, "lock"))
	other, err := st.Lock(ctx, 6, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Commit(ctx, sess, &redisstore.Conversation{}, nil); !errors.Is(err, redisstore.ErrLockLost) {
		t.Fatalf("stale commit: %v", err)
	}
	st.Unlock(ctx, other)
}

func TestForgetAndBlocked(t *testing.T) {
	ctx := context.Background()
	st, s := testChats(t, redisstore.Options{})
	sess, _ := st.Begin(ctx, 9)
	snd, _ := s.Commit(ctx, sess, &redisstore.Conversation{State: dialog.State{Source: "fair"}}, []outbox.Item{{ID: "1.0", Body: []byte("x")}})
	s.Next(ctx, snd, "1.0")
	sess, _ = st.Begin(ctx, 9)
	snd, err := s.Commit(ctx, sess, nil, []outbox.Item{{ID: "2.0", Body: []byte("done")}, {ID: "2.1", Body: []byte("more")}})
	if err != nil || snd == nil || snd.Head().ID != "2.0" {
		t.Fatal(err)
	}
	if _, found, _ := st.Load(ctx, 9); found {
		t.Fatal("record kept after forget")
	}
	// Blocked: drop what is owed and free the send lock.
	if err := s.Stop(ctx, snd, true); err != nil {
		t.Fatal(err)
	}
	if n, _ := st.Client().Exists(ctx, st.Key(9, "out"), st.Key(9, "send"), st.Key(9, "lock")).Result(); n != 0 {
		t.Fatalf("%d keys left after the user blocked the bot", n)
	}
}

func expired(t *testing.T, s *redisstore.Store, key string) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(5 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		n, err := s.Client().Exists(ctx, key).Result()
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not expire", key)
		}
		<-tick.C
	}
}

// Once keys are remembered one to two windows, then forgotten: a chat
// never idle (the advisers' group, a key per relay) keeps two windows of
// them, not all. /forget erases both windows.
func TestOnceKeysWindows(t *testing.T) {
	ctx := context.Background()
	st, c := testChats(t, redisstore.Options{})
	at := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	c.Now = func() time.Time { return at }
	c.OnceWindow = time.Hour
	const chat = 1<<32 + 77
	put := func(key string) bool {
		t.Helper()
		added, snd, err := c.Enqueue(ctx, chat, key, []outbox.Item{{ID: key, Body: []byte("x")}})
		if err != nil {
			t.Fatal(err)
		}
		if snd != nil {
			if err := c.Stop(ctx, snd, true); err != nil { // nothing is sent here
				t.Fatal(err)
			}
		}
		return added
	}
	if !put("k1") || put("k1") {
		t.Fatal("k1: want added once")
	}
	at = at.Add(61 * time.Minute) // a new window: k1 in the last one
	if !put("k2") || put("k1") || put("k2") {
		t.Fatal("second window: k2 added once, k1 still known")
	}
	at = at.Add(61 * time.Minute) // k1's window dropped
	if !put("k3") || !put("k1") || put("k2") {
		t.Fatal("third window: k1 forgotten, k2 still known")
	}
	rdb := st.Client()
	if n, _ := rdb.HLen(ctx, st.Key(chat, "enqueued")).Result(); n != 3 { // k3, k1, .t
		t.Fatalf("current window holds %d fields", n)
	}
	sess, err := st.Begin(ctx, chat)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Commit(ctx, sess, nil, nil); err != nil {
		t.Fatal(err)
	}
	if n, _ := rdb.Exists(ctx, st.Key(chat, "enqueued"), st.Key(chat, "enqueued:old")).Result(); n != 0 {
		t.Fatalf("%d once-key hashes left after /forget", n)
	}
}
