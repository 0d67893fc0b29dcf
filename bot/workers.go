package bot

import (
	"sync"
	"time"
)

// workers runs short tasks (a chat's actor, a flush, a press's answer) on
// goroutines kept between tasks. A fresh goroutine starts with a small
// stack and grows it by copying, several times, down the HTTP client and
// the JSON coders; under load that copying was about a twentieth of the
// bot's CPU. A worker keeps its grown stack for the next task.
type workers struct {
	tasks chan func()
	idle  time.Duration // a worker with no task for this long exits
	done  chan struct{} // closed: idle workers exit at once
	once  sync.Once
}

func newWorkers(idle time.Duration) *workers {
	return &workers{tasks: make(chan func()), idle: idle, done: make(chan struct{})}
}

// stop lets idle workers go (a stopped bot keeps no goroutines); a task
// given later still runs.
func (w *workers) stop() { w.once.Do(func() { close(w.done) }) }

// Go runs f on an idle worker, or on a new one if none is idle: it never
// waits, as the go statement it replaces.
func (w *workers) Go(f func()) {
	select {
	case w.tasks <- f:
	default:
		go w.work(f)
	}
}

func (w *workers) work(f func()) {
	f()
	t := time.NewTimer(w.idle)
	defer t.Stop()
	for {
		select {
		case f := <-w.tasks:
			f()
			t.Reset(w.idle)
		case <-t.C:
			return
		case <-w.done:
			return
		}
	}
}
