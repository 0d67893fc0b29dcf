package bot

import (
	"bytes"
	"encoding/json"
	"testing"
)

// TestOutJSONMatchesEncodingJSON: outbox items are written by hand; they
// must read back as encoding/json wrote them before.
func TestOutJSONMatchesEncodingJSON(t *testing.T) {
	for _, o := range []out{
		{Method: "sendMessage", Params: map[string]string{"chat_id": "42", "text": "مرحبا <b>&</b> \"quoted\"\n\u2028",
			"reply_markup":         `{"inline_keyboard":[[{"text":"Français","callback_data":"lang:fr"}]]}`,
			"link_preview_options": `{"is_disabled":true}`}},
		{Method: "answerCallbackQuery", Params: map[string]string{}},
		{Method: "editMessageReplyMarkup"},
		{Method: "copyMessage", Params: map[string]string{"chat_id": "-100"}, After: "ho.relayed", Note: map[string]string{"user": "5000000001", "b": "é"}},
		{Method: "sendMessage", Params: map[string]string{}, After: "x", Note: map[string]string{}},
		{Method: "editMessageText", Params: map[string]string{"text": "x"}, Ref: "card:r1"},
		{Method: "sendMessage", After: "bot.keep", Note: map[string]string{"keep": "a"}, Ref: "b"},
		{Method: "bad \xff utf8", Params: map[string]string{"z": "1", "a": "2", "m\x00": "\t"}},
	} {
		want, err := json.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		got := o.appendJSON(nil)
		if !bytes.Equal(got, want) {
			t.Fatalf("got  %s\nwant %s", got, want)
		}
		var back out
		if err := json.Unmarshal(got, &back); err != nil || back.Method != o.Method && o.Method != "bad \xff utf8" {
			t.Fatalf("read back %+v, %v", back, err)
		}
	}
}
