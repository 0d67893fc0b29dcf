package handoff

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dalil-tt/dalil/bot/outbox"
	"github.com/dalil-tt/dalil/bot/telegram"
)

// The per-user relay limit. The advisers' group gets 20 messages a minute
// in all: one user sending 30 messages in a second would, relayed one by
// one, hold the group's budget for a minute and make everyone else's
// request wait past their lock. So each user may relay RelayBurst
// messages at once, then one every RelayEvery; what comes faster waits in
// a Redis list and goes out merged: the texts in a row as one message
// (each quoted under the user header), a copy (photo, file…) alone.
// Nothing is dropped. The list is in Redis, so any replica flushes it.
//
//	{chat:U}:rl        the user's GCRA time (ms) of the next relay
//	{chat:U}:rb        list of relayItem JSON waiting to be relayed
//	{chat:G}:rdue      sorted set: users whose list is due, by time (ms)

const (
	defaultRelayBurst = 3
	defaultRelayEvery = 6 * time.Second
	maxTextRunes      = 4096 // Telegram's limit for a message's text
	maxRelayTries     = 5
)

// relayItem is one user message waiting to be relayed, with where it goes
// (the handoff may be closed by the time it is sent).
type relayItem struct {
	Text    string `json:"t,omitempty"`
	Caption string `json:"c,omitempty"`
	Copy    int64  `json:"m,omitempty"` // message id to copy (not a plain text)
	Thread  int64  `json:"th,omitempty"`
	Card    int64  `json:"cd,omitempty"`
	Tries   int    `json:"n,omitempty"`
	// Key is the update's (updateKey): the relay's once key in the outbox.
	Key string `json:"k,omitempty"`
}

func (it relayItem) text() bool { return it.Copy == 0 }

func itemOf(m *telegram.Message, s state, key string) relayItem {
	it := relayItem{Thread: s.int("thread"), Card: s.int("card"), Key: key}
	if m.Text != "" && m.Media() == "" && m.Location == nil && m.Venue == nil {
		it.Text = m.Text
	} else {
		it.Copy, it.Caption = m.MessageID, m.Caption
	}
	return it
}

// admitScript: KEYS rl, rb; ARGV now_ms, every_ms, burst, item, ttl_ms.
// Returns 0 when the item may go now (the user's time advanced), else
// the time (ms) its list is due, the item appended to the list.
var admitScript = redis.NewScript(`
local now, every, burst = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local start = tat - (burst - 1) * every
if redis.call('LLEN', KEYS[2]) == 0 and now >= start then
  redis.call('SET', KEYS[1], tat + every, 'PX', ARGV[5])
  return 0
end
redis.call('RPUSH', KEYS[2], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
if start < now then start = now end
return start`)

// chargeScript: KEYS rl; ARGV now_ms, every_ms, burst, ttl_ms. Counts one
// relay and returns when the next one may go (ms).
var chargeScript = redis.NewScript(`
local now, every, burst = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
tat = tat + every
redis.call('SET', KEYS[1], tat, 'PX', ARGV[4])
local start = tat - (burst - 1) * every
if start < now then start = now end
return start`)

// takeScript takes the list: KEYS rb. Returns every item, the list emptied.
var takeListScript = redis.NewScript(`
local items = redis.call('LRANGE', KEYS[1], 0, -1)
redis.call('DEL', KEYS[1])
return items`)

// admit says whether the user's message goes now; if not it is queued
// and the user's list scheduled.
func (d *Desk) admit(ctx context.Context, chat int64, it relayItem) (bool, error) {
	raw, _ := json.Marshal(it)
	now := d.o.Now().UnixMilli()
	due, err := admitScript.Run(ctx, d.o.Redis, []string{d.ukey(chat, "rl"), d.ukey(chat, "rb")},
		now, d.o.RelayEvery.Milliseconds(), d.o.RelayBurst, raw, d.ttl().Milliseconds()).Int64()
	if err != nil {
		return false, fmt.Errorf("relay limit: %w", err)
	}
	if due == 0 {
		return true, nil
	}
	return false, d.schedule(ctx, chat, due)
}

func (d *Desk) schedule(ctx context.Context, chat, dueMillis int64) error {
	k := d.gkey("rdue")
	pipe := d.o.Redis.TxPipeline()
	pipe.ZAddNX(ctx, k, redis.Z{Score: float64(dueMillis), Member: chat})
	pipe.Expire(ctx, k, d.ttl())
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("scheduling a user's relay: %w", err)
	}
	return nil
}

// requeue keeps an item whose relay failed, to be tried again later.
func (d *Desk) requeue(ctx context.Context, chat int64, it relayItem) error {
	it.Tries++
	raw, _ := json.Marshal(it)
	pipe := d.o.Redis.TxPipeline()
	pipe.RPush(ctx, d.ukey(chat, "rb"), raw)
	pipe.PExpire(ctx, d.ukey(chat, "rb"), d.ttl())
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("keeping a user's message to relay later: %w", err)
	}
	return d.schedule(ctx, chat, d.o.Now().Add(d.o.RelayEvery).UnixMilli())
}

// FlushRelays sends the lists of the users that are due: one message per
// user and round (texts merged, or one copy), the rest scheduled again.
// Each user is claimed first (ZREM), so replicas share the work.
func (d *Desk) FlushRelays(ctx context.Context) error {
	now := d.o.Now().UnixMilli()
	due, err := d.o.Redis.ZRangeByScore(ctx, d.gkey("rdue"), &redis.ZRangeBy{Min: "-inf", Max: strconv.FormatInt(now, 10)}).Result()
	if err != nil {
		return fmt.Errorf("listing due relays: %w", err)
	}
	for _, c := range due {
		n, err := d.o.Redis.ZRem(ctx, d.gkey("rdue"), c).Result()
		if err != nil {
			return fmt.Errorf("claiming a due relay: %w", err)
		}
		if n == 0 {
			continue // another replica has it
		}
		chat, _ := strconv.ParseInt(c, 10, 64)
		if err := d.flush(ctx, chat); err != nil {
			d.m.failed(err)
			d.log.Error("relaying a user's merged messages", "err", err)
		}
	}
	return nil
}

func (d *Desk) flush(ctx context.Context, chat int64) error {
	raws, err := takeListScript.Run(ctx, d.o.Redis, []string{d.ukey(chat, "rb")}).StringSlice()
	if err != nil {
		return fmt.Errorf("taking a user's waiting messages: %w", err)
	}
	items := make([]relayItem, 0, len(raws))
	for _, r := range raws {
		var it relayItem
		if json.Unmarshal([]byte(r), &it) == nil {
			items = append(items, it)
		}
	}
	if len(items) == 0 {
		return nil
	}
	// One message this round: the texts in a row that fit, or one copy.
	n := 1
	if items[0].text() {
		size := utf16Len(userHeader) + 1 + utf16Len(items[0].Text)
		for n < len(items) && items[n].text() && items[n].Thread == items[0].Thread && items[n].Card == items[0].Card {
			if size += 1 + utf16Len(items[n].Text); size > maxTextRunes {
				break
			}
			n++
		}
	}
	// Once per merge: the same first update and count, put again after a
	// failed trip to Redis, is not relayed twice.
	once := "relay:" + items[0].Key + "+" + strconv.Itoa(n)
	if items[0].Key == "" { // kept by an older version
		once = "relay:" + randomID(9)
	}
	sendErr := d.deliver(ctx, chat, once, items[:n])
	rest := items[n:]
	if sendErr != nil {
		if !told(sendErr) {
			d.m.fail(failToAdviser)
		}
		var keep []relayItem
		for _, it := range items[:n] {
			if it.Tries++; it.Tries < maxRelayTries {
				keep = append(keep, it)
			}
		}
		if len(keep) < n {
			d.log.Error("a user's message could not be relayed to the advisers after several tries", "err", sendErr)
		}
		rest = append(keep, rest...)
	}
	next, err := chargeScript.Run(ctx, d.o.Redis, []string{d.ukey(chat, "rl")},
		d.o.Now().UnixMilli(), d.o.RelayEvery.Milliseconds(), d.o.RelayBurst, d.ttl().Milliseconds()).Int64()
	if err != nil {
		return fmt.Errorf("relay limit: %w", err)
	}
	if len(rest) == 0 {
		return nil
	}
	// Back at the head of the list, before anything that came meanwhile.
	vals := make([]any, 0, len(rest))
	for i := len(rest) - 1; i >= 0; i-- {
		raw, _ := json.Marshal(rest[i])
		vals = append(vals, raw)
	}
	pipe := d.o.Redis.TxPipeline()
	pipe.LPush(ctx, d.ukey(chat, "rb"), vals...)
	pipe.PExpire(ctx, d.ukey(chat, "rb"), d.ttl())
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("keeping a user's waiting messages: %w", err)
	}
	return d.schedule(ctx, chat, next)
}

// deliver puts items in the group's outbox, once per once key, as one
// message (texts merged, each quoted under the user header) or, for a
// copy, as the copy; long texts are split to fit Telegram's limit. Once
// sent, the messages are mapped for replies and noted for /forget
// (relayedSent).
func (d *Desk) deliver(ctx context.Context, chat int64, once string, items []relayItem) error {
	first := items[0]
	thread, card := where(first.Thread, first.Card)
	note := map[string]string{"user": strconv.FormatInt(chat, 10)}
	var msgs []outbox.Message
	if !first.text() {
		r := telegram.CopyMessage{ChatID: d.o.AdvisersChatID, ThreadID: thread, ReplyTo: card, AllowWithoutReply: true,
			FromChatID: chat, MessageID: first.Copy}
		if first.Caption != "" {
			r.Caption, r.CaptionEntities = marked([]string{first.Caption})
		}
		msgs = append(msgs, outbox.Message{Request: r, After: afterRelayed, Note: note})
	} else {
		var parts []string
		for _, it := range items {
			parts = append(parts, it.Text)
		}
		for _, chunk := range chunks(parts, maxTextRunes-utf16Len(userHeader)-1) {
			r := telegram.SendMessage{ChatID: d.o.AdvisersChatID, ThreadID: thread, ReplyTo: card, AllowWithoutReply: true}
			r.Text, r.Entities = marked(chunk)
			msgs = append(msgs, outbox.Message{Request: r, After: afterRelayed, Note: note})
		}
	}
	if err := d.put(ctx, d.o.AdvisersChatID, once, msgs...); err != nil {
		return err
	}
	d.m.relayed.WithLabelValues("to_advisers").Add(float64(len(items)))
	return nil
}

// chunks groups parts into lists whose lengths (UTF-16, one more for each
// line break) stay within max, splitting a part too long on its own.
func chunks(parts []string, max int) [][]string {
	var out [][]string
	var cur []string
	size := 0
	for _, p := range parts {
		for _, piece := range split(p, max) {
			n := utf16Len(piece) + 1
			if len(cur) > 0 && size+n > max {
				out, cur, size = append(out, cur), nil, 0
			}
			cur, size = append(cur, piece), size+n
		}
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// split cuts s into pieces of at most max UTF-16 units, between runes.
func split(s string, max int) []string {
	var out []string
	var cur []rune
	size := 0
	for _, r := range s {
		n := utf16Len(string(r))
		if len(cur) > 0 && size+n > max {
			out, cur, size = append(out, string(cur)), nil, 0
		}
		cur, size = append(cur, r), size+n
	}
	return append(out, string(cur))
}
