package redistest

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
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
