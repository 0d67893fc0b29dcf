package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dalil-tt/dalil/bot/telegram"
	"github.com/dalil-tt/dalil/internal/lang"
)

// An update whose handling panics would crash the process, and crash it
// again on every redelivery. It is handled again up to poisonAttempts
// times in all (a failure that comes from a race may not repeat); one that
// fails every time is poison: it is set aside in a dead-letter stream, the
// user gets a short apology, and the chat's later updates are handled as
// usual.
const (
	poisonAttempts = 3
	// deadLetterTTL is how long set-aside updates are kept to be looked
	// at (they may hold what the user wrote).
	deadLetterTTL = 7 * 24 * time.Hour
	// deadLetterMax bounds the stream whatever happens.
	deadLetterMax = 1000
	// crashDeliveries: an update read this many times from the queue and
	// never acknowledged has stopped every process that took it (a fatal
	// error no recover catches: stack overflow, out of memory…). (Re-reads
	// after a Redis error count too, hence the margin over poisonAttempts.)
	crashDeliveries = poisonAttempts + 2
)

// deadLetterKey is the stream of updates set aside.
func (b *Bot) deadLetterKey() string { return b.store.GlobalKey("updates:dead") }

// handleSafely handles one update, containing any panic of its handling.
func (b *Bot) handleSafely(j job, done func()) {
	var lastSig string
	for attempt := 1; ; attempt++ {
		p, stack := b.try(j, done)
		if p == nil {
			return
		}
		b.m.updates.WithLabelValues("panicked").Inc()
		// The panic's text may quote the user's message: the log gets its
		// type and a hash of it; the stack names only code.
		sig := panicSignature(p)
		b.log.Error("handling an update panicked", "update", j.up.UpdateID, "chat", chatHash(j.up.ChatID()),
			"attempt", attempt, "panic_type", fmt.Sprintf("%T", p), "panic_hash", sig, "stack", string(stack))
		if attempt >= poisonAttempts {
			b.setAside(j.up, "panic "+sig, attempt, sig == lastSig)
			return
		}
		lastSig = sig
	}
}

// try runs handle, returning what it panicked with, if anything.
func (b *Bot) try(j job, done func()) (p any, stack []byte) {
	defer func() {
		if p = recover(); p != nil {
			stack = debug.Stack()
		}
	}()
	b.handle(b.workCtx, j.up, j.at, done)
	return nil, nil
}

func panicSignature(p any) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%T|%v", p, p))
	return hex.EncodeToString(sum[:6])
}

// setAside keeps a poison update in the dead-letter stream, counts it and
// apologises to the user. reason is "panic HASH" or "unfinished".
func (b *Bot) setAside(up *telegram.Update, reason string, attempts int, same bool) {
	ctx, cancel := context.WithTimeout(b.workCtx, 5*time.Second)
	defer cancel()
	b.m.updates.WithLabelValues("poisoned").Inc()
	chat := up.ChatID()
	b.log.Error("update set aside after failing every attempt", "update", up.UpdateID, "chat", chatHash(chat),
		"attempts", attempts, "same_failure", same, "reason", reason, "stream", b.deadLetterKey())
	raw, err := json.Marshal(up)
	if err == nil {
		pipe := b.store.Client().Pipeline()
		pipe.XAdd(ctx, &redis.XAddArgs{Stream: b.deadLetterKey(), MaxLen: deadLetterMax, Approx: true, Values: []any{
			"u", string(raw), "reason", reason, "attempts", strconv.Itoa(attempts), "at", time.Now().UTC().Format(time.RFC3339)}})
		// Trimmed by age too, and gone when nothing is added for as long.
		pipe.XTrimMinIDApprox(ctx, b.deadLetterKey(), strconv.FormatInt(time.Now().Add(-deadLetterTTL).UnixMilli(), 10), 0)
		pipe.Expire(ctx, b.deadLetterKey(), deadLetterTTL)
		_, err = pipe.Exec(ctx)
	}
	if err != nil {
		b.log.Error("keeping a poison update in the dead-letter stream", "update", up.UpdateID, "err", err)
	}
	if chat == 0 || chat == b.o.AdvisersChatID || !b.private(up) {
		return
	}
	o := outOf(telegram.SendMessage{ChatID: chat, Text: b.o.T.T(b.langOf(ctx, up), "bot.poison", nil)})
	if _, err := b.send.do(ctx, chat, o); err != nil {
		b.log.Error("sending the apology for a poison update", "chat", chatHash(chat), "err", err)
	}
}

// langOf is the conversation's language, read without its lock (the
// update that failed is not being handled any more); or a guess.
func (b *Bot) langOf(ctx context.Context, up *telegram.Update) (l lang.Lang) {
	defer func() {
		if recover() != nil { // the stored state may be what makes handling fail
			l = guessLang(up)
		}
	}()
	if conv, found, err := b.store.Load(ctx, up.ChatID()); err == nil && found && conv.State.Lang != "" {
		return conv.State.Lang
	}
	return guessLang(up)
}

// crashedDeliveries returns, among entries re-read from the pending list,
// those delivered crashDeliveries times or more, with their count.
func (b *Bot) crashedDeliveries(ctx context.Context, stream string, msgs []redis.XMessage) map[string]int64 {
	if len(msgs) == 0 {
		return nil
	}
	pend, err := b.store.Client().XPendingExt(ctx, &redis.XPendingExtArgs{Stream: stream, Group: streamGroup,
		Consumer: partitionConsumer, Start: msgs[0].ID, End: msgs[len(msgs)-1].ID, Count: int64(len(msgs))}).Result()
	if err != nil {
		b.log.Warn("reading delivery counts of the update queue", "err", err)
		return nil
	}
	var out map[string]int64
	for _, p := range pend {
		if p.RetryCount >= crashDeliveries {
			if out == nil {
				out = map[string]int64{}
			}
			out[p.ID] = p.RetryCount
		}
	}
	return out
}
