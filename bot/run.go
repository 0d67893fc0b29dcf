package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dalil-tt/dalil/bot/outbox"
	"github.com/dalil-tt/dalil/bot/telegram"
)

// allowedUpdates are the update kinds the bot asks Telegram for.
var allowedUpdates = []string{"message", "edited_message", "callback_query", "my_chat_member"}

// Run receives and handles updates until ctx is cancelled. Updates reach
// a Redis stream first: in webhook mode Handler's webhook puts them there,
// in polling mode the getUpdates loop does. A consumer loop takes them from
// the stream and handles them, many chats at once; an update leaves the
// stream once handled. So Telegram is acknowledged as soon as updates are
// safely queued, polling never waits for handling, and several replicas
// share the work. On cancellation Run stops taking updates, finishes the
// ones in flight and sends their replies, within the grace period; what is
// left stays queued for the next process.
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
	polled := make(chan error, 1)
	if b.o.WebhookURL != "" {
		u, err := url.Parse(b.o.WebhookURL)
		if err != nil {
			return fmt.Errorf("webhook URL: %w", err)
		}
		if err := b.client.SetWebhook(ctx, u.String(), b.o.WebhookSecret, allowedUpdates); err != nil {
			return fmt.Errorf("setWebhook: %w", err)
		}
		b.log.Info("webhook registered", "path", u.Path)
		polled <- nil
	} else {
		go func() { polled <- b.poll(ctx) }()
	}
	// Scheduled messages: one replica at a time moves due ones to their
	// chats' outboxes; it has stopped before drain waits for the senders.
	scheduling := make(chan struct{})
	go func() {
		defer close(scheduling)
		_ = b.sched.Run(ctx, b.deliverScheduled, func(outbox.Due) { b.m.scheduled.Inc() })
	}()
	err := b.consume(ctx)
	if perr := <-polled; err == nil {
		err = perr
	}
	<-scheduling
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
	b.workers.stop()
}

// poll is the getUpdates loop. A batch's offset is confirmed to Telegram
// (by the next call) only once the batch is durably queued (or, Redis being
// down, handled), so a crash makes Telegram deliver it again; a duplicate is
// dropped.
func (b *Bot) poll(ctx context.Context) error {
	if err := b.client.DeleteWebhook(ctx); err != nil && ctx.Err() == nil {
		b.log.Warn("deleteWebhook before polling", "err", err)
	}
	var offset int64
	backoff := time.Second
	for ctx.Err() == nil {
		raws, err := b.client.GetUpdatesRaw(ctx, offset, 100, 25*time.Second, allowedUpdates)
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
		// Each update is queued as Telegram sent it; only what routes it
		// (its id and chat) is read here.
		batch := make([]queued, 0, len(raws))
		for _, raw := range raws {
			h, err := telegram.ReadHead(raw)
			if err != nil || h.UpdateID == 0 {
				b.log.Warn("getUpdates: unreadable update dropped", "err", err)
				b.m.updates.WithLabelValues("unreadable").Inc()
				continue
			}
			batch = append(batch, queued{raw, h})
			offset = max(offset, h.UpdateID+1)
		}
		if len(batch) == 0 {
			continue
		}
		if err := b.enqueueBatch(ctx, batch); err != nil {
			// Redis is down: handle the batch here and now, so that each
			// user is at least told to try again in a moment.
			b.log.Error("queueing updates", "err", err)
			now := time.Now()
			var wg sync.WaitGroup
			for _, q := range batch {
				var up telegram.Update
				if json.Unmarshal(q.raw, &up) != nil {
					continue
				}
				wg.Add(1)
				b.dispatch(&up, now, wg.Done)
			}
			wg.Wait()
		}
	}
	if offset > 0 {
		// Confirm the last batch now rather than have it redelivered at the next start.
		cctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		_, _ = b.client.GetUpdatesRaw(cctx, offset, 1, 0, allowedUpdates)
		cancel()
	}
	return nil
}

// queued is an update from getUpdates on its way to the queue.
type queued struct {
	raw  []byte
	head telegram.Head
}

// The update queue: Redis streams (one per partition, see partition.go)
// read by a consumer group. An update Telegram sent is acknowledged (webhook
// answer, getUpdates offset) once it is in a stream, and leaves the stream
// once handled, so neither a crash nor a slow handler loses one.
const (
	streamGroup = "bot"
	// maxInFlight bounds the updates one process handles at once.
	maxInFlight = 1000
)

// streamKey is the single queue of earlier versions, emptied at start.
func (b *Bot) streamKey() string { return b.store.GlobalKey("updates") }

// Enqueue puts a raw update on the queue (the webhook does).
func (b *Bot) Enqueue(ctx context.Context, raw []byte) error {
	return b.enqueue(ctx, raw, rawPartition(raw))
}

func (b *Bot) enqueue(ctx context.Context, raw []byte, partition int) error {
	err := b.store.Client().XAdd(ctx, &redis.XAddArgs{Stream: b.partitionKey(partition),
		Values: []any{"u", raw, "t", strconv.FormatInt(time.Now().UnixNano(), 10)}}).Err()
	if err != nil {
		return fmt.Errorf("queue update: %w", err)
	}
	return nil
}

// enqueueBatch puts updates from getUpdates on the queue, in one trip.
func (b *Bot) enqueueBatch(ctx context.Context, batch []queued) error {
	now := strconv.FormatInt(time.Now().UnixNano(), 10)
	pipe := b.store.Client().Pipeline()
	for _, q := range batch {
		pipe.XAdd(ctx, &redis.XAddArgs{Stream: b.partitionKey(partitionOf(q.head.Chat)), Values: []any{"u", q.raw, "t", now}})
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("queue updates: %w", err)
	}
	return nil
}

// acker removes handled updates from the queue, a batch at a time.
func (b *Bot) acker(ids <-chan queueAck, done chan<- struct{}) {
	defer close(done)
	var batch []queueAck
	flush := func() {
		if len(batch) == 0 {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		by := map[string][]string{}
		for _, a := range batch {
			by[a.stream] = append(by[a.stream], a.id)
		}
		pipe := b.store.Client().Pipeline()
		for stream, ids := range by {
			pipe.XAck(ctx, stream, streamGroup, ids...)
			pipe.XDel(ctx, stream, ids...)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			// The partition's next holder reads them again and drops them as duplicates.
			b.log.Warn("acknowledging queued updates", "err", err)
		}
		batch = batch[:0]
	}
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case id, ok := <-ids:
			if !ok {
				flush()
				return
			}
			if id.synced != nil {
				flush()
				close(id.synced)
				continue
			}
			batch = append(batch, id)
			if len(batch) >= 200 {
				flush()
			}
		case <-tick.C:
			flush()
		}
	}
}

func isBusyGroup(err error) bool {
	return err != nil && strings.HasPrefix(err.Error(), "BUSYGROUP")
}
