// Package redisstore keeps conversations in Redis: one small versioned
// record per chat with an expiry, the replies still owed to the chat (its
// outbox), a short per-chat conversation lock so that two updates of one
// chat are never handled at once across replicas, and a send lock so that
// one sender at a time sends a chat's outbox, in order. The record and the
// replies it owes are saved in one atomic write, and a reply leaves the
// outbox only once sent: a crash at any point loses no reply and, short of
// the instant between Telegram's answer and the acknowledgement, doubles none.
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
	"strings"
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

// Item is one reply owed to a chat: an id unique in the chat's outbox and
// the transport's rendered message.
type Item struct {
	ID   string
	Body []byte
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

func (s *Store) keys(chat int64) []string {
	return []string{s.Key(chat, "lock"), s.Key(chat, "state"), s.Key(chat, "out"), s.Key(chat, "send"), s.Key(chat, "enqueued")}
}

// commit writes (or, forgetting, deletes) the record, appends the replies
// owed and frees the conversation lock, only while that lock is still ours.
// When replies are owed it also tries to take the send lock (ARGV[5]) and
// then returns the outbox's head for the caller to send.
var commitScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return {-1} end
if ARGV[3] == '' then
  redis.call('DEL', KEYS[2], KEYS[3], KEYS[5])
else
  redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[4])
end
for i = 7, #ARGV do redis.call('RPUSH', KEYS[3], ARGV[i]) end
redis.call('DEL', KEYS[1])
local n = redis.call('LLEN', KEYS[3])
if n == 0 then return {0} end
redis.call('PEXPIRE', KEYS[3], ARGV[4])
if redis.call('SET', KEYS[4], ARGV[5], 'NX', 'PX', ARGV[6]) then
  return {n, redis.call('LRANGE', KEYS[3], 0, 3)}
end
return {n}
`)

// next drops from the outbox's head the items ARGV[3..] (just sent, in
// order), renews the send lock and returns the next items owed (up to 4);
// with nothing left it frees the send lock. A send lock that expired
// meanwhile is taken again; one that another sender took stops this one (-1).
var nextScript = redis.NewScript(`
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return -1 end
for i = 3, #ARGV do
  local head = redis.call('LINDEX', KEYS[2], 0)
  if head and string.sub(head, 1, #ARGV[i] + 1) == ARGV[i] .. '|' then
    redis.call('LPOP', KEYS[2])
  else
    break
  end
end
local items = redis.call('LRANGE', KEYS[2], 0, 3)
if #items == 0 then
  redis.call('DEL', KEYS[1])
  return {}
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return items
`)

// claim takes the send lock if free and returns the outbox's head.
var claimScript = redis.NewScript(`
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return -1 end
local items = redis.call('LRANGE', KEYS[2], 0, 3)
if #items == 0 then redis.call('DEL', KEYS[1]) end
return items
`)

// release frees a lock (KEYS[1]) if it is still ours; with ARGV[2] = '1'
// it also drops the outbox (a user who blocked the bot).
var releaseScript = redis.NewScript(`
if ARGV[2] == '1' then redis.call('DEL', KEYS[2]) end
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
	k := s.keys(chat)
	// The lock is taken and the record read in one trip.
	lr, err := s.batch.runLock(ctx, k[0], k[1], tok, s.lockTTL)
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
	k := s.keys(sess.Chat)
	if err := s.batch.run(ctx, releaseScript, []string{k[0], k[2]}, sess.token, "0").Err(); err != nil {
		return fmt.Errorf("unlock conversation: %w", err)
	}
	return nil
}

// Sender holds a chat's send lock: it alone sends the chat's outbox, in
// order, until the outbox is empty.
type Sender struct {
	Chat  int64
	token string
	// Items are the next items owed, oldest first (a few at a time); empty
	// when nothing is owed (the send lock is then already freed).
	Items []Item
}

// Head is the next item to send, or nil.
func (s *Sender) Head() *Item {
	if len(s.Items) == 0 {
		return nil
	}
	return &s.Items[0]
}

// Commit stores conv (nil erases the chat's record and outbox: /forget),
// appends items to the outbox and frees the conversation lock, atomically.
// When replies are owed and no one is sending this chat's outbox, it
// returns a Sender holding the send lock; otherwise nil (the current
// sender, here or in another process, sends them too).
func (s *Store) Commit(ctx context.Context, sess *Session, conv *Conversation, items []Item) (*Sender, error) {
	var rec []byte // empty: erase
	if conv != nil {
		conv.V = RecordVersion
		if conv.State.V == 0 {
			conv.State.V = dialog.StateVersion
		}
		rec = conv.appendJSON(make([]byte, 0, 1024))
	}
	tok := newToken()
	args := make([]any, 0, 6+len(items))
	args = append(args, sess.token, s.lockTTL.Milliseconds(), rec, s.ttl.Milliseconds(), tok, s.lockTTL.Milliseconds())
	for _, it := range items {
		e := make([]byte, 0, len(it.ID)+1+len(it.Body))
		e = append(append(append(e, it.ID...), '|'), it.Body...)
		args = append(args, e)
	}
	res, err := s.batch.run(ctx, commitScript, s.keys(sess.Chat), args...).Slice()
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
	return &Sender{Chat: sess.Chat, token: tok, Items: parseItems(res[1])}, nil
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

func parseItems(v any) []Item {
	list, _ := v.([]any)
	items := make([]Item, 0, len(list))
	for _, e := range list {
		str, _ := e.(string)
		id, body, _ := strings.Cut(str, "|")
		items = append(items, Item{ID: id, Body: []byte(body)})
	}
	return items
}

// enqueueScript appends items to a chat's outbox outside a conversation
// (a scheduled message, a desk's notice) once per marker (KEYS[3]), and
// tries to take the send lock like commit does. {-1}: already appended.
// The once keys are fields of one hash per chat (KEYS[3]), which /forget
// erases with the rest.
var enqueueScript = redis.NewScript(`
if redis.call('HSETNX', KEYS[3], ARGV[4], '1') == 0 then return {-1} end
redis.call('PEXPIRE', KEYS[3], ARGV[1])
for i = 5, #ARGV do redis.call('RPUSH', KEYS[1], ARGV[i]) end
local n = redis.call('LLEN', KEYS[1])
if n == 0 then return {0} end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
if redis.call('SET', KEYS[2], ARGV[2], 'NX', 'PX', ARGV[3]) then
  return {n, redis.call('LRANGE', KEYS[1], 0, 3)}
end
return {n}
`)

// Enqueue appends items to chat's outbox, after what is already owed, once
// for a given once key: a second Enqueue with the same key (a dispatcher
// that crashed before noting it had delivered) appends nothing and reports
// false. Like Commit, it returns a Sender when it took the send lock.
func (s *Store) Enqueue(ctx context.Context, chat int64, once string, items []Item) (bool, *Sender, error) {
	if once == "" {
		return false, nil, fmt.Errorf("enqueue: bad once key %q", once)
	}
	tok := newToken()
	args := make([]any, 0, 4+len(items))
	args = append(args, s.ttl.Milliseconds(), tok, s.lockTTL.Milliseconds(), once)
	for _, it := range items {
		args = append(args, it.ID+"|"+string(it.Body))
	}
	k := s.keys(chat)
	res, err := s.batch.run(ctx, enqueueScript, []string{k[2], k[3], k[4]}, args...).Slice()
	if err != nil {
		return false, nil, fmt.Errorf("enqueue replies: %w", err)
	}
	if n, _ := res[0].(int64); n < 0 {
		return false, nil, nil
	}
	if len(res) < 2 {
		return true, nil, nil
	}
	return true, &Sender{Chat: chat, token: tok, Items: parseItems(res[1])}, nil
}

// Claim takes chat's send lock to send what it owes (replies left by a
// process that stopped). It returns nil when another sender holds the lock
// or nothing is owed.
func (s *Store) Claim(ctx context.Context, chat int64) (*Sender, error) {
	k := s.keys(chat)
	tok := newToken()
	res, err := s.batch.run(ctx, claimScript, []string{k[3], k[2]}, tok, s.lockTTL.Milliseconds()).Result()
	if err != nil {
		return nil, fmt.Errorf("claim outbox: %w", err)
	}
	if n, ok := res.(int64); ok && n < 0 {
		return nil, nil
	}
	items := parseItems(res)
	if len(items) == 0 {
		return nil, nil
	}
	return &Sender{Chat: chat, token: tok, Items: items}, nil
}

// Next marks the items sent (the first ones of Items, in order) and loads
// the next ones owed; Items is empty when none is left (the send lock is
// then freed). Items that can safely be sent twice (an edit) may be marked
// together with the message after them; any other must be marked before
// the next is sent. ErrLockLost means another sender took the chat over.
func (s *Store) Next(ctx context.Context, snd *Sender, sent ...string) error {
	k := s.keys(snd.Chat)
	args := make([]any, 0, 2+len(sent))
	args = append(args, snd.token, s.lockTTL.Milliseconds())
	for _, id := range sent {
		args = append(args, id)
	}
	res, err := s.batch.run(ctx, nextScript, []string{k[3], k[2]}, args...).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("mark reply sent: %w", err)
	}
	if n, ok := res.(int64); ok && n < 0 {
		snd.Items = nil
		return ErrLockLost
	}
	snd.Items = parseItems(res)
	return nil
}

// renewScript extends the send lock while it is ours.
var renewScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`)

// Renew extends snd's send lock (a long step, such as an effect carried
// out by the sender); ErrLockLost when another sender has it.
func (s *Store) Renew(ctx context.Context, snd *Sender) error {
	n, err := s.batch.run(ctx, renewScript, []string{s.keys(snd.Chat)[3]}, snd.token, s.lockTTL.Milliseconds()).Int()
	if err != nil {
		return fmt.Errorf("renew send lock: %w", err)
	}
	if n == 0 {
		return ErrLockLost
	}
	return nil
}

// LockTTL is how long a lock lives unless renewed.
func (s *Store) LockTTL() time.Duration { return s.lockTTL }

// Stop frees the send lock, leaving what is owed for a later sender. With
// drop, the outbox is emptied (the user blocked the bot: keep nothing pending).
func (s *Store) Stop(ctx context.Context, snd *Sender, drop bool) error {
	k := s.keys(snd.Chat)
	d := "0"
	if drop {
		d = "1"
	}
	if err := s.batch.run(ctx, releaseScript, []string{k[3], k[2]}, snd.token, d).Err(); err != nil {
		return fmt.Errorf("release outbox: %w", err)
	}
	snd.Items = nil
	return nil
}

// Once reports whether this is the first time (within ttl) that flag is
// set for chat; for notices given once (a group told to talk in private).
func (s *Store) Once(ctx context.Context, chat int64, flag string, ttl time.Duration) (bool, error) {
	ok, err := s.rdb.SetNX(ctx, s.Key(chat, "once:"+flag), 1, ttl).Result()
	if err != nil {
		return false, fmt.Errorf("set notice flag: %w", err)
	}
	return ok, nil
}

// ForgetFlags deletes the chat's once flags (part of /forget).
func (s *Store) ForgetFlags(ctx context.Context, chat int64, flags ...string) error {
	keys := make([]string, len(flags))
	for i, f := range flags {
		keys[i] = s.Key(chat, "once:"+f)
	}
	if len(keys) == 0 {
		return nil
	}
	if err := s.rdb.Del(ctx, keys...).Err(); err != nil {
		return fmt.Errorf("forget flags: %w", err)
	}
	return nil
}

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

// Owed calls fn for every chat that has replies owed (left by a process that
// stopped before sending them). It scans every master under Cluster; fn is
// never called concurrently, even though the masters are scanned at once.
func (s *Store) Owed(ctx context.Context, fn func(chat int64)) error {
	pattern := s.prefix + ":{chat:*}:out"
	var mu sync.Mutex // ForEachMaster runs scan on every master in parallel
	scan := func(ctx context.Context, c *redis.Client) error {
		it := c.Scan(ctx, 0, pattern, 1000).Iterator()
		for it.Next(ctx) {
			k := it.Val()
			i, j := strings.Index(k, "{chat:"), strings.Index(k, "}")
			if i < 0 || j < i {
				continue
			}
			if id, err := strconv.ParseInt(k[i+6:j], 10, 64); err == nil {
				mu.Lock()
				fn(id)
				mu.Unlock()
			}
		}
		return it.Err()
	}
	var err error
	switch c := s.rdb.(type) {
	case *redis.ClusterClient:
		err = c.ForEachMaster(ctx, scan)
	case *redis.Client:
		err = scan(ctx, c)
	default:
		return fmt.Errorf("scan owed replies: unsupported client %T", s.rdb)
	}
	if err != nil {
		return fmt.Errorf("scan owed replies: %w", err)
	}
	return nil
}

// Ping checks Redis is reachable.
func (s *Store) Ping(ctx context.Context) error { return s.rdb.Ping(ctx).Err() }
