// Package proctest holds helpers for tests that run real processes (dalil
// serve, the dalil binary, redis-server): free ports, a log buffer that
// several goroutines write, polling, and a throwaway redis-server.
package proctest

import (
	"bufio"
	"bytes"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
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

// StartRedis runs redis-server on port of 127.0.0.1 and returns once it
// accepts connections. With dir set, it keeps an append-only file there
// (as deploy/compose.yaml does), so a server started again on the same
// port and dir finds its data; with dir empty nothing is saved. The
// server is killed when the test ends, or with the test process if that
// crashes; a test may kill it earlier through the returned command.
func StartRedis(t testing.TB, port int, dir string) *exec.Cmd {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatalf("redis-server is not installed (deploy/services.sh installs it, or apt-get install redis-server): %v", err)
	}
	args := []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1"}
	if dir != "" {
		args = append(args, "--appendonly", "yes", "--appendfsync", "everysec", "--dir", dir)
	} else {
		args = append(args, "--save", "", "--appendonly", "no")
	}
	cmd := exec.Command("redis-server", args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // never outlive a crashed test
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting redis-server: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr := "127.0.0.1:" + strconv.Itoa(port)
	// Ready is PONG, not an open port: with a dir, Redis answers -LOADING
	// while it reads its append-only file back.
	for range 250 {
		if redisPong(addr) {
			return cmd
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("redis-server on %s did not start", addr)
	return nil
}

// redisPong reports whether the Redis server at addr answers PING.
func redisPong(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && strings.HasPrefix(line, "+PONG")
}

// RedisURL starts a throwaway redis-server (nothing saved) on a free port
// and returns its URL, database 0.
func RedisURL(t testing.TB) string {
	t.Helper()
	port := FreePort(t)
	StartRedis(t, port, "")
	return "redis://127.0.0.1:" + strconv.Itoa(port) + "/0"
}
