package bot_test

import (
	"context"
	"hash/fnv"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// partitionStream is the documented mapping of a chat to its queue
// partition (fnv32a of the decimal id, modulo 16).
func partitionStream(h *harness, chat int64) (stream, lease string) {
	f := fnv.New32a()
	f.Write([]byte(strconv.FormatInt(chat, 10)))
	p := strconv.Itoa(int(f.Sum32() % 16))
	return h.store.GlobalKey("{updates:" + p + "}"), h.store.GlobalKey("{updates:" + p + "}:lease")
}

// holders counts the partitions each replica holds.
func holders(h *harness) map[string]int {
	out := map[string]int{}
	for p := range 16 {
		v, _ := h.rdb.Get(context.Background(), h.store.GlobalKey("{updates:"+strconv.Itoa(p)+"}:lease")).Result()
		out[v]++
	}
	return out
}

func waitHolders(t *testing.T, h *harness, within time.Duration, ok func(map[string]int) bool) map[string]int {
	t.Helper()
	// Leases change with no Bot API call to wake on; WaitFor also checks
	// every few milliseconds.
	var got map[string]int
	if !h.srv.WaitFor(func() bool { got = holders(h); return ok(got) }, within) {
		t.Fatalf("partition holders after %v: %v", within, got)
	}
	return got
}

// TestReplicasSharePartitions: a second replica gets half the partitions,
// both handle updates, and when it stops cleanly the first takes its
// partitions back at once.
func TestReplicasSharePartitions(t *testing.T) {
	h := start(t, nil, nil)
	one := waitHolders(t, h, 5*time.Second, func(m map[string]int) bool { return len(m) == 1 && m[""] == 0 })
	h2 := *h
	h2.run()
	t.Cleanup(h2.stop)
	waitHolders(t, h, 15*time.Second, func(m map[string]int) bool {
		if len(m) != 2 || m[""] != 0 {
			return false
		}
		for _, n := range m {
			if n != 8 {
				return false
			}
		}
		return true
	})
	for c := int64(3101); c < 3111; c++ {
		h.srv.Text(c, "/start")
	}
	for c := int64(3101); c < 3111; c++ {
		if ms := h.wait(c, 1); !strings.Contains(ms[0].Text, "Choisissez votre langue") {
			t.Fatalf("chat %d: %s", c, texts(ms))
		}
	}
	h2.stop()
	for holder := range one {
		waitHolders(t, h, 5*time.Second, func(m map[string]int) bool { return m[holder] == 16 })
	}
}

// TestNewHolderHandlesPendingFirst: a replica read an update and died
// holding the partition; once its lease runs out, the next holder handles
// that update, then the one queued after it.
func TestNewHolderHandlesPendingFirst(t *testing.T) {
	h := start(t, nil, nil)
	h.stop()
	ctx := context.Background()
	const chat = 3201
	stream, lease := partitionStream(h, chat)
	first := `{"update_id":78001,"message":{"message_id":1,"date":1,"text":"/start","chat":{"id":3201,"type":"private"}}}`
	second := `{"update_id":78002,"message":{"message_id":2,"date":2,"text":"/help","chat":{"id":3201,"type":"private"}}}`
	h.rdb.XGroupCreateMkStream(ctx, stream, "bot", "0") // made by the first run, or now
	for _, raw := range []string{first, second} {
		if err := h.rdb.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: []any{"u", raw}}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	// The dead holder had read the first one.
	if err := h.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "bot", Consumer: "holder", Streams: []string{stream, ">"}, Count: 1}).Err(); err != nil {
		t.Fatal(err)
	}
	if err := h.rdb.Set(ctx, lease, "dead-replica", 1500*time.Millisecond).Err(); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	h.run()
	ms := h.wait(chat, 2)
	if d := time.Since(began); d < time.Second {
		t.Errorf("handled after %v, while another replica held the partition", d)
	}
	if !strings.HasPrefix(ms[0].Text, "👋") || !strings.HasPrefix(ms[1].Text, "🧭") {
		t.Fatalf("not the pending /start, then /help: %s", texts(ms))
	}
	// Acknowledged just after the save, maybe after the replies went.
	var n int64
	if !h.srv.WaitFor(func() bool { n, _ = h.rdb.XLen(ctx, stream).Result(); return n == 0 }, 3*time.Second) {
		t.Fatalf("%d updates left in the partition", n)
	}
}

// TestRestartedInPlaceTakesBackAtOnce: the previous life of a process
// restarted on the same host (killed, its leases still running) does not
// hold its partitions until they run out.
func TestRestartedInPlaceTakesBackAtOnce(t *testing.T) {
	h := start(t, nil, nil)
	h.stop()
	ctx := context.Background()
	const chat = 3301
	stream, _ := partitionStream(h, chat)
	host, _ := os.Hostname()
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	// A process that has exited, and one of this process (as after a
	// restart in a container, where the pid is the same) that is not running.
	dead := []string{host + "/" + strconv.Itoa(gone.Process.Pid) + "/0badc0de", host + "/" + strconv.Itoa(os.Getpid()) + "/0badc0de"}
	for i, id := range dead {
		h.rdb.ZAdd(ctx, h.store.GlobalKey("replicas"), redis.Z{Score: float64(time.Now().UnixMilli()), Member: id})
		for p := i; p < 16; p += 2 {
			h.rdb.Set(ctx, h.store.GlobalKey("{updates:"+strconv.Itoa(p)+"}:lease"), id, time.Minute)
		}
	}
	h.rdb.XGroupCreateMkStream(ctx, stream, "bot", "0")
	raw := `{"update_id":79001,"message":{"message_id":1,"date":1,"text":"/start","chat":{"id":3301,"type":"private"}}}`
	if err := h.rdb.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: []any{"u", raw}}).Err(); err != nil {
		t.Fatal(err)
	}
	if err := h.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "bot", Consumer: "holder", Streams: []string{stream, ">"}, Count: 1}).Err(); err != nil {
		t.Fatal(err)
	}
	h.run()
	ms, err := h.srv.WaitReceived(chat, 1, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ms[0].Text, "👋") {
		t.Fatalf("%s", texts(ms))
	}
	waitHolders(t, h, 2*time.Second, func(m map[string]int) bool { return len(m) == 1 && m[""] == 0 && m[dead[0]] == 0 && m[dead[1]] == 0 })
}
