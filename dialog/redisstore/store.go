// Package redisstore keeps conversations in Redis: one small versioned
// record per chat with an expiry, and a short per-chat conversation lock so
// that two updates of one chat are never handled at once across replicas.
//
// It holds conversation state only. What a transport saves with a
// conversation (the bot's replies owed, its outbox: bot/outbox) is handed
// to Commit as a Tail of opaque entries, written in the same atomic script
// as the record and the lock's release: a crash never leaves a state
// without the replies it owes, nor replies without their state. The
// transport's own scripts run in the store's shared round trips (Run).
//
// Every key of a chat carries the hash tag {chat:ID}, so the scripts that
// touch several of them run under Redis Cluster too.
package redisstore

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dalil-tt/dalil/dialog"
)

// RecordVersion is the version of Conversation's stored form; a record of
// another version is started afresh rather than misread.
const RecordVersion = 1

// seenKept is how many recent updates a conversation remembers, to drop
// redelivered ones even when they arrive slightly out of order.
const seenKept = 12

// ErrBusy means another handler holds the chat's conversation lock.
var ErrBusy = errors.New("conversation is locked by another handler")

// ErrLockLost means the lock expired and was taken before a write.
var ErrLockLost = errors.New("conversation lock lost")

// Conversation is the stored record of one chat.
type Conversation struct {
	V     int          `json:"v"`
	State dialog.State `json:"s"`
	// Seen holds the keys of the latest updates handled, oldest first.
	Seen []int64 `json:"u,omitempty"`
	// Extra is the transport's own small data (pagination of the last
	// referral…), opaque here.
	Extra json.RawMessage `json:"x,omitempty"`
}

// appendJSON writes the record as encoding/json would (a test checks it),
// without reflection: it is written on every update.
func (c *Conversation) appendJSON(b []byte) []byte {
	b = append(b, `{"v":`...)
	b = strconv.AppendInt(b, int64(c.V), 10)
	b = append(b, `,"s":`...)
	b = c.State.AppendJSON(b)
	if len(c.Seen) > 0 {
		b = append(b, `,"u":[`...)
		for i, k := range c.Seen {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, k, 10)
		}
		b = append(b, ']')
	}
	if len(c.Extra) > 0 {
		b = append(b, `,"x":`...)
		var compact, escaped bytes.Buffer
		if json.Compact(&compact, c.Extra) == nil {
			json.HTMLEscape(&escaped, compact.Bytes())
			b = append(b, escaped.Bytes()...)
		} else {
			b = append(b, "null"...)
		}
	}
	return append(b, '}')
}

// Handled reports whether the update with this key (see bot's update
// key: its id and what it carries) was already handled.
func (c *Conversation) Handled(key int64) bool { return slices.Contains(c.Seen, key) }

// MarkHandled records the update with this key as handled.
func (c *Conversation) MarkHandled(key int64) {
	c.Seen = append(c.Seen, key)
	if len(c.Seen) > seenKept {
		c.Seen = c.Seen[len(c.Seen)-seenKept:]
	}
}

// Session is a held conversation lock on one chat with the record stored
// when it was taken.
type Session struct {
	Chat  int64
	token string
	// Found is false for a chat with no stored (or an unreadable) record.
	Found bool
	Conv  Conversation
}

// Options tune a Store.
type Options struct {
	TTL     time.Duration // idle conversations expire after this; default 30 days
	LockTTL time.Duration // a crashed holder's lock frees itself after this; default 10s
	Prefix  string        // key prefix, default "dalil"
	// Cache is how many decoded records are kept in memory (default 10000;
	// negative: none). See Store.cache.
	Cache int
}

// Store is the Redis conversation store.
type Store struct {
	rdb     redis.UniversalClient
	batch   *batcher
	ttl     time.Duration
	lockTTL time.Duration
	prefix  string

	// cache holds, per chat, the record this process last wrote and its
	// decoded form: decoding a record is most of Begin's CPU, and the next
	// update of a chat usually finds its record as this process left it.
	// Begin still reads the record from Redis and uses the decoded form only
	// if the bytes are the same, so another replica's write is never missed;
	// it takes the entry out, so a handler that fails after changing its
	// copy leaves nothing stale behind.
	cmu      sync.Mutex
	cache    map[int64]cached
	cacheMax int
}

type cached struct {
	raw  string
	conv Conversation
}

// New returns a store on rdb.
func New(rdb redis.UniversalClient, o Options) *Store {
	if o.TTL <= 0 {
		o.TTL = 30 * 24 * time.Hour
	}
	if o.LockTTL <= 0 {
		o.LockTTL = 10 * time.Second
	}
	if o.Prefix == "" {
		o.Prefix = "dalil"
	}
	if o.Cache == 0 {
		o.Cache = 10000
	}
	return &Store{rdb: rdb, batch: newBatcher(rdb, 4), ttl: o.TTL, lockTTL: o.LockTTL, prefix: o.Prefix,
		cache: map[int64]cached{}, cacheMax: max(o.Cache, 0)}
}

// Client returns the Redis client.
func (s *Store) Client() redis.UniversalClient { return s.rdb }

// Key returns the key of a chat's part ("state", "out", "lock"…).
func (s *Store) Key(chat int64, part string) string {
	return s.prefix + ":{chat:" + strconv.FormatInt(chat, 10) + "}:" + part
}

// GlobalKey returns a key that belongs to no chat (the webhook queue…).
func (s *Store) GlobalKey(name string) string { return s.prefix + ":" + name }

// TTL is how long an idle conversation is kept.
func (s *Store) TTL() time.Duration { return s.ttl }

// Run runs script as Script.Run would, in the store's shared round trips
// (see batcher): the transport's outbox scripts share them.
func (s *Store) Run(ctx context.Context, script *redis.Script, keys []string, args ...any) *redis.Cmd {
	return s.batch.run(ctx, script, keys, args...)
}

// Tail is what a transport saves with a conversation in Commit's one
// atomic write (bot/outbox: the replies owed). Entries, opaque here, are
// appended to the chat's list under the key part List; when that list is
// not empty, the chat's lock under the part Lock is taken with Token if
// free (for the store's lock TTL) and the list's first entries returned,
// so that the caller can start sending at once. A commit that erases the
// record (/forget) deletes the list and the parts Erase too.
type Tail struct {
	List, Lock string
	Erase      []string
	Token      string
	Entries    []string
}

// commit writes (or, forgetting, deletes) the record, appends the tail's
// entries to its list (KEYS[3]) and frees the conversation lock, only while
// that lock is still ours. With entries owed it also tries to take the
// tail's lock (KEYS[4], ARGV[5]) and then returns the list's head. KEYS[5..]
// are deleted with the record (the list too; the lock is left to its
// holder, who finds the list gone). Without a tail, KEYS are the lock and the
// record only.
var commitScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return {-1} end
if ARGV[3] == '' then
  redis.call('DEL', KEYS[2])
  if #KEYS >= 4 then
    redis.call('DEL', KEYS[3])
    for i = 5, #KEYS do redis.call('DEL', KEYS[i]) end
  end
else
  redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[4])
end
redis.call('DEL', KEYS[1])
if #KEYS < 4 then return {0} end
for i = 7, #ARGV do redis.call('RPUSH', KEYS[3], ARGV[i]) end
local n = redis.call('LLEN', KEYS[3])
if n == 0 then return {0} end
redis.call('PEXPIRE', KEYS[3], ARGV[4])
if redis.call('SET', KEYS[4], ARGV[5], 'NX', 'PX', ARGV[6]) then
  return {n, redis.call('LRANGE', KEYS[3], 0, 3)}
end
return {n}
`)

// release frees the conversation lock (KEYS[1]) if it is still ours.
var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)

func newToken() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Begin takes chat's conversation lock and loads its record. It returns
// ErrBusy at once when another handler holds the lock.
func (s *Store) Begin(ctx context.Context, chat int64) (*Session, error) {
	tok := newToken()
	// The lock is taken and the record read in one trip.
	lr, err := s.batch.runLock(ctx, s.Key(chat, "lock"), s.Key(chat, "state"), tok, s.lockTTL)
	if err != nil {
		return nil, fmt.Errorf("load conversation: %w", err)
	}
	if !lr.taken {
		return nil, ErrBusy
	}
	sess := &Session{Chat: chat, token: tok}
	raw := lr.value
	if c, ok := s.takeCached(chat); ok && raw != "" && c.raw == raw {
		sess.Conv, sess.Found = c.conv, true
		return sess, nil
	}
	if raw != "" {
		var c Conversation
		if err := json.Unmarshal([]byte(raw), &c); err == nil && c.V == RecordVersion && c.State.V == dialog.StateVersion {
			sess.Conv, sess.Found = c, true
		}
	}
	return sess, nil
}

// Lock is Begin retried until the lock is free or wait has passed.
func (s *Store) Lock(ctx context.Context, chat int64, wait time.Duration) (*Session, error) {
	deadline := time.Now().Add(wait)
	delay := 2 * time.Millisecond
	for {
		sess, err := s.Begin(ctx, chat)
		if !errors.Is(err, ErrBusy) || time.Now().After(deadline) {
			return sess, err
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
		delay = min(delay*2, 100*time.Millisecond)
	}
}

// Unlock frees the conversation lock without writing (nothing to save).
func (s *Store) Unlock(ctx context.Context, sess *Session) error {
	if err := s.batch.run(ctx, releaseScript, []string{s.Key(sess.Chat, "lock")}, sess.token).Err(); err != nil {
		return fmt.Errorf("unlock conversation: %w", err)
	}
	return nil
}

// Commit stores conv (nil erases the chat's record, and the tail's list
// and parts: /forget), appends the tail's entries (nil: none) and frees the
// conversation lock, atomically. When entries are owed and the tail's lock
// was free, it returns the list's head (the lock now held with
// tail.Token); otherwise nil.
func (s *Store) Commit(ctx context.Context, sess *Session, conv *Conversation, tail *Tail) ([]any, error) {
	var rec []byte // empty: erase
	if conv != nil {
		conv.V = RecordVersion
		if conv.State.V == 0 {
			conv.State.V = dialog.StateVersion
		}
		rec = conv.appendJSON(make([]byte, 0, 1024))
	}
	keys := []string{s.Key(sess.Chat, "lock"), s.Key(sess.Chat, "state")}
	args := make([]any, 0, 6)
	args = append(args, sess.token, s.lockTTL.Milliseconds(), rec, s.ttl.Milliseconds())
	if tail != nil {
		keys = append(keys, s.Key(sess.Chat, tail.List), s.Key(sess.Chat, tail.Lock))
		for _, p := range tail.Erase {
			keys = append(keys, s.Key(sess.Chat, p))
		}
		args = append(args, tail.Token, s.lockTTL.Milliseconds())
		for _, e := range tail.Entries {
			args = append(args, e)
		}
	}
	res, err := s.batch.run(ctx, commitScript, keys, args...).Slice()
	if err != nil {
		return nil, fmt.Errorf("save conversation: %w", err)
	}
	if n, _ := res[0].(int64); n < 0 {
		return nil, ErrLockLost
	}
	if conv != nil {
		sess.Conv, sess.Found = *conv, true
		if conv.State.V == dialog.StateVersion { // what Begin would accept
			s.putCached(sess.Chat, string(rec), *conv)
		}
	}
	if len(res) < 2 {
		return nil, nil
	}
	head, _ := res[1].([]any)
	return head, nil
}

// takeCached removes and returns chat's cached record.
func (s *Store) takeCached(chat int64) (cached, bool) {
	s.cmu.Lock()
	defer s.cmu.Unlock()
	c, ok := s.cache[chat]
	if ok {
		delete(s.cache, chat)
	}
	return c, ok
}

// putCached remembers the record just written for chat. The engine never
// changes the state it is given (it works on a copy), so the record can be
// handed to the next update of the chat as it is.
func (s *Store) putCached(chat int64, raw string, conv Conversation) {
	if s.cacheMax == 0 {
		return
	}
	s.cmu.Lock()
	defer s.cmu.Unlock()
	if len(s.cache) >= s.cacheMax {
		for k := range s.cache { // any entry: the map's order is random enough
			delete(s.cache, k)
			break
		}
	}
	s.cache[chat] = cached{raw: raw, conv: conv}
}

// LockTTL is how long a lock lives unless renewed.
func (s *Store) LockTTL() time.Duration { return s.lockTTL }

// Load reads a chat's conversation without locking (tests, tools).
func (s *Store) Load(ctx context.Context, chat int64) (Conversation, bool, error) {
	raw, err := s.rdb.Get(ctx, s.Key(chat, "state")).Bytes()
	if errors.Is(err, redis.Nil) {
		return Conversation{}, false, nil
	}
	if err != nil {
		return Conversation{}, false, fmt.Errorf("load conversation: %w", err)
	}
	var c Conversation
	if err := json.Unmarshal(raw, &c); err != nil {
		return Conversation{}, false, fmt.Errorf("decode conversation: %w", err)
	}
	return c, true, nil
}

// Ping checks Redis is reachable.
func (s *Store) Ping(ctx context.Context) error { return s.rdb.Ping(ctx).Err() }
