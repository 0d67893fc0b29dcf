package telegram_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/dalil-tt/dalil/bot/bottest"
	"github.com/dalil-tt/dalil/bot/telegram"
)

func TestClientAgainstFakeServer(t *testing.T) {
	srv := bottest.New(bottest.Options{})
	defer srv.Close()
	ctx := context.Background()
	c, err := telegram.New(ctx, srv.Token(), srv.APIURL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Self.Username != bottest.BotUsername {
		t.Fatalf("getMe: got %+v", c.Self)
	}

	kb := &telegram.InlineKeyboard{InlineKeyboard: [][]telegram.InlineButton{{{Text: "Français", CallbackData: "l:fr"}}}}
	m, err := c.SendMessage(ctx, 42, "مرحبا", kb)
	if err != nil {
		t.Fatal(err)
	}
	got := srv.Received(42)
	if len(got) != 1 || got[0].Text != "مرحبا" || got[0].Buttons[0][0].Data != "l:fr" || m.MessageID != got[0].ID {
		t.Fatalf("received %+v", got)
	}

	srv.Fail("sendMessage", bottest.Fault{Code: 429, RetryAfter: 3})
	_, err = c.SendMessage(ctx, 42, "x", nil)
	var te *telegram.Error
	if !errors.As(err, &te) || te.Code != 429 || te.RetryAfter != 3*time.Second || !te.Temporary() {
		t.Fatalf("429: got %v", err)
	}
	srv.Block(42)
	_, err = c.SendMessage(ctx, 42, "x", nil)
	if telegram.Code(err) != 403 {
		t.Fatalf("blocked: got %v", err)
	}

	// A slow answer is cut by the call's context.
	srv.Fail("sendChatAction", bottest.Fault{Delay: 2 * time.Second})
	cctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = c.Call(cctx, "sendChatAction", telegram.Params{"chat_id": "42", "action": "typing"})
	if err == nil || time.Since(start) > time.Second || !telegram.IsNetwork(err) {
		t.Fatalf("timeout: got %v after %v", err, time.Since(start))
	}

	// getUpdates: long polling returns as soon as an update arrives.
	// The update arrives once the long poll is waiting at the server.
	polls := srv.Counts()["getUpdates"]
	go func() {
		srv.WaitFor(func() bool { return srv.Counts()["getUpdates"] > polls }, 5*time.Second)
		srv.Text(7, "salam")
	}()
	ups, err := c.GetUpdates(ctx, 0, 100, 5*time.Second, nil)
	if err != nil || len(ups) != 1 || ups[0].Message.Text != "salam" || ups[0].ChatID() != 7 {
		t.Fatalf("getUpdates: %v %+v", err, ups)
	}
	// Confirming with offset empties the queue.
	ups, err = c.GetUpdates(ctx, ups[0].UpdateID+1, 100, 0, nil)
	if err != nil || len(ups) != 0 || srv.Pending() != 0 {
		t.Fatalf("confirm: %v %+v", err, ups)
	}
}

// A method the server does not know, answered with a plain 404 page, is a
// 404 error (not retried as a network error); a plain 502 is a 502.
func TestNonJSONAnswers(t *testing.T) {
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/getMe"):
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"ok":true,"result":{"id":1,"is_bot":true,"first_name":"B","username":"b"}}`))
		case strings.HasSuffix(r.URL.Path, "/sendVenue"):
			http.Error(w, "bad gateway", http.StatusBadGateway)
		default:
			http.NotFound(w, r)
		}
	}))
	defer hs.Close()
	ctx := context.Background()
	c, err := telegram.New(ctx, "1:x", hs.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Call(ctx, "setMyShortDescription", telegram.Params{}); telegram.Code(err) != 404 || telegram.IsNetwork(err) {
		t.Fatalf("plain 404: %v (code %d)", err, telegram.Code(err))
	}
	var te *telegram.Error
	if _, err := c.Call(ctx, "sendVenue", telegram.Params{}); !errors.As(err, &te) || te.Code != 502 || !te.Temporary() {
		t.Fatalf("plain 502: %v", err)
	}
}

// TestNetworkErrorHidesToken: a transport error names the request's URL,
// which holds the bot token; what reaches the logs must not.
func TestNetworkErrorHidesToken(t *testing.T) {
	srv := bottest.New(bottest.Options{})
	ctx := context.Background()
	c, err := telegram.New(ctx, srv.Token(), srv.APIURL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	srv.Close()
	_, err = c.SendMessage(ctx, 42, "x", nil)
	if err == nil {
		t.Fatal("a call to a closed server succeeded")
	}
	if strings.Contains(err.Error(), srv.Token()) || !strings.Contains(err.Error(), "<token>") {
		t.Fatalf("error text: %v", err)
	}
	if !telegram.IsNetwork(err) {
		t.Fatalf("not seen as a network error: %v", err)
	}
}

func TestGetMeErrorHidesToken(t *testing.T) {
	srv := bottest.New(bottest.Options{})
	srv.Close()
	_, err := telegram.New(context.Background(), srv.Token(), srv.APIURL(), nil)
	if err == nil || strings.Contains(err.Error(), srv.Token()) {
		t.Fatalf("error text: %v", err)
	}
}
