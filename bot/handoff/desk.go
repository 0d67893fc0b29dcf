package handoff

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dalil-tt/dalil/bot/outbox"
	"github.com/dalil-tt/dalil/bot/telegram"
	"github.com/dalil-tt/dalil/dialog"
	"github.com/dalil-tt/dalil/internal/lang"
	"github.com/dalil-tt/dalil/internal/pseudonym"
)

// Caller is the part of the Bot API client the desk uses
// (*telegram.Client): raw calls, since copyMessage, forum topics and
// getChatMember are newer than the library.
type Caller = telegram.Caller

// Limiter is the bot's send limiter (bot.Bot.WaitTurn): the desk's
// messages draw on the same overall and per-chat budgets as the bot's
// replies (the advisers' group gets 20 messages a minute in all).
type Limiter = telegram.Limiter

// Resumer gives a user back to the bot after a close, at the engine's
// current question (bot.Bot.Resume).
type Resumer interface {
	Resume(ctx context.Context, chat int64) error
}

// ResumeFunc makes a function a Resumer.
type ResumeFunc func(ctx context.Context, chat int64) error

// Resume calls f.
func (f ResumeFunc) Resume(ctx context.Context, chat int64) error { return f(ctx, chat) }

// Translator gives the UI strings (locales.Catalog).
type Translator interface {
	T(l lang.Lang, id string, data map[string]any) string
}

// Options configure a Desk.
type Options struct {
	API Caller
	// Limits, when set, makes each Bot API call that sends or edits wait
	// its turn under the bot's rate limits; without it only 429s are
	// waited out.
	Limits  Limiter
	Redis   redis.UniversalClient
	Records *Records // nil: nothing recorded in PostgreSQL
	T       Translator
	// AdvisersChatID is the advisers' supergroup (forum topics used when
	// the group is a forum).
	AdvisersChatID int64
	// Pseudonyms turn chat ids into the user keys stored in PostgreSQL
	// (PSEUDONYM_KEY, never the bot token: see package pseudonym).
	Pseudonyms pseudonym.Keys
	// Hours are the office hours (default DefaultHours).
	Hours *Hours
	// Wait is how much office time may pass without an answer before the
	// user is told and offered a call back (default 30 minutes).
	Wait time.Duration
	// HideName hides the adviser's first name from the user.
	HideName bool
	// Retention is how long message texts and call-back numbers are kept
	// after the handoff; 0 keeps no text at all (only counts) and drops a
	// number when the handoff closes.
	Retention time.Duration
	// Services names the services already shown to the user on the card
	// (see NamesFrom); nil lists their ids.
	Services ServiceNames
	// Outbox, when set, carries every message the desk sends (relays both
	// ways, notices to users, posts in the group) through the chat's
	// outbox (bot.Bot.Put, with AfterSend's hooks given to the bot):
	// saved before sent, in order with the bot's replies, once per key
	// whatever the retries, replicas and crashes. Without it (the desk run
	// alone) they are sent at once.
	Outbox Outbox
	// Resume offers the user to go on with the bot after a close (the
	// engine's current question); nil sends only the closing message.
	Resume Resumer
	// Now is the clock (tests inject one).
	Now func() time.Time
	// RelayBurst and RelayEvery are a user's relay limit: RelayBurst
	// messages at once, then one every RelayEvery; faster ones are merged
	// (default 3 and 6s; see limit.go).
	RelayBurst int
	RelayEvery time.Duration
	// StateTTL bounds the life of every Redis key the desk writes
	// (STATE_TTL, default 720h); Retention bounds it too when shorter.
	StateTTL time.Duration
	// MemberTTL is how long a getChatMember answer is trusted (default 1 min).
	MemberTTL time.Duration
	// Prefix of the Redis keys (default "dalil:ho").
	Prefix string
	Log    *slog.Logger
}

// Desk hands conversations to the advisers' group and back. It keeps no
// state in memory that matters: several replicas can run side by side and
// a restarted process carries on where the last one stopped.
type Desk struct {
	o   Options
	log *slog.Logger
	m   *metrics
	tg  telegram.Sender // the one error policy, shared with the bot

	forumOnce sync.Mutex
	forum     *bool // the group's kind, fixed for its life
	lastPurge time.Time
}

// defaultStateTTL is STATE_TTL's default.
const defaultStateTTL = 720 * time.Hour

// New returns a desk.
func New(o Options) (*Desk, error) {
	if o.API == nil || o.Redis == nil || o.T == nil {
		return nil, errors.New("handoff: API, Redis and T are required")
	}
	if o.AdvisersChatID == 0 {
		return nil, errors.New("handoff: no advisers' chat (ADVISERS_CHAT_ID)")
	}
	if o.Records != nil && !o.Pseudonyms.Valid() {
		return nil, errors.New("handoff: no pseudonym key (PSEUDONYM_KEY) for the records")
	}
	if o.Hours == nil {
		h := DefaultHours()
		o.Hours = &h
	}
	if o.Wait <= 0 {
		o.Wait = 30 * time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.RelayBurst <= 0 {
		o.RelayBurst = defaultRelayBurst
	}
	if o.RelayEvery <= 0 {
		o.RelayEvery = defaultRelayEvery
	}
	if o.StateTTL <= 0 {
		o.StateTTL = defaultStateTTL
	}
	if o.MemberTTL <= 0 {
		o.MemberTTL = time.Minute
	}
	if o.Prefix == "" {
		o.Prefix = "dalil:ho"
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	d := &Desk{o: o, log: o.Log.With("component", "handoff"), m: newMetrics()}
	d.tg = telegram.Sender{API: o.API, Log: d.log, Attempts: 4, Backoff: 500 * time.Millisecond}
	if o.Limits != nil {
		d.tg.Limits = o.Limits
	}
	return d, nil
}

// ttl is the life of the desk's Redis keys: STATE_TTL, or the retention
// when shorter (the state holds the card's text and relay maps).
func (d *Desk) ttl() time.Duration {
	if r := d.o.Retention; r > 0 && r < d.o.StateTTL {
		return r
	}
	return d.o.StateTTL
}

// within bounds a shorter life by ttl.
func (d *Desk) within(v time.Duration) time.Duration { return min(v, d.ttl()) }

// UserKey is the key a user's handoffs are stored under in PostgreSQL: a
// keyed hash of the chat id under the current pseudonym key, never the name.
func (d *Desk) UserKey(chat int64) string { return d.o.Pseudonyms.Of(chat) }

// Keys: a user's own keys carry the hash tag of the user's chat, the
// group's keys that of the group, as the conversation store does, so each
// stays on one Redis Cluster slot.
func (d *Desk) ukey(chat int64, part string) string {
	return d.o.Prefix + ":{chat:" + strconv.FormatInt(chat, 10) + "}:" + part
}

func (d *Desk) gkey(part string) string { return d.ukey(d.o.AdvisersChatID, part) }

func randomID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// state is a handoff's live state (Redis hash fields).
type state map[string]string

func (s state) open() bool         { return s["id"] != "" }
func (s state) int(k string) int64 { v, _ := strconv.ParseInt(s[k], 10, 64); return v }
func (s state) lang() lang.Lang {
	if l, err := lang.Parse(s["lang"]); err == nil {
		return l
	}
	return lang.FR
}
func (s state) opened() time.Time { return time.Unix(s.int("opened"), 0) }

func (d *Desk) load(ctx context.Context, chat int64) (state, error) {
	m, err := d.o.Redis.HGetAll(ctx, d.ukey(chat, "h")).Result()
	if err != nil {
		return nil, fmt.Errorf("loading handoff state: %w", err)
	}
	return state(m), nil
}

// Active reports whether a person holds (or is asked to hold) chat.
func (d *Desk) Active(ctx context.Context, chat int64) (bool, error) {
	s, err := d.load(ctx, chat)
	return s.open(), err
}

// toUser tells the user something in their language, through the user's
// outbox, once per key.
func (d *Desk) toUser(ctx context.Context, chat int64, l lang.Lang, id string, data map[string]any, m telegram.SendMessage, key string) {
	m.ChatID, m.Text = chat, d.o.T.T(l, id, data)
	if err := d.put(ctx, chat, "notice:"+key, outbox.Message{Request: m}); err != nil {
		d.m.fail(failNotify)
		d.log.Warn("telling a user", "msg", id, "err", err)
	}
}

// isForum asks once whether the advisers' group uses topics.
func (d *Desk) isForum(ctx context.Context) (bool, error) {
	d.forumOnce.Lock()
	defer d.forumOnce.Unlock()
	if d.forum != nil {
		return *d.forum, nil
	}
	raw, err := d.do(ctx, telegram.GetChat{ChatID: d.o.AdvisersChatID})
	var c telegram.Chat
	if err == nil {
		err = json.Unmarshal(raw, &c)
	}
	if err != nil {
		// Without an answer the request still goes out, in the main chat
		// (a plain group's way, which works in a forum's General topic
		// too); a server that will never answer is not asked again.
		d.log.Warn("reading the advisers' group kind; posting without topics", "err", err)
		if telegram.Code(err) == 404 || telegram.Code(err) == 400 {
			d.forum = &c.IsForum
		}
		return false, nil
	}
	d.forum = &c.IsForum
	return c.IsForum, nil
}

// sawForum notes the group's kind from an update of the group.
func (d *Desk) sawForum(isForum bool) {
	if !isForum {
		return
	}
	d.forumOnce.Lock()
	d.forum = &isForum
	d.forumOnce.Unlock()
}

// firstName is the user's first name for the advisers, "" when unknown.
func (d *Desk) firstName(ctx context.Context, chat int64) string {
	raw, err := d.do(ctx, telegram.GetChat{ChatID: chat})
	if err != nil {
		return ""
	}
	var c struct {
		FirstName string `json:"first_name"`
	}
	_ = json.Unmarshal(raw, &c)
	return c.FirstName
}

// Open hands chat to the advisers: a record, a topic (forum) or a post in
// the group with the summary card, and a word to the user on what happens
// next. The bot calls it for the engine's EffectAdviser.
func (d *Desk) Open(ctx context.Context, chat int64, st dialog.State) error {
	notice, err := d.OpenNotice(ctx, chat, "", st)
	if notice != "" {
		m := telegram.SendMessage{ChatID: chat, Text: notice}
		if perr := d.put(ctx, chat, "notice:ho:open:"+randomID(9), outbox.Message{Request: m}); perr != nil {
			d.log.Warn("telling a user what happens next", "err", perr)
		}
	}
	return err
}

// OpenNotice is Open for a caller that sends the user's notice itself (in
// its outbox, after the engine's own reply): it returns the notice instead.
// key names this one opening (the bot's outbox item): called again with
// the same key after a crash, it posts no second card and opens no second
// record, and returns the same notice; "" opens without that guard.
func (d *Desk) OpenNotice(ctx context.Context, chat int64, key string, st dialog.State) (string, error) {
	notice, err := d.openNotice(ctx, chat, key, st)
	if err != nil {
		d.m.fail(failOpen)
	}
	return notice, err
}

func (d *Desk) openNotice(ctx context.Context, chat int64, key string, st dialog.State) (string, error) {
	now := d.o.Now()
	l := st.Lang
	if l == "" {
		l = lang.FR
	}
	cur, err := d.load(ctx, chat)
	if err != nil {
		return "", err
	}
	// What an earlier run of this very opening did before it stopped
	// (see opening): done, it is only told again; half done, it is
	// carried on with the same record, topic and card.
	pend, err := d.opening(ctx, chat, key)
	if err != nil {
		return "", err
	}
	var userSaved bool // the user's state of this opening is saved, maybe not the group's maps
	if pend != nil {
		now = time.Unix(pend.int("opened"), 0).In(now.Location())
		userSaved = cur.open() && cur["id"] == pend["rec"]
		if pend["saved"] == "1" || pend["user"] == "1" && !userSaved {
			if !userSaved {
				return "", nil // closed since: nothing left to tell
			}
			return d.openedNotice(l, now, pend["off"] == "1"), nil
		}
	}
	if cur.open() && !userSaved {
		return d.o.T.T(l, "handoff.user.already", nil), nil
	}
	forum, err := d.isForum(ctx)
	if err != nil {
		return "", err
	}
	c := card{name: d.firstName(ctx, chat), st: st, services: d.serviceNames(ctx, st.Referred), opened: now,
		hours: *d.o.Hours, t: d.o.T}
	off := !d.o.Hours.Open(now)
	rec := Record{ID: randomID(12), UserKey: d.UserKey(chat), Lang: string(l), Needs: st.Codes.Needs,
		Source: st.Source, OffHours: off, OpenedAt: now}
	cardID := randomID(9)
	var thread, msg int64
	if pend != nil {
		rec.ID, cardID, thread, msg = pend["rec"], pend["cardid"], pend.int("thread"), pend.int("card")
	} else {
		d.m.requests.WithLabelValues(hoursLabel(off)).Inc()
		// A user back after a key rotation: their older records move to the
		// current key, so the old key can one day be dropped.
		if err := d.o.Records.rekey(ctx, rec.UserKey, d.o.Pseudonyms.Old(chat)); err != nil {
			return "", err
		}
		if err := d.o.Records.open(ctx, rec); err != nil {
			return "", err
		}
		if forum {
			if thread, err = d.topic(ctx, chat, c.topicName()); err != nil {
				_ = d.o.Records.close(ctx, rec.ID, 0, "failed", now)
				return "", err
			}
		}
		if err := d.saveOpening(ctx, chat, key, "rec", rec.ID, "opened", now.Unix(), "cardid", cardID,
			"thread", thread, "off", boolFlag(off)); err != nil {
			_ = d.o.Records.close(ctx, rec.ID, 0, "failed", now)
			return "", err
		}
	}
	text := c.text()
	if msg == 0 {
		// Posted at once (see do): the opening is itself an outbox item.
		kb := cardButtons(cardID, false)
		var raw json.RawMessage
		raw, err = d.do(ctx, telegram.SendMessage{ChatID: d.o.AdvisersChatID, ThreadID: thread,
			Text: text + "\n\n" + statusWaiting, Keyboard: &kb})
		msg = messageID(raw)
		if err != nil {
			_ = d.o.Records.close(ctx, rec.ID, 0, "failed", now)
			d.dropOpening(ctx, chat, key)
			return "", fmt.Errorf("posting the summary card: %w", err)
		}
		d.m.posted.Inc()
		// Saved before anything else, so that a run after a crash from
		// here on finds the card instead of posting another one.
		if err := d.saveOpening(ctx, chat, key, "card", msg); err != nil {
			return "", err
		}
	}
	offFlag := ""
	if off {
		offFlag = "1"
	}
	if !userSaved {
		if err := d.saveOpened(ctx, chat, key, state{"id": rec.ID, "lang": string(l), "thread": strconv.FormatInt(thread, 10),
			"card": strconv.FormatInt(msg, 10), "cardid": cardID, "ctext": text, "off": offFlag, "label": c.label()}, now); err != nil {
			return "", err
		}
	}
	gp := d.o.Redis.TxPipeline()
	gp.Set(ctx, d.gkey("card:"+cardID), chat, d.ttl())
	gp.Set(ctx, d.gkey("msg:"+strconv.FormatInt(msg, 10)), chat, d.ttl())
	gp.ZAdd(ctx, d.gkey("open"), redis.Z{Score: float64(now.Unix()), Member: chat})
	gp.Expire(ctx, d.gkey("open"), d.ttl()) // refreshed by every request; stale members are dropped when read
	if _, err := gp.Exec(ctx); err != nil {
		return "", fmt.Errorf("saving handoff state: %w", err)
	}
	if err := d.saveOpening(ctx, chat, key, "saved", "1"); err != nil {
		return "", err
	}
	return d.openedNotice(l, now, off), nil
}

// saveOpened saves an opened handoff's state in the user's keys, and
// notes it in the opening in progress in the same transaction (same hash
// tag), so a run after a crash neither saves it twice nor reopens a
// handoff closed since.
func (d *Desk) saveOpened(ctx context.Context, chat int64, key string, s state, now time.Time) error {
	msg, cardID := s["card"], s["cardid"]
	pipe := d.o.Redis.TxPipeline()
	hk := d.ukey(chat, "h")
	s["opened"] = strconv.FormatInt(now.Unix(), 10)
	pipe.HSet(ctx, hk, map[string]string(s))
	pipe.Expire(ctx, hk, d.ttl())
	// The card is kept with its date, to be edited on /forget.
	pipe.ZAdd(ctx, d.ukey(chat, "posted"), redis.Z{Score: float64(now.Unix()), Member: postedCard + msg})
	pipe.Expire(ctx, d.ukey(chat, "posted"), d.ttl())
	// The user's cards, for /forget: a closed handoff's card map outlives
	// its state (late button presses are answered "closed").
	pipe.SAdd(ctx, d.ukey(chat, "cards"), cardID)
	pipe.Expire(ctx, d.ukey(chat, "cards"), d.ttl())
	if key != "" {
		pipe.HSet(ctx, d.ukey(chat, "opening"), "user", "1")
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("saving handoff state: %w", err)
	}
	return nil
}

// openedNotice tells the user opened at now what happens next.
func (d *Desk) openedNotice(l lang.Lang, now time.Time, off bool) string {
	if off {
		return d.o.T.T(l, "handoff.user.offhours", map[string]any{
			"Hours": describeHours(d.o.T, l, *d.o.Hours), "Next": describeNext(d.o.T, l, *d.o.Hours, now)})
	}
	return d.o.T.T(l, "handoff.user.waiting", map[string]any{
		"Count": int(d.o.Wait.Minutes()), "Hours": describeHours(d.o.T, l, *d.o.Hours)})
}

func boolFlag(b bool) string {
	if b {
		return "1"
	}
	return ""
}

// An opening in progress is kept in one hash per user (ids and times,
// nothing personal): the caller's key, the record id, the card id, the
// topic and, once posted, the card's message id. A run with the same key
// carries it on instead of starting over, so an opening run twice (a crash
// between the card and the mark of the bot's outbox item) posts one card
// and opens one record. A hash left by another key is stale and ignored.
func (d *Desk) opening(ctx context.Context, chat int64, key string) (state, error) {
	if key == "" {
		return nil, nil
	}
	m, err := d.o.Redis.HGetAll(ctx, d.ukey(chat, "opening")).Result()
	if err != nil {
		return nil, fmt.Errorf("reading the opening in progress: %w", err)
	}
	if m["key"] != key || m["rec"] == "" {
		return nil, nil
	}
	return state(m), nil
}

func (d *Desk) saveOpening(ctx context.Context, chat int64, key string, fields ...any) error {
	if key == "" {
		return nil
	}
	k := d.ukey(chat, "opening")
	pipe := d.o.Redis.TxPipeline()
	if fields[0] == "rec" { // a new opening replaces any stale one
		pipe.Del(ctx, k)
	}
	pipe.HSet(ctx, k, append([]any{"key", key}, fields...)...)
	pipe.Expire(ctx, k, d.ttl())
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("saving the opening in progress: %w", err)
	}
	return nil
}

func (d *Desk) dropOpening(ctx context.Context, chat int64, key string) {
	if key == "" {
		return
	}
	if err := d.o.Redis.Del(ctx, d.ukey(chat, "opening")).Err(); err != nil {
		d.log.Warn("dropping the opening in progress", "err", err)
	}
}

// topic returns the user's forum topic, creating it the first time; a
// user who comes back finds the same topic.
func (d *Desk) topic(ctx context.Context, chat int64, name string) (int64, error) {
	tk := d.ukey(chat, "topic")
	if v, err := d.o.Redis.Get(ctx, tk).Int64(); err == nil && v != 0 {
		// The user is back, maybe with another need: the topic's name
		// follows, and a topic someone closed is opened again.
		if _, err := d.do(ctx, telegram.TopicAction{Action: "reopenForumTopic", ChatID: d.o.AdvisersChatID, ThreadID: v}); err != nil {
			d.log.Debug("reopening a forum topic", "err", err) // "TOPIC_NOT_MODIFIED" when open
		}
		if _, err := d.do(ctx, telegram.EditForumTopic{ChatID: d.o.AdvisersChatID, ThreadID: v, Name: name}); err != nil {
			d.log.Debug("renaming a forum topic", "err", err)
		}
		// The maps live as long as the new request may.
		_ = d.o.Redis.Expire(ctx, tk, d.ttl()).Err()
		_ = d.o.Redis.Expire(ctx, d.gkey("thread:"+strconv.FormatInt(v, 10)), d.ttl()).Err()
		return v, nil
	} else if err != nil && !errors.Is(err, redis.Nil) {
		return 0, fmt.Errorf("reading the user's topic: %w", err)
	}
	raw, err := d.do(ctx, telegram.CreateForumTopic{ChatID: d.o.AdvisersChatID, Name: name})
	if err != nil {
		return 0, fmt.Errorf("creating a forum topic: %w", err)
	}
	var t struct {
		ID int64 `json:"message_thread_id"`
	}
	if err := json.Unmarshal(raw, &t); err != nil || t.ID == 0 {
		return 0, fmt.Errorf("creating a forum topic: no thread id in %s", raw)
	}
	if err := d.o.Redis.Set(ctx, tk, t.ID, d.ttl()).Err(); err != nil {
		return 0, fmt.Errorf("saving the user's topic: %w", err)
	}
	if err := d.o.Redis.Set(ctx, d.gkey("thread:"+strconv.FormatInt(t.ID, 10)), chat, d.ttl()).Err(); err != nil {
		return 0, fmt.Errorf("saving the user's topic: %w", err)
	}
	return t.ID, nil
}
