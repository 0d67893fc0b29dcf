package bot

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dalil-tt/dalil/bot/outbox"
	"github.com/dalil-tt/dalil/bot/telegram"
)

// Posting is a Bot API call the service makes of its own accord (an
// organisation's card, an edit of it), for Bot.Post.
type Posting struct {
	// Key makes the posting once: posting the same key to the same chat
	// again does nothing.
	Key  string
	Call telegram.Request
	// Keep, when set, names the sent message: its id is kept under that
	// name for SentTTL (SentID), to edit it or reply to it later.
	Keep string
	// Ref, when set, is the name of a message kept earlier that the call
	// is about, looked up when the call is sent (so after anything posted
	// before it to the chat, the kept message included): an edit gets its
	// message_id, a message replies to it. An edit of a message whose id
	// is not known is sent as a new message instead; a reply, as a plain
	// message.
	Ref string
}

// keepHook is the bot's own after-send hook: it keeps a posted message's
// id under its Posting.Keep name.
const keepHook = "bot.keep"

// Post puts a call for chat (a message, an edit of one) in the chat's
// outbox, once per key, and sends it like a reply: in order, under the
// limits, once across replicas and restarts. It is Put with the bot's
// keep hook.
func (b *Bot) Post(ctx context.Context, chat int64, p Posting) error {
	if p.Key == "" || p.Call == nil {
		return errors.New("post: no key or no call")
	}
	m := outbox.Message{Request: p.Call, Ref: p.Ref}
	if p.Keep != "" {
		m.After, m.Note = keepHook, map[string]string{"keep": p.Keep}
	}
	if _, err := b.Put(ctx, chat, "notice:"+p.Key, m); err != nil {
		return fmt.Errorf("posting %s: %w", p.Call.Method(), err)
	}
	return nil
}

// SentTTL is how long the id of a message posted with a keep name is kept.
const SentTTL = 90 * 24 * time.Hour

// SentID is the id of the message posted with keep (Post), or 0 while it
// is not sent (or was never posted, or its id was forgotten).
func (b *Bot) SentID(ctx context.Context, keep string) (int64, error) {
	v, err := b.store.Client().Get(ctx, b.sentKey(keep)).Int64()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("reading a sent message's id: %w", err)
	}
	return v, nil
}

func (b *Bot) sentKey(keep string) string { return b.store.GlobalKey("sent:" + keep) }

// kept is the keep hook: it records the id of a message posted with a
// keep name, once it is out.
func (b *Bot) kept(ctx context.Context, s outbox.Sent) {
	if s.Err != nil || s.MessageID == 0 {
		return
	}
	if err := b.store.Client().Set(ctx, b.sentKey(s.Note["keep"]), s.MessageID, SentTTL).Err(); err != nil {
		b.log.Warn("keeping a sent message's id", "chat", chatHash(s.Chat), "err", err)
	}
}

// resolve fills in the id of the message a call refers to (Posting.Ref),
// as it stands when the call is sent.
func (b *Bot) resolve(ctx context.Context, chat int64, o out) out {
	id, err := b.SentID(ctx, o.Ref)
	if err != nil {
		b.log.Warn("reading the id of the message a call is about", "chat", chatHash(chat), "err", err)
	}
	p := maps.Clone(o.Params)
	r := out{Method: o.Method, Params: p, After: o.After, Note: o.Note}
	switch {
	case id != 0 && o.Method == "sendMessage":
		p["reply_to_message_id"] = strconv.FormatInt(id, 10)
	case id != 0:
		p["message_id"] = strconv.FormatInt(id, 10)
	case o.Method == "editMessageText":
		r.Method = "sendMessage"
		delete(p, "message_id")
		if p["reply_markup"] == `{"inline_keyboard":[]}` {
			delete(p, "reply_markup")
		}
	}
	return r
}

// AnswerPress answers a button press taken by an interceptor, with a
// short text shown to the one who pressed ("" for none). It is not a
// message: it goes at once, not through the outbox.
func (b *Bot) AnswerPress(ctx context.Context, chat int64, id, text string) error {
	_, err := b.send.do(ctx, chat, outOf(telegram.AnswerCallbackQuery{ID: id, Text: text}))
	return err
}
