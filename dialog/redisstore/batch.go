package redisstore

import (
	"context"
	"strings"

	"github.com/redis/go-redis/v9"
)

// batcher runs the store's scripts for many chats in shared round trips:
// calls that arrive while one trip is on its way go together in the next
// pipeline. Alone, a call goes at once; under load, one write and one read
// serve dozens of calls, which is most of the Redis cost on a busy box.
type batcher struct {
	rdb redis.UniversalClient
	ch  chan *call
}

type call struct {
	ctx    context.Context
	script *redis.Script
	keys   []string
	args   []any
	done   chan struct{}
	res    any
	err    error
}

const maxBatch = 128

func newBatcher(rdb redis.UniversalClient, workers int) *batcher {
	b := &batcher{rdb: rdb, ch: make(chan *call, 4096)}
	for range workers {
		go b.loop()
	}
	return b
}

// run runs script as Script.Run would.
func (b *batcher) run(ctx context.Context, script *redis.Script, keys []string, args ...any) *redis.Cmd {
	c := &call{ctx: ctx, script: script, keys: keys, args: args, done: make(chan struct{})}
	select {
	case b.ch <- c:
	case <-ctx.Done():
		cmd := redis.NewCmd(ctx)
		cmd.SetErr(ctx.Err())
		return cmd
	}
	select {
	case <-c.done:
	case <-ctx.Done():
		// The call may still run; its result is dropped like a timed-out reply.
		cmd := redis.NewCmd(ctx)
		cmd.SetErr(ctx.Err())
		return cmd
	}
	cmd := redis.NewCmd(ctx)
	if c.err != nil {
		cmd.SetErr(c.err)
	} else {
		cmd.SetVal(c.res)
	}
	return cmd
}

func (b *batcher) loop() {
	batch := make([]*call, 0, maxBatch)
	for c := range b.ch {
		batch = append(batch[:0], c)
	fill:
		for len(batch) < maxBatch {
			select {
			case c := <-b.ch:
				batch = append(batch, c)
			default:
				break fill
			}
		}
		b.exec(batch)
	}
}

func (b *batcher) exec(batch []*call) {
	if len(batch) == 1 {
		c := batch[0]
		c.res, c.err = c.script.Run(c.ctx, b.rdb, c.keys, c.args...).Result()
		close(c.done)
		return
	}
	// One context for the trip: the longest-lived caller's would do, but
	// callers' contexts are short and alike; a cancelled one only loses
	// its own answer.
	ctx := context.WithoutCancel(batch[0].ctx)
	pipe := b.rdb.Pipeline()
	cmds := make([]*redis.Cmd, len(batch))
	for i, c := range batch {
		cmds[i] = c.script.EvalSha(ctx, pipe, c.keys, c.args...)
	}
	_, _ = pipe.Exec(ctx)
	for i, c := range batch {
		c.res, c.err = cmds[i].Result()
		if c.err != nil && strings.HasPrefix(c.err.Error(), "NOSCRIPT") {
			// First use of the script on this server (or after a restart).
			c.res, c.err = c.script.Run(ctx, b.rdb, c.keys, c.args...).Result()
		}
		close(c.done)
	}
}
