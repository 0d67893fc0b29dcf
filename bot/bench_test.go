package bot_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/dalil-tt/dalil/bot"
	"github.com/dalil-tt/dalil/bot/bottest"
	"github.com/dalil-tt/dalil/bot/telegram"
)

// BenchmarkBotDrain measures capacity: b.N text updates from 500 users are
// queued at once on the fake Bot API and the bot (real engine, real Redis,
// in-memory catalogue, no per-chat limit) handles them all; updates/s is
// the rate at which they are answered.
func BenchmarkBotDrain(b *testing.B) {
	benchDrain(b, true, func(h *harness) { h.run() })
}

// BenchmarkEchoDrain is the baseline: the same queue of updates answered by
// a bare echo bot on the same Telegram client.
func BenchmarkEchoDrain(b *testing.B) {
	benchDrain(b, false, func(h *harness) {
		c, err := telegram.New(context.Background(), h.srv.Token(), h.srv.APIURL(), nil)
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		h.cancel, h.done = cancel, make(chan error, 1)
		go func() {
			var offset int64
			for ctx.Err() == nil {
				ups, err := c.GetUpdates(ctx, offset, 100, time.Second, nil)
				if err != nil {
					continue
				}
				var wg sync.WaitGroup
				for _, up := range ups {
					wg.Add(1)
					go func() {
						defer wg.Done()
						c.SendMessage(ctx, up.Message.Chat.ID, up.Message.Text, nil)
					}()
				}
				wg.Wait()
				if len(ups) > 0 {
					offset = ups[len(ups)-1].UpdateID + 1
				}
			}
			h.done <- nil
		}()
	})
}

// benchDrain queues b.N updates, starts the bot and times until every
// update is answered: for Dalil, handled and every reply sent (the bot is
// stopped gracefully, which waits for its outbox); for echo, echoed.
func benchDrain(b *testing.B, dalil bool, startBot func(h *harness)) {
	const users = 500
	var mu sync.Mutex
	count := 0
	all := make(chan struct{})
	done := func() {
		mu.Lock()
		count++
		if count == b.N {
			close(all)
		}
		mu.Unlock()
	}
	h := start(b, nil, func(o *bot.Options) {
		o.ChatInterval = -1
		if dalil {
			o.OnHandled = func(int64, time.Duration) { done() }
		}
	})
	h.stop() // restarted below, once the updates are queued
	srv := bottest.New(bottest.Options{NoRecord: true, OnSend: func(int64, *bottest.Message) {
		if !dalil {
			done()
		}
	}})
	b.Cleanup(srv.Close)
	h.srv = srv
	texts := []string{"je cherche un microcrédit à Tanger", "بغيت تمويل لتعاونية فشفشاون", "formation en marketing"}
	for i := range b.N {
		srv.Text(int64(9_000_000+i%users), texts[i%len(texts)])
	}
	b.ResetTimer()
	start := time.Now()
	startBot(h)
	select {
	case <-all:
	case <-time.After(5 * time.Minute):
		b.Fatalf("only %d of %d answered", count, b.N)
	}
	h.stop()
	el := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/el.Seconds(), "updates/s")
}
