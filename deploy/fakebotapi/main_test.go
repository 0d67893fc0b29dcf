package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dalil-tt/dalil/bot/bottest"
)

type syncBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// The test plays the bot: it sends a message with buttons through the Bot
// API and reads what the typed lines became with getUpdates.
func TestTypingReachesTheBot(t *testing.T) {
	in, typing := io.Pipe()
	out := &syncBuf{}
	srvc := make(chan *bottest.Server, 1)
	done := make(chan struct{})
	go func() { run(in, out, 42, func(s *bottest.Server) { srvc <- s }); close(done) }()
	srv := <-srvc
	call := func(method string, v url.Values) map[string]any {
		resp, err := http.PostForm(srv.APIURL()+"/bot"+srv.Token()+"/"+method, v)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var r map[string]any
		json.NewDecoder(resp.Body).Decode(&r)
		if r["ok"] != true {
			t.Fatalf("%s: %v", method, r)
		}
		return r
	}
	call("sendMessage", url.Values{"chat_id": {"42"}, "text": {"Choisissez"},
		"reply_markup": {`{"inline_keyboard":[[{"text":"Oui","callback_data":"yes"},{"text":"Non","callback_data":"no"}]]}`}})
	if !strings.Contains(out.String(), "bot [sendMessage]: Choisissez\n   1. Oui\n   2. Non\n") {
		t.Fatalf("printed %q", out.String())
	}
	io.WriteString(typing, "!2\nbonjour\n!9\n")
	var got string
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) && !(strings.Contains(got, `"data":"no"`) && strings.Contains(got, `"text":"bonjour"`)) {
		r := call("getUpdates", url.Values{"timeout": {"1"}})
		b, _ := json.Marshal(r["result"])
		got += string(b)
	}
	if !strings.Contains(got, `"data":"no"`) || !strings.Contains(got, `"text":"bonjour"`) {
		t.Fatalf("updates %s: want the press of button 2 and the text", got)
	}
	typing.Close()
	<-done
	if !strings.Contains(out.String(), "# no button 9") {
		t.Errorf("a press of a missing button was not reported: %q", out.String())
	}
}
