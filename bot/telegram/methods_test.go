package telegram

import (
	"maps"
	"testing"
)

// The parameters each typed call sends, as the Bot API names them; replies
// saved in an outbox by an earlier version hold these same maps.
func TestRequestParams(t *testing.T) {
	kb := &InlineKeyboard{InlineKeyboard: [][]InlineButton{{{Text: "Oui", CallbackData: "yn:1"}}}}
	const user, group = 5000000001, -1001234567890
	cases := []struct {
		r      Request
		method string
		want   Params
	}{
		{SendMessage{ChatID: user, Text: "Salam", NoPreview: true, Keyboard: kb}, "sendMessage", Params{
			"chat_id": "5000000001", "text": "Salam", "link_preview_options": `{"is_disabled":true}`,
			"reply_markup": `{"inline_keyboard":[[{"text":"Oui","callback_data":"yn:1"}]]}`}},
		{SendMessage{ChatID: group, ThreadID: 77, ReplyTo: 9, Text: "x", RemoveKeyboard: true}, "sendMessage", Params{
			"chat_id": "-1001234567890", "message_thread_id": "77", "reply_to_message_id": "9", "text": "x",
			"reply_markup": `{"remove_keyboard":true}`}},
		{SendMessage{ChatID: group, ReplyTo: 9, AllowWithoutReply: true, Text: "x", Entities: `[{"type":"blockquote","offset":0,"length":1}]`}, "sendMessage", Params{
			"chat_id": "-1001234567890", "reply_to_message_id": "9", "allow_sending_without_reply": "true", "text": "x",
			"entities": `[{"type":"blockquote","offset":0,"length":1}]`}},
		{CopyMessage{ChatID: group, ThreadID: 77, FromChatID: user, MessageID: 4, Caption: "c", CaptionEntities: "[]"}, "copyMessage", Params{
			"chat_id": "-1001234567890", "message_thread_id": "77", "from_chat_id": "5000000001", "message_id": "4",
			"caption": "c", "caption_entities": "[]"}},
		{CopyMessage{ChatID: user, FromChatID: group, MessageID: 4, ReplyTo: 2, AllowWithoutReply: true}, "copyMessage", Params{
			"chat_id": "5000000001", "from_chat_id": "-1001234567890", "message_id": "4",
			"reply_to_message_id": "2", "allow_sending_without_reply": "true"}},
		{AnswerCallbackQuery{ID: "q2", Text: "C'est à vous."}, "answerCallbackQuery", Params{"callback_query_id": "q2", "text": "C'est à vous."}},
		{EditMessageReplyMarkup{ChatID: user, MessageID: 12}, "editMessageReplyMarkup", Params{
			"chat_id": "5000000001", "message_id": "12", "reply_markup": `{"inline_keyboard":[]}`}},
		{EditMessageText{ChatID: group, MessageID: 3, Text: "card"}, "editMessageText", Params{
			"chat_id": "-1001234567890", "message_id": "3", "text": "card", "reply_markup": `{"inline_keyboard":[]}`}},
		{AnswerCallbackQuery{ID: "q1"}, "answerCallbackQuery", Params{"callback_query_id": "q1"}},
		{SendChatAction{ChatID: user, Action: "typing"}, "sendChatAction", Params{"chat_id": "5000000001", "action": "typing"}},
		{SendVenue{ChatID: user, Latitude: 35.5785, Longitude: -5.3684, Title: "CRI", Address: "Tétouan"}, "sendVenue", Params{
			"chat_id": "5000000001", "latitude": "35.578500", "longitude": "-5.368400", "title": "CRI", "address": "Tétouan"}},
		{DeleteMessage{ChatID: group, MessageID: 5}, "deleteMessage", Params{"chat_id": "-1001234567890", "message_id": "5"}},
		{CreateForumTopic{ChatID: group, Name: "Amina"}, "createForumTopic", Params{"chat_id": "-1001234567890", "name": "Amina"}},
		{EditForumTopic{ChatID: group, ThreadID: 8, Name: "—"}, "editForumTopic", Params{
			"chat_id": "-1001234567890", "message_thread_id": "8", "name": "—"}},
		{TopicAction{Action: "closeForumTopic", ChatID: group, ThreadID: 8}, "closeForumTopic", Params{
			"chat_id": "-1001234567890", "message_thread_id": "8"}},
		{GetChat{ChatID: user}, "getChat", Params{"chat_id": "5000000001"}},
		{GetChatMember{ChatID: group, UserID: user}, "getChatMember", Params{"chat_id": "-1001234567890", "user_id": "5000000001"}},
	}
	for _, tc := range cases {
		if m := tc.r.Method(); m != tc.method {
			t.Errorf("%T: method %q, want %q", tc.r, m, tc.method)
		}
		if got := tc.r.Params(); !maps.Equal(got, tc.want) {
			t.Errorf("%T: params %v, want %v", tc.r, got, tc.want)
		}
	}
}
