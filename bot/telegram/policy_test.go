package telegram

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorded serves getMe, then the recorded answers in turn for every other
// call (the last one again when they run out), and counts the calls.
type recorded struct {
	mu      sync.Mutex
	answers []string // file names under testdata/answers
	calls   []string // chat_id of each call
}

func (r *recorded) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if strings.HasSuffix(req.URL.Path, "/getMe") {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":true,"result":{"id":7000000001,"is_bot":true,"first_name":"Dalil","username":"dalil_bot"}}`))
		return
	}
	_ = req.ParseForm()
	r.mu.Lock()
	r.calls = append(r.calls, req.Form.Get("chat_id"))
	name := r.answers[min(len(r.calls), len(r.answers))-1]
	r.mu.Unlock()
	body, err := os.ReadFile(filepath.Join("testdata", "answers", name))
	if err != nil {
		http.Error(w, err.Error(), 599)
		return
	}
	status, _ := strconv.Atoi(name[:3])
	if strings.HasPrefix(name, "ok") {
		status = 200
	}
	if strings.HasSuffix(name, ".json") {
		w.Header().Set("Content-Type", "application/json")
	} else {
		w.Header().Set("Content-Type", "text/html")
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func (r *recorded) chats() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.calls...)
}

func newRecorded(t *testing.T, answers ...string) (*Client, *recorded) {
	t.Helper()
	rec := &recorded{answers: answers}
	hs := httptest.NewServer(rec)
	t.Cleanup(hs.Close)
	c, err := New(context.Background(), "123:abc", hs.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c, rec
}

// TestClassifyRecorded runs each recorded answer through the real client
// (the library's parsing included) and the policy.
func TestClassifyRecorded(t *testing.T) {
	cases := []struct {
		answer, method string
		want           Verdict
	}{
		{"ok.json", "sendMessage", Verdict{Class: Sent}},
		{"403-blocked.json", "sendMessage", Verdict{Class: Blocked}},
		{"403-kicked.json", "sendMessage", Verdict{Class: Blocked}},
		{"403-deactivated.json", "copyMessage", Verdict{Class: Blocked}},
		{"400-chat-not-found.json", "sendMessage", Verdict{Class: Rejected}},
		{"400-thread-not-found.json", "sendMessage", Verdict{Class: Rejected}},
		{"401-unauthorized.json", "sendMessage", Verdict{Class: Rejected}},
		{"400-not-modified.json", "editMessageReplyMarkup", Verdict{Class: Done}},
		{"400-not-modified.json", "editMessageText", Verdict{Class: Done}},
		{"400-edit-not-found.json", "editMessageText", Verdict{Class: Done}},
		// The same words on a call that is not an edit are no excuse.
		{"400-edit-not-found.json", "sendMessage", Verdict{Class: Rejected}},
		{"400-migrated.json", "sendMessage", Verdict{Class: Migrated, MigrateTo: -1001987654321}},
		{"429-retry-after-35.json", "sendMessage", Verdict{Class: RetryLater, RetryAfter: 35 * time.Second}},
		{"500-internal.json", "sendMessage", Verdict{Class: RetryLater}},
		{"502-bad-gateway.json", "editForumTopic", Verdict{Class: RetryLater}},
		{"502-proxy-page.html", "sendMessage", Verdict{Class: RetryLater}},
	}
	for _, tc := range cases {
		t.Run(tc.answer+"/"+tc.method, func(t *testing.T) {
			c, _ := newRecorded(t, tc.answer)
			_, err := c.Call(context.Background(), tc.method, Params{"chat_id": "5000000001", "text": "x"})
			if got := Classify(tc.method, err); got != tc.want {
				t.Errorf("Classify = %+v (%v), want %+v", got, err, tc.want)
			}
		})
	}
}

func TestClassifyNetwork(t *testing.T) {
	c, err := New(context.Background(), "123:abc", "http://127.0.0.1:1", nil)
	if err == nil {
		t.Fatal("getMe on a closed port succeeded")
	}
	_ = c
	if got := Classify("sendMessage", err); got.Class != RetryLater {
		t.Errorf("network error classified %v, want retry_later", got.Class)
	}
}

// TestSenderPolicy drives the sender through recorded answer sequences.
func TestSenderPolicy(t *testing.T) {
	cases := []struct {
		name    string
		method  string
		answers []string
		reason  string   // "" for success
		chats   []string // chat_id of each call made
	}{
		{"ok", "sendMessage", []string{"ok.json"}, "", []string{"5000000001"}},
		{"blocked at once", "sendMessage", []string{"403-blocked.json", "ok.json"}, "blocked", []string{"5000000001"}},
		{"rejected at once", "sendMessage", []string{"400-chat-not-found.json", "ok.json"}, "rejected", []string{"5000000001"}},
		{"edit not modified is done", "editMessageText", []string{"400-not-modified.json"}, "", []string{"5000000001"}},
		{"5xx retried", "sendMessage", []string{"502-bad-gateway.json", "500-internal.json", "ok.json"}, "", []string{"5000000001", "5000000001", "5000000001"}},
		{"5xx gives up", "sendMessage", []string{"502-proxy-page.html"}, "gave_up", []string{"5000000001", "5000000001", "5000000001"}},
		{"429 waited out", "sendMessage", []string{"429-retry-after-1.json", "ok.json"}, "", []string{"5000000001", "5000000001"}},
		{"migrated follows", "sendMessage", []string{"400-migrated.json", "ok.json"}, "", []string{"5000000001", "-1001987654321"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, rec := newRecorded(t, tc.answers...)
			var waited time.Duration
			s := &Sender{API: c, Attempts: 3, Backoff: time.Millisecond,
				Hooks: Hooks{Waited: func(_ string, d time.Duration) { waited += d }}}
			_, err := s.Do(context.Background(), 5000000001, tc.method, Params{"chat_id": "5000000001", "text": "x"})
			reason := ""
			var se *SendError
			if errors.As(err, &se) {
				reason = se.Reason
			} else if err != nil {
				t.Fatalf("error %v is not a *SendError", err)
			}
			if reason != tc.reason {
				t.Errorf("reason %q (%v), want %q", reason, err, tc.reason)
			}
			if got := rec.chats(); strings.Join(got, ",") != strings.Join(tc.chats, ",") {
				t.Errorf("calls to %v, want %v", got, tc.chats)
			}
			if tc.name == "429 waited out" && waited != time.Second {
				t.Errorf("waited %v on 429, want retry_after 1s", waited)
			}
		})
	}
}

// A long retry_after is waited out, not given up on: the sender stops only
// when its context ends.
func TestSenderLongRetryAfter(t *testing.T) {
	c, rec := newRecorded(t, "429-retry-after-35.json", "ok.json")
	waiting := make(chan time.Duration, 1)
	s := &Sender{API: c, Hooks: Hooks{Waited: func(_ string, d time.Duration) { waiting <- d }}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := s.Do(ctx, 5000000001, "sendMessage", Params{"chat_id": "5000000001", "text": "x"})
		done <- err
	}()
	if d := <-waiting; d != 35*time.Second {
		t.Fatalf("waiting %v, want 35s", d)
	}
	cancel()
	var se *SendError
	if err := <-done; !errors.As(err, &se) || se.Reason != "stopped" {
		t.Fatalf("got %v, want stopped", err)
	}
	if n := len(rec.chats()); n != 1 {
		t.Fatalf("%d calls, want 1", n)
	}
}
