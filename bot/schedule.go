package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

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
	return b.Post(ctx, chat, Posting{Key: key, Call: m})
}
