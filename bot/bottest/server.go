// Package bottest is a fake Telegram Bot API server for tests and load
// runs. It implements the methods Dalil calls, records every call, lets a
// test act as users (send texts, press buttons, share locations…) and read
// what each user received, and injects failures (429, 5xx, timeouts, a user
// who blocked the bot). Updates reach the bot by getUpdates, or by POSTs to
// the webhook the bot registered with setWebhook.
package bottest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Token is the bot token the server accepts unless Options says otherwise.
const Token = "123456:TEST-token"

// BotID and BotUsername identify the fake bot (getMe).
const (
	BotID       = 123456
	BotUsername = "dalil_test_bot"
)

// Call is one Bot API call the server received.
type Call struct {
	Method string
	Params map[string]string
	At     time.Time
	// Status is the HTTP status answered; Code the error_code (0 when ok).
	Code int
	// Webhook: the call came in the bot's answer to a webhook post, not as
	// a request of its own.
	Webhook bool
}

// Button is one inline button of a received message.
type Button struct {
	Text string `json:"text"`
	Data string `json:"callback_data,omitempty"`
	URL  string `json:"url,omitempty"`
}

// Message is one message a chat received from the bot (or that a user sent).
type Message struct {
	ID       int64
	ChatID   int64
	ThreadID int64
	Method   string // sendMessage, sendVenue, sendLocation, copyMessage…
	Text     string
	Buttons  [][]Button
	Params   map[string]string
	At       time.Time
	// Edited counts editMessageReplyMarkup/editMessageText calls on it.
	Edited int
	// Deleted is set by deleteMessage (or deleteForumTopic on its topic):
	// the message stays in Received, marked, so indexes do not move.
	Deleted bool
}

// Fault is a failure to inject into the next calls of a method.
type Fault struct {
	Code       int           // error_code to answer (429, 500, 502…); 0 = answer normally after Delay
	RetryAfter int           // seconds, for 429
	Delay      time.Duration // wait before answering (longer than the client's timeout = a timeout)
	Times      int           // how many calls it applies to; 0 = 1
	// Description is the error's text; default "Internal Server Error"
	// (or Telegram's for 429).
	Description string
}

// Server is the fake Bot API.
type Server struct {
	*httptest.Server
	token string

	mu        sync.Mutex
	calls     []Call
	updates   []json.RawMessage // queued, not yet confirmed
	upIDs     []int64
	nextUpID  int64
	nextMsgID map[int64]int64
	chats     map[int64]*chat
	faults    map[string][]Fault
	webhook   string
	secret    string
	blocked   map[int64]bool
	migrated  map[int64]int64   // a group upgraded to a supergroup: its new id (MigrateGroup)
	commands  map[string]string // language_code -> JSON commands
	notify    chan struct{}     // closed and replaced when updates arrive
	sent      chan struct{}     // closed and replaced when a chat receives a message
	called    chan struct{}     // closed and replaced when a call is recorded
	posting   int               // updates being posted to the webhook, not yet acknowledged
	onSend    func(chatID int64, m *Message)
	onDeliver func(updateIDs []int64)
	onCall    func(method string, params map[string]string)
	counts    sync.Map // method -> *atomic.Int64
	hc        *http.Client
	members   map[[2]int64]string // group, user -> getChatMember status
	names     map[int64]string    // private chat -> first name (getChat)
	// recordCalls can be turned off for load runs.
	recordCalls bool
}

type chat struct {
	typ      string
	title    string
	forum    bool
	received []*Message
	count    int // messages received, history kept or not
	byID     map[int64]*Message
	sentBy   []*Message // what users sent, by id, for replies
}

// Options configure a Server.
type Options struct {
	Token string
	// NoRecord stops recording calls and messages (load runs): only the
	// messages that still have buttons are kept, to be pressed or edited;
	// Received and WaitReceived then see nothing.
	NoRecord bool
	// OnSend is called (outside locks) for every message a chat receives.
	OnSend func(chatID int64, m *Message)
	// OnDeliver is called with the update ids each getUpdates answer hands
	// out (before the answer is written).
	OnDeliver func(updateIDs []int64)
	// OnCall, when set, is told of every call other than getUpdates, with
	// its parameters (load runs record a bot's traffic to replay it).
	OnCall func(method string, params map[string]string)
}

// New starts a fake Bot API server; Close it when done.
func New(opts Options) *Server {
	s := &Server{
		token:       opts.Token,
		nextUpID:    100000,
		nextMsgID:   map[int64]int64{},
		chats:       map[int64]*chat{},
		faults:      map[string][]Fault{},
		blocked:     map[int64]bool{},
		commands:    map[string]string{},
		notify:      make(chan struct{}),
		sent:        make(chan struct{}),
		called:      make(chan struct{}),
		onSend:      opts.OnSend,
		onDeliver:   opts.OnDeliver,
		onCall:      opts.OnCall,
		recordCalls: !opts.NoRecord,
		hc:          &http.Client{Timeout: 10 * time.Second},
	}
	if s.token == "" {
		s.token = Token
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// APIURL is what TELEGRAM_API_URL should be set to.
func (s *Server) APIURL() string { return s.URL }

// Token returns the token the server accepts.
func (s *Server) Token() string { return s.token }

// Fail makes the next f.Times calls of method fail (or be slow) as f says.
func (s *Server) Fail(method string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.Times == 0 {
		f.Times = 1
	}
	s.faults[method] = append(s.faults[method], f)
}

// ClearFaults drops the failures not yet injected.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	s.faults = map[string][]Fault{}
	s.mu.Unlock()
}

// Block makes every message to chatID fail with 403, as when a user blocks
// the bot; Unblock undoes it.
func (s *Server) Block(chatID int64) { s.mu.Lock(); s.blocked[chatID] = true; s.mu.Unlock() }

// Unblock undoes Block.
func (s *Server) Unblock(chatID int64) { s.mu.Lock(); delete(s.blocked, chatID); s.mu.Unlock() }

// SetGroup makes chatID a group (supergroup when forum) with a title.
func (s *Server) SetGroup(chatID int64, title string, forum bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chatLocked(chatID)
	c.typ, c.title, c.forum = "supergroup", title, forum
}

func (s *Server) chatLocked(id int64) *chat {
	c := s.chats[id]
	if c == nil {
		c = &chat{typ: "private", byID: map[int64]*Message{}}
		if id < 0 {
			c.typ = "group"
		}
		s.chats[id] = c
	}
	return c
}

// Calls returns the calls received so far, for method (all when "").
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if method == "" || c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// Webhook returns the URL and secret registered with setWebhook.
func (s *Server) Webhook() (url, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.webhook, s.secret
}

// Commands returns the JSON command list set for a language_code ("" = default).
func (s *Server) Commands(languageCode string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commands[languageCode]
}

// Pending returns how many updates are queued and not yet confirmed, or
// being posted to the webhook and not yet acknowledged (or given up).
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.updates) + s.posting
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/bot")
	if !ok {
		http.NotFound(w, r)
		return
	}
	token, method, ok := strings.Cut(rest, "/")
	if !ok || token != s.token {
		writeJSON(w, 401, map[string]any{"ok": false, "error_code": 401, "description": "Unauthorized"})
		return
	}
	s.count(method)
	params, err := readParams(r)
	if err != nil {
		s.fail(w, method, params, 400, "Bad Request: "+err.Error(), 0)
		return
	}
	if f, ok := s.takeFault(method); ok {
		if f.Delay > 0 {
			select {
			case <-time.After(f.Delay):
			case <-r.Context().Done():
				return
			}
		}
		if f.Code != 0 {
			desc := "Internal Server Error"
			switch {
			case f.Description != "":
				desc = f.Description
			case f.Code == 429:
				desc = "Too Many Requests: retry after " + strconv.Itoa(f.RetryAfter)
			}
			s.fail(w, method, params, f.Code, desc, f.RetryAfter)
			return
		}
	}
	if method == "getUpdates" {
		s.getUpdates(w, r, params)
		return
	}
	if s.onCall != nil {
		s.onCall(method, params)
	}
	if to := s.migratedTo(params["chat_id"]); to != 0 {
		s.record(method, params, 400)
		writeJSON(w, 400, map[string]any{"ok": false, "error_code": 400,
			"description": "Bad Request: group chat was upgraded to a supergroup chat", "parameters": map[string]any{"migrate_to_chat_id": to}})
		return
	}
	result, code, desc := s.handle(method, params)
	if code != 0 {
		s.fail(w, method, params, code, desc, 0)
		return
	}
	s.record(method, params, 0)
	writeJSON(w, 200, map[string]any{"ok": true, "result": result})
}

// count notes a call of method, recorded or not (load runs count calls
// per update).
func (s *Server) count(method string) {
	n, ok := s.counts.Load(method)
	if !ok {
		n, _ = s.counts.LoadOrStore(method, new(atomic.Int64))
	}
	n.(*atomic.Int64).Add(1)
}

// Counts returns how many calls of each method the server received.
func (s *Server) Counts() map[string]int {
	out := map[string]int{}
	s.counts.Range(func(k, v any) bool {
		out[k.(string)] = int(v.(*atomic.Int64).Load())
		return true
	})
	return out
}

func (s *Server) takeFault(method string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fs := s.faults[method]
	if len(fs) == 0 {
		return Fault{}, false
	}
	f := fs[0]
	fs[0].Times--
	if fs[0].Times <= 0 {
		s.faults[method] = fs[1:]
	}
	return f, true
}

func (s *Server) record(method string, params map[string]string, code int) {
	if !s.recordCalls {
		return
	}
	s.mu.Lock()
	s.calls = append(s.calls, Call{Method: method, Params: params, At: time.Now(), Code: code})
	close(s.called)
	s.called = make(chan struct{})
	s.mu.Unlock()
}

// WaitFor waits until cond holds and reports whether it did before
// timeout. cond is checked again on each call the server records and on
// each message a chat receives, so a test waits for what the bot does, not
// for a fixed time. A cond that also reads state outside the server (Redis,
// a metric) is checked at least every few milliseconds too, since that state
// may change after the last call.
func (s *Server) WaitFor(cond func() bool, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		s.mu.Lock()
		called, sent := s.called, s.sent
		s.mu.Unlock()
		if cond() {
			return true
		}
		left := time.Until(deadline)
		if left <= 0 {
			return false
		}
		t := time.NewTimer(left)
		select {
		case <-called:
		case <-sent:
		case <-tick.C:
		case <-t.C:
		}
		t.Stop()
	}
}

func (s *Server) fail(w http.ResponseWriter, method string, params map[string]string, code int, desc string, retryAfter int) {
	s.record(method, params, code)
	body := map[string]any{"ok": false, "error_code": code, "description": desc}
	if retryAfter > 0 {
		body["parameters"] = map[string]any{"retry_after": retryAfter}
	}
	writeJSON(w, code, body)
}

// jsonParams adds the fields of a JSON object body to out: strings as
// they are, other values as JSON.
func jsonParams(body []byte, out map[string]string) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return err
	}
	for k, v := range m {
		var str string
		if json.Unmarshal(v, &str) == nil {
			out[k] = str
		} else {
			out[k] = string(v)
		}
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// readParams accepts form, multipart and JSON bodies and query strings, as
// the real Bot API does; JSON values that are not strings are kept as JSON.
func readParams(r *http.Request) (map[string]string, error) {
	out := map[string]string{}
	for k, v := range r.URL.Query() {
		out[k] = v[0]
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/json":
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return out, err
		}
		if err := jsonParams(body, out); err != nil {
			return out, err
		}
	case "multipart/form-data":
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			return out, err
		}
		for k, v := range r.MultipartForm.Value {
			out[k] = v[0]
		}
	default:
		if err := r.ParseForm(); err != nil {
			return out, err
		}
		for k, v := range r.PostForm {
			out[k] = v[0]
		}
	}
	return out, nil
}

func (s *Server) getUpdates(w http.ResponseWriter, r *http.Request, p map[string]string) {
	offset, _ := strconv.ParseInt(p["offset"], 10, 64)
	limit, _ := strconv.Atoi(p["limit"])
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	timeout, _ := strconv.Atoi(p["timeout"])
	deadline := time.Now().Add(time.Duration(timeout) * time.Second)
	for {
		s.mu.Lock()
		if s.webhook != "" {
			s.mu.Unlock()
			s.fail(w, "getUpdates", p, 409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first", 0)
			return
		}
		// Confirm (forget) every update below offset.
		if offset > 0 {
			i := 0
			for i < len(s.upIDs) && s.upIDs[i] < offset {
				i++
			}
			s.upIDs, s.updates = s.upIDs[i:], s.updates[i:]
		}
		if n := min(limit, len(s.updates)); n > 0 {
			batch := append([]json.RawMessage(nil), s.updates[:n]...)
			ids := append([]int64(nil), s.upIDs[:n]...)
			s.mu.Unlock()
			s.record("getUpdates", p, 0)
			if s.onDeliver != nil {
				s.onDeliver(ids)
			}
			writeJSON(w, 200, map[string]any{"ok": true, "result": batch})
			return
		}
		wait := s.notify
		s.mu.Unlock()
		left := time.Until(deadline)
		if left <= 0 {
			s.record("getUpdates", p, 0)
			writeJSON(w, 200, map[string]any{"ok": true, "result": []any{}})
			return
		}
		t := time.NewTimer(left)
		select {
		case <-wait:
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
		t.Stop()
	}
}

// handle answers every method but getUpdates.
func (s *Server) handle(method string, p map[string]string) (any, int, string) {
	chatID, _ := strconv.ParseInt(p["chat_id"], 10, 64)
	switch method {
	case "getMe":
		return map[string]any{"id": BotID, "is_bot": true, "first_name": "Dalil", "username": BotUsername}, 0, ""
	case "setWebhook":
		s.mu.Lock()
		s.webhook, s.secret = p["url"], p["secret_token"]
		s.mu.Unlock()
		return true, 0, ""
	case "deleteWebhook":
		s.mu.Lock()
		s.webhook, s.secret = "", ""
		if p["drop_pending_updates"] == "true" {
			s.updates, s.upIDs = nil, nil
		}
		s.mu.Unlock()
		return true, 0, ""
	case "getWebhookInfo":
		s.mu.Lock()
		defer s.mu.Unlock()
		return map[string]any{"url": s.webhook, "pending_update_count": len(s.updates)}, 0, ""
	case "setMyCommands":
		s.mu.Lock()
		s.commands[p["language_code"]] = p["commands"]
		s.mu.Unlock()
		return true, 0, ""
	case "deleteMyCommands", "setMyDescription", "setMyShortDescription", "setMyName",
		"answerCallbackQuery", "sendChatAction", "closeForumTopic", "reopenForumTopic", "editForumTopic",
		"setChatMenuButton":
		if method == "sendChatAction" && s.isBlocked(chatID) {
			return nil, 403, "Forbidden: bot was blocked by the user"
		}
		return true, 0, ""
	case "getChat", "getChatMember":
		return s.chatInfo(method, chatID, p)
	case "deleteMessage", "deleteForumTopic":
		return s.delete(method, chatID, p)
	case "createForumTopic":
		s.mu.Lock()
		s.nextMsgID[chatID]++
		id := s.nextMsgID[chatID]
		s.mu.Unlock()
		return map[string]any{"message_thread_id": id, "name": p["name"], "icon_color": 7322096}, 0, ""
	case "sendMessage", "sendVenue", "sendLocation", "copyMessage", "forwardMessage", "sendPhoto", "sendDocument":
		if chatID == 0 {
			return nil, 400, "Bad Request: chat not found"
		}
		if s.isBlocked(chatID) {
			return nil, 403, "Forbidden: bot was blocked by the user"
		}
		if method == "sendMessage" {
			if strings.TrimSpace(p["text"]) == "" {
				return nil, 400, "Bad Request: message text is empty"
			}
			if n := len([]rune(p["text"])); n > 4096 {
				return nil, 400, "Bad Request: message is too long"
			}
		}
		if method == "sendVenue" || method == "sendLocation" {
			if _, err := strconv.ParseFloat(p["latitude"], 64); err != nil {
				return nil, 400, "Bad Request: bad latitude"
			}
		}
		m := s.deliver(chatID, method, p)
		if method == "copyMessage" {
			return map[string]any{"message_id": m.ID}, 0, ""
		}
		return s.messageJSON(m), 0, ""
	case "editMessageReplyMarkup", "editMessageText":
		id, _ := strconv.ParseInt(p["message_id"], 10, 64)
		s.mu.Lock()
		c := s.chatLocked(chatID)
		m := c.byID[id]
		if m == nil || m.Deleted {
			s.mu.Unlock()
			return nil, 400, "Bad Request: message to edit not found"
		}
		if method == "editMessageText" && m.Text == "" {
			// A copied photo, voice, location…: no text to edit.
			s.mu.Unlock()
			return nil, 400, "Bad Request: there is no text in the message to edit"
		}
		text, buttons := m.Text, parseKeyboard(p["reply_markup"])
		if method == "editMessageText" {
			text = p["text"]
		}
		if text == m.Text && reflect.DeepEqual(buttons, m.Buttons) {
			// As Telegram answers an edit that changes nothing (a second
			// tap on a keyboard already removed).
			s.mu.Unlock()
			return nil, 400, "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message"
		}
		m.Text, m.Buttons = text, buttons
		m.Edited++
		out := s.messageJSON(m)
		if !s.recordCalls && len(m.Buttons) == 0 {
			// A message done with is kept as its id alone: a second edit
			// is then refused as not modified, as Telegram does, not as
			// unknown.
			c.byID[id] = &Message{ID: id, ChatID: m.ChatID}
		}
		s.mu.Unlock()
		return out, 0, ""
	}
	return nil, 404, "Not Found: method not found"
}

func (s *Server) isBlocked(chatID int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.blocked[chatID]
}

func (s *Server) deliver(chatID int64, method string, p map[string]string) *Message {
	s.mu.Lock()
	c := s.chatLocked(chatID)
	s.nextMsgID[chatID]++
	thread, _ := strconv.ParseInt(p["message_thread_id"], 10, 64)
	m := &Message{ID: s.nextMsgID[chatID], ChatID: chatID, ThreadID: thread, Method: method, Text: p["text"],
		Buttons: parseKeyboard(p["reply_markup"]), Params: p, At: time.Now()}
	if method == "sendVenue" {
		m.Text = p["title"] + "\n" + p["address"]
	}
	c.count++
	if s.recordCalls {
		c.received = append(c.received, m)
		c.byID[m.ID] = m
		close(s.sent)
		s.sent = make(chan struct{})
	} else if len(m.Buttons) > 0 {
		// A load run keeps only what may still be pressed or edited: a
		// history of every message would grow the heap the collector
		// marks, slowing the bot under test.
		c.byID[m.ID] = m
	}
	cb := s.onSend
	s.mu.Unlock()
	if cb != nil {
		cb(chatID, m)
	}
	return m
}

func (s *Server) messageJSON(m *Message) map[string]any {
	out := map[string]any{"message_id": m.ID, "date": m.At.Unix(),
		"chat": map[string]any{"id": m.ChatID, "type": "private"},
		"from": map[string]any{"id": BotID, "is_bot": true, "first_name": "Dalil", "username": BotUsername}}
	if m.Text != "" {
		out["text"] = m.Text
	}
	if m.ThreadID != 0 {
		out["message_thread_id"] = m.ThreadID
	}
	if len(m.Buttons) > 0 {
		out["reply_markup"] = map[string]any{"inline_keyboard": m.Buttons}
	}
	return out
}

func parseKeyboard(raw string) [][]Button {
	if raw == "" {
		return nil
	}
	var kb struct {
		InlineKeyboard [][]Button `json:"inline_keyboard"`
	}
	if json.Unmarshal([]byte(raw), &kb) != nil {
		return nil
	}
	if len(kb.InlineKeyboard) == 0 {
		return nil
	}
	return kb.InlineKeyboard
}

// Received returns a copy of the messages chatID received, oldest first.
func (s *Server) Received(chatID int64) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[chatID]
	if c == nil {
		return nil
	}
	out := make([]Message, len(c.received))
	for i, m := range c.received {
		out[i] = *m
	}
	return out
}

// WaitReceived waits until chatID has received at least n messages in all,
// and returns them; it fails after timeout with what was received.
func (s *Server) WaitReceived(chatID int64, n int, timeout time.Duration) ([]Message, error) {
	deadline := time.Now().Add(timeout)
	for {
		s.mu.Lock()
		have := 0
		if c := s.chats[chatID]; c != nil {
			have = len(c.received)
		}
		wait := s.sent
		s.mu.Unlock()
		if have >= n {
			return s.Received(chatID), nil
		}
		left := time.Until(deadline)
		if left <= 0 {
			got := s.Received(chatID)
			return got, fmt.Errorf("chat %d received %d messages, want %d: %s", chatID, len(got), n, Texts(got))
		}
		t := time.NewTimer(left)
		select {
		case <-wait:
		case <-t.C:
		}
		t.Stop()
	}
}

// Texts summarises messages for failure messages.
func Texts(ms []Message) string {
	var b strings.Builder
	for _, m := range ms {
		fmt.Fprintf(&b, "\n  [%d %s] %q", m.ID, m.Method, m.Text)
		for _, row := range m.Buttons {
			for _, btn := range row {
				fmt.Fprintf(&b, " {%s|%s}", btn.Text, btn.Data)
			}
		}
	}
	return b.String()
}

// Update queues a raw update (its update_id is set by the server when 0)
// and returns its id. With a webhook registered it is POSTed there instead
// (see PostWebhook for the answer's status).
func (s *Server) Update(u map[string]any) int64 {
	id, _ := s.queue(u)
	return id
}

func (s *Server) queue(u map[string]any) (int64, []byte) {
	s.mu.Lock()
	id, ok := u["update_id"].(int64)
	if !ok || id == 0 {
		s.nextUpID++
		id = s.nextUpID
		u["update_id"] = id
	}
	raw, _ := json.Marshal(u)
	webhook := s.webhook
	if webhook != "" {
		s.posting++
	} else {
		s.updates = append(s.updates, raw)
		s.upIDs = append(s.upIDs, id)
		close(s.notify)
		s.notify = make(chan struct{})
	}
	s.mu.Unlock()
	if webhook != "" {
		go s.postWebhook(context.Background(), raw)
	}
	return id, raw
}

// Redeliver queues again an update already sent (same update_id), as
// Telegram does when it did not see it acknowledged.
func (s *Server) Redeliver(u map[string]any) { s.Update(u) }

// PostWebhook POSTs a raw update to the registered webhook with secret and
// returns the HTTP status.
func (s *Server) PostWebhook(ctx context.Context, u map[string]any, secret string) (int, error) {
	s.mu.Lock()
	url := s.webhook
	s.mu.Unlock()
	if url == "" {
		return 0, fmt.Errorf("no webhook registered")
	}
	if id, _ := u["update_id"].(int64); id == 0 {
		s.mu.Lock()
		s.nextUpID++
		u["update_id"] = s.nextUpID
		s.mu.Unlock()
	}
	raw, _ := json.Marshal(u)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(raw))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
	}
	resp, err := s.hc.Do(req)
	if err != nil {
		return 0, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err == nil && resp.StatusCode/100 == 2 {
		s.webhookReply(body)
	}
	return resp.StatusCode, nil
}

// webhookReply carries out the method call a bot may put in its answer to
// a webhook post, as Telegram does; as there, the bot learns nothing of
// how it went.
func (s *Server) webhookReply(body []byte) {
	params := map[string]string{}
	if jsonParams(body, params) != nil || params["method"] == "" {
		return
	}
	method := params["method"]
	delete(params, "method")
	s.count(method)
	_, code, _ := s.handle(method, params)
	if s.recordCalls {
		s.mu.Lock()
		s.calls = append(s.calls, Call{Method: method, Params: params, At: time.Now(), Code: code, Webhook: true})
		close(s.called)
		s.called = make(chan struct{})
		s.mu.Unlock()
	}
}

// postWebhook delivers like Telegram: retried until acknowledged with 2xx.
func (s *Server) postWebhook(ctx context.Context, raw []byte) {
	defer func() {
		s.mu.Lock()
		s.posting--
		// Wake WaitFor: Pending changed.
		close(s.called)
		s.called = make(chan struct{})
		s.mu.Unlock()
	}()
	var u map[string]any
	_ = json.Unmarshal(raw, &u)
	u["update_id"] = int64(u["update_id"].(float64))
	for attempt := 0; attempt < 50; attempt++ {
		_, secret := s.Webhook()
		code, err := s.PostWebhook(ctx, u, secret)
		if err == nil && code/100 == 2 {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}
