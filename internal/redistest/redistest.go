// Package redistest starts Redis servers for tests: a single server
// (throwaway, or keeping an append-only file to be started again), a Redis
// Cluster of several masters, and a master with a replica watched by a
// sentinel. Each runs redis-server on 127.0.0.1 (free ports unless told),
// with its files in t.TempDir() unless told, dies with the test process,
// and is stopped when the test ends.
package redistest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dalil-tt/dalil/internal/proctest"
)

// Need fails t when redis-server is not installed: the tests that need
// real Redis servers must run (deploy/services.sh installs it, as CI does).
func Need(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatalf("redis-server is not installed (deploy/services.sh installs it, or apt-get install redis-server): %v", err)
	}
}

// Node is one running redis-server.
type Node struct {
	Addr string // 127.0.0.1:port
	Port int
	Dir  string
	bus  int // cluster bus port (cluster nodes)
	cmd  *exec.Cmd
	done chan struct{}
}

// Kill stops the server at once (SIGKILL: a crash, no save).
func (n *Node) Kill() {
	if n.cmd.Process != nil {
		_ = n.cmd.Process.Kill()
	}
	<-n.done
}

// Stop stops the server cleanly (SIGTERM, as systemctl stop: it writes
// what it must and exits) and waits for it.
func (n *Node) Stop() {
	if n.cmd.Process != nil {
		_ = n.cmd.Process.Signal(syscall.SIGTERM)
	}
	<-n.done
}

// Client returns a plain client of this one server, closed at the end of t.
func (n *Node) Client(t testing.TB) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: n.Addr, MaxRetries: -1, PoolSize: 4})
	t.Cleanup(func() { c.Close() })
	return c
}

// start runs redis-server with a config file made of lines (port, bind,
// dir and no persistence are added) and waits until it answers PING (a
// server reading its append-only file back answers -LOADING until done).
// With sentinel, it runs as a sentinel.
func start(t testing.TB, sentinel bool, lines ...string) *Node {
	return startAt(t, sentinel, 0, "", lines...)
}

// startAt is start on port and dir (0 and "": a free port, a new
// directory); with a dir, a server started again there finds its files.
func startAt(t testing.TB, sentinel bool, port int, dir string, lines ...string) *Node {
	t.Helper()
	Need(t)
	if port == 0 {
		port = proctest.FreePort(t)
	}
	if dir == "" {
		dir = t.TempDir()
	}
	conf := append([]string{
		"port " + strconv.Itoa(port), "bind 127.0.0.1", "dir " + dir,
		"save \"\"", "appendonly no", "logfile " + filepath.Join(dir, "redis.log"),
	}, lines...)
	if sentinel {
		// A sentinel refuses these; it rewrites its own file.
		conf = slicesDelete(conf, "save \"\"", "appendonly no")
	}
	file := filepath.Join(dir, "redis.conf")
	if err := os.WriteFile(file, []byte(strings.Join(conf, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{file}
	if sentinel {
		args = append(args, "--sentinel")
	}
	cmd := exec.Command("redis-server", args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // never outlive a crashed test
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting redis-server: %v", err)
	}
	n := &Node{Addr: "127.0.0.1:" + strconv.Itoa(port), Port: port, Dir: dir, cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(n.done) }()
	t.Cleanup(n.Kill)
	c := redis.NewClient(&redis.Options{Addr: n.Addr, MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return n
		}
		select {
		case <-n.done:
			log, _ := os.ReadFile(filepath.Join(dir, "redis.log"))
			t.Fatalf("redis-server stopped at start: %s", log)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server on %s did not answer within 10s: %v", n.Addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func slicesDelete(s []string, drop ...string) []string {
	out := s[:0:0]
	for _, v := range s {
		keep := true
		for _, d := range drop {
			keep = keep && v != d
		}
		if keep {
			out = append(out, v)
		}
	}
	return out
}

// Server starts one standalone server; extra are config lines.
func Server(t testing.TB, extra ...string) *Node { return start(t, false, extra...) }

// URL starts a throwaway server (nothing saved) and returns its URL,
// database 0.
func URL(t testing.TB) string { return "redis://" + Server(t).Addr + "/0" }

// Persistent starts a server on port that keeps an append-only file in
// dir, as deploy/compose.yaml runs Redis: one started again on the same
// port and dir finds the data. Kill it to simulate a crash.
func Persistent(t testing.TB, port int, dir string) *Node {
	return startAt(t, false, port, dir, "appendonly yes", "appendfsync everysec")
}

// Cluster starts a Redis Cluster of masters masters (no replicas), the
// 16384 slots split evenly among them, and returns them once every node
// sees every slot served.
func Cluster(t testing.TB, masters int) []*Node {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	nodes := make([]*Node, masters)
	for i := range nodes {
		// The bus port is chosen too: port+10000 may be taken or past 65535.
		bus := proctest.FreePort(t)
		nodes[i] = start(t, false, "cluster-enabled yes", "cluster-config-file nodes.conf",
			"cluster-port "+strconv.Itoa(bus), "cluster-node-timeout 5000")
		nodes[i].bus = bus
	}
	first := nodes[0].Client(t)
	per := 16384 / masters
	for i, n := range nodes {
		c := n.Client(t)
		lo, hi := i*per, (i+1)*per-1
		if i == masters-1 {
			hi = 16383
		}
		if err := c.ClusterAddSlotsRange(ctx, lo, hi).Err(); err != nil {
			t.Fatalf("CLUSTER ADDSLOTSRANGE on %s: %v", n.Addr, err)
		}
		if i > 0 {
			// The bus port is given: it is not port+10000 here.
			if err := first.Do(ctx, "CLUSTER", "MEET", "127.0.0.1", n.Port, n.bus).Err(); err != nil {
				t.Fatalf("CLUSTER MEET %s: %v", n.Addr, err)
			}
		}
	}
	for _, n := range nodes {
		c := n.Client(t)
		for {
			info, _ := c.ClusterInfo(context.Background()).Result()
			slots, _ := c.ClusterSlots(ctx).Result()
			if strings.Contains(info, "cluster_state:ok") && len(slots) == masters && strings.Contains(info, "cluster_known_nodes:"+strconv.Itoa(masters)) {
				break
			}
			if ctx.Err() != nil {
				t.Fatalf("the cluster did not become ready on %s:\n%s", n.Addr, info)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return nodes
}

// Addrs returns the nodes' addresses.
func Addrs(nodes []*Node) []string {
	a := make([]string, len(nodes))
	for i, n := range nodes {
		a[i] = n.Addr
	}
	return a
}

// SentinelSet is a master, its replica and one sentinel watching them.
type SentinelSet struct {
	Name     string // the master's name the sentinel monitors
	Master   *Node
	Replica  *Node
	Sentinel *Node
}

// Sentinel starts a master, a replica of it and a sentinel (quorum 1)
// monitoring it as "mymaster", and returns once the sentinel knows the
// replica and the replica is in sync.
func Sentinel(t testing.TB) *SentinelSet {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s := &SentinelSet{Name: "mymaster"}
	s.Master = start(t, false)
	s.Replica = start(t, false, "replicaof 127.0.0.1 "+strconv.Itoa(s.Master.Port))
	s.Sentinel = start(t, true,
		fmt.Sprintf("sentinel monitor %s 127.0.0.1 %d 1", s.Name, s.Master.Port),
		"sentinel down-after-milliseconds "+s.Name+" 1000",
		"sentinel failover-timeout "+s.Name+" 10000")
	rc := s.Replica.Client(t)
	waitUntil(ctx, t, "the replica to sync with the master", func() bool {
		info, _ := rc.Info(ctx, "replication").Result()
		return strings.Contains(info, "master_link_status:up")
	})
	sc := s.SentinelClient(t)
	waitUntil(ctx, t, "the sentinel to see the replica", func() bool {
		reps, _ := sc.Replicas(ctx, s.Name).Result()
		for _, r := range reps {
			if r["port"] == strconv.Itoa(s.Replica.Port) && !strings.Contains(r["flags"], "down") &&
				r["master-link-status"] == "ok" {
				return true
			}
		}
		return false
	})
	return s
}

// SentinelClient returns a client of the sentinel, closed at the end of t.
func (s *SentinelSet) SentinelClient(t testing.TB) *redis.SentinelClient {
	c := redis.NewSentinelClient(&redis.Options{Addr: s.Sentinel.Addr, MaxRetries: -1})
	t.Cleanup(func() { c.Close() })
	return c
}

// URL is the REDIS_URL of the set through its sentinel, database 0.
func (s *SentinelSet) URL() string {
	return "redis://" + s.Sentinel.Addr + "/0?master_name=" + s.Name
}

// KillMasterAndFailover waits until the replica has everything the master
// wrote, kills the master (SIGKILL), makes the sentinel promote the
// replica at once (SENTINEL FAILOVER rather than waiting for the quorum),
// and returns once the sentinel names the replica as master and the
// replica accepts writes.
func (s *SentinelSet) KillMasterAndFailover(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	mc := s.Master.Client(t)
	if n, err := mc.Wait(ctx, 1, 5*time.Second).Result(); err != nil || n < 1 {
		t.Fatalf("WAIT for the replica before the failover: %d %v", n, err)
	}
	s.Master.Kill()
	sc := s.SentinelClient(t)
	waitUntil(ctx, t, "SENTINEL FAILOVER to be accepted", func() bool {
		err := sc.Failover(ctx, s.Name).Err()
		return err == nil || strings.Contains(err.Error(), "INPROG")
	})
	want := strconv.Itoa(s.Replica.Port)
	rc := s.Replica.Client(t)
	waitUntil(ctx, t, "the replica to become master", func() bool {
		addr, _ := sc.GetMasterAddrByName(ctx, s.Name).Result()
		role, _ := rc.Do(ctx, "ROLE").Slice()
		return len(addr) == 2 && addr[1] == want && len(role) > 0 && role[0] == "master"
	})
	s.Master, s.Replica = s.Replica, nil
}

func waitUntil(ctx context.Context, t testing.TB, what string, ok func() bool) {
	t.Helper()
	for !ok() {
		if ctx.Err() != nil {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
