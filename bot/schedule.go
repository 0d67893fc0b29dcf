package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dalil-tt/dalil/bot/outbox"
	"github.com/dalil-tt/dalil/bot/telegram"
	"github.com/dalil-tt/dalil/dialog"
	"github.com/dalil-tt/dalil/dialog/redisstore"
)

// Message is a message the service sends of its own accord (not as a reply
// to an update): a text with optional buttons.
type Message struct {
	Text    string
	Buttons [][]dialog.Button
}

// Schedule sends m to chat at time at (a follow-up in 7 days), once per
// key: scheduling the same key again does nothing and returns false. The
// message is kept in Redis until due, then goes through the chat's outbox
// like a reply: in order after what the chat is owed, under the rate
// limits, sent once whichever replica is running then.
func (b *Bot) Schedule(ctx context.Context, chat int64, at time.Time, m Message, key string) (bool, error) {
	outs := b.message(chat, m.Text, m.Buttons)
	if len(outs) == 0 {
		return false, fmt.Errorf("schedule: empty message")
	}
	payload, err := json.Marshal(outs)
	if err != nil {
		return false, fmt.Errorf("schedule: encoding message: %w", err)
	}
	return b.sched.Schedule(ctx, chat, at, payload, key)
}

// deliverScheduled puts a due message in its chat's outbox (once per
// entry) and sends the outbox if no one else is.
func (b *Bot) deliverScheduled(ctx context.Context, d outbox.Due) error {
	var outs []out
	if err := json.Unmarshal(d.Payload, &outs); err != nil {
		b.log.Error("scheduled message unreadable, dropped", "chat", chatHash(d.Chat), "err", err)
		return nil
	}
	seq, _, _ := strings.Cut(d.Entry, ":")
	items := make([]redisstore.Item, len(outs))
	for i, o := range outs {
		items[i] = redisstore.Item{ID: fmt.Sprintf("s%s.%d", strings.TrimLeft(seq, "0"), i), Body: o.appendJSON(nil)}
	}
	_, snd, err := b.store.Enqueue(ctx, d.Chat, "sched:"+d.Entry, items)
	if err != nil {
		return err
	}
	b.flushLater(snd)
	return nil
}

// Notify puts m in chat's outbox, after what the chat is owed, once per
// key (a retried close, two replicas handling the same event: one
// message), and sends it like a reply. The adviser desk's notices come
// this way (handoff.Options.Notices).
func (b *Bot) Notify(ctx context.Context, chat int64, key string, m telegram.SendMessage) error {
	m.ChatID = chat
	return b.Post(ctx, chat, key, m, "")
}

// Post puts any Bot API call r for chat (a message, an edit of one) in
// the chat's outbox, once per key, and sends it like a reply: in order,
// under the limits, once across replicas and restarts. When keep is set,
// the id of the message Telegram answers with is kept under that name for
// SentTTL (SentID), so that it can be edited or replied to later.
func (b *Bot) Post(ctx context.Context, chat int64, key string, r telegram.Request, keep string) error {
	o := outOf(r)
	o.Keep = keep
	items := []redisstore.Item{{ID: "n" + strconv.FormatUint(rand.Uint64(), 36), Body: o.appendJSON(nil)}}
	added, snd, err := b.store.Enqueue(ctx, chat, "notice:"+key, items)
	if err != nil {
		return fmt.Errorf("posting %s: %w", r.Method(), err)
	}
	if !added {
		return nil
	}
	b.flushLater(snd)
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

// kept records the id of a message posted with a keep name.
func (b *Bot) kept(ctx context.Context, chat int64, o out, raw json.RawMessage) {
	var m struct {
		MessageID int64 `json:"message_id"`
	}
	if err := json.Unmarshal(raw, &m); err != nil || m.MessageID == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Second)
	defer cancel()
	if err := b.store.Client().Set(ctx, b.sentKey(o.Keep), m.MessageID, SentTTL).Err(); err != nil {
		b.log.Warn("keeping a sent message's id", "chat", chatHash(chat), "err", err)
	}
}

// AnswerPress answers a button press taken by an interceptor, with a
// short text shown to the one who pressed ("" for none). It is not a
// message: it goes at once, not through the outbox.
func (b *Bot) AnswerPress(ctx context.Context, chat int64, id, text string) error {
	_, err := b.send.do(ctx, chat, outOf(telegram.AnswerCallbackQuery{ID: id, Text: text}))
	return err
}
