package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dalil-tt/dalil/bot/telegram"
)

// allowedUpdates are the update kinds the bot asks Telegram for.
var allowedUpdates = []string{"message", "edited_message", "callback_query", "my_chat_member"}

// Run receives and handles updates until ctx is cancelled: long polling, or
// the webhook queue when WebhookURL is set (the webhook's HTTP handler is
// Handler's). On cancellation it stops taking updates, finishes the ones in
// flight and sends their replies, within the grace period.
func (b *Bot) Run(ctx context.Context) error {
	go func() {
		b.sweep(ctx)
		t := time.NewTicker(b.o.SweepEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				b.sweep(ctx)
			}
		}
	}()
	var err error
	if b.o.WebhookURL != "" {
		err = b.consume(ctx)
	} else {
		err = b.poll(ctx)
	}
	b.drain()
	return err
}

// drain waits for in-flight updates and their replies, up to the grace
// period, then cancels what is left (replies left owed are sent by the next
// process).
func (b *Bot) drain() {
	finished := make(chan struct{})
	go func() {
		b.work.Wait()
		b.sending.Wait()
		close(finished)
	}()
	select {
	case <-finished:
	case <-time.After(b.o.Grace):
		b.log.Warn("stop: grace period over, leaving replies owed for the next start")
		b.cancelWork()
		<-finished
	}
	b.cancelWork()
}

// poll is the getUpdates loop. An update's offset is confirmed to Telegram
// (by the next call) only after the whole batch is durably handled, so a
// crash makes Telegram deliver it again and the duplicate is dropped.
func (b *Bot) poll(ctx context.Context) error {
	if err := b.client.DeleteWebhook(ctx); err != nil && ctx.Err() == nil {
		b.log.Warn("deleteWebhook before polling", "err", err)
	}
	var offset int64
	backoff := time.Second
	for ctx.Err() == nil {
		ups, err := b.client.GetUpdates(ctx, offset, 100, 25*time.Second, allowedUpdates)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			b.m.apiError("getUpdates", telegram.Code(err))
			var te *telegram.Error
			wait := backoff
			if errors.As(err, &te) && te.RetryAfter > 0 {
				wait = te.RetryAfter
			}
			b.log.Warn("getUpdates failed; retrying", "err", err, "in", wait)
			_ = sleepUntil(ctx, time.Now().Add(wait))
			backoff = min(backoff*2, 30*time.Second)
			continue
		}
		backoff = time.Second
		if len(ups) == 0 {
			continue
		}
		now := time.Now()
		var wg sync.WaitGroup
		wg.Add(len(ups))
		for i := range ups {
			b.dispatch(&ups[i], now, wg.Done)
		}
		wg.Wait()
		offset = ups[len(ups)-1].UpdateID + 1
	}
	if offset > 0 {
		// Confirm the last batch now rather than redeliver it at the next start.
		cctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		_, _ = b.client.GetUpdates(cctx, offset, 1, 0, allowedUpdates)
		cancel()
	}
	return nil
}

// Webhook mode: the HTTP handler only queues each update in a Redis stream
// and answers; this loop handles them. An update Telegram sent is
// acknowledged once it is in Redis, and leaves the stream once handled, so
// neither a crash nor a slow handler loses one.
const (
	streamGroup = "bot"
	claimIdle   = 30 * time.Second
)

func (b *Bot) streamKey() string { return b.store.GlobalKey("updates") }

// Enqueue puts a raw update on the webhook queue.
func (b *Bot) Enqueue(ctx context.Context, raw []byte) error {
	err := b.store.Client().XAdd(ctx, &redis.XAddArgs{Stream: b.streamKey(), Values: []any{"u", raw}}).Err()
	if err != nil {
		return fmt.Errorf("queue update: %w", err)
	}
	return nil
}

func (b *Bot) consume(ctx context.Context) error {
	rdb := b.store.Client()
	host, _ := os.Hostname()
	consumer := fmt.Sprintf("%s-%d-%d", host, os.Getpid(), time.Now().UnixNano()%1e6)
	u, _ := url.Parse(b.o.WebhookURL)
	if err := b.client.SetWebhook(ctx, u.String(), b.o.WebhookSecret, allowedUpdates); err != nil {
		return fmt.Errorf("setWebhook: %w", err)
	}
	b.log.Info("webhook registered", "path", u.Path)
	lastClaim := time.Time{}
	backoff := 100 * time.Millisecond
	groupReady := false
	for ctx.Err() == nil {
		if !groupReady {
			err := rdb.XGroupCreateMkStream(ctx, b.streamKey(), streamGroup, "0").Err()
			if err != nil && !isBusyGroup(err) {
				if ctx.Err() != nil {
					break
				}
				b.log.Warn("webhook queue unavailable; retrying", "err", err)
				_ = sleepUntil(ctx, time.Now().Add(backoff))
				backoff = min(backoff*2, 5*time.Second)
				continue
			}
			groupReady = true
		}
		var msgs []redis.XMessage
		var err error
		if time.Since(lastClaim) > claimIdle/3 {
			// Updates taken by a process that died are handled here.
			lastClaim = time.Now()
			msgs, _, err = rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{Stream: b.streamKey(), Group: streamGroup,
				Consumer: consumer, MinIdle: claimIdle, Start: "0", Count: 100}).Result()
		}
		if len(msgs) == 0 && err == nil {
			var streams []redis.XStream
			streams, err = rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: streamGroup, Consumer: consumer,
				Streams: []string{b.streamKey(), ">"}, Count: 100, Block: 2 * time.Second}).Result()
			if errors.Is(err, redis.Nil) {
				continue
			}
			for _, s := range streams {
				msgs = append(msgs, s.Messages...)
			}
		}
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			b.log.Warn("reading the webhook queue; retrying", "err", err)
			groupReady = false // the stream may have gone with a Redis restart
			_ = sleepUntil(ctx, time.Now().Add(backoff))
			backoff = min(backoff*2, 5*time.Second)
			continue
		}
		backoff = 100 * time.Millisecond
		b.handleBatch(msgs)
	}
	return nil
}

func (b *Bot) handleBatch(msgs []redis.XMessage) {
	if len(msgs) == 0 {
		return
	}
	now := time.Now()
	var wg sync.WaitGroup
	ids := make([]string, 0, len(msgs))
	for _, m := range msgs {
		ids = append(ids, m.ID)
		raw, _ := m.Values["u"].(string)
		var up telegram.Update
		if err := json.Unmarshal([]byte(raw), &up); err != nil {
			b.log.Error("unreadable update in the webhook queue, dropped", "err", err)
			continue
		}
		wg.Add(1)
		b.dispatch(&up, now, wg.Done)
	}
	wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	pipe := b.store.Client().Pipeline()
	pipe.XAck(ctx, b.streamKey(), streamGroup, ids...)
	pipe.XDel(ctx, b.streamKey(), ids...)
	if _, err := pipe.Exec(ctx); err != nil {
		// They will be claimed again and dropped as duplicates.
		b.log.Warn("acknowledging queued updates", "err", err)
	}
}

func isBusyGroup(err error) bool {
	return err != nil && len(err.Error()) >= 9 && err.Error()[:9] == "BUSYGROUP"
}

// updateID reads just the update_id of a raw update.
func updateID(raw []byte) (int64, error) {
	var u struct {
		UpdateID json.Number `json:"update_id"`
	}
	if err := json.Unmarshal(raw, &u); err != nil {
		return 0, err
	}
	return strconv.ParseInt(string(u.UpdateID), 10, 64)
}
