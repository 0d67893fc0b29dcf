package telegram

import (
	"encoding/json"
	"fmt"
)

// The Bot API objects Dalil reads. Only the fields it uses are decoded;
// kinds of message it does not read (photo, voice…) are kept raw so that
// their presence is known.

// Update is one incoming update.
type Update struct {
	UpdateID      int64          `json:"update_id"`
	Message       *Message       `json:"message,omitempty"`
	EditedMessage *Message       `json:"edited_message,omitempty"`
	CallbackQuery *CallbackQuery `json:"callback_query,omitempty"`
	MyChatMember  *ChatMember    `json:"my_chat_member,omitempty"`
	ChannelPost   *Message       `json:"channel_post,omitempty"`
}

// ChatID returns the chat the update belongs to, 0 when none.
func (u *Update) ChatID() int64 {
	switch {
	case u.Message != nil:
		return u.Message.Chat.ID
	case u.EditedMessage != nil:
		return u.EditedMessage.Chat.ID
	case u.CallbackQuery != nil && u.CallbackQuery.Message != nil:
		return u.CallbackQuery.Message.Chat.ID
	case u.CallbackQuery != nil && u.CallbackQuery.From != nil:
		return u.CallbackQuery.From.ID
	case u.MyChatMember != nil:
		return u.MyChatMember.Chat.ID
	case u.ChannelPost != nil:
		return u.ChannelPost.Chat.ID
	}
	return 0
}

// From returns the user who caused the update, or nil.
func (u *Update) From() *User {
	switch {
	case u.Message != nil:
		return u.Message.From
	case u.EditedMessage != nil:
		return u.EditedMessage.From
	case u.CallbackQuery != nil:
		return u.CallbackQuery.From
	case u.MyChatMember != nil:
		return u.MyChatMember.From
	}
	return nil
}

// User is a Telegram user or bot.
type User struct {
	ID           int64  `json:"id"`
	IsBot        bool   `json:"is_bot,omitempty"`
	FirstName    string `json:"first_name,omitempty"`
	LastName     string `json:"last_name,omitempty"`
	Username     string `json:"username,omitempty"`
	LanguageCode string `json:"language_code,omitempty"`
}

// Chat is a conversation: private, group, supergroup or channel.
type Chat struct {
	ID      int64  `json:"id"`
	Type    string `json:"type"`
	Title   string `json:"title,omitempty"`
	IsForum bool   `json:"is_forum,omitempty"`
}

// Private reports whether the chat is a one-to-one chat with a user.
func (c Chat) Private() bool { return c.Type == "private" || c.Type == "" }

// Message is a message; the media kinds Dalil does not read stay raw.
type Message struct {
	MessageID       int64           `json:"message_id"`
	MessageThreadID int64           `json:"message_thread_id,omitempty"`
	IsTopicMessage  bool            `json:"is_topic_message,omitempty"`
	From            *User           `json:"from,omitempty"`
	Chat            Chat            `json:"chat"`
	Date            int64           `json:"date"`
	EditDate        int64           `json:"edit_date,omitempty"`
	Text            string          `json:"text,omitempty"`
	Caption         string          `json:"caption,omitempty"`
	ReplyToMessage  *Message        `json:"reply_to_message,omitempty"`
	ReplyMarkup     *InlineKeyboard `json:"reply_markup,omitempty"`
	Location        *Location       `json:"location,omitempty"`
	Venue           *Venue          `json:"venue,omitempty"`
	Contact         *Contact        `json:"contact,omitempty"`

	Photo     json.RawMessage `json:"photo,omitempty"`
	Sticker   json.RawMessage `json:"sticker,omitempty"`
	Voice     json.RawMessage `json:"voice,omitempty"`
	Audio     json.RawMessage `json:"audio,omitempty"`
	Video     json.RawMessage `json:"video,omitempty"`
	VideoNote json.RawMessage `json:"video_note,omitempty"`
	Animation json.RawMessage `json:"animation,omitempty"`
	Document  json.RawMessage `json:"document,omitempty"`
	Poll      json.RawMessage `json:"poll,omitempty"`
	Dice      json.RawMessage `json:"dice,omitempty"`

	NewChatMembers    json.RawMessage `json:"new_chat_members,omitempty"`
	LeftChatMember    json.RawMessage `json:"left_chat_member,omitempty"`
	ForumTopicCreated json.RawMessage `json:"forum_topic_created,omitempty"`
	// A group that became a supergroup: the service message in the old
	// group names the new id, the one in the supergroup the old id.
	MigrateToChatID   int64 `json:"migrate_to_chat_id,omitempty"`
	MigrateFromChatID int64 `json:"migrate_from_chat_id,omitempty"`
}

// Media names the kind of a message that is not text, location or
// contact ("photo", "voice"…), "" for a text.
func (m *Message) Media() string {
	switch {
	case m.Photo != nil:
		return "photo"
	case m.Sticker != nil:
		return "sticker"
	case m.Voice != nil:
		return "voice"
	case m.Audio != nil:
		return "audio"
	case m.Video != nil:
		return "video"
	case m.VideoNote != nil:
		return "video_note"
	case m.Animation != nil:
		return "animation"
	case m.Document != nil:
		return "document"
	case m.Poll != nil:
		return "poll"
	case m.Dice != nil:
		return "dice"
	case m.Contact != nil:
		return "contact"
	}
	return ""
}

// Service reports whether the message is a service message (members
// joined, topic created…) rather than something a person wrote.
func (m *Message) Service() bool {
	return m.NewChatMembers != nil || m.LeftChatMember != nil || m.ForumTopicCreated != nil ||
		m.MigrateToChatID != 0 || m.MigrateFromChatID != 0
}

// Location is a point on the map.
type Location struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
}

// Venue is a named place.
type Venue struct {
	Location Location `json:"location"`
	Title    string   `json:"title"`
	Address  string   `json:"address"`
}

// Contact is a shared phone contact.
type Contact struct {
	PhoneNumber string `json:"phone_number"`
	FirstName   string `json:"first_name"`
	UserID      int64  `json:"user_id,omitempty"`
}

// CallbackQuery is an inline button press.
type CallbackQuery struct {
	ID      string   `json:"id"`
	From    *User    `json:"from"`
	Message *Message `json:"message,omitempty"`
	Data    string   `json:"data,omitempty"`
}

// ChatMember is a change of the bot's membership in a chat.
type ChatMember struct {
	Chat          Chat  `json:"chat"`
	From          *User `json:"from"`
	Date          int64 `json:"date"`
	NewChatMember struct {
		Status string `json:"status"`
	} `json:"new_chat_member"`
}

// InlineKeyboard is an inline keyboard markup.
type InlineKeyboard struct {
	InlineKeyboard [][]InlineButton `json:"inline_keyboard"`
}

// InlineButton is one inline button.
type InlineButton struct {
	Text         string `json:"text"`
	CallbackData string `json:"callback_data,omitempty"`
	URL          string `json:"url,omitempty"`
}

// Head is what routes an update: its id and its chat (0 when none).
type Head struct {
	UpdateID int64
	Chat     int64
}

// ReadHead decodes only the fields of a raw update that route it. It costs
// a fraction of a full decode (no text, entities or keyboards are kept),
// which the receiving side would throw away: the update is queued as the
// raw bytes Telegram sent, fields this client does not know included.
func ReadHead(raw []byte) (Head, error) {
	type chatOnly struct {
		Chat Chat `json:"chat"`
	}
	var h struct {
		UpdateID      int64     `json:"update_id"`
		Message       *chatOnly `json:"message"`
		EditedMessage *chatOnly `json:"edited_message"`
		CallbackQuery *struct {
			From *struct {
				ID int64 `json:"id"`
			} `json:"from"`
			Message *chatOnly `json:"message"`
		} `json:"callback_query"`
		MyChatMember *chatOnly `json:"my_chat_member"`
		ChannelPost  *chatOnly `json:"channel_post"`
	}
	if err := json.Unmarshal(raw, &h); err != nil {
		return Head{}, fmt.Errorf("telegram update: %w", err)
	}
	// The same choice as ChatID, on the same shapes.
	msg := func(c *chatOnly) *Message {
		if c == nil {
			return nil
		}
		return &Message{Chat: c.Chat}
	}
	u := Update{UpdateID: h.UpdateID, Message: msg(h.Message), EditedMessage: msg(h.EditedMessage),
		ChannelPost: msg(h.ChannelPost)}
	if h.MyChatMember != nil {
		u.MyChatMember = &ChatMember{Chat: h.MyChatMember.Chat}
	}
	if cq := h.CallbackQuery; cq != nil {
		u.CallbackQuery = &CallbackQuery{Message: msg(cq.Message)}
		if cq.From != nil {
			u.CallbackQuery.From = &User{ID: cq.From.ID}
		}
	}
	return Head{UpdateID: h.UpdateID, Chat: u.ChatID()}, nil
}
