package telegram

import (
	"encoding/json"
	"testing"
)

func TestReadHeadRoutesAsTheFullDecode(t *testing.T) {
	for _, raw := range []string{
		`{"update_id":1,"message":{"message_id":5,"chat":{"id":42,"type":"private"},"text":"salam","entities":[{"type":"bold","offset":0,"length":5}]}}`,
		`{"update_id":2,"edited_message":{"message_id":5,"chat":{"id":-100123,"type":"supergroup"},"text":"x"}}`,
		`{"update_id":3,"callback_query":{"id":"cq9","from":{"id":7},"message":{"message_id":8,"chat":{"id":43,"type":"private"},"reply_markup":{"inline_keyboard":[[{"text":"A","callback_data":"c:a"}]]}},"data":"c:a"}}`,
		`{"update_id":4,"callback_query":{"id":"cq10","from":{"id":77},"inline_message_id":"im","data":"c:b"}}`,
		`{"update_id":5,"my_chat_member":{"chat":{"id":-5,"type":"group"},"from":{"id":1},"date":1,"new_chat_member":{"status":"member"}}}`,
		`{"update_id":6,"channel_post":{"message_id":1,"chat":{"id":-1009,"type":"channel"}}}`,
		`{"update_id":7,"poll":{"id":"p"}}`,
		`{"update_id":8,"message":{"message_id":1,"chat":{"id":44,"type":"private"},"story":{"id":1},"new_field_from_a_later_bot_api":true}}`,
	} {
		var full Update
		if err := json.Unmarshal([]byte(raw), &full); err != nil {
			t.Fatal(err)
		}
		h, err := ReadHead([]byte(raw))
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		want := Head{UpdateID: full.UpdateID, Chat: full.ChatID()}
		if h != want {
			t.Errorf("%s:\n head %+v\n want %+v", raw, h, want)
		}
	}
	if _, err := ReadHead([]byte(`{"update_id":`)); err == nil {
		t.Error("a cut update reads without error")
	}
}

func BenchmarkReadHead(b *testing.B) {
	raw := []byte(`{"update_id":3,"callback_query":{"id":"cq9","from":{"id":7,"first_name":"Amina","language_code":"ar"},"message":{"message_id":8,"from":{"id":1,"is_bot":true,"first_name":"Dalil"},"date":1700000000,"chat":{"id":43,"type":"private"},"text":"في أي مرحلة يوجد مشروعك؟","reply_markup":{"inline_keyboard":[[{"text":"💡 فكرة","callback_data":"c:3:stage:idea"},{"text":"🚀 إنشاء","callback_data":"c:3:stage:creation"}],[{"text":"📈 تطوير","callback_data":"c:3:stage:development"}],[{"text":"↩️ رجوع","callback_data":"back"}]]}},"chat_instance":"ci","data":"c:3:stage:idea"}}`)
	b.Run("head", func(b *testing.B) {
		for b.Loop() {
			if _, err := ReadHead(raw); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("full", func(b *testing.B) {
		for b.Loop() {
			var u Update
			if err := json.Unmarshal(raw, &u); err != nil {
				b.Fatal(err)
			}
		}
	})
}
