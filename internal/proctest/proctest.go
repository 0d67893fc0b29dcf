// Package proctest holds helpers for tests that run real processes (dalil
// serve, the dalil binary, redis-server): free ports, a log buffer that
// several goroutines write, and polling. Redis servers themselves come
// from internal/redistest.
package proctest

import (
	"bytes"
	"net"
	"sync"
	"testing"
	"time"
)

// FreePort returns a TCP port of 127.0.0.1 free at the time of the call.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// LockedBuffer is a bytes.Buffer safe for a process's output copied by one
// goroutine while the test reads it from another.
type LockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *LockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *LockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// WaitFor polls until ok returns true or d has passed, and returns ok's
// last answer.
func WaitFor(d time.Duration, ok func() bool) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if ok() {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return ok()
}
