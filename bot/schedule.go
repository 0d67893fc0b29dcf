package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/dalil-tt/dalil/bot/outbox"
	"github.com/dalil-tt/dalil/bot/telegram"
	"github.com/dalil-tt/dalil/dialog"
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
	items := make([]outbox.Item, len(outs))
	for i, o := range outs {
		items[i] = outbox.Item{ID: fmt.Sprintf("s%s.%d", strings.TrimLeft(seq, "0"), i), Body: o.appendJSON(nil)}
	}
	_, snd, err := b.out.Enqueue(ctx, d.Chat, "sched:"+d.Entry, items)
	if err != nil {
		return err
	}
	b.flushLater(snd)
	return nil
}

// Notify puts m in chat's outbox, after what the chat is owed, once per
// key (a retried close, two replicas handling the same event: one
// message), and sends it like a reply.
func (b *Bot) Notify(ctx context.Context, chat int64, key string, m telegram.SendMessage) error {
	m.ChatID = chat
	_, err := b.Put(ctx, chat, "notice:"+key, outbox.Message{Request: m})
	return err
}

// Put puts msgs in chat's outbox, in this order after what the chat is
// owed, once per once key: a second Put with the same key (a duplicate
// update, a retry, another replica) puts nothing and returns false. They
// are sent like replies, and each message's AfterSend hook (Options.
// AfterSend, by its After name) is told what became of it. The adviser
// desk's relays and notices come this way (handoff.Options.Outbox).
func (b *Bot) Put(ctx context.Context, chat int64, once string, msgs ...outbox.Message) (bool, error) {
	if len(msgs) == 0 {
		return false, nil
	}
	base := "n" + strconv.FormatUint(rand.Uint64(), 36) + "."
	items := make([]outbox.Item, len(msgs))
	for i, m := range msgs {
		if m.After != "" && b.o.AfterSend[m.After] == nil {
			return false, fmt.Errorf("put: no after-send hook %q", m.After)
		}
		o := outOf(m.Request)
		o.After, o.Note, o.Ref = m.After, m.Note, m.Ref
		items[i] = outbox.Item{ID: base + strconv.Itoa(i), Body: o.appendJSON(nil)}
	}
	added, snd, err := b.out.Enqueue(ctx, chat, once, items)
	if err != nil {
		return false, fmt.Errorf("put in the outbox: %w", err)
	}
	b.flushLater(snd)
	return added, nil
}

// afterSend tells o's hook what became of it: raw is the Bot API's answer,
// err the sender's.
func (b *Bot) afterSend(ctx context.Context, chat int64, o out, raw json.RawMessage, err error) {
	hook := b.o.AfterSend[o.After]
	if hook == nil {
		b.log.Error("outbox item names an unknown after-send hook", "hook", o.After)
		return
	}
	s := outbox.Sent{Chat: chat, Err: err, Note: o.Note}
	if err == nil && raw != nil {
		var m struct {
			MessageID int64 `json:"message_id"`
		}
		_ = json.Unmarshal(raw, &m)
		s.MessageID = m.MessageID
	}
	// What the hook records follows a message that is out: a stop must
	// not cut it short.
	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Second)
	defer cancel()
	hook(hctx, s)
}
