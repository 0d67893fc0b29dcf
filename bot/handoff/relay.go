package handoff

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dalil-tt/dalil/bot/outbox"
	"github.com/dalil-tt/dalil/bot/telegram"
	"github.com/dalil-tt/dalil/locales"
)

// dedupTTL is how long an update handled here is remembered, so that a
// redelivered one is not relayed twice.
const dedupTTL = 24 * time.Hour

// Intercept sees every update before the dialog engine (bot.Options.
// Intercept). It takes everything said in the advisers' group, and a
// user's messages while their conversation is with a person; it returns
// false for what the bot should handle itself.
func (d *Desk) Intercept(ctx context.Context, up *telegram.Update) bool {
	chat := up.ChatID()
	if chat == 0 {
		return false
	}
	if chat == d.o.AdvisersChatID {
		if err := d.group(ctx, up); err != nil {
			d.m.failed(err)
			d.log.Error("advisers' group update", "err", err)
		}
		return true
	}
	if up.Message == nil && up.EditedMessage == nil && up.CallbackQuery == nil {
		return false
	}
	if m := up.Message; m != nil && !m.Chat.Private() {
		return false
	}
	s, err := d.load(ctx, chat)
	if err != nil {
		// The bot answers as if no person held the conversation: better
		// than silence.
		d.m.fail(failState)
		d.log.Error("handoff state", "err", err)
		return false
	}
	if !s.open() {
		return false
	}
	handled, err := d.user(ctx, chat, s, up)
	if err != nil {
		d.m.failed(err)
		d.log.Error("relaying a user's message", "err", err)
	}
	return handled
}

// first reports whether this update is seen for the first time (a
// redelivery or another replica's copy is not), and notes it seen.
func (d *Desk) first(ctx context.Context, up *telegram.Update) bool {
	ok, err := d.o.Redis.SetNX(ctx, d.seenKey(up), 1, d.within(dedupTTL)).Result()
	if err != nil {
		d.log.Warn("update dedup flag", "err", err)
		return true
	}
	return ok
}

// The key names the update only, not the chat: a flag that outlived
// /forget would otherwise keep the user's chat id for a day.
func (d *Desk) seenKey(up *telegram.Update) string { return d.o.Prefix + ":up:" + updateKey(up) }

// seen reports whether a relayed update was handled already (a
// redelivery). It is noted handled (handled) once its relay is in an
// outbox, not before: a crash in between relays it when it comes again,
// and the relay's once key in the outbox keeps that to one relay.
func (d *Desk) seen(ctx context.Context, up *telegram.Update) bool {
	n, err := d.o.Redis.Exists(ctx, d.seenKey(up)).Result()
	if err != nil {
		d.log.Warn("update dedup flag", "err", err)
		return false
	}
	return n > 0
}

// handled notes a relayed update handled (see seen).
func (d *Desk) handled(ctx context.Context, up *telegram.Update) {
	if err := d.o.Redis.Set(ctx, d.seenKey(up), 1, d.within(dedupTTL)).Err(); err != nil {
		d.log.Warn("update dedup flag", "err", err)
	}
}

// updateKey names an update: its id with what it carries, since a Bot API
// server whose ids started again from 1 (a reset local server) sends new
// updates under old ids, which must not be dropped. It keys the update's
// relay in the outbox: one relay per update, whatever the redeliveries.
func updateKey(up *telegram.Update) string {
	id := strconv.FormatInt(up.UpdateID, 10)
	if m := up.Message; m != nil {
		id += "." + strconv.FormatInt(m.MessageID, 10) + "." + strconv.FormatInt(m.Date, 10)
	} else if cq := up.CallbackQuery; cq != nil {
		id += "." + cq.ID
	}
	return id
}

// Engine callbacks that still work while a person holds the conversation:
// the language choice, /forget's confirmation and restart.
var passCallbacks = []string{"lang:", "fg:", "nav:restart"}

var phoneRe = regexp.MustCompile(`^\+?[0-9][0-9 .\-]{7,16}[0-9]$`)

func (d *Desk) user(ctx context.Context, chat int64, s state, up *telegram.Update) (bool, error) {
	l := s.lang()
	if cq := up.CallbackQuery; cq != nil {
		for _, p := range passCallbacks {
			if strings.HasPrefix(cq.Data, p) {
				if p == "nav:restart" {
					return false, d.close(ctx, chat, 0, "", "user_restart", false)
				}
				return false, nil
			}
		}
		d.answerPress(ctx, cq.ID, d.o.T.T(l, "handoff.user.busy", nil))
		return true, nil
	}
	if up.EditedMessage != nil {
		// A copy cannot be edited: the adviser already has the first text.
		return true, nil
	}
	m := up.Message
	if cmd := command(m.Text); cmd != "" {
		switch cmd {
		case "restart", "start":
			return false, d.close(ctx, chat, 0, "", "user_restart", false)
		case "forget", "language", "lang", "langue":
			return false, nil
		case "adviser", "conseiller":
			d.toUser(ctx, chat, l, "handoff.user.already", nil, telegram.SendMessage{}, "ho:already:"+strconv.FormatInt(m.MessageID, 10))
			return true, nil
		case "help", "back":
			// The tree is paused: say how to reach it rather than
			// relay a command the adviser cannot act on.
			d.toUser(ctx, chat, l, "handoff.user.busy", nil, telegram.SendMessage{}, "ho:busy:"+strconv.FormatInt(m.MessageID, 10))
			return true, nil
		}
	}
	if d.seen(ctx, up) {
		return true, nil
	}
	defer d.handled(ctx, up)
	now := d.o.Now()
	// Under the user's relay limit (limit.go): now, or merged later.
	it := itemOf(m, s, updateKey(up))
	goes, err := d.admit(ctx, chat, it)
	if err != nil {
		d.m.fail(failToAdviser)
		return true, counted{fmt.Errorf("relaying to the advisers: %w", err)}
	}
	if goes {
		if err := d.deliver(ctx, chat, "relay:"+it.Key, []relayItem{it}); err != nil {
			if !told(err) {
				d.m.fail(failToAdviser)
			}
			if qerr := d.requeue(ctx, chat, it); qerr != nil {
				d.log.Error("keeping a user's message to relay later", "err", qerr)
			}
			return true, counted{fmt.Errorf("relaying to the advisers (tried again later): %w", err)}
		}
	}
	if err := d.o.Records.userMessage(ctx, s["id"]); err != nil {
		return true, err
	}
	if phone := phoneOf(m, s["askphone"] == "1"); phone != "" {
		// The number is relayed like any message, and kept for the call
		// back the bot offered.
		if err := d.callBack(ctx, chat, s, phone); err != nil {
			return true, err
		}
	}
	if d.o.Retention > 0 && (m.Text != "" || m.Caption != "") {
		if err := d.o.Records.text(ctx, s["id"], false, m.Text+m.Caption, now); err != nil {
			return true, err
		}
	}
	return true, nil
}

// passed is message m of chat from carried to chat to: a plain text is
// sent as text (every client and Bot API server shows it as it is),
// anything else is copied with copyMessage so that nothing is lost (file,
// caption, location, contact).
func passed(to, from int64, m *telegram.Message) telegram.Request {
	if m.Text != "" && m.Media() == "" && m.Location == nil && m.Venue == nil {
		return telegram.SendMessage{ChatID: to, Text: m.Text}
	}
	return telegram.CopyMessage{ChatID: to, FromChatID: from, MessageID: m.MessageID}
}

// phoneOf returns a number the user left for a call back: a shared
// contact, or a typed number after the bot asked for one.
func phoneOf(m *telegram.Message, asked bool) string {
	if !asked {
		return ""
	}
	if m.Contact != nil && m.Contact.PhoneNumber != "" {
		return m.Contact.PhoneNumber
	}
	if phoneRe.MatchString(strings.TrimSpace(m.Text)) {
		return strings.TrimSpace(m.Text)
	}
	return ""
}

func (d *Desk) callBack(ctx context.Context, chat int64, s state, phone string) error {
	if err := d.o.Records.phone(ctx, s["id"], phone); err != nil {
		return err
	}
	if err := d.o.Redis.HSet(ctx, d.ukey(chat, "h"), "askphone", "", "phone", "1").Err(); err != nil {
		return fmt.Errorf("saving handoff state: %w", err)
	}
	d.note(ctx, chat, s, "phone:"+s["id"], "📞 Rappel demandé au "+phone+" ("+s["label"]+")")
	d.toUser(ctx, chat, s.lang(), "handoff.user.phonethanks", nil, telegram.SendMessage{RemoveKeyboard: true}, "ho:phone:"+s["id"])
	return nil
}

// note posts a line for the advisers where they follow this user (chat):
// the topic, or as an answer to the card; once per key.
func (d *Desk) note(ctx context.Context, chat int64, s state, key, text string) {
	thread, card := where(s.int("thread"), s.int("card"))
	m := telegram.SendMessage{ThreadID: thread, ReplyTo: card, AllowWithoutReply: true, Text: text}
	if err := d.post(ctx, "note:"+key, m, postedMsg, chat); err != nil {
		d.m.fail(failNotify)
		d.log.Warn("note to the advisers", "err", err)
	}
}

// command returns a message's /command in lower case without @bot, "".
func command(text string) string {
	if !strings.HasPrefix(text, "/") {
		return ""
	}
	c, _, _ := strings.Cut(text[1:], " ")
	c, _, _ = strings.Cut(c, "@")
	return strings.ToLower(c)
}

// member reports whether user belongs to the advisers' group (cached
// briefly: an adviser removed from the group stops being relayed within
// MemberTTL).
func (d *Desk) member(ctx context.Context, user int64) (bool, error) {
	k := d.gkey("member:" + strconv.FormatInt(user, 10))
	if v, err := d.o.Redis.Get(ctx, k).Result(); err == nil {
		return v == "1", nil
	} else if !errors.Is(err, redis.Nil) {
		return false, fmt.Errorf("reading the member cache: %w", err)
	}
	raw, err := d.do(ctx, telegram.GetChatMember{ChatID: d.o.AdvisersChatID, UserID: user})
	if err != nil {
		// Fails closed: a sender whose membership cannot be checked (an
		// error after call's retries, or a server without the method) is
		// not relayed; nothing is cached, so the next message asks again.
		d.m.fail(failMember)
		return false, fmt.Errorf("checking an adviser's membership: %w", err)
	}
	var cm struct {
		Status   string `json:"status"`
		IsMember bool   `json:"is_member"`
	}
	_ = json.Unmarshal(raw, &cm)
	ok := cm.Status == "creator" || cm.Status == "administrator" || cm.Status == "member" ||
		(cm.Status == "restricted" && cm.IsMember)
	v := "0"
	if ok {
		v = "1"
	}
	if err := d.o.Redis.Set(ctx, k, v, d.within(d.o.MemberTTL)).Err(); err != nil {
		d.log.Warn("member cache", "err", err)
	}
	return ok, nil
}

// target finds the user an advisers' group message is about: its forum
// topic, or the relayed message (or card) it answers.
func (d *Desk) target(ctx context.Context, m *telegram.Message) (int64, error) {
	if m.MessageThreadID != 0 && m.IsTopicMessage {
		v, err := d.o.Redis.Get(ctx, d.gkey("thread:"+strconv.FormatInt(m.MessageThreadID, 10))).Int64()
		if err == nil {
			return v, nil
		}
		if !errors.Is(err, redis.Nil) {
			return 0, fmt.Errorf("reading the topic map: %w", err)
		}
	}
	if r := m.ReplyToMessage; r != nil {
		v, err := d.o.Redis.Get(ctx, d.gkey("msg:"+strconv.FormatInt(r.MessageID, 10))).Int64()
		if err == nil {
			return v, nil
		}
		if !errors.Is(err, redis.Nil) {
			return 0, fmt.Errorf("reading the relay map: %w", err)
		}
	}
	return 0, nil
}

func (d *Desk) group(ctx context.Context, up *telegram.Update) error {
	if cq := up.CallbackQuery; cq != nil {
		return d.button(ctx, up, cq)
	}
	m := up.Message
	if m == nil || m.From == nil || m.From.IsBot || m.Service() {
		return nil
	}
	d.sawForum(m.Chat.IsForum)
	cmd := command(m.Text)
	if cmd == "pending" || cmd == "attente" {
		if ok, err := d.member(ctx, m.From.ID); err != nil || !ok {
			return d.memberFailed(ctx, m, err)
		}
		return d.pending(ctx, m.MessageThreadID, updateKey(up))
	}
	chat, err := d.target(ctx, m)
	if err != nil || chat == 0 {
		return err
	}
	ok, err := d.member(ctx, m.From.ID)
	if err != nil {
		return d.memberFailed(ctx, m, err)
	}
	if !ok {
		d.log.Info("message from a non-member of the advisers' group not relayed")
		return nil
	}
	if d.seen(ctx, up) {
		return nil
	}
	defer d.handled(ctx, up)
	s, err := d.load(ctx, chat)
	if err != nil {
		return err
	}
	if !s.open() {
		if cmd == "" {
			d.reply(ctx, m, "Cette demande est close : la personne est revenue à l'assistant. Rien n'a été transmis.")
		}
		return nil
	}
	switch cmd {
	case "close", "clore":
		return d.close(ctx, chat, m.From.ID, m.From.FirstName, "closed", true)
	case "take", "prendre":
		return d.take(ctx, chat, s, m.From, "command")
	}
	return d.relay(ctx, chat, s, m, updateKey(up))
}

// memberFailed tells the sender their message was not relayed because
// their membership could not be checked, and returns err (nil when the
// check answered).
func (d *Desk) memberFailed(ctx context.Context, m *telegram.Message, err error) error {
	if err == nil {
		return nil
	}
	d.reply(ctx, m, "Non transmis : impossible de vérifier pour le moment que vous êtes membre de ce groupe. Réessayez dans un instant.")
	return counted{err}
}

// reply answers an adviser's message in the group.
func (d *Desk) reply(ctx context.Context, m *telegram.Message, text string) {
	var thread int64
	if m.MessageThreadID != 0 && m.IsTopicMessage {
		thread = m.MessageThreadID
	}
	d.replyTo(ctx, m.MessageID, thread, text)
}

// replyTo answers message msg (in topic thread, 0 for none) in the group,
// once per message and text.
func (d *Desk) replyTo(ctx context.Context, msg, thread int64, text string) {
	m := telegram.SendMessage{ThreadID: thread, ReplyTo: msg, AllowWithoutReply: true, Text: text}
	if err := d.post(ctx, "reply:"+strconv.FormatInt(msg, 10)+":"+textKey(text), m, ""); err != nil {
		d.log.Warn("answer in the advisers' group", "err", err)
	}
}

// takeScript sets the holder if nobody holds the conversation, and only
// while the handoff is open (a close in between leaves no stray state):
// 1 taken, 0 already held, -1 closed.
var takeScript = redis.NewScript(`
if redis.call('HEXISTS', KEYS[1], 'id') == 0 then return -1 end
if ARGV[2] == '1' then
  redis.call('HSET', KEYS[1], 'holder', ARGV[1], 'hname', ARGV[3])
  return 1
end
return redis.call('HSETNX', KEYS[1], 'holder', ARGV[1])`)

// relay copies an adviser's message to the user, once per update key.
// Answering takes the conversation when nobody holds it; someone else's
// needs a take over.
func (d *Desk) relay(ctx context.Context, chat int64, s state, m *telegram.Message, key string) error {
	from := strconv.FormatInt(m.From.ID, 10)
	hk := d.ukey(chat, "h")
	res, err := takeScript.Run(ctx, d.o.Redis, []string{hk}, from, "0", "").Int()
	if err != nil {
		return fmt.Errorf("taking the conversation: %w", err)
	}
	if res < 0 {
		d.reply(ctx, m, "Cette demande vient d'être close : rien n'a été transmis.")
		return nil
	}
	taken := res == 1
	if !taken {
		holder, err := d.o.Redis.HGet(ctx, hk, "holder").Result()
		if err != nil {
			return fmt.Errorf("reading the holder: %w", err)
		}
		if holder != from {
			d.reply(ctx, m, "Non transmis : "+s["hname"]+" suit cette conversation. Pour la reprendre, touchez « Reprendre la main » sur la fiche ou tapez /take ici.")
			return nil
		}
	} else {
		if err := d.o.Redis.HSet(ctx, hk, "hname", m.From.FirstName, "answered", d.o.Now().Unix()).Err(); err != nil {
			return fmt.Errorf("taking the conversation: %w", err)
		}
		s["holder"], s["hname"] = from, m.From.FirstName
		d.m.taken.WithLabelValues("answer").Inc()
		d.m.wait.Observe(d.o.Now().Sub(s.opened()).Seconds())
		d.editCard(ctx, s, d.takenLine(s))
	}
	// The adviser's message, after the user learns who answers (once per
	// adviser, not before every message): one Put, so they stay in this
	// order and go once for this update (a redelivery, a retry, another
	// replica put nothing more). A refusal is told in the group once the
	// sender gives up (toUserSent).
	var thread int64
	if m.MessageThreadID != 0 && m.IsTopicMessage {
		thread = m.MessageThreadID
	}
	note := func(notice string) map[string]string {
		return map[string]string{"msg": strconv.FormatInt(m.MessageID, 10), "thread": strconv.FormatInt(thread, 10), "notice": notice}
	}
	var msgs []outbox.Message
	l := s.lang()
	if s["spoke"] != from {
		text := d.o.T.T(l, "handoff.user.adviser.anon", nil)
		if !d.o.HideName {
			name := m.From.FirstName
			if l.RTL() {
				name = locales.Isolate(name)
			}
			text = d.o.T.T(l, "handoff.user.adviser", map[string]any{"Name": name})
		}
		// Hooked too: a user who blocked the bot has the whole outbox
		// dropped at this first message, the relay's own hook never told.
		msgs = append(msgs, outbox.Message{Request: telegram.SendMessage{ChatID: chat, Text: text}, After: afterToUser, Note: note("1")})
	}
	msgs = append(msgs, outbox.Message{Request: passed(chat, d.o.AdvisersChatID, m), After: afterToUser, Note: note("")})
	if err := d.put(ctx, chat, "relay:"+key, msgs...); err != nil {
		if told(err) {
			return nil // sent at once and refused: toUserSent told the group
		}
		d.m.fail(failToUser)
		return counted{fmt.Errorf("relaying to the user: %w", err)}
	}
	if s["spoke"] != from {
		if err := d.o.Redis.HSet(ctx, hk, "spoke", from).Err(); err != nil {
			return fmt.Errorf("saving handoff state: %w", err)
		}
	}
	now := d.o.Now()
	if err := d.o.Records.answered(ctx, s["id"], m.From.ID, now); err != nil {
		return err
	}
	if d.o.Retention > 0 && (m.Text != "" || m.Caption != "") {
		return d.o.Records.text(ctx, s["id"], true, m.Text+m.Caption, now)
	}
	return nil
}

func (d *Desk) takenLine(s state) string {
	return fmt.Sprintf("✅ Pris en charge par %s (après %s d'attente)", s["hname"], waited(d.o.Now().Sub(s.opened())))
}

// take gives the conversation to user, taking it over from another
// adviser if need be; how says how it was asked (button, command).
func (d *Desk) take(ctx context.Context, chat int64, s state, u *telegram.User, how string) error {
	from := strconv.FormatInt(u.ID, 10)
	hk := d.ukey(chat, "h")
	if s["holder"] == from {
		return nil
	}
	prev := s["hname"]
	res, err := takeScript.Run(ctx, d.o.Redis, []string{hk}, from, "1", u.FirstName).Int()
	if err != nil {
		return fmt.Errorf("taking the conversation: %w", err)
	}
	if res < 0 {
		return nil // closed meanwhile
	}
	s["holder"], s["hname"] = from, u.FirstName
	d.m.taken.WithLabelValues(how).Inc()
	if prev == "" {
		d.m.wait.Observe(d.o.Now().Sub(s.opened()).Seconds())
	}
	if err := d.o.Records.taken(ctx, s["id"], u.ID, d.o.Now()); err != nil {
		return err
	}
	line := d.takenLine(s)
	if prev != "" {
		line = fmt.Sprintf("🔁 Repris par %s (suivi auparavant par %s)", u.FirstName, prev)
	}
	d.editCard(ctx, s, line)
	return nil
}

// editCard rewrites the card's status line and buttons.
func (d *Desk) editCard(ctx context.Context, s state, status string) {
	if s["card"] == "" {
		return
	}
	text := status
	if s["ctext"] != "" {
		text = s["ctext"] + "\n\n" + status
	}
	r := telegram.EditMessageText{ChatID: d.o.AdvisersChatID, MessageID: s.int("card"), Text: text}
	if s.open() && s["closed"] == "" {
		kb := cardButtons(s["cardid"], s["holder"] != "")
		r.Keyboard = &kb
	}
	if _, err := d.do(ctx, r); err != nil {
		d.m.fail(failNotify)
		d.log.Warn("editing the summary card", "err", err)
	}
}

// button handles the card's buttons.
func (d *Desk) button(ctx context.Context, up *telegram.Update, cq *telegram.CallbackQuery) error {
	// Every press taken here is answered once (the bot leaves them to the
	// desk): with a word when there is one to say, else plainly, so the
	// spinner stops. A redelivered press was answered the first time.
	answered, again := false, false
	defer func() {
		if !answered && !again {
			d.answerPress(ctx, cq.ID, "")
		}
	}()
	answer := func(text string) {
		answered = true
		d.answerPress(ctx, cq.ID, text)
	}
	var action, id string
	switch {
	case strings.HasPrefix(cq.Data, dataTake):
		action, id = "take", strings.TrimPrefix(cq.Data, dataTake)
	case strings.HasPrefix(cq.Data, dataClose):
		action, id = "close", strings.TrimPrefix(cq.Data, dataClose)
	default:
		return nil
	}
	if cq.From == nil || cq.Message == nil || cq.Message.Chat.ID != d.o.AdvisersChatID {
		answer("Refusé.")
		return nil
	}
	ok, err := d.member(ctx, cq.From.ID)
	if err != nil {
		answer("Vérification impossible pour le moment : réessayez dans un instant.")
		return err
	}
	if !ok {
		answer("Réservé aux conseillers du groupe.")
		return nil
	}
	chat, err := d.o.Redis.Get(ctx, d.gkey("card:"+id)).Int64()
	if errors.Is(err, redis.Nil) {
		d.log.Warn("unknown card id in a button press refused")
		answer("Fiche inconnue : refusé.")
		return nil
	} else if err != nil {
		return fmt.Errorf("reading the card map: %w", err)
	}
	s, err := d.load(ctx, chat)
	if err != nil {
		return err
	}
	if !s.open() || s["cardid"] != id {
		answer("Cette demande est déjà close.")
		return nil
	}
	if !d.first(ctx, up) {
		again = true
		return nil
	}
	if action == "close" {
		answer("Conversation rendue à l'assistant.")
		return d.close(ctx, chat, cq.From.ID, cq.From.FirstName, "closed", true)
	}
	answer("C'est à vous.")
	return d.take(ctx, chat, s, cq.From, "button")
}

// answerPress answers a button press, with a toast when text is set.
func (d *Desk) answerPress(ctx context.Context, id, text string) {
	// At once (see do): Telegram waits for the answer to stop the spinner.
	if _, err := d.do(ctx, telegram.AnswerCallbackQuery{ID: id, Text: text}); err != nil {
		d.log.Warn("answering a button", "err", err)
	}
}

// close ends a handoff: the record, the card, the user told (when an
// adviser closed it) and offered to go on with the bot.
func (d *Desk) close(ctx context.Context, chat, adviser int64, adviserName, outcome string, tell bool) error {
	s, err := d.load(ctx, chat)
	if err != nil || !s.open() {
		return err
	}
	n, err := d.o.Redis.Del(ctx, d.ukey(chat, "h")).Result()
	if err != nil {
		return fmt.Errorf("closing the handoff: %w", err)
	}
	if n == 0 {
		return nil // another replica closed it
	}
	d.m.closed.WithLabelValues(outcome).Inc()
	if err := d.o.Redis.ZRem(ctx, d.gkey("open"), chat).Err(); err != nil {
		return fmt.Errorf("closing the handoff: %w", err)
	}
	now := d.o.Now()
	if err := d.o.Records.close(ctx, s["id"], adviser, outcome, now); err != nil {
		return err
	}
	if d.o.Retention == 0 {
		if err := d.o.Records.phone(ctx, s["id"], ""); err != nil {
			return err
		}
	}
	s["closed"] = "1"
	status := "✔️ Close par " + adviserName + " : la personne est revenue à l'assistant."
	if outcome == "user_restart" {
		status = "↩️ La personne est revenue d'elle-même à l'assistant (/restart)."
	}
	d.editCard(ctx, s, status)
	if outcome == "closed" {
		d.note(ctx, chat, s, "closed:"+s["id"], "✔️ Conversation rendue à l'assistant.")
	}
	if tell {
		d.toUser(ctx, chat, s.lang(), "handoff.user.closed", nil, telegram.SendMessage{RemoveKeyboard: true}, "ho:closed:"+s["id"])
		if d.o.Resume != nil {
			if err := d.o.Resume.Resume(ctx, chat); err != nil {
				return fmt.Errorf("offering to go on after a handoff: %w", err)
			}
		}
	}
	return nil
}

// pending lists the requests nobody answered yet, longest waiting first.
func (d *Desk) pending(ctx context.Context, thread int64, key string) error {
	lines, chats, err := d.waitingLines(ctx, func(state) bool { return true })
	if err != nil {
		return err
	}
	text := "Aucune demande en attente. 👍"
	if len(lines) > 0 {
		text = fmt.Sprintf("%d demande(s) en attente :\n%s", len(lines), strings.Join(lines, "\n"))
	}
	return d.post(ctx, "pending:"+key, telegram.SendMessage{ThreadID: thread, Text: text}, postedList, chats...)
}

// waitingLines describes the open handoffs nobody took that keep says to.
// It returns the lines and the users they name.
func (d *Desk) waitingLines(ctx context.Context, keep func(state) bool) ([]string, []int64, error) {
	chats, err := d.o.Redis.ZRange(ctx, d.gkey("open"), 0, -1).Result()
	if err != nil {
		return nil, nil, fmt.Errorf("listing open handoffs: %w", err)
	}
	now := d.o.Now()
	var lines []string
	var named []int64
	for _, c := range chats {
		chat, _ := strconv.ParseInt(c, 10, 64)
		s, err := d.load(ctx, chat)
		if err != nil {
			return nil, nil, err
		}
		if !s.open() {
			_ = d.o.Redis.ZRem(ctx, d.gkey("open"), c).Err()
			continue
		}
		s["chat"] = c
		if s["holder"] != "" || !keep(s) {
			continue
		}
		line := fmt.Sprintf("• %s — attend depuis %s", s["label"], waited(now.Sub(s.opened())))
		if s["phone"] == "1" {
			line += " · 📞 rappel demandé"
		}
		if link := d.link(s); link != "" {
			line += "\n  " + link
		}
		lines = append(lines, line)
		named = append(named, chat)
	}
	return lines, named, nil
}

// link points at the card: t.me/c/<id>/<message> works in supergroups.
func (d *Desk) link(s state) string {
	id := -d.o.AdvisersChatID - 1_000_000_000_000
	if id <= 0 || s["card"] == "" {
		return ""
	}
	if t := s["thread"]; t != "" && t != "0" {
		return fmt.Sprintf("https://t.me/c/%d/%s/%s", id, t, s["card"])
	}
	return fmt.Sprintf("https://t.me/c/%d/%s", id, s["card"])
}

// Tick does what time brings: tells users nobody answered within Wait and
// offers a call back, shows advisers coming back the requests of the
// closed hours, and drops texts and numbers past their retention. Every
// replica may run it: each step is claimed in Redis first.
func (d *Desk) Tick(ctx context.Context) error {
	now := d.o.Now()
	h := *d.o.Hours
	chats, err := d.o.Redis.ZRange(ctx, d.gkey("open"), 0, -1).Result()
	if err != nil {
		return fmt.Errorf("listing open handoffs: %w", err)
	}
	var waiting [2]int // office, off hours
	for _, c := range chats {
		chat, _ := strconv.ParseInt(c, 10, 64)
		s, err := d.load(ctx, chat)
		if err != nil {
			return err
		}
		if s.open() && s["holder"] == "" {
			if s["off"] == "1" {
				waiting[1]++
			} else {
				waiting[0]++
			}
		}
		if !s.open() || s["holder"] != "" || s["waitnote"] != "" {
			continue
		}
		if h.WorkingSince(s.opened(), now) < d.o.Wait {
			continue
		}
		claimed, err := d.o.Redis.HSetNX(ctx, d.ukey(chat, "h"), "waitnote", "1").Result()
		if err != nil || !claimed {
			continue
		}
		if err := d.o.Redis.HSet(ctx, d.ukey(chat, "h"), "askphone", "1").Err(); err != nil {
			return fmt.Errorf("saving handoff state: %w", err)
		}
		l := s.lang()
		kb := &telegram.ReplyKeyboard{Keyboard: [][]telegram.KeyboardButton{{{Text: d.o.T.T(l, "handoff.user.sharephone", nil), RequestContact: true}}},
			ResizeKeyboard: true, OneTimeKeyboard: true}
		d.toUser(ctx, chat, l, "handoff.user.nobody", nil, telegram.SendMessage{ReplyKeyboard: kb}, "ho:nobody:"+s["id"])
		d.editCard(ctx, s, fmt.Sprintf("⏳ Sans réponse depuis %s : un rappel téléphonique a été proposé.", waited(now.Sub(s.opened()))))
	}
	d.m.waiting.WithLabelValues("office").Set(float64(waiting[0]))
	d.m.waiting.WithLabelValues("off_hours").Set(float64(waiting[1]))
	if h.Open(now) {
		if err := d.backInOffice(ctx, now); err != nil {
			return err
		}
	}
	if now.Sub(d.lastPurge) > 10*time.Minute {
		if err := d.o.Records.purge(ctx, now, d.o.Retention, d.ttl()); err != nil {
			return err
		}
		d.lastPurge = now
	}
	return nil
}

// backInOffice posts, when the advisers are back, the requests that came
// while they were away; each request is claimed (HSETNX) so that one
// replica shows it, once.
func (d *Desk) backInOffice(ctx context.Context, now time.Time) error {
	lines, chats, err := d.waitingLines(ctx, func(s state) bool {
		if s["off"] != "1" || s["shown"] != "" {
			return false
		}
		chat, _ := strconv.ParseInt(s["chat"], 10, 64)
		ok, err := d.o.Redis.HSetNX(ctx, d.ukey(chat, "h"), "shown", "1").Result()
		return err == nil && ok
	})
	if err != nil || len(lines) == 0 {
		return err
	}
	text := fmt.Sprintf("☀️ Bonjour ! %d demande(s) arrivée(s) hors heures de bureau attendent une réponse :\n%s",
		len(lines), strings.Join(lines, "\n"))
	// Each request listed was claimed above: the list goes once.
	return d.post(ctx, "office:"+randomID(9), telegram.SendMessage{Text: text}, postedList, chats...)
}

// relayFlushEvery is how often the users' waiting messages are looked at.
const relayFlushEvery = 500 * time.Millisecond

// Run calls Tick every interval, and relays the users' waiting messages
// (FlushRelays) every half second, until ctx ends.
func (d *Desk) Run(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = 30 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	f := time.NewTicker(relayFlushEvery)
	defer f.Stop()
	tick := func() {
		if err := d.Tick(ctx); err != nil && ctx.Err() == nil {
			d.m.fail(failTick)
			d.log.Error("handoff tick", "err", err)
		}
	}
	tick()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			tick()
		case <-f.C:
			if err := d.FlushRelays(ctx); err != nil && ctx.Err() == nil {
				d.m.fail(failState)
				d.log.Error("relaying waiting messages", "err", err)
			}
		}
	}
}
