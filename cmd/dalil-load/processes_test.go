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
	g, err := newCPUGroup("dalil-load-test-"+t.Name(), 0.2)
	if errors.Is(err, os.ErrPermission) || errors.Is(err, os.ErrNotExist) {
		t.Skipf("cgroups are not writable here (run as root with cgroup v1 or v2 mounted): %v", err)
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
	if g, err := newCPUGroup("dalil-load-test-probe", c.cpu); err != nil {
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
