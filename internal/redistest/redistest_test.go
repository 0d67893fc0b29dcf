package redistest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dalil-tt/dalil/internal/proctest"
)

// The helpers themselves: a cluster whose three masters each serve a third
// of the slots, and a sentinel set whose failover moves writes to the
// replica with what the master had.
func TestCluster(t *testing.T) {
	nodes := Cluster(t, 3)
	ctx := context.Background()
	c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: Addrs(nodes)})
	defer c.Close()
	for _, k := range []string{"a", "b", "c", "d", "e", "f"} {
		if err := c.Set(ctx, k, k, time.Minute).Err(); err != nil {
			t.Fatalf("set %s: %v", k, err)
		}
	}
	used := 0
	for _, n := range nodes {
		if sz, _ := n.Client(t).DBSize(ctx).Result(); sz > 0 {
			used++
		}
	}
	if used != 3 {
		t.Fatalf("six keys landed on %d of 3 masters", used)
	}
	if err := c.MSet(ctx, "a", 1, "b", 2).Err(); err == nil {
		t.Fatal("a multi-key command across slots was accepted: not a real cluster")
	}
}

func TestSentinelFailover(t *testing.T) {
	s := Sentinel(t)
	ctx := context.Background()
	c := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: s.Name, SentinelAddrs: []string{s.Sentinel.Addr}})
	defer c.Close()
	if err := c.Set(ctx, "k", "before", 0).Err(); err != nil {
		t.Fatal(err)
	}
	old := s.Master.Addr
	s.KillMasterAndFailover(t)
	if s.Master.Addr == old {
		t.Fatal("the master did not change")
	}
	var v string
	var err error
	for range 50 { // the client learns the new master on its next dial
		if v, err = c.Get(ctx, "k").Result(); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if v != "before" {
		t.Fatalf("after failover: %q %v", v, err)
	}
	if err := c.Set(ctx, "k", "after", 0).Err(); err != nil {
		t.Fatalf("write after failover: %v", err)
	}
}

// A throwaway server answers at its URL; a persistent one keeps an
// append-only file in its dir, so a server started again on the same port
// and dir after a crash finds the data.
func TestURLAndPersistent(t *testing.T) {
	url := URL(t)
	if !strings.HasPrefix(url, "redis://127.0.0.1:") || !strings.HasSuffix(url, "/0") {
		t.Fatalf("url %q", url)
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c := redis.NewClient(opt)
	defer c.Close()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("throwaway server: %v", err)
	}

	port, dir := proctest.FreePort(t), t.TempDir()
	n := Persistent(t, port, dir)
	if err := n.Client(t).Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	// appendfsync everysec: the write may wait in Redis's AOF buffer; kill
	// only once Redis reports it written to the file (the page cache
	// outlives a killed process).
	if !proctest.WaitFor(5*time.Second, func() bool {
		info, err := n.Client(t).Info(ctx, "persistence").Result()
		return err == nil && strings.Contains(info, "aof_buffer_length:0\r\n") && strings.Contains(info, "aof_last_write_status:ok")
	}) {
		t.Fatal("the write never reached the append-only file")
	}
	n.Kill()
	again := Persistent(t, port, dir)
	if got, err := again.Client(t).Get(ctx, "k").Result(); err != nil || got != "v" {
		t.Fatalf("after a restart on the same dir, GET k = %q, %v", got, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "appendonlydir")); err != nil {
		if _, err2 := os.Stat(filepath.Join(dir, "appendonly.aof")); err2 != nil {
			t.Fatalf("no append-only file in %s: %v", dir, err)
		}
	}
}
