package main

import (
	"strconv"
	"strings"
	"testing"
)

// names lists calls as method:text, for comparisons.
func names(cs []replayCall) string {
	var parts []string
	for _, c := range cs {
		parts = append(parts, c.method+":"+c.params["text"])
	}
	return strings.Join(parts, " ")
}

func TestTrafficRecordsByUpdateAndReplaysEveryCall(t *testing.T) {
	const base = firstChat
	tr := newTraffic(2, 4)
	send := func(chat int64, method, text string) {
		tr.onCall(method, map[string]string{"chat_id": itoa(chat), "text": text})
	}
	u := int64(base) // user 0
	tr.sending(u, 0)
	send(u, "sendMessage", "welcome")
	tr.onCall("answerCallbackQuery", map[string]string{"callback_query_id": "cq1"}) // no chat: left out
	tr.onCall("setMyCommands", map[string]string{"commands": "[]"})                 // set-up: left out
	tr.sending(u, 1)
	send(u, "editMessageReplyMarkup", "")
	send(u, "sendMessage", "searching")
	send(u, "sendMessage", "card1")
	send(u, "sendVenue", "")
	send(u, "sendMessage", "card2")
	tr.sending(u, 2) // the user took card2 for the whole answer: update 2's answer is late
	tr.sending(u, 3)
	send(u, "sendMessage", "what now")
	send(base+5, "sendMessage", "not a user of this run")
	if got := names(tr.calls[0][1]); got != "editMessageReplyMarkup: sendMessage:searching sendMessage:card1 sendVenue: sendMessage:card2" {
		t.Fatalf("update 1's calls: %s", got)
	}
	tr.queue()
	var all []string
	for k := range 4 {
		got := names(tr.take(0, k, 4))
		if got == "" {
			t.Fatalf("update %d gets no message to answer it", k)
		}
		all = append(all, got)
	}
	// Three answers for four updates: the referral is split after its
	// first message, so that each update is answered and nothing is lost.
	want := []string{
		"sendMessage:welcome",
		"editMessageReplyMarkup: sendMessage:searching",
		"sendMessage:card1 sendVenue: sendMessage:card2",
		"sendMessage:what now",
	}
	for k := range want {
		if all[k] != want[k] {
			t.Errorf("update %d replays %q, want %q", k, all[k], want[k])
		}
	}
	if got := tr.take(1, 0, 4); got != nil {
		t.Errorf("user 1 made no call but replays %s", names(got))
	}
}

func TestTrafficLastUpdateTakesTheRest(t *testing.T) {
	const base = firstChat
	tr := newTraffic(1, 2)
	tr.sending(base, 0)
	tr.onCall("sendMessage", map[string]string{"chat_id": itoa(base), "text": "a"})
	tr.sending(base, 1)
	tr.onCall("sendMessage", map[string]string{"chat_id": itoa(base), "text": "b"})
	tr.onCall("sendMessage", map[string]string{"chat_id": itoa(base), "text": "c"})
	tr.queue()
	if got := names(tr.take(0, 0, 2)); got != "sendMessage:a" {
		t.Fatalf("first: %s", got)
	}
	if got := names(tr.take(0, 1, 2)); got != "sendMessage:b sendMessage:c" {
		t.Fatalf("last: %s", got)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
