package proctest

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestLockedBufferConcurrentWrites(t *testing.T) {
	var b LockedBuffer
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				fmt.Fprintf(&b, "%d\n", i)
			}
		}()
	}
	wg.Wait()
	if n := strings.Count(b.String(), "\n"); n != 800 {
		t.Fatalf("%d lines, want 800", n)
	}
}

func TestWaitFor(t *testing.T) {
	start := time.Now()
	n := 0
	if !WaitFor(time.Second, func() bool { n++; return n == 3 }) {
		t.Fatal("WaitFor gave up on a condition that became true")
	}
	if WaitFor(60*time.Millisecond, func() bool { return false }) {
		t.Fatal("WaitFor reported a condition that never held")
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("WaitFor took %v", d)
	}
}
