package outbox

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dalil-tt/dalil/dialog/redisstore"
)

// ErrLockLost means another sender took the chat's send lock over.
var ErrLockLost = errors.New("send lock lost")

// Item is one Bot API call owed to a chat: an id unique in the chat's
// outbox and the transport's rendered call.
type Item struct {
	ID   string
	Body []byte
}

// entry is an item as kept in the outbox list: "id|body".
func (it Item) entry() string { return it.ID + "|" + string(it.Body) }

// Chats are the chats' outboxes (see the package doc): per chat, the list
// of calls owed (key part "out" of the conversation store's chat keys),
// its send lock ("send") and the once keys of what was put there outside a
// conversation ("enqueued"). The conversation store writes the list in its
// commit without knowing what the entries are (redisstore.Tail); the
// layout and the protocol (mark sent, claim, once keys) live here only.
// The scripts run in the store's shared round trips (Store.Run).
type Chats struct {
	store *redisstore.Store
	// OnceWindow is how long Enqueue's once keys are remembered at least
	// (twice as long at most; default DefaultOnceWindow): long enough for
	// any retry, short enough that a chat never idle (the advisers' group,
	// one key per relay) does not pile them up.
	OnceWindow time.Duration
	// Now is the clock of the once keys' windows (tests set one).
	Now func() time.Time
}

// DefaultOnceWindow is Chats.OnceWindow's default.
const DefaultOnceWindow = 24 * time.Hour

// NewChats returns the outboxes of the chats of store.
func NewChats(store *redisstore.Store) *Chats {
	return &Chats{store: store, OnceWindow: DefaultOnceWindow, Now: time.Now}
}

// Key parts of a chat's outbox (redisstore.Store.Key).
const (
	partOut      = "out"
	partSend     = "send"
	partEnqueued = "enqueued"
	// partEnqueuedOld holds the once keys of the last window (Enqueue).
	partEnqueuedOld = "enqueued:old"
)

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

// Commit stores conv (nil erases the chat's record, outbox and once keys:
// /forget), appends items to the outbox and frees the conversation lock,
// atomically (redisstore.Store.Commit). When items are owed and no one is
// sending this chat's outbox, it returns a Sender holding the send lock;
// otherwise nil (the current sender, here or in another process, sends
// them too).
func (c *Chats) Commit(ctx context.Context, sess *redisstore.Session, conv *redisstore.Conversation, items []Item) (*Sender, error) {
	tail := &redisstore.Tail{List: partOut, Lock: partSend, Erase: []string{partEnqueued, partEnqueuedOld}, Token: newToken(),
		Entries: make([]string, len(items))}
	for i, it := range items {
		tail.Entries[i] = it.entry()
	}
	head, err := c.store.Commit(ctx, sess, conv, tail)
	if err != nil || head == nil {
		return nil, err
	}
	return &Sender{Chat: sess.Chat, token: tail.Token, Items: parseItems(head)}, nil
}

// keys returns the outbox's keys of chat: the list, the send lock and the
// once keys.
func (c *Chats) keys(chat int64) (out, send, enqueued string) {
	return c.store.Key(chat, partOut), c.store.Key(chat, partSend), c.store.Key(chat, partEnqueued)
}

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

// stopScript frees the send lock (KEYS[1]) if it is still ours; with
// ARGV[2] = '1' it also drops the outbox (a user who blocked the bot).
var stopScript = redis.NewScript(`
if ARGV[2] == '1' then redis.call('DEL', KEYS[2]) end
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)

// enqueueScript appends items to a chat's outbox outside a conversation
// (a scheduled message, the desk's relays and notices) once per marker
// (ARGV[4]), and tries to take the send lock like a commit does. {-1}:
// already appended. The once keys are fields of a hash per chat (KEYS[3]),
// which /forget erases with the rest; when the hash is older than the
// window (ARGV[6], its start in field '.t', now ARGV[5]) it becomes the
// previous window's (KEYS[4], still looked in) and a new one starts, so a
// key is remembered one to two windows.
var enqueueScript = redis.NewScript(`
local now, window = tonumber(ARGV[5]), tonumber(ARGV[6])
local t = tonumber(redis.call('HGET', KEYS[3], '.t') or '-1')
if t >= 0 and now - t >= window then
  redis.call('RENAME', KEYS[3], KEYS[4])
  redis.call('PEXPIRE', KEYS[4], window)
  t = -1
end
if redis.call('HEXISTS', KEYS[4], ARGV[4]) == 1 then return {-1} end
if redis.call('HSETNX', KEYS[3], ARGV[4], '1') == 0 then return {-1} end
if t < 0 then redis.call('HSET', KEYS[3], '.t', now) end
redis.call('PEXPIRE', KEYS[3], ARGV[1])
for i = 7, #ARGV do redis.call('RPUSH', KEYS[1], ARGV[i]) end
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
// that crashed before noting it had delivered, a duplicate update's relay)
// appends nothing and reports false. Like Commit, it returns a Sender when
// it took the send lock.
func (c *Chats) Enqueue(ctx context.Context, chat int64, once string, items []Item) (bool, *Sender, error) {
	if once == "" || once == ".t" {
		return false, nil, fmt.Errorf("enqueue: bad once key %q", once)
	}
	tok := newToken()
	s := c.store
	window, now := c.OnceWindow, time.Now
	if window <= 0 {
		window = DefaultOnceWindow
	}
	if c.Now != nil {
		now = c.Now
	}
	args := make([]any, 0, 6+len(items))
	args = append(args, s.TTL().Milliseconds(), tok, s.LockTTL().Milliseconds(), once, now().UnixMilli(), window.Milliseconds())
	for _, it := range items {
		args = append(args, it.entry())
	}
	out, send, enq := c.keys(chat)
	res, err := s.Run(ctx, enqueueScript, []string{out, send, enq, c.store.Key(chat, partEnqueuedOld)}, args...).Slice()
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
func (c *Chats) Claim(ctx context.Context, chat int64) (*Sender, error) {
	out, send, _ := c.keys(chat)
	tok := newToken()
	res, err := c.store.Run(ctx, claimScript, []string{send, out}, tok, c.store.LockTTL().Milliseconds()).Result()
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
func (c *Chats) Next(ctx context.Context, snd *Sender, sent ...string) error {
	out, send, _ := c.keys(snd.Chat)
	args := make([]any, 0, 2+len(sent))
	args = append(args, snd.token, c.store.LockTTL().Milliseconds())
	for _, id := range sent {
		args = append(args, id)
	}
	res, err := c.store.Run(ctx, nextScript, []string{send, out}, args...).Result()
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
func (c *Chats) Renew(ctx context.Context, snd *Sender) error {
	_, send, _ := c.keys(snd.Chat)
	n, err := c.store.Run(ctx, renewScript, []string{send}, snd.token, c.store.LockTTL().Milliseconds()).Int()
	if err != nil {
		return fmt.Errorf("renew send lock: %w", err)
	}
	if n == 0 {
		return ErrLockLost
	}
	return nil
}

// LockTTL is how long a send lock lives unless renewed.
func (c *Chats) LockTTL() time.Duration { return c.store.LockTTL() }

// Stop frees the send lock, leaving what is owed for a later sender. With
// drop, the outbox is emptied (the user blocked the bot: keep nothing pending).
func (c *Chats) Stop(ctx context.Context, snd *Sender, drop bool) error {
	out, send, _ := c.keys(snd.Chat)
	d := "0"
	if drop {
		d = "1"
	}
	if err := c.store.Run(ctx, stopScript, []string{send, out}, snd.token, d).Err(); err != nil {
		return fmt.Errorf("release outbox: %w", err)
	}
	snd.Items = nil
	return nil
}

// Once reports whether this is the first time (within ttl) that flag is
// set for chat; for notices given once (a group told to talk in private).
func (c *Chats) Once(ctx context.Context, chat int64, flag string, ttl time.Duration) (bool, error) {
	ok, err := c.store.Client().SetNX(ctx, c.store.Key(chat, "once:"+flag), 1, ttl).Result()
	if err != nil {
		return false, fmt.Errorf("set notice flag: %w", err)
	}
	return ok, nil
}

// ForgetFlags deletes the chat's once flags (part of /forget).
func (c *Chats) ForgetFlags(ctx context.Context, chat int64, flags ...string) error {
	keys := make([]string, len(flags))
	for i, f := range flags {
		keys[i] = c.store.Key(chat, "once:"+f)
	}
	if len(keys) == 0 {
		return nil
	}
	if err := c.store.Client().Del(ctx, keys...).Err(); err != nil {
		return fmt.Errorf("forget flags: %w", err)
	}
	return nil
}

// Owed calls fn for every chat that has items owed (left by a process that
// stopped before sending them). It scans every master under Cluster; fn is
// never called concurrently, even though the masters are scanned at once.
func (c *Chats) Owed(ctx context.Context, fn func(chat int64)) error {
	pattern := c.store.Key(0, partOut)
	pattern = strings.Replace(pattern, "{chat:0}", "{chat:*}", 1)
	var mu sync.Mutex // ForEachMaster runs scan on every master in parallel
	scan := func(ctx context.Context, cl *redis.Client) error {
		it := cl.Scan(ctx, 0, pattern, 1000).Iterator()
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
	switch cl := c.store.Client().(type) {
	case *redis.ClusterClient:
		err = cl.ForEachMaster(ctx, scan)
	case *redis.Client:
		err = scan(ctx, cl)
	default:
		return fmt.Errorf("scan owed replies: unsupported client %T", cl)
	}
	if err != nil {
		return fmt.Errorf("scan owed replies: %w", err)
	}
	return nil
}
