package redisstore

import (
	"context"
	"errors"
	"strings"
	"time"

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
	ctx context.Context
	// lock, when set, makes the call a lock-and-read (see runLock) instead
	// of a script.
	lock   bool
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
	return b.do(ctx, &call{ctx: ctx, script: script, keys: keys, args: args, done: make(chan struct{})})
}

// runLock sets keys[0] to token with SET NX PX ttl and reads keys[1], with
// two plain commands rather than a script (a Lua call costs Redis several
// times the commands it runs): {1, value or nil} when the lock was taken,
// {0} when not. Only the holder of the lock writes keys[1], so the value
// read right after taking it is the one the lock protects.
func (b *batcher) runLock(ctx context.Context, keys []string, token string, ttl time.Duration) *redis.Cmd {
	return b.do(ctx, &call{ctx: ctx, lock: true, keys: keys, args: []any{token, ttl}, done: make(chan struct{})})
}

func (b *batcher) do(ctx context.Context, c *call) *redis.Cmd {
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

// queueLock queues a lock-and-read call's two commands; the returned func
// gives its result once the pipeline has run.
func queueLock(ctx context.Context, pipe redis.Pipeliner, c *call) func() (any, error) {
	set := pipe.SetArgs(ctx, c.keys[0], c.args[0], redis.SetArgs{Mode: "NX", TTL: c.args[1].(time.Duration)})
	get := pipe.Get(ctx, c.keys[1])
	return func() (any, error) {
		if err := set.Err(); errors.Is(err, redis.Nil) {
			return []any{int64(0)}, nil
		} else if err != nil {
			return nil, err
		}
		v, err := get.Result()
		if errors.Is(err, redis.Nil) {
			return []any{int64(1), nil}, nil
		}
		if err != nil {
			return nil, err
		}
		return []any{int64(1), v}, nil
	}
}

func (b *batcher) exec(batch []*call) {
	if len(batch) == 1 && !batch[0].lock {
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
	locks := make([]func() (any, error), len(batch))
	for i, c := range batch {
		if c.lock {
			locks[i] = queueLock(ctx, pipe, c)
			continue
		}
		cmds[i] = c.script.EvalSha(ctx, pipe, c.keys, c.args...)
	}
	_, _ = pipe.Exec(ctx)
	for i, c := range batch {
		if c.lock {
			c.res, c.err = locks[i]()
			close(c.done)
			continue
		}
		c.res, c.err = cmds[i].Result()
		if c.err != nil && strings.HasPrefix(c.err.Error(), "NOSCRIPT") {
			// First use of the script on this server (or after a restart).
			c.res, c.err = c.script.Run(ctx, b.rdb, c.keys, c.args...).Result()
		}
		close(c.done)
	}
}
