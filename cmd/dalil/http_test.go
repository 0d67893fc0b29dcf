package main

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dalil-tt/dalil/bot/bottest"
	"github.com/dalil-tt/dalil/internal/proctest"
	"github.com/dalil-tt/dalil/internal/redistest"
)

// The audit held serve's connections open with a body trickled a byte at a
// time and with idle keep-alive connections: the server set only
// ReadHeaderTimeout. With short timeouts from the settings, the server
// must close both itself.
func TestServeClosesSlowAndIdleConnections(t *testing.T) {
	api := bottest.New(bottest.Options{})
	t.Cleanup(api.Close)
	port := proctest.FreePort(t)
	const secret = "slow-client-secret-0123"
	addr := "127.0.0.1:" + strconv.Itoa(port)
	env := map[string]string{
		"TELEGRAM_BOT_TOKEN": api.Token(), "TELEGRAM_API_URL": api.APIURL(), "REDIS_URL": redistest.URL(t),
		"WEBHOOK_URL": "http://" + addr + "/telegram/webhook", "WEBHOOK_SECRET": secret, "HTTP_ADDR": addr,
		"HTTP_READ_TIMEOUT": "1s", "HTTP_WRITE_TIMEOUT": "2s", "HTTP_IDLE_TIMEOUT": "1s",
	}
	serveAt(t, env)
	// The client gives up after this; the server must have closed before.
	const patience = 8 * time.Second

	// closedWithin reads conn until the server closes it and returns how
	// long that took, or fails when it has not closed within patience.
	closedWithin := func(t *testing.T, what string, conn net.Conn, r io.Reader) time.Duration {
		t.Helper()
		start := time.Now()
		conn.SetReadDeadline(start.Add(patience))
		_, err := io.Copy(io.Discard, r)
		took := time.Since(start)
		if ne := (net.Error)(nil); errors.As(err, &ne) && ne.Timeout() || errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("%s: the connection is still open after %v", what, took)
		}
		return took
	}

	t.Run("slow body", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		head := "POST /telegram/webhook HTTP/1.1\r\nHost: " + addr + "\r\nX-Telegram-Bot-Api-Secret-Token: " + secret +
			"\r\nContent-Type: application/json\r\nContent-Length: 10000\r\n\r\n{"
		if _, err := io.WriteString(conn, head); err != nil {
			t.Fatal(err)
		}
		stop := make(chan struct{})
		defer close(stop)
		go func() { // the attack: one byte every 200 ms
			tick := time.NewTicker(200 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
					if _, err := conn.Write([]byte(" ")); err != nil {
						return
					}
				}
			}
		}()
		took := closedWithin(t, "a body trickled a byte every 200 ms", conn, conn)
		t.Logf("slow body cut off after %v (HTTP_READ_TIMEOUT 1s)", took)
	})

	t.Run("idle keep-alive", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: "+addr+"\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReader(conn)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Close {
			t.Fatalf("healthz: %d, close %v", resp.StatusCode, resp.Close)
		}
		took := closedWithin(t, "an idle keep-alive connection", conn, br)
		t.Logf("idle connection closed after %v (HTTP_IDLE_TIMEOUT 1s)", took)
	})

	t.Run("oversized update", func(t *testing.T) {
		req, _ := http.NewRequest("POST", "http://"+addr+"/telegram/webhook", strings.NewReader(`{"update_id":1,"x":"`+strings.Repeat("a", 2<<20)+`"}`))
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("a 2 MiB update: %d, want 413", resp.StatusCode)
		}
	})
}
