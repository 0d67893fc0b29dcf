// Package outbox holds what the service owes Telegram: the chats' outboxes
// (Chats, chats.go), where every message the service sends waits until
// sent, and scheduled messages (Scheduler, this file), kept until due and
// then put in their chats' outboxes.
//
// A chat's outbox is a Redis list of rendered Bot API calls in the chat's
// keys of the conversation store, sent in order by one sender at a time
// (the send lock), each item removed only once sent. Replies are saved
// with the conversation in one atomic write (Chats.Commit hands them to
// redisstore.Store.Commit as an opaque tail), messages from elsewhere
// (the adviser desk's relays and notices, due scheduled messages) once per
// key (Chats.Enqueue). The bot renders the items and sends them; an item
// may name an after-send hook (Message, AfterSend) told what became of it.
//
// Scheduled messages (a follow-up in 7 days, an alert at 9:00) are held
// until they are due, then handed, once each, to the per-chat ordered send
// path (the chat's outbox, sent by bot's sender).
//
// Scheduled messages in Redis, all under one hash tag so that each step is one atomic
// script even on a Redis Cluster:
//
//	P:{sched}:due    sorted set: entry → due time (ms)
//	P:{sched}:body   hash: entry → chat id and payload
//	P:{sched}:key:K  the entry scheduled under idempotency key K
//	P:{sched}:seq    counter giving entries their scheduling order
//	P:{sched}:chat:C the entries of chat C (for /forget: CancelChat)
//	P:{sched}:lease  the replica that dispatches now
//
// An entry is "<seq, 20 digits>:<key>", so that entries due at the same
// time sort in the order they were scheduled. One replica at a time (the
// lease holder) moves due entries, oldest first, into the chats' outboxes:
// that keeps each chat's order across replicas. Moving is idempotent per
// entry (the deliverer is given the entry as a once key), so a dispatcher
// that dies between delivering and removing an entry only makes the next
// one find it already delivered.
package outbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Due is a scheduled message whose time has come.
type Due struct {
	Entry   string // unique, usable as a once key
	Chat    int64
	Payload []byte
}

// Deliver puts a due message in its chat's ordered send path, idempotently
// for the same Entry. An error leaves the entry scheduled, retried later.
type Deliver func(ctx context.Context, d Due) error

// Options tune a Scheduler.
type Options struct {
	Prefix string        // key prefix, default "dalil"
	Lease  time.Duration // how long a dead dispatcher keeps the lease (default 10s)
	Every  time.Duration // longest wait between looks for due messages (default 1s)
	Batch  int           // entries moved per round (default 200)
	// KeyTTL is how long an idempotency key is remembered after its due
	// time (default 30 days).
	KeyTTL time.Duration
	Now    func() time.Time
	Log    *slog.Logger
}

// Scheduler keeps scheduled messages in Redis and dispatches due ones.
type Scheduler struct {
	rdb redis.UniversalClient
	o   Options
}

// New returns a scheduler on rdb.
func New(rdb redis.UniversalClient, o Options) *Scheduler {
	if o.Prefix == "" {
		o.Prefix = "dalil"
	}
	if o.Lease <= 0 {
		o.Lease = 10 * time.Second
	}
	if o.Every <= 0 {
		o.Every = time.Second
	}
	if o.Batch <= 0 {
		o.Batch = 200
	}
	if o.KeyTTL <= 0 {
		o.KeyTTL = 30 * 24 * time.Hour
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	return &Scheduler{rdb: rdb, o: o}
}

func (s *Scheduler) key(part string) string { return s.o.Prefix + ":{sched}:" + part }

func (s *Scheduler) chatKey(chat int64) string { return s.key("chat:" + strconv.FormatInt(chat, 10)) }

// scheduleScript adds an entry unless its idempotency key is known.
// KEYS: key, seq, due, body, chat's set. ARGV: idempotency key, due ms,
// key ttl ms, chat|payload. Returns 1 if added, 0 if the key was already
// scheduled.
var scheduleScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local seq = redis.call('INCR', KEYS[2])
local entry = string.format('%020d', seq) .. ':' .. ARGV[1]
redis.call('ZADD', KEYS[3], ARGV[2], entry)
redis.call('HSET', KEYS[4], entry, ARGV[4])
redis.call('SET', KEYS[1], entry, 'PX', ARGV[3])
redis.call('SADD', KEYS[5], entry)
redis.call('PEXPIRE', KEYS[5], ARGV[3])
return 1
`)

// ErrBadKey is an empty idempotency key, or one holding a character the
// layout reserves.
var ErrBadKey = errors.New("outbox: idempotency key must be non-empty, without '}' or '|'")

// Schedule keeps payload for chat until at, once per idempotency key: a
// second call with the same key (a retried request, two replicas doing the
// same job) schedules nothing and returns false. A time in the past means
// as soon as possible.
func (s *Scheduler) Schedule(ctx context.Context, chat int64, at time.Time, payload []byte, key string) (bool, error) {
	if key == "" || strings.ContainsAny(key, "}|") {
		return false, ErrBadKey
	}
	ttl := time.Until(at) + s.o.KeyTTL
	if ttl < s.o.KeyTTL {
		ttl = s.o.KeyTTL
	}
	body := strconv.FormatInt(chat, 10) + "|" + string(payload)
	n, err := scheduleScript.Run(ctx, s.rdb,
		[]string{s.key("key:" + key), s.key("seq"), s.key("due"), s.key("body"), s.chatKey(chat)},
		key, at.UnixMilli(), ttl.Milliseconds(), body).Int()
	if err != nil {
		return false, fmt.Errorf("schedule message: %w", err)
	}
	return n == 1, nil
}

// Pending is how many scheduled messages are not yet dispatched.
func (s *Scheduler) Pending(ctx context.Context) (int64, error) {
	n, err := s.rdb.ZCard(ctx, s.key("due")).Result()
	if err != nil {
		return 0, fmt.Errorf("count scheduled messages: %w", err)
	}
	return n, nil
}

// A lease is a Redis key naming its holder, with an expiry: what lets one
// replica alone read an update partition (bot/partition.go) or dispatch
// scheduled messages (Run).
var (
	acquireScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0`)
	releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`)
)

// AcquireLease takes the lease key for holder for ttl if it is free, or
// renews it if holder has it; it reports whether holder holds it now.
func AcquireLease(ctx context.Context, rdb redis.Scripter, key, holder string, ttl time.Duration) (bool, error) {
	ok, err := acquireScript.Run(ctx, rdb, []string{key}, holder, ttl.Milliseconds()).Int()
	return ok == 1, err
}

// ReleaseLease drops the lease key only if holder still has it.
func ReleaseLease(ctx context.Context, rdb redis.Scripter, key, holder string) error {
	return releaseScript.Run(ctx, rdb, []string{key}, holder).Err()
}

// dueScript returns due entries (oldest first) with their bodies, while
// the lease is ours. KEYS: lease, due, body. ARGV: holder, now ms, n.
var dueScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
local es = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
for _, e in ipairs(es) do
  out[#out+1] = e
  out[#out+1] = redis.call('HGET', KEYS[3], e) or ''
end
return out
`)

// doneScript removes delivered entries. KEYS: due, body, then each
// entry's chat set. ARGV: the entries.
var doneScript = redis.NewScript(`
for i = 1, #ARGV do
  redis.call('ZREM', KEYS[1], ARGV[i])
  redis.call('HDEL', KEYS[2], ARGV[i])
  redis.call('SREM', KEYS[i + 2], ARGV[i])
end
return #ARGV
`)

// cancelScript drops every entry of a chat and its idempotency key (keys
// often name the user). KEYS: due, body, chat's set. ARGV: the prefix of
// idempotency keys (same hash tag, so the same slot).
var cancelScript = redis.NewScript(`
local es = redis.call('SMEMBERS', KEYS[3])
for _, e in ipairs(es) do
  redis.call('ZREM', KEYS[1], e)
  redis.call('HDEL', KEYS[2], e)
  redis.call('DEL', ARGV[1] .. string.sub(e, 22))
end
redis.call('DEL', KEYS[3])
return #es
`)

// CancelChat drops every message scheduled for chat and not yet
// dispatched (/forget: nothing is kept, nothing comes later). It returns
// how many were dropped.
func (s *Scheduler) CancelChat(ctx context.Context, chat int64) (int, error) {
	n, err := cancelScript.Run(ctx, s.rdb, []string{s.key("due"), s.key("body"), s.chatKey(chat)}, s.key("key:")).Int()
	if err != nil {
		return 0, fmt.Errorf("cancel scheduled messages: %w", err)
	}
	return n, nil
}

// Run dispatches due messages to deliver while this replica holds the
// dispatcher's lease, until ctx ends; replicas that do not hold it wait to
// take it over. dispatched, when set, is told of each message delivered.
func (s *Scheduler) Run(ctx context.Context, deliver Deliver, dispatched func(Due)) error {
	me := newToken()
	lease := s.key("lease")
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		_ = ReleaseLease(cctx, s.rdb, lease, me)
	}()
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		wait := s.o.Every
		ok, err := AcquireLease(ctx, s.rdb, lease, me, s.o.Lease)
		if err == nil && ok {
			var more bool
			more, err = s.round(ctx, me, deliver, dispatched)
			if more {
				wait = 0
			} else if err == nil {
				wait = s.untilNext(ctx, wait)
			}
		}
		if err != nil && ctx.Err() == nil {
			s.o.Log.Warn("scheduled messages: dispatch failed; retrying", "err", err)
		}
		t.Reset(wait)
	}
}

// untilNext is how long to wait for the next due message, capped at most.
func (s *Scheduler) untilNext(ctx context.Context, most time.Duration) time.Duration {
	zs, err := s.rdb.ZRangeWithScores(ctx, s.key("due"), 0, 0).Result()
	if err != nil || len(zs) == 0 {
		return most
	}
	d := time.UnixMilli(int64(zs[0].Score)).Sub(s.o.Now())
	return min(max(d, 0), most)
}

// round moves one batch of due entries; more reports a full batch.
func (s *Scheduler) round(ctx context.Context, me string, deliver Deliver, dispatched func(Due)) (more bool, err error) {
	res, err := dueScript.Run(ctx, s.rdb, []string{s.key("lease"), s.key("due"), s.key("body")},
		me, s.o.Now().UnixMilli(), s.o.Batch).Result()
	if err != nil {
		return false, fmt.Errorf("read due messages: %w", err)
	}
	list, ok := res.([]any)
	if !ok {
		return false, nil // the lease went to another replica
	}
	var done []any
	var doneKeys []string
	defer func() {
		if len(done) == 0 {
			return
		}
		// Removed even when ctx ended: what was delivered must not wait
		// for the next dispatcher (it would find it delivered, though).
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		keys := append([]string{s.key("due"), s.key("body")}, doneKeys...)
		if derr := doneScript.Run(cctx, s.rdb, keys, done...).Err(); derr != nil && err == nil {
			err = fmt.Errorf("remove dispatched messages: %w", derr)
		}
	}()
	for i := 0; i+1 < len(list); i += 2 {
		entry, _ := list[i].(string)
		body, _ := list[i+1].(string)
		chatS, payload, found := strings.Cut(body, "|")
		chat, perr := strconv.ParseInt(chatS, 10, 64)
		if !found || perr != nil {
			s.o.Log.Error("scheduled message unreadable, dropped")
			done, doneKeys = append(done, entry), append(doneKeys, s.key("chat:?"))
			continue
		}
		if ctx.Err() != nil {
			return false, nil
		}
		d := Due{Entry: entry, Chat: chat, Payload: []byte(payload)}
		if err := deliver(ctx, d); err != nil {
			// Stop here: a later entry of the same chat must not overtake it.
			return false, fmt.Errorf("deliver scheduled message: %w", err)
		}
		done, doneKeys = append(done, entry), append(doneKeys, s.chatKey(chat))
		if dispatched != nil {
			dispatched(d)
		}
	}
	return len(list)/2 == s.o.Batch, nil
}

func newToken() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
