package deploy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dalil-tt/dalil/bot/outbox"
	"github.com/dalil-tt/dalil/dialog/redisstore"
	"github.com/dalil-tt/dalil/internal/redistest"
)

// crc16 is Redis Cluster's key hash (CRC16-CCITT, XMODEM).
func crc16(b []byte) uint16 {
	var crc uint16
	for _, c := range b {
		crc ^= uint16(c) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

// slot is CLUSTER KEYSLOT: the hash of the first non-empty {…} if any.
func slot(key string) uint16 {
	for i := 0; i < len(key); i++ {
		if key[i] == '{' {
			for j := i + 1; j < len(key); j++ {
				if key[j] == '}' {
					if j > i+1 {
						key = key[i+1 : j]
					}
					return crc16([]byte(key)) % 16384
				}
			}
			break
		}
	}
	return crc16([]byte(key)) % 16384
}

func TestSlot(t *testing.T) {
	// Values from the Redis Cluster specification and CLUSTER KEYSLOT.
	if got := crc16([]byte("123456789")); got != 0x31C3 {
		t.Fatalf("crc16 = %#x, want 0x31c3", got)
	}
	for key, want := range map[string]uint16{"foo": 12182, "bar": 5061, "{user1000}.following": slot("user1000"), "foo{}{bar}": slot("foo{}{bar}")} {
		if got := slot(key); got != want {
			t.Errorf("slot(%q) = %d, want %d", key, got, want)
		}
	}
}

// Under Redis Cluster a Lua script may only touch keys of one slot: every
// key of one chat (conversation lock, record, outbox, send lock, notice
// flags) must share it, and different chats must spread over the cluster.
func TestRedisKeysWorkUnderCluster(t *testing.T) {
	s := redisstore.New(nil, redisstore.Options{})
	parts := []string{"lock", "state", "out", "send", "once:group"}
	slots := map[uint16]bool{}
	for _, chat := range []int64{1, 42, 987654321, -1001234567890, 5_000_000_000} {
		want := slot(s.Key(chat, parts[0]))
		for _, p := range parts[1:] {
			if got := slot(s.Key(chat, p)); got != want {
				t.Errorf("chat %d: key %s is in slot %d, %s in slot %d", chat, s.Key(chat, p), got, s.Key(chat, parts[0]), want)
			}
		}
		slots[want] = true
	}
	if len(slots) < 4 {
		t.Errorf("five chats fall in %d slot(s): the hash tag does not spread chats over the cluster", len(slots))
	}
	// The update queue is not one key: it is 16 partition streams, each
	// with a hash tag of its own ({updates:N}) and a lease key beside it
	// (bot/partition.go), so the partitions spread over the masters too.
	t.Logf("chat keys look like %s; the update queue's partitions like %s", s.Key(42, "state"), s.GlobalKey("{updates:0}"))
}

// startCluster starts a three-master Redis Cluster of throwaway servers
// (internal/redistest picks each node's bus port itself: redis-server
// refuses cluster mode on a port above 55535, where port+10000 overflows).
func startCluster(t *testing.T) []string {
	t.Helper()
	var addrs []string
	for _, n := range redistest.Cluster(t, 3) {
		addrs = append(addrs, n.Addr)
	}
	return addrs
}

// The conversation store, run as the bot runs it, against a real Redis
// Cluster: locks, atomic save with replies owed, sending, the scan for
// replies owed on every master, notices, /forget — for chats spread over
// the three masters, many at once (the store batches them).
func TestRedisStoreOnCluster(t *testing.T) {
	addrs := startCluster(t)
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs})
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := redisstore.New(rdb, redisstore.Options{})
	out := outbox.NewChats(s)

	const chats = 60
	var wg sync.WaitGroup
	errs := make(chan error, chats)
	for i := range chats {
		chat := int64(1000 + i*7919)
		wg.Add(1)
		go func() {
			defer wg.Done()
			sess, err := s.Begin(ctx, chat)
			if err != nil {
				errs <- fmt.Errorf("chat %d: begin: %w", chat, err)
				return
			}
			if _, err := s.Begin(ctx, chat); !errors.Is(err, redisstore.ErrBusy) {
				errs <- fmt.Errorf("chat %d: second begin = %v, want ErrBusy", chat, err)
				return
			}
			conv := &redisstore.Conversation{Seen: []int64{int64(i)}}
			items := []outbox.Item{{ID: "a", Body: []byte("first")}, {ID: "b", Body: []byte("second")}}
			snd, err := out.Commit(ctx, sess, conv, items)
			if err != nil || snd == nil || len(snd.Items) == 0 || snd.Items[0].ID != "a" {
				errs <- fmt.Errorf("chat %d: commit: %v %+v", chat, err, snd)
				return
			}
			// Leave the replies owed, as a process that died would.
			if err := out.Stop(ctx, snd, false); err != nil {
				errs <- fmt.Errorf("chat %d: stop: %w", chat, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		t.FailNow()
	}

	// Every chat left owing replies is found, whichever master holds it.
	// The masters are scanned in parallel; the callback (the bot's sweep
	// appends to a slice) must still be called one at a time.
	owed := map[int64]bool{}
	var inside, overlapped atomic.Int32
	if err := out.Owed(ctx, func(chat int64) {
		if inside.Add(1) > 1 {
			overlapped.Add(1)
		}
		time.Sleep(time.Millisecond) // widen the window a concurrent call would hit
		owed[chat] = true
		inside.Add(-1)
	}); err != nil {
		t.Fatalf("Owed on the cluster: %v", err)
	}
	if n := overlapped.Load(); n > 0 {
		t.Fatalf("Owed called its callback concurrently %d times under Cluster", n)
	}
	if len(owed) != chats {
		t.Fatalf("Owed found %d chats, want %d", len(owed), chats)
	}
	var mu sync.Mutex
	masters := map[string]bool{}
	rdb.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
		n, _ := c.DBSize(ctx).Result()
		mu.Lock()
		defer mu.Unlock()
		if n > 0 {
			masters[c.Options().Addr] = true
		}
		return nil
	})
	if len(masters) != 3 {
		t.Errorf("the chats' keys are on %d of the 3 masters", len(masters))
	}

	// A later sender sends them in order, and they leave the outbox.
	chat := int64(1000)
	snd, err := out.Claim(ctx, chat)
	if err != nil || snd == nil {
		t.Fatalf("claim: %v %v", snd, err)
	}
	var sent []string
	for len(snd.Items) > 0 {
		sent = append(sent, string(snd.Items[0].Body))
		if err := out.Next(ctx, snd, snd.Items[0].ID); err != nil {
			t.Fatalf("next: %v", err)
		}
	}
	if strings.Join(sent, ",") != "first,second" {
		t.Errorf("sent %v, want first,second", sent)
	}
	if c, ok, err := s.Load(ctx, chat); err != nil || !ok || len(c.Seen) != 1 {
		t.Errorf("load: %+v %v %v", c, ok, err)
	}
	if first, err := out.Once(ctx, chat, "group", time.Minute); err != nil || !first {
		t.Errorf("once: %v %v", first, err)
	}
	if again, _ := out.Once(ctx, chat, "group", time.Minute); again {
		t.Errorf("a notice flag was set twice")
	}
	// /forget: record, outbox and flags gone.
	sess, err := s.Begin(ctx, chat)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := out.Commit(ctx, sess, nil, nil); err != nil {
		t.Fatalf("forget: %v", err)
	}
	if err := out.ForgetFlags(ctx, chat, "group"); err != nil {
		t.Fatalf("forget flags: %v", err)
	}
	for _, part := range []string{"state", "out", "once:group"} {
		if n, _ := rdb.Exists(ctx, s.Key(chat, part)).Result(); n != 0 {
			t.Errorf("after forget, %s still exists", s.Key(chat, part))
		}
	}
}
