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

// effectHandoff is an outbox item that is no Bot API call: handing the
// conversation to the advisers (Options.AdviserNotice), kept in the chat's
// outbox with the replies so that it is saved atomically with the state
// and carried out, in order, by the chat's sender outside the lock.
const effectHandoff = "dalil.handoff"

// carry carries out effect item o, renewing the chat's send lock while it
// runs (a card may wait minutes for a group's limit): no other sender
// takes the chat over and carries it out a second time.
func (b *Bot) carry(ctx context.Context, snd *outbox.Sender, id string, o out) bool {
	rctx, stopRenew := context.WithCancel(context.WithoutCancel(ctx))
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		t := time.NewTicker(b.out.LockTTL() / 3)
		defer t.Stop()
		for {
			select {
			case <-rctx.Done():
				return
			case <-t.C:
				if err := b.out.Renew(rctx, snd); err != nil && rctx.Err() == nil {
					b.log.Warn("renewing the send lock during an effect", "chat", chatHash(snd.Chat), "err", err)
				}
			}
		}
	}()
	defer func() { stopRenew(); <-renewed }()
	switch o.Method {
	case effectRequest:
		return b.sendRequest(ctx, snd, id, o)
	case effectWithdraw:
		return b.withdraw(ctx, snd, id, o)
	}
	return b.handoff(ctx, snd, id, o)
}

// effect says whether o is an effect item (a handoff, a request, a
// withdrawal) rather than a Bot API call: carried out by the sender,
// waited for by the chat's next update.
func (o out) effect() bool {
	return o.Method == effectHandoff || o.Method == effectRequest || o.Method == effectWithdraw
}

func handoffEffect(chat int64, st dialog.State) (out, error) {
	raw, err := json.Marshal(st)
	if err != nil {
		return out{}, fmt.Errorf("encoding the handoff effect: %w", err)
	}
	return out{Method: effectHandoff, Params: map[string]string{"chat_id": strconv.FormatInt(chat, 10), "state": string(raw)}}, nil
}

// handoff carries out a handoff effect and sends the user what happens
// next. The send lock is renewed meanwhile (the card may wait minutes for
// the group's limit), so no other sender takes the chat over and runs the
// effect twice. The item's id is the opening's key: an effect run again
// (a crash before its mark) carries on the same opening, with one card.
// It returns false when stopping before the effect was done.
func (b *Bot) handoff(ctx context.Context, snd *outbox.Sender, id string, o out) bool {
	var st dialog.State
	if err := json.Unmarshal([]byte(o.Params["state"]), &st); err != nil {
		b.log.Error("unreadable handoff effect, dropped", "chat", chatHash(snd.Chat), "err", err)
		return true
	}
	notice, err := b.o.AdviserNotice(ctx, snd.Chat, id, st)
	if err != nil {
		if ctx.Err() != nil {
			return false
		}
		b.log.Error("adviser handoff", "chat", chatHash(snd.Chat), "err", err)
		notice = b.o.T.T(st.Lang, "TechnicalError", nil)
	}
	for _, m := range b.message(snd.Chat, notice, nil) {
		if _, err := b.send.do(ctx, snd.Chat, m); err != nil {
			b.log.Warn("telling the user what happens next", "chat", chatHash(snd.Chat), "err", err)
		}
	}
	return true
}
