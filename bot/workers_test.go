package bot

import (
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestWorkersReuseAndStop(t *testing.T) {
	w := newWorkers(time.Minute)
	before := runtime.NumGoroutine()
	// One task at a time: each finds the worker the last one left idle,
	// once it is back waiting.
	seen := map[string]int{}
	for range 200 {
		ran := make(chan string)
		w.Go(func() { ran <- goroutineID() })
		seen[<-ran]++
		time.Sleep(100 * time.Microsecond)
	}
	if len(seen) > 5 {
		t.Fatalf("200 tasks in a row ran on %d goroutines, want them on one or a few reused", len(seen))
	}

	// Tasks at once each get a worker, none waits for another.
	var wg sync.WaitGroup
	release := make(chan struct{})
	wg.Add(50)
	for range 50 {
		w.Go(func() { wg.Done(); <-release })
	}
	waitOrFail(t, &wg, "50 blocking tasks did not all start")
	close(release)

	w.stop()
	waitGoroutines(t, before, "after stop")
	// A task given after stop still runs.
	ran := make(chan struct{})
	w.Go(func() { close(ran) })
	select {
	case <-ran:
	case <-time.After(5 * time.Second):
		t.Fatal("task after stop did not run")
	}
}

func TestWorkersIdleExit(t *testing.T) {
	w := newWorkers(20 * time.Millisecond)
	before := runtime.NumGoroutine()
	var wg sync.WaitGroup
	wg.Add(10)
	for range 10 {
		w.Go(wg.Done)
	}
	wg.Wait()
	waitGoroutines(t, before, "once the workers were idle")
}

// waitGoroutines waits until no more goroutines run than before.
func waitGoroutines(t *testing.T, before int, when string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Fatalf("%d goroutines %s, %d before", n, when, before)
	}
}

// goroutineID is the running goroutine's number, from its stack header
// ("goroutine 42 [running]:").
func goroutineID() string {
	buf := make([]byte, 64)
	buf = buf[:runtime.Stack(buf, false)]
	id, _, _ := strings.Cut(strings.TrimPrefix(string(buf), "goroutine "), " ")
	return id
}

func waitOrFail(t *testing.T, wg *sync.WaitGroup, msg string) {
	t.Helper()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal(msg)
	}
}
