package redisstore

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// batcher runs the store's calls for many chats in shared round trips:
// calls that arrive while one trip is on its way go together in the next
// pipeline. Alone, a call goes at once; under load, one write and one read
// serve dozens of calls, which is most of the Redis cost on a busy box.
type batcher struct {
	rdb redis.UniversalClient
	ch  chan *call
}

// call is one call of the store: queue puts its commands in the trip's
// pipeline and returns what reads its answer once the pipeline has run.
type call struct {
	ctx   context.Context
	queue func(ctx context.Context, pipe redis.Pipeliner) (answer func() (any, error))
	done  chan struct{}
	res   any
	err   error
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
	res, err := b.do(ctx, func(ctx context.Context, pipe redis.Pipeliner) func() (any, error) {
		cmd := script.EvalSha(ctx, pipe, keys, args...)
		return func() (any, error) {
			res, err := cmd.Result()
			if err != nil && strings.HasPrefix(err.Error(), "NOSCRIPT") {
				// First use of the script on this server (or after a restart).
				return script.Run(ctx, b.rdb, keys, args...).Result()
			}
			return res, err
		}
	})
	cmd := redis.NewCmd(ctx)
	if err != nil {
		cmd.SetErr(err)
	} else {
		cmd.SetVal(res)
	}
	return cmd
}

// lockRead is the answer of runLock.
type lockRead struct {
	taken bool
	value string // "" when the key does not exist
}

// runLock sets lockKey to token with SET NX PX ttl and reads key, with two
// plain commands rather than a script (a Lua call costs Redis several times
// the commands it runs). Only the holder of the lock writes key, so the
// value read right after taking it is the one the lock protects.
func (b *batcher) runLock(ctx context.Context, lockKey, key, token string, ttl time.Duration) (lockRead, error) {
	res, err := b.do(ctx, func(ctx context.Context, pipe redis.Pipeliner) func() (any, error) {
		set := pipe.SetArgs(ctx, lockKey, token, redis.SetArgs{Mode: "NX", TTL: ttl})
		get := pipe.Get(ctx, key)
		return func() (any, error) {
			if err := set.Err(); errors.Is(err, redis.Nil) {
				return lockRead{}, nil
			} else if err != nil {
				return nil, err
			}
			v, err := get.Result()
			if err != nil && !errors.Is(err, redis.Nil) {
				return nil, err
			}
			return lockRead{taken: true, value: v}, nil
		}
	})
	if err != nil {
		return lockRead{}, err
	}
	return res.(lockRead), nil
}

func (b *batcher) do(ctx context.Context, queue func(context.Context, redis.Pipeliner) func() (any, error)) (any, error) {
	c := &call{ctx: ctx, queue: queue, done: make(chan struct{})}
	select {
	case b.ch <- c:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case <-c.done:
		return c.res, c.err
	case <-ctx.Done():
		// The call may still run; its result is dropped like a timed-out reply.
		return nil, ctx.Err()
	}
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
	// A call alone goes under its caller's context. A shared trip goes
	// under one context: the longest-lived caller's would do, but callers'
	// contexts are short and alike; a cancelled one only loses its own
	// answer.
	ctx := batch[0].ctx
	if len(batch) > 1 {
		ctx = context.WithoutCancel(ctx)
	}
	pipe := b.rdb.Pipeline()
	answers := make([]func() (any, error), len(batch))
	for i, c := range batch {
		answers[i] = c.queue(ctx, pipe)
	}
	_, _ = pipe.Exec(ctx)
	for i, c := range batch {
		c.res, c.err = answers[i]()
		close(c.done)
	}
}
