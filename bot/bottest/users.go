package bottest

import (
	"strconv"
	"strings"
	"time"
)

// User helpers: each builds an update as Telegram would and queues it (or
// POSTs it to the webhook). In a private chat the chat id is the user id.

func (s *Server) userMessage(chatID, userID int64, fields map[string]any) map[string]any {
	s.mu.Lock()
	c := s.chatLocked(chatID)
	s.nextMsgID[chatID]++
	id := s.nextMsgID[chatID]
	chatObj := map[string]any{"id": chatID, "type": c.typ}
	if c.title != "" {
		chatObj["title"] = c.title
	}
	if c.forum {
		chatObj["is_forum"] = true
	}
	s.mu.Unlock()
	m := map[string]any{
		"message_id": id,
		"date":       time.Now().Unix(),
		"chat":       chatObj,
		"from":       map[string]any{"id": userID, "is_bot": false, "first_name": "Test", "language_code": "fr"},
	}
	for k, v := range fields {
		m[k] = v
	}
	return m
}

// Message queues a message with the given fields from user chatID in the
// private chat chatID and returns the update (with its update_id set).
func (s *Server) Message(chatID int64, fields map[string]any) map[string]any {
	u := map[string]any{"message": s.userMessage(chatID, chatID, fields)}
	s.Update(u)
	return u
}

// Text sends a text (commands too: "/start abc") from user chatID.
func (s *Server) Text(chatID int64, text string) map[string]any {
	f := map[string]any{"text": text}
	if strings.HasPrefix(text, "/") {
		cmd, _, _ := strings.Cut(text, " ")
		f["entities"] = []map[string]any{{"type": "bot_command", "offset": 0, "length": len([]rune(cmd))}}
	}
	return s.Message(chatID, f)
}

// GroupText sends a text from userID in the group chatID.
func (s *Server) GroupText(chatID, userID int64, text string) map[string]any {
	return s.GroupMessage(chatID, userID, map[string]any{"text": text})
}

// GroupMessage sends a message with the given fields from userID in the
// group chatID: an adviser's reply ("reply_to_message": a message of
// Received, see Ref), a message in a forum topic ("message_thread_id",
// "is_topic_message")…
func (s *Server) GroupMessage(chatID, userID int64, fields map[string]any) map[string]any {
	u := map[string]any{"message": s.userMessage(chatID, userID, fields)}
	s.Update(u)
	return u
}

// Ref is the Bot API form of a message the bot sent, for reply_to_message.
func (s *Server) Ref(m Message) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.messageJSON(&m)
}

// Location shares a location from user chatID.
func (s *Server) Location(chatID int64, lat, lon float64) map[string]any {
	return s.Message(chatID, map[string]any{"location": map[string]any{"latitude": lat, "longitude": lon}})
}

// Media sends a message of a kind the bot does not read: "sticker",
// "photo", "voice", "document", "video", "audio", "video_note",
// "animation", or "contact".
func (s *Server) Media(chatID int64, kind string) map[string]any {
	var v any = map[string]any{"file_id": "F" + kind, "file_unique_id": "U" + kind}
	switch kind {
	case "photo":
		v = []map[string]any{{"file_id": "Fphoto", "file_unique_id": "Uphoto", "width": 90, "height": 90}}
	case "contact":
		v = map[string]any{"phone_number": "+212600000000", "first_name": "Someone"}
	}
	return s.Message(chatID, map[string]any{kind: v})
}

// Edit sends an edited_message update changing the text of a message the
// user sent earlier (from Text's returned update).
func (s *Server) Edit(sent map[string]any, newText string) map[string]any {
	orig := sent["message"].(map[string]any)
	m := map[string]any{}
	for k, v := range orig {
		m[k] = v
	}
	m["text"] = newText
	m["edit_date"] = time.Now().Unix()
	u := map[string]any{"edited_message": m}
	s.Update(u)
	return u
}

// Press presses the button whose callback data is data on message m of
// chat m.ChatID, as user m.ChatID.
func (s *Server) Press(m Message, data string) map[string]any {
	s.mu.Lock()
	s.nextUpID++
	qid := s.nextUpID
	var kb [][]Button
	text := ""
	if c := s.chats[m.ChatID]; c != nil && c.byID[m.ID] != nil {
		kb, text = c.byID[m.ID].Buttons, c.byID[m.ID].Text
	}
	s.mu.Unlock()
	msg := map[string]any{"message_id": m.ID, "date": m.At.Unix(), "text": text,
		"chat": map[string]any{"id": m.ChatID, "type": "private"},
		"from": map[string]any{"id": BotID, "is_bot": true, "first_name": "Dalil"}}
	if len(kb) > 0 {
		msg["reply_markup"] = map[string]any{"inline_keyboard": kb}
	}
	u := map[string]any{"callback_query": map[string]any{
		"id":            "cq" + strconv.FormatInt(qid, 10),
		"from":          map[string]any{"id": m.ChatID, "is_bot": false, "first_name": "Test", "language_code": "fr"},
		"chat_instance": "ci" + strconv.FormatInt(m.ChatID, 10),
		"message":       msg,
		"data":          data,
	}}
	s.Update(u)
	return u
}

// PressLabel presses the button of m whose label contains label; it
// returns false when m has no such button.
func (s *Server) PressLabel(m Message, label string) (map[string]any, bool) {
	for _, row := range m.Buttons {
		for _, b := range row {
			if strings.Contains(b.Text, label) {
				return s.Press(m, b.Data), true
			}
		}
	}
	return nil, false
}

// LastWithButtons returns the last message of chatID that has buttons.
func (s *Server) LastWithButtons(chatID int64) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[chatID]
	if c == nil {
		return Message{}, false
	}
	// byID holds every message (or, without a history, every message that
	// still has buttons); a chat's ids grow, so the latest has the highest.
	var last *Message
	for _, m := range c.byID {
		if len(m.Buttons) > 0 && (last == nil || m.ID > last.ID) {
			last = m
		}
	}
	if last == nil {
		return Message{}, false
	}
	return *last, true
}

// Count is how many messages chatID has received (with or without a
// history: NoRecord keeps the count).
func (s *Server) Count(chatID int64) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.chats[chatID]; c != nil {
		return c.count
	}
	return 0
}
