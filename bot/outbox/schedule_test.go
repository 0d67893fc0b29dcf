package outbox_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dalil-tt/dalil/bot/outbox"
	"github.com/dalil-tt/dalil/dialog/redisstore"
	"github.com/dalil-tt/dalil/internal/redistest"
)

func testRedis(t *testing.T) (*redis.Client, string) {
	t.Helper()
	rdb := redistest.Client(t)
	return rdb, redistest.Prefix(t, rdb, "ob")
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestScheduleOncePerKey(t *testing.T) {
	rdb, prefix := testRedis(t)
	s := outbox.New(rdb, outbox.Options{Prefix: prefix, Log: quiet})
	ctx := context.Background()
	at := time.Now().Add(7 * 24 * time.Hour)
	for i, want := range []bool{true, false, false} {
		ok, err := s.Schedule(ctx, 1<<32+7, at, []byte("hello"), "followup-7")
		if err != nil || ok != want {
			t.Fatalf("call %d: Schedule = %v, %v; want %v", i, ok, err, want)
		}
	}
	for _, bad := range []string{"", "a}b", "a|b"} {
		if _, err := s.Schedule(ctx, 1<<32+7, at, []byte("x"), bad); !errors.Is(err, outbox.ErrBadKey) {
			t.Errorf("key %q: %v, want ErrBadKey", bad, err)
		}
	}
	if n, err := s.Pending(ctx); err != nil || n != 1 {
		t.Fatalf("Pending = %d, %v; want 1", n, err)
	}
}

// A dispatcher dies right after putting a message in its chat's outbox,
// before noting it done; another takes over. Every due message is in its
// chat's outbox exactly once, in the order scheduled; one not yet due
// stays scheduled.
func TestDispatcherTakeover(t *testing.T) {
	rdb, prefix := testRedis(t)
	store := redisstore.New(rdb, redisstore.Options{Prefix: prefix})
	outboxes := outbox.NewChats(store)
	opts := outbox.Options{Prefix: prefix, Lease: 500 * time.Millisecond, Every: 20 * time.Millisecond, Batch: 7, Log: quiet}
	first, second := outbox.New(rdb, opts), outbox.New(rdb, opts)
	ctx := context.Background()
	const chats, perChat, crashAt = 30, 10, 100
	chatID := func(i int) int64 { return 1<<32 + 500 + int64(i) }
	now := time.Now()
	for n := range perChat {
		for i := range chats {
			if _, err := first.Schedule(ctx, chatID(i), now, []byte(fmt.Sprint(n)), fmt.Sprintf("k-%d-%d", i, n)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := first.Schedule(ctx, chatID(0), now.Add(time.Hour), []byte("later"), "later"); err != nil {
		t.Fatal(err)
	}

	var delivered atomic.Int64
	all := make(chan struct{})
	counted := func(outbox.Due) {
		if delivered.Add(1) == chats*perChat {
			close(all)
		}
	}
	enqueue := func(ctx context.Context, d outbox.Due) error {
		_, _, err := outboxes.Enqueue(ctx, d.Chat, "sched:"+d.Entry, []outbox.Item{{ID: d.Entry[:20], Body: d.Payload}})
		return err
	}
	ctx1, crash := context.WithCancel(ctx)
	var calls atomic.Int64
	dispatching := make(chan struct{})
	done1 := make(chan struct{})
	go func() {
		defer close(done1)
		_ = first.Run(ctx1, func(ctx context.Context, d outbox.Due) error {
			if err := enqueue(ctx, d); err != nil {
				return err
			}
			switch calls.Add(1) {
			case 1:
				close(dispatching)
			case crashAt:
				crash() // delivered, but dies before saying so
				return errors.New("crashed")
			}
			return nil
		}, counted)
	}()
	<-dispatching // the first holds the lease; the second waits to take over
	ctx2, stop2 := context.WithCancel(ctx)
	done2 := make(chan struct{})
	go func() {
		defer close(done2)
		_ = second.Run(ctx2, enqueue, counted)
	}()
	select {
	case <-all:
	case <-time.After(20 * time.Second):
		t.Fatalf("%d of %d delivered", delivered.Load(), chats*perChat)
	}
	stop2()
	crash()
	<-done1
	<-done2
	if calls.Load() < crashAt {
		t.Fatalf("the first dispatcher delivered %d, never reached the crash", calls.Load())
	}
	for i := range chats {
		items, err := rdb.LRange(ctx, store.Key(chatID(i), "out"), 0, -1).Result()
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, it := range items {
			_, body, _ := strings.Cut(it, "|")
			got = append(got, body)
		}
		if want := "0 1 2 3 4 5 6 7 8 9"; strings.Join(got, " ") != want {
			t.Errorf("chat %d outbox %v, want %s once each in order", i, got, want)
		}
	}
	if n, _ := second.Pending(ctx); n != 1 {
		t.Errorf("%d scheduled left, want 1 (the one due in an hour)", n)
	}
}
