package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"
)

// A process in a group of 0.2 cores gets about 0.2 s of CPU a second, however
// hard it spins; the group is gone once removed.
func TestCPUGroupHoldsQuota(t *testing.T) {
	g, err := newCPUGroup(fmt.Sprintf("dalil-load-%d-quota", os.Getpid()), 0.2)
	if (errors.Is(err, os.ErrPermission) || errors.Is(err, os.ErrNotExist)) && os.Geteuid() != 0 {
		// Only root may make cgroups; as root (CI, this project's machine)
		// a cgroup that cannot be made fails the test below.
		t.Skipf("cgroups are not writable by a user other than root: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	spin := exec.Command("/bin/sh", "-c", "while :; do :; done")
	spin.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := spin.Start(); err != nil {
		g.remove()
		t.Fatal(err)
	}
	if err := g.add(spin.Process.Pid); err != nil {
		spin.Process.Kill()
		spin.Wait()
		g.remove()
		t.Fatal(err)
	}
	pids, _ := g.pids()
	cpu0 := procCPU(spin.Process.Pid)
	time.Sleep(1500 * time.Millisecond)
	used := procCPU(spin.Process.Pid) - cpu0
	periods, throttled, err := g.throttling()
	spin.Process.Kill()
	spin.Wait()
	if err := g.remove(); err != nil {
		t.Error(err)
	}
	if _, err := os.Stat(g.dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("cgroup %s still there after remove: %v", g.dir, err)
	}
	if !slices.Contains(pids, spin.Process.Pid) {
		t.Errorf("pid %d not in the group's procs %v", spin.Process.Pid, pids)
	}
	// 1.5 s at 0.2 cores is 0.3 s; without the quota the loop takes a whole
	// core (1.5 s) unless the box is saturated.
	if used > 450*time.Millisecond || used < 100*time.Millisecond {
		t.Errorf("a spinning process under a 0.2-core quota used %v of CPU in 1.5 s, want about 300ms", used)
	}
	if err != nil || periods == 0 || throttled == 0 {
		t.Errorf("cpu.stat: %d periods, %d throttled (%v); want the spinning process throttled", periods, throttled, err)
	}
}

// Two real `dalil serve` processes, each under a CPU quota, behind the
// round-robin front: every update handled exactly once, each chat's burst
// in order, both replicas at work, the cgroups removed at the end.
func TestServeReplicas(t *testing.T) {
	ctx := context.Background()
	redisURL, stopRedis, err := ownRedis()
	if err != nil {
		t.Fatal(err)
	}
	defer stopRedis()
	dbURL, drop, err := tempDB(ctx, envOr("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"))
	if err != nil {
		t.Fatal(err)
	}
	defer drop()
	bin, rmBin, err := dalilBinary(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer rmBin()
	c := procConfig{bin: bin, dbURL: dbURL, redisURL: redisURL, cpu: 0.5}
	if g, err := newCPUGroup(fmt.Sprintf("dalil-load-%d-probe", os.Getpid()), c.cpu); err != nil {
		t.Logf("no CPU quota (%v)", err)
		c.cpu = 0
	} else {
		g.remove()
	}

	const users, steps = 20, 4
	res, err := runServeReplicas(ctx, c, users, steps, 0, 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(res)
	if res.lost != 0 || res.twice != 0 || res.disorder != 0 || res.unknown != 0 {
		t.Errorf("%d lost, %d handled twice, %d chats out of order, %d unknown keys; want none", res.lost, res.twice, res.disorder, res.unknown)
	}
	if res.chats != users || res.timeouts != 0 {
		t.Errorf("%d chats, %d unanswered; want %d chats all answered", res.chats, res.timeouts, users)
	}
	// steps updates each, plus the burst's press and /back.
	if want := users * (steps + 2); res.distinct != want {
		t.Errorf("%d distinct updates sent, want %d", res.distinct, want)
	}
	var sum float64
	for i, h := range res.handledBy {
		sum += h
		if h == 0 {
			t.Errorf("replica %d handled nothing", i+1)
		}
	}
	if int(sum) != res.distinct {
		t.Errorf("replicas counted %.0f updates handled, %d were sent", sum, res.distinct)
	}
	if res.duplicates < 1 {
		t.Errorf("no redelivery dropped as a duplicate (%.0f)", res.duplicates)
	}
	if c.cpu > 0 {
		mine := fmt.Sprintf("dalil-load-%d-*", os.Getpid())
		left, _ := filepath.Glob(filepath.Join(cgroupFS, "*", mine))
		left2, _ := filepath.Glob(filepath.Join(cgroupFS, mine))
		if len(left)+len(left2) > 0 {
			t.Errorf("cgroups left behind: %v %v", left, left2)
		}
	}
}

// The files each cgroup version expects, written in a fake hierarchy.
func TestCPUGroupFiles(t *testing.T) {
	defer func(fs string) { cgroupFS = fs }(cgroupFS)
	read := func(path string) string {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}

	cgroupFS = t.TempDir() // v2: cgroup.controllers at the top
	os.WriteFile(filepath.Join(cgroupFS, "cgroup.controllers"), []byte("cpuset cpu io memory pids\n"), 0o644)
	g, err := newCPUGroup("dalil-load-1-0", 0.25)
	if err != nil {
		t.Fatal(err)
	}
	if !g.v2 || read(filepath.Join(cgroupFS, "cgroup.subtree_control")) != "+cpu" || read(filepath.Join(g.dir, "cpu.max")) != "25000 100000" {
		t.Errorf("v2: v2=%v, subtree_control %q, cpu.max %q", g.v2, read(filepath.Join(cgroupFS, "cgroup.subtree_control")), read(filepath.Join(g.dir, "cpu.max")))
	}
	os.WriteFile(filepath.Join(cgroupFS, "cgroup.controllers"), []byte("io memory\n"), 0o644)
	if _, err := newCPUGroup("dalil-load-1-1", 0.25); err == nil {
		t.Error("v2 without the cpu controller: no error")
	}

	cgroupFS = t.TempDir() // v1: the cpu controller's own hierarchy
	os.Mkdir(filepath.Join(cgroupFS, "cpu"), 0o755)
	os.WriteFile(filepath.Join(cgroupFS, "cpu", "cpu.cfs_quota_us"), []byte("-1\n"), 0o644)
	g, err = newCPUGroup("dalil-load-1-0", 0.5)
	if err != nil {
		t.Fatal(err)
	}
	if g.v2 || read(filepath.Join(g.dir, "cpu.cfs_quota_us")) != "50000" || read(filepath.Join(g.dir, "cpu.cfs_period_us")) != "100000" {
		t.Errorf("v1: v2=%v, quota %q, period %q", g.v2, read(filepath.Join(g.dir, "cpu.cfs_quota_us")), read(filepath.Join(g.dir, "cpu.cfs_period_us")))
	}
	os.WriteFile(filepath.Join(g.dir, "cpu.stat"), []byte("nr_periods 40\nnr_throttled 30\nthrottled_time 123\n"), 0o644)
	if p, th, err := g.throttling(); p != 40 || th != 30 || err != nil {
		t.Errorf("throttling = %d, %d, %v; want 40, 30", p, th, err)
	}
	if _, err := newCPUGroup("x", 0); err == nil {
		t.Error("a quota of 0 cores: no error")
	}

	// A group left by a dead run goes; one of a live process stays.
	for _, name := range []string{"dalil-load-999999999-0", fmt.Sprintf("dalil-load-%d-0", os.Getpid())} {
		os.Mkdir(filepath.Join(cgroupFS, "cpu", name), 0o755)
	}
	removeStaleGroups()
	if _, err := os.Stat(filepath.Join(cgroupFS, "cpu", "dalil-load-999999999-0")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("group of a dead run not removed: %v", err)
	}
	if _, err := os.Stat(filepath.Join(cgroupFS, "cpu", fmt.Sprintf("dalil-load-%d-0", os.Getpid()))); err != nil {
		t.Errorf("group of this process removed: %v", err)
	}
}

func TestHistQuantile(t *testing.T) {
	body := promText(`# TYPE x histogram
x_bucket{le="0.01"} 50
x_bucket{le="0.1"} 90
x_bucket{le="1"} 100
x_bucket{le="+Inf"} 100
x_sum 3
x_count 100
`)
	var h hist
	h.add(body.histogram("x"))
	h.add(body.histogram("x"))
	if got := h.quantile(.5); got != 10*time.Millisecond {
		t.Errorf("p50 = %v, want 10ms (the 100th of 200 is the last of the first bucket)", got)
	}
	if got := h.quantile(.95); got < 100*time.Millisecond || got > time.Second {
		t.Errorf("p95 = %v, want within the (0.1, 1] bucket", got)
	}
	if got := body.counter(`x_count`); got != 100 {
		t.Errorf("counter x_count = %v, want 100", got)
	}
}
