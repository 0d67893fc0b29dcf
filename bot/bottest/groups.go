package bottest

import (
	"strconv"
	"time"
)

// Group helpers for the advisers' group (adviser handoff): members,
// names, messages in forum topics and button presses by group members.

// SetMember sets userID's status in group chatID as getChatMember answers
// it ("creator", "administrator", "member", "left", "kicked"); a user
// never set is "left".
func (s *Server) SetMember(chatID, userID int64, status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.members == nil {
		s.members = map[[2]int64]string{}
	}
	s.members[[2]int64{chatID, userID}] = status
}

// SetName sets the first name getChat gives for the private chat userID.
func (s *Server) SetName(userID int64, firstName string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.names == nil {
		s.names = map[int64]string{}
	}
	s.names[userID] = firstName
}

func (s *Server) chatInfo(method string, chatID int64, p map[string]string) (any, int, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[chatID]
	if method == "getChat" {
		if c == nil && chatID < 0 {
			return nil, 400, "Bad Request: chat not found"
		}
		out := map[string]any{"id": chatID, "type": "private"}
		if c != nil {
			out["type"] = c.typ
			if c.title != "" {
				out["title"] = c.title
			}
			if c.forum {
				out["is_forum"] = true
			}
		}
		if n := s.names[chatID]; n != "" {
			out["first_name"] = n
		}
		return out, 0, ""
	}
	userID, _ := strconv.ParseInt(p["user_id"], 10, 64)
	status := s.members[[2]int64{chatID, userID}]
	if status == "" {
		status = "left"
	}
	return map[string]any{"status": status,
		"user": map[string]any{"id": userID, "is_bot": false, "first_name": s.names[userID]}}, 0, ""
}

// PressAs presses the button whose callback data is data on message m as
// userID (a group member pressing a button in a group).
func (s *Server) PressAs(m Message, userID int64, firstName, data string) map[string]any {
	s.mu.Lock()
	s.nextUpID++
	qid := s.nextUpID
	typ := "private"
	if c := s.chats[m.ChatID]; c != nil {
		typ = c.typ
	}
	s.mu.Unlock()
	msg := map[string]any{"message_id": m.ID, "date": m.At.Unix(), "text": m.Text,
		"chat": map[string]any{"id": m.ChatID, "type": typ},
		"from": map[string]any{"id": BotID, "is_bot": true, "first_name": "Dalil"}}
	if m.ThreadID != 0 {
		msg["message_thread_id"] = m.ThreadID
	}
	u := map[string]any{"callback_query": map[string]any{
		"id":            "cq" + strconv.FormatInt(qid, 10),
		"from":          map[string]any{"id": userID, "is_bot": false, "first_name": firstName},
		"chat_instance": "ci" + strconv.FormatInt(m.ChatID, 10),
		"message":       msg,
		"data":          data,
	}}
	s.Update(u)
	return u
}

// WaitCalls waits until method was called at least n times in all (every
// method when ""), waking on each recorded call, and returns the calls; a
// test checks their number to tell a timeout.
func (s *Server) WaitCalls(method string, n int, timeout time.Duration) []Call {
	var cs []Call
	s.WaitFor(func() bool { cs = s.Calls(method); return len(cs) >= n }, timeout)
	return cs
}

// MaxDeleteAge is how old a message may be for a bot to delete it, as
// Telegram allows.
const MaxDeleteAge = 48 * time.Hour

// delete answers deleteMessage (refused past MaxDeleteAge, as Telegram
// does) and deleteForumTopic (every message of the topic, any age).
func (s *Server) delete(method string, chatID int64, p map[string]string) (any, int, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[chatID]
	if c == nil {
		return nil, 400, "Bad Request: chat not found"
	}
	if method == "deleteForumTopic" {
		thread, _ := strconv.ParseInt(p["message_thread_id"], 10, 64)
		if !c.forum || thread == 0 {
			return nil, 400, "Bad Request: TOPIC_ID_INVALID"
		}
		for _, m := range c.received {
			if m.ThreadID == thread {
				m.Deleted = true
			}
		}
		return true, 0, ""
	}
	id, _ := strconv.ParseInt(p["message_id"], 10, 64)
	m := c.byID[id]
	if m == nil || m.Deleted {
		return nil, 400, "Bad Request: message to delete not found"
	}
	if time.Since(m.At) > MaxDeleteAge {
		return nil, 400, "Bad Request: message can't be deleted"
	}
	m.Deleted = true
	return true, 0, ""
}

// Age makes every message chatID received older by d (messages past
// MaxDeleteAge can no longer be deleted).
func (s *Server) Age(chatID int64, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.chats[chatID]; c != nil {
		for _, m := range c.received {
			m.At = m.At.Add(-d)
		}
	}
}

// MigrateGroup upgrades group from to the supergroup to as Telegram does:
// the new chat gets a new id, calls to the old one fail with 400 and
// migrate_to_chat_id, and the bot gets two service messages, one in the
// old group (migrate_to_chat_id) and one in the supergroup
// (migrate_from_chat_id), both from userID.
func (s *Server) MigrateGroup(from, to, userID int64) {
	s.MigrateGroupQuietly(from, to)
	s.GroupMessage(from, userID, map[string]any{"migrate_to_chat_id": to})
	s.GroupMessage(to, userID, map[string]any{"migrate_from_chat_id": from})
}

// MigrateGroupQuietly upgrades group from to the supergroup to without the
// service messages (updates the bot missed): only the calls to the old id
// say it.
func (s *Server) MigrateGroupQuietly(from, to int64) {
	s.mu.Lock()
	title := s.chatLocked(from).title
	if s.migrated == nil {
		s.migrated = map[int64]int64{}
	}
	s.migrated[from] = to
	s.mu.Unlock()
	s.SetGroup(to, title, false)
}

// migratedTo is the new id of an upgraded group, 0 for any other chat.
func (s *Server) migratedTo(chatID string) int64 {
	id, err := strconv.ParseInt(chatID, 10, 64)
	if err != nil {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.migrated[id]
}
