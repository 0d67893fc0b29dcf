package handoff

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"

	"github.com/dalil-tt/dalil/bot/outbox"
	"github.com/dalil-tt/dalil/bot/telegram"
)

// Outbox puts messages in a chat's outbox once per key (bot.Bot.Put):
// saved before sent, in order with what the chat is owed, under the bot's
// limits and its sender's one error policy, once whatever the retries,
// replicas and crashes. Every message the desk sends goes this way (relays
// both ways, notices to users, its posts in the group), except the calls
// whose answer it needs at once (see Desk.do).
type Outbox interface {
	Put(ctx context.Context, chat int64, once string, msgs ...outbox.Message) (bool, error)
}

// The desk's after-send hooks (Desk.AfterSend), named in the outbox items.
const (
	// afterRelayed: a user's message relayed to the group; its id is mapped
	// to the user (an adviser's reply to it reaches them) and noted for
	// /forget. Note: "user".
	afterRelayed = "handoff.relayed"
	// afterPosted: a post of the desk in the group about users (a note in a
	// user's topic, a list of waiting requests), noted for /forget. Note:
	// "users" (comma-separated), "kind" (postedMsg or postedList).
	afterPosted = "handoff.posted"
	// afterToUser: an adviser's message relayed to a user (or the notice
	// before it, "notice"); a refusal is told in the group. Note: "msg"
	// and "thread", the adviser's message.
	afterToUser = "handoff.to_user"
)

// AfterSend returns the desk's hooks, for bot.Options.AfterSend: what the
// desk records once a message it put in an outbox is out (never before).
func (d *Desk) AfterSend() map[string]outbox.AfterSend {
	return map[string]outbox.AfterSend{
		afterRelayed: d.relayedSent,
		afterPosted:  d.postedSent,
		afterToUser:  d.toUserSent,
	}
}

// put puts msgs in chat's outbox, once per once key (Options.Outbox).
// Without an outbox (the desk run alone) it sends them at once, in order,
// telling the same hooks, and returns the first error.
func (d *Desk) put(ctx context.Context, chat int64, once string, msgs ...outbox.Message) error {
	if d.o.Outbox != nil {
		if _, err := d.o.Outbox.Put(ctx, chat, once, msgs...); err != nil {
			return fmt.Errorf("putting in the outbox: %w", err)
		}
		return nil
	}
	hooks := d.AfterSend()
	for _, m := range msgs {
		raw, err := d.do(ctx, m.Request)
		if m.After != "" {
			hooks[m.After](ctx, outbox.Sent{Chat: chat, MessageID: messageID(raw), Err: err, Note: m.Note})
			if err != nil {
				return hooked{err}
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// hooked is a send error its after-send hook was told of (and counted).
type hooked struct{ error }

func (h hooked) Unwrap() error { return h.error }

// told reports whether err was told to an after-send hook already.
func told(err error) bool {
	var h hooked
	return errors.As(err, &h)
}

// do makes one typed Bot API call at once through the shared sender (the
// bot's limits, the one error policy). It is for what is no message to
// keep in an outbox (reads, edits of the card, answers to button presses,
// topics, deletions) and for the summary card, posted inside the bot's
// handoff effect (itself an outbox item) because the opening needs its id
// at once and guards it against a second post (see opening).
func (d *Desk) do(ctx context.Context, r telegram.Request) (json.RawMessage, error) {
	p := r.Params()
	chat, _ := strconv.ParseInt(p["chat_id"], 10, 64)
	raw, err := d.tg.Do(ctx, chat, r.Method(), p)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r.Method(), err)
	}
	return raw, nil
}

// messageID reads a sent message's id from the Bot API's answer (0 if none).
func messageID(raw json.RawMessage) int64 {
	var m struct {
		MessageID int64 `json:"message_id"`
	}
	if raw != nil {
		_ = json.Unmarshal(raw, &m)
	}
	return m.MessageID
}

// where returns, for a message about a user in the group, its topic or the
// card it answers (in a group without topics a copy says nothing of who
// wrote it: it answers the card, which does).
func where(thread, card int64) (threadID, replyTo int64) {
	if thread != 0 {
		return thread, 0
	}
	return 0, card
}

// post puts a text in the advisers' group, noted for /forget under each
// user it names (kind postedMsg or postedList).
func (d *Desk) post(ctx context.Context, once string, m telegram.SendMessage, kind string, users ...int64) error {
	m.ChatID = d.o.AdvisersChatID
	msg := outbox.Message{Request: m}
	if len(users) > 0 {
		ids := make([]string, len(users))
		for i, u := range users {
			ids[i] = strconv.FormatInt(u, 10)
		}
		msg.After, msg.Note = afterPosted, map[string]string{"users": strings.Join(ids, ","), "kind": kind}
	}
	return d.put(ctx, d.o.AdvisersChatID, once, msg)
}

// textKey is a short digest of a text for once keys (two different
// answers to one message are two messages).
func textKey(s string) string {
	h := fnv.New32a()
	_, _ = h.Write([]byte(s))
	return strconv.FormatUint(uint64(h.Sum32()), 36)
}

func (d *Desk) relayedSent(ctx context.Context, s outbox.Sent) {
	user, _ := strconv.ParseInt(s.Note["user"], 10, 64)
	if s.Err != nil || s.MessageID == 0 {
		d.m.fail(failToAdviser)
		d.log.Error("a user's message could not be relayed to the advisers", "err", s.Err)
		return
	}
	if err := d.o.Redis.Set(ctx, d.gkey("msg:"+strconv.FormatInt(s.MessageID, 10)), user, d.ttl()).Err(); err != nil {
		d.m.fail(failState)
		d.log.Error("saving the relay map", "err", err)
	}
	if err := d.posted(ctx, user, s.MessageID, d.o.Now()); err != nil {
		d.m.fail(failState)
		d.log.Error("noting a relayed message", "err", err)
	}
}

func (d *Desk) postedSent(ctx context.Context, s outbox.Sent) {
	if s.Err != nil || s.MessageID == 0 {
		d.m.fail(failNotify)
		d.log.Warn("post in the advisers' group", "err", s.Err)
		return
	}
	for _, u := range strings.Split(s.Note["users"], ",") {
		user, _ := strconv.ParseInt(u, 10, 64)
		if err := d.postedAs(ctx, user, s.Note["kind"], s.MessageID, d.o.Now()); err != nil {
			d.m.fail(failState)
			d.log.Error("noting a post about a user", "err", err)
		}
	}
}

func (d *Desk) toUserSent(ctx context.Context, s outbox.Sent) {
	if s.Err == nil {
		if s.Note["notice"] == "" {
			d.m.relayed.WithLabelValues("to_user").Inc()
		}
		return
	}
	msg, _ := strconv.ParseInt(s.Note["msg"], 10, 64)
	thread, _ := strconv.ParseInt(s.Note["thread"], 10, 64)
	var se *telegram.SendError
	if errors.As(s.Err, &se) && se.Class == telegram.Blocked {
		d.m.fail(failBlocked)
		d.replyTo(ctx, msg, thread, "Non transmis : la personne a bloqué le bot.")
		return
	}
	if s.Note["notice"] != "" {
		return // only a block is told at the notice; the message after it tells the rest
	}
	d.m.fail(failToUser)
	d.log.Error("an adviser's message could not be relayed to the user", "err", s.Err)
	d.replyTo(ctx, msg, thread, "Non transmis : Telegram a refusé ou n'a pas pu livrer ce message. Réessayez.")
}
