package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dalil-tt/dalil/dialog"
	"github.com/dalil-tt/dalil/dialog/redisstore"
	"github.com/dalil-tt/dalil/internal/lang"
	"github.com/dalil-tt/dalil/internal/redistest"
	"github.com/dalil-tt/dalil/internal/vocab"
)

// testStore returns a store with a prefix of its own on the test Redis.
func testStore(t *testing.T, o redisstore.Options) *redisstore.Store {
	t.Helper()
	rdb := redistest.Client(t)
	o.Prefix = redistest.Prefix(t, rdb, "test")
	return redisstore.New(rdb, o)
}

func TestCommitAndReload(t *testing.T) {
	ctx := context.Background()
	s := testStore(t, redisstore.Options{LockTTL: 150 * time.Millisecond})
	sess, err := s.Begin(ctx, 42)
	if err != nil {
		t.Fatal(err)
	}
	if sess.Found {
		t.Fatalf("new chat: %+v", sess)
	}
	if _, err := s.Begin(ctx, 42); !errors.Is(err, redisstore.ErrBusy) {
		t.Fatalf("second Begin: got %v, want ErrBusy", err)
	}
	conv := &redisstore.Conversation{State: dialog.State{Lang: lang.ARY, Node: "need"}}
	conv.MarkHandled(7)
	if head, err := s.Commit(ctx, sess, conv, nil); err != nil || head != nil {
		t.Fatalf("commit: %v %v", head, err)
	}
	// The conversation lock is free at once.
	sess2, err := s.Begin(ctx, 42)
	if err != nil {
		t.Fatalf("conversation lock kept after commit: %v", err)
	}
	if !sess2.Found || sess2.Conv.State.Lang != lang.ARY || !sess2.Conv.Handled(7) || sess2.Conv.Handled(8) {
		t.Fatalf("reloaded: %+v", sess2.Conv)
	}
	// A dead conversation lock frees itself, and a late commit is refused.
	expired(t, s, s.Key(42, "lock"))
	other, err := s.Lock(ctx, 42, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Commit(ctx, sess2, &redisstore.Conversation{}, nil); !errors.Is(err, redisstore.ErrLockLost) {
		t.Fatalf("stale commit: %v", err)
	}
	// Erasing (/forget) deletes the record, and a tail's list and parts,
	// but leaves its lock to its holder.
	rdb := s.Client()
	rdb.RPush(ctx, s.Key(42, "l"), "owed")
	rdb.Set(ctx, s.Key(42, "k"), "holder", time.Minute)
	rdb.Set(ctx, s.Key(42, "e"), "1", time.Minute)
	if _, err := s.Commit(ctx, other, nil, &redisstore.Tail{List: "l", Lock: "k", Erase: []string{"e"}, Token: "t"}); err != nil {
		t.Fatal(err)
	}
	if n, _ := rdb.Exists(ctx, s.Key(42, "state"), s.Key(42, "l"), s.Key(42, "e"), s.Key(42, "lock")).Result(); n != 0 {
		t.Fatalf("%d keys left after an erasing commit", n)
	}
	if v, _ := rdb.Get(ctx, s.Key(42, "k")).Result(); v != "holder" {
		t.Fatalf("the tail's lock taken from its holder: %q", v)
	}
}

func TestTTLAndSize(t *testing.T) {
	ctx := context.Background()
	s := testStore(t, redisstore.Options{TTL: time.Hour})
	sess, _ := s.Begin(ctx, 77)
	// A conversation near the end of the tree: several answers, notes, referrals.
	c := &redisstore.Conversation{State: dialog.State{Tree: "0123abcd", Lang: lang.ARY, Node: "contact", Source: "salon-tanger-2026",
		Codes: vocab.Codes{Needs: []string{"funding.microcredit"}, Stages: []string{"creation"}, Forms: []string{"cooperative"},
			Publics: []string{"women", "rural"}, Sectors: []string{"agrifood"}, Provinces: []string{"chefchaouen"}, Areas: []string{"rural"}},
		Notes:    []string{"بغيت نفتح تعاونية ديال الجبن فشفشاون", "واش كاين شي تمويل للنساء فالعالم القروي"},
		Referred: []string{"inmaa-micro", "anapec-coop", "odco-creation", "indh-agr", "crj-tth"}}}
	for i := range 6 {
		c.State.Hist = append(c.State.Hist, dialog.Frame{Node: fmt.Sprintf("q%d", i)})
	}
	for i := range 12 {
		c.MarkHandled(int64(900000000 + i))
	}
	if snd, err := s.Commit(ctx, sess, c, nil); err != nil || snd != nil {
		t.Fatal(err)
	}
	rdb := s.Client()
	ttl, _ := rdb.PTTL(ctx, s.Key(77, "state")).Result()
	if ttl <= 59*time.Minute || ttl > time.Hour {
		t.Fatalf("state TTL %v, want about 1h", ttl)
	}
	if n, _ := rdb.Exists(ctx, s.Key(77, "lock")).Result(); n != 0 {
		t.Fatal("lock kept with nothing owed")
	}
	mem, err := rdb.MemoryUsage(ctx, s.Key(77, "state")).Result()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Redis memory for one full conversation: %d bytes", mem)
	if mem >= 2048 {
		t.Fatalf("conversation takes %d bytes in Redis, want < 2 KB", mem)
	}
}

func TestLockSerialisesHandlers(t *testing.T) {
	ctx := context.Background()
	s := testStore(t, redisstore.Options{})
	// 20 handlers increment a counter kept in the record; with the lock, none is lost.
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sess, err := s.Lock(ctx, 3, 5*time.Second)
			if err != nil {
				t.Error(err)
				return
			}
			c := sess.Conv
			c.State.Misses++
			if _, err := s.Commit(ctx, sess, &c, nil); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	c, _, _ := s.Load(ctx, 3)
	if c.State.Misses != 20 {
		t.Fatalf("counter %d, want 20: an update was lost", c.State.Misses)
	}
}

func TestHandledWindow(t *testing.T) {
	var c redisstore.Conversation
	for i := int64(100); i < 120; i += 2 {
		c.MarkHandled(i)
	}
	c.MarkHandled(98) // late arrival
	for _, id := range []int64{98, 104, 118} {
		if !c.Handled(id) {
			t.Errorf("%d not seen as handled", id)
		}
	}
	if c.Handled(119) || c.Handled(101) {
		t.Error("an unseen key counted as handled")
	}
	for i := int64(200); i < 220; i++ {
		c.MarkHandled(i)
	}
	if c.Handled(100) || len(c.Seen) != 12 {
		t.Errorf("window not bounded: %v", c.Seen)
	}
}

// TestCacheNeverStale: a record written by another replica (another
// Store on the same Redis) is read from Redis, not from this store's cache
// of its own last write; and a handler that gave up leaves no cached copy.
func TestCacheNeverStale(t *testing.T) {
	ctx := context.Background()
	a := testStore(t, redisstore.Options{})
	b := redisstore.New(a.Client(), redisstore.Options{Prefix: strings.Split(a.Key(1, "x"), ":")[0]})
	save := func(s *redisstore.Store, node string) {
		t.Helper()
		sess, err := s.Lock(ctx, 7, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		conv := sess.Conv
		conv.State.Node = node
		conv.State.V = dialog.StateVersion
		if _, err := s.Commit(ctx, sess, &conv, nil); err != nil {
			t.Fatal(err)
		}
	}
	load := func(s *redisstore.Store) string {
		t.Helper()
		sess, err := s.Lock(ctx, 7, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Unlock(ctx, sess); err != nil {
			t.Fatal(err)
		}
		return sess.Conv.State.Node
	}
	save(a, "need")
	save(b, "province") // the other replica moves the conversation on
	if got := load(a); got != "province" {
		t.Fatalf("replica a read %q, want the other replica's %q", got, "province")
	}
	save(a, "stage")
	sess, err := a.Lock(ctx, 7, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	sess.Conv.State.Node = "changed, never saved"
	if err := a.Unlock(ctx, sess); err != nil {
		t.Fatal(err)
	}
	if got := load(a); got != "stage" {
		t.Fatalf("after an abandoned update, read %q, want %q", got, "stage")
	}
}

// expired waits until Redis has expired key (a dead holder's lock): the
// expiry is the event, checked every few milliseconds under a deadline.
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
