package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/dalil-tt/dalil/bot/outbox"
	"github.com/dalil-tt/dalil/dialog"
)

// Resume offers a user an adviser gave back to the bot the question they
// had reached (the handoff's close). The engine asks it again on /help,
// after the help text, which is left out.
func (b *Bot) Resume(ctx context.Context, chat int64) error {
	sess, err := b.store.Lock(ctx, chat, b.o.LockWait)
	if err != nil {
		return fmt.Errorf("loading conversation: %w", err)
	}
	if !sess.Found {
		b.unlock(sess)
		return nil
	}
	conv := sess.Conv
	st, replies, _ := b.o.Engine.Step(conv.State, dialog.Input{Kind: dialog.InCommand, Command: "help"})
	if len(replies) > 1 {
		replies = replies[1:]
	}
	var outs []out
	for _, r := range replies {
		outs = append(outs, b.message(chat, r.Text, r.Buttons)...)
	}
	id := "resume." + strconv.FormatInt(time.Now().UnixNano(), 10)
	items := make([]outbox.Item, len(outs))
	for i, o := range outs {
		body, _ := json.Marshal(o)
		items[i] = outbox.Item{ID: id + "." + strconv.Itoa(i), Body: body}
	}
	conv.State = st
	snd, err := b.out.Commit(ctx, sess, &conv, items)
	if err != nil {
		return fmt.Errorf("saving conversation: %w", err)
	}
	b.flushLater(snd)
	return nil
}
