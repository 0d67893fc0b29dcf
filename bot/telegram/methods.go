package telegram

import (
	"encoding/json"
	"strconv"
)

// Request is one typed Bot API call: the methods Dalil sends, each with the
// fields it uses. Callers build these instead of parameter maps, so the
// parameter names and encodings live here only.
type Request interface {
	Method() string
	Params() Params
}

func id(v int64) string { return strconv.FormatInt(v, 10) }

// chatParams starts parameters for chat, in a forum topic when thread != 0.
func chatParams(chat, thread int64) Params {
	p := Params{"chat_id": id(chat)}
	if thread != 0 {
		p["message_thread_id"] = id(thread)
	}
	return p
}

func setJSON(p Params, key string, v any) {
	b, _ := json.Marshal(v) // the types here always encode
	p[key] = string(b)
}

// SendMessage sends a text.
type SendMessage struct {
	ChatID, ThreadID int64
	Text             string
	ReplyTo          int64 // message answered, 0 for none
	// AllowWithoutReply sends the message even when ReplyTo was deleted.
	AllowWithoutReply bool
	// Entities is the text's formatting, as the Bot API's JSON array of
	// MessageEntity ("" for none).
	Entities       string
	Keyboard       *InlineKeyboard // inline buttons under the text
	RemoveKeyboard bool            // take away a reply keyboard shown before
	NoPreview      bool            // no link preview
	// ReplyKeyboard is a reply keyboard (buttons replacing the user's
	// keyboard, such as sharing a phone number), when neither of the above.
	ReplyKeyboard *ReplyKeyboard
}

// ReplyKeyboard is a keyboard shown in place of the user's own.
type ReplyKeyboard struct {
	Keyboard        [][]KeyboardButton `json:"keyboard"`
	ResizeKeyboard  bool               `json:"resize_keyboard,omitempty"`
	OneTimeKeyboard bool               `json:"one_time_keyboard,omitempty"`
}

// KeyboardButton is one reply keyboard button.
type KeyboardButton struct {
	Text           string `json:"text"`
	RequestContact bool   `json:"request_contact,omitempty"`
}

func (SendMessage) Method() string { return "sendMessage" }
func (r SendMessage) Params() Params {
	p := chatParams(r.ChatID, r.ThreadID)
	p["text"] = r.Text
	replyParams(p, r.ReplyTo, r.AllowWithoutReply)
	if r.Entities != "" {
		p["entities"] = r.Entities
	}
	switch {
	case r.Keyboard != nil:
		setJSON(p, "reply_markup", r.Keyboard)
	case r.RemoveKeyboard:
		p["reply_markup"] = `{"remove_keyboard":true}`
	case r.ReplyKeyboard != nil:
		setJSON(p, "reply_markup", r.ReplyKeyboard)
	}
	if r.NoPreview {
		p["link_preview_options"] = `{"is_disabled":true}`
	}
	return p
}

func replyParams(p Params, to int64, allowWithout bool) {
	if to != 0 {
		p["reply_to_message_id"] = id(to)
		if allowWithout {
			p["allow_sending_without_reply"] = "true"
		}
	}
}

// CopyMessage copies a message (a photo, a file, a location…) from one
// chat to another without a link to the original.
type CopyMessage struct {
	ChatID, ThreadID  int64
	FromChatID        int64
	MessageID         int64
	ReplyTo           int64 // message answered, 0 for none
	AllowWithoutReply bool
	// Caption replaces the original's caption when set, with its
	// formatting (CaptionEntities, a JSON array of MessageEntity).
	Caption, CaptionEntities string
}

func (CopyMessage) Method() string { return "copyMessage" }
func (r CopyMessage) Params() Params {
	p := chatParams(r.ChatID, r.ThreadID)
	p["from_chat_id"], p["message_id"] = id(r.FromChatID), id(r.MessageID)
	replyParams(p, r.ReplyTo, r.AllowWithoutReply)
	if r.Caption != "" {
		p["caption"] = r.Caption
		if r.CaptionEntities != "" {
			p["caption_entities"] = r.CaptionEntities
		}
	}
	return p
}

// EditMessageText replaces a message's text (and its buttons: nil
// Keyboard removes them).
type EditMessageText struct {
	ChatID, MessageID int64
	Text              string
	Keyboard          *InlineKeyboard
}

func (EditMessageText) Method() string { return "editMessageText" }
func (r EditMessageText) Params() Params {
	p := Params{"chat_id": id(r.ChatID), "message_id": id(r.MessageID), "text": r.Text}
	if r.Keyboard != nil {
		setJSON(p, "reply_markup", r.Keyboard)
	} else {
		p["reply_markup"] = `{"inline_keyboard":[]}`
	}
	return p
}

// EditMessageReplyMarkup replaces a message's buttons; nil Keyboard removes
// them all.
type EditMessageReplyMarkup struct {
	ChatID, MessageID int64
	Keyboard          *InlineKeyboard
}

func (EditMessageReplyMarkup) Method() string { return "editMessageReplyMarkup" }
func (r EditMessageReplyMarkup) Params() Params {
	p := Params{"chat_id": id(r.ChatID), "message_id": id(r.MessageID)}
	if r.Keyboard != nil {
		setJSON(p, "reply_markup", r.Keyboard)
	} else {
		p["reply_markup"] = `{"inline_keyboard":[]}`
	}
	return p
}

// AnswerCallbackQuery answers a button press (Text shown as a toast).
type AnswerCallbackQuery struct {
	ID   string
	Text string
}

func (AnswerCallbackQuery) Method() string { return "answerCallbackQuery" }
func (r AnswerCallbackQuery) Params() Params {
	p := Params{"callback_query_id": r.ID}
	if r.Text != "" {
		p["text"] = r.Text
	}
	return p
}

// SendChatAction shows "typing…" (Action "typing") for a few seconds.
type SendChatAction struct {
	ChatID int64
	Action string
}

func (SendChatAction) Method() string { return "sendChatAction" }
func (r SendChatAction) Params() Params {
	return Params{"chat_id": id(r.ChatID), "action": r.Action}
}

// SendVenue sends a place on a map with its name and address.
type SendVenue struct {
	ChatID              int64
	Latitude, Longitude float64
	Title, Address      string
}

func (SendVenue) Method() string { return "sendVenue" }
func (r SendVenue) Params() Params {
	return Params{"chat_id": id(r.ChatID),
		"latitude":  strconv.FormatFloat(r.Latitude, 'f', 6, 64),
		"longitude": strconv.FormatFloat(r.Longitude, 'f', 6, 64),
		"title":     r.Title, "address": r.Address}
}

// DeleteMessage deletes a message.
type DeleteMessage struct{ ChatID, MessageID int64 }

func (DeleteMessage) Method() string { return "deleteMessage" }
func (r DeleteMessage) Params() Params {
	return Params{"chat_id": id(r.ChatID), "message_id": id(r.MessageID)}
}

// CreateForumTopic opens a topic in a forum group.
type CreateForumTopic struct {
	ChatID int64
	Name   string
}

func (CreateForumTopic) Method() string { return "createForumTopic" }
func (r CreateForumTopic) Params() Params {
	return Params{"chat_id": id(r.ChatID), "name": r.Name}
}

// EditForumTopic renames a topic.
type EditForumTopic struct {
	ChatID, ThreadID int64
	Name             string
}

func (EditForumTopic) Method() string { return "editForumTopic" }
func (r EditForumTopic) Params() Params {
	p := chatParams(r.ChatID, r.ThreadID)
	p["name"] = r.Name
	return p
}

// TopicAction closes, reopens or deletes a forum topic.
type TopicAction struct {
	Action           string // "closeForumTopic", "reopenForumTopic", "deleteForumTopic"
	ChatID, ThreadID int64
}

func (r TopicAction) Method() string { return r.Action }
func (r TopicAction) Params() Params { return chatParams(r.ChatID, r.ThreadID) }

// GetChat reads a chat (a group's kind, a user's first name).
type GetChat struct{ ChatID int64 }

func (GetChat) Method() string   { return "getChat" }
func (r GetChat) Params() Params { return Params{"chat_id": id(r.ChatID)} }

// GetChatMember reads a user's membership of a group.
type GetChatMember struct{ ChatID, UserID int64 }

func (GetChatMember) Method() string { return "getChatMember" }
func (r GetChatMember) Params() Params {
	return Params{"chat_id": id(r.ChatID), "user_id": id(r.UserID)}
}
