package proctest

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
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

// redis-server answers on the port asked; with a dir it keeps an
// append-only file there, so a restart finds the data.
func TestStartRedis(t *testing.T) {
	url := RedisURL(t)
	if !strings.HasPrefix(url, "redis://127.0.0.1:") || !strings.HasSuffix(url, "/0") {
		t.Fatalf("url %q", url)
	}
	port, dir := FreePort(t), t.TempDir()
	cmd := StartRedis(t, port, dir)
	send(t, port, "SET k v")
	cmd.Process.Kill()
	cmd.Wait()
	time.Sleep(1100 * time.Millisecond) // appendfsync everysec
	StartRedis(t, port, dir)
	if got := send(t, port, "GET k"); !strings.Contains(got, "v") {
		t.Fatalf("after a restart on the same dir, GET k = %q", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "appendonlydir")); err != nil {
		if _, err2 := os.Stat(filepath.Join(dir, "appendonly.aof")); err2 != nil {
			t.Fatalf("no append-only file in %s: %v", dir, err)
		}
	}
}

// send runs one inline Redis command and returns the raw answer.
func send(t *testing.T, port int, cmd string) string {
	t.Helper()
	c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write([]byte(cmd + "\r\n")); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 256)
	n, err := c.Read(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(b[:n])
}
