package bot

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dalil-tt/dalil/bot/outbox"
	"github.com/dalil-tt/dalil/bot/telegram"
	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/dialog"
	"github.com/dalil-tt/dalil/dialog/redisstore"
	"github.com/dalil-tt/dalil/internal/lang"
	"github.com/dalil-tt/dalil/requests"
)

// Engine is the dialog engine: a pure step from state and input to the new
// state, the replies and the effects.
type Engine interface {
	Step(s dialog.State, in dialog.Input) (dialog.State, []dialog.Reply, []dialog.Effect)
}

// Translator gives the fixed UI strings (the locales catalogue).
type Translator interface {
	T(l lang.Lang, id string, data map[string]any) string
}

// Check is a readiness check for /readyz.
type Check struct {
	Name string
	Fn   func(ctx context.Context) error
}

// Options configure a Bot. Client, Store, Engine, Matcher and T are required.
type Options struct {
	Client  *telegram.Client
	Store   *redisstore.Store
	Engine  Engine
	Matcher catalogue.Matcher
	T       Translator
	// Card renders one service found; default catalogue.MatchCard with T
	// (why it is shown, then the service), as every transport shows it.
	Card func(m catalogue.Match, l lang.Lang) string

	// RateLimit is the most messages per second overall (0 = no limit).
	RateLimit int
	// ChatInterval and ChatBurst shape the per-chat limit: one message per
	// interval on average (default 1s) with bursts of ChatBurst (default 5);
	// a negative interval turns per-chat limits off (load tests of the
	// bot's own capacity). Groups get 20 per minute.
	ChatInterval time.Duration
	ChatBurst    int

	// WebhookURL and WebhookSecret select webhook mode.
	WebhookURL    string
	WebhookSecret string

	// Grace is how long a stop waits for in-flight updates and replies
	// (default 10s).
	Grace time.Duration
	// LockWait is how long an update waits for its chat's lock (default 15s).
	LockWait time.Duration
	// PageSize is how many services one page of a referral shows (default
	// 3); MaxResults how many a referral lists in all (default 12).
	PageSize   int
	MaxResults int
	// SendAttempts, SendBackoff and SendTimeout tune retries of network
	// errors and 5xx (defaults 5, 500ms doubled each time, 15s).
	SendAttempts int
	SendBackoff  time.Duration
	SendTimeout  time.Duration
	// TypingAfter is how long looking services up may take before the user
	// sees "typing…" (default 200ms; negative: at once).
	TypingAfter time.Duration
	// SweepEvery is how often replies left owed by a stopped process are
	// looked for (default 10s; also at start).
	SweepEvery time.Duration

	// Ready are extra readiness checks (PostgreSQL…); Redis is always checked.
	Ready []Check
	// Adviser is called when the engine hands the conversation to a person.
	Adviser func(ctx context.Context, chat int64, st dialog.State) error
	// AdviserNotice, when set, is called instead of Adviser and returns
	// what to tell the user (what happens next), sent after the engine's
	// own reply. It is an effect saved with the conversation and carried
	// out by the chat's sender, outside the conversation lock and in the
	// outbox's order, so its slow I/O (a record, a topic, a card under the
	// group's limit) never outlasts the lock; it is called again, with the
	// same key (the outbox item's id), if the process stops before the
	// item is marked done, and must then finish what is left without
	// repeating it (handoff.Desk.OpenNotice posts one card).
	AdviserNotice func(ctx context.Context, chat int64, key string, st dialog.State) (string, error)
	// Forget erases what is kept about a user outside Redis (PostgreSQL).
	Forget func(ctx context.Context, chat int64) error
	// ForgetNotice, when set, is called on /forget before Forget: it
	// erases what it keeps (the advisers' group) and returns what to add
	// to the user's confirmation ("" for nothing), such as what could not
	// be removed, sent after the engine's own reply.
	ForgetNotice func(ctx context.Context, chat int64, st dialog.State) (string, error)
	// Intercept sees every update first; returning true means it handled it
	// (the advisers' group relay). An update it takes is its own: it answers
	// the button press it carries, if any (Telegram takes one answer per
	// press, and the interceptor may have something to say in it).
	Intercept func(ctx context.Context, up *telegram.Update) bool
	// AdvisersChatID is the advisers' group: what is said there and not
	// taken by Intercept is ignored (never answered as a stray group).
	AdvisersChatID int64
	// AfterSend are the hooks the sender tells what became of a message put
	// in an outbox with Put, by the name the message gives (handoff.Desk.
	// AfterSend: a relay's new message id). Given at construction so that
	// messages a stopped process left owed find their hook at start.
	AfterSend map[string]outbox.AfterSend
	// Migrated is told when the sender finds that a group became a
	// supergroup (a new chat id) and follows it (bot/partners.Moved).
	Migrated func(ctx context.Context, from, to int64)

	// ScheduleLease is how long a stopped replica keeps dispatching
	// scheduled messages before another takes over (default 10s); a
	// replica that stops cleanly hands over at once.
	ScheduleLease time.Duration
	// GroupWindow is the window of a group's 20-message limit (default a
	// minute, Telegram's); tests shorten it to compress time.
	GroupWindow time.Duration
	// ScheduleEvery is the longest wait between looks for due scheduled
	// messages (default 1s).
	ScheduleEvery time.Duration

	// Requests, Organisations and Finder turn "send my request" on (all
	// three set): the requests' store, how they reach the organisations,
	// and the services' names for the news and /requests.
	Requests      requests.Store
	Organisations requests.Organisations
	Finder        catalogue.Finder
	// Timing is the requests' timing the person is told of (the time an
	// organisation has to answer, when the follow-up comes): the store's
	// and the clock's; zero: requests.DefaultTiming.
	Timing requests.Timing

	// OnHandled, when set, is told how long each handled update took from
	// receipt to its durable save (load measurements).
	OnHandled func(updateID int64, d time.Duration)

	Log *slog.Logger
}

// Bot is a running Telegram front end.
type Bot struct {
	o      Options
	client *telegram.Client
	store  *redisstore.Store
	out    *outbox.Chats // the chats' outboxes, in the store's keys
	send   *sender
	sched  *outbox.Scheduler
	m      *metrics
	log    *slog.Logger
	name   string

	// workCtx outlives a stop request so that in-flight work finishes; it
	// is cancelled when the grace period ends.
	workCtx    context.Context
	cancelWork context.CancelFunc

	mu      sync.Mutex
	actors  map[int64]*actor
	work    sync.WaitGroup // actors
	sending sync.WaitGroup // flushers
	started sync.Map       // update id -> time received, until its first reply is sent
	effects sync.Map       // outbox item id of an effect -> chan closed once carried out here
	workers *workers       // goroutines for actors, flushes and answers
}

// actor handles one chat's updates one after the other.
type actor struct {
	jobs []job
}

type job struct {
	up   *telegram.Update
	at   time.Time
	done func()
}

// New checks the options and returns a bot ready to Run.
func New(o Options) (*Bot, error) {
	switch {
	case o.Client == nil:
		return nil, errors.New("bot: no Telegram client")
	case o.Store == nil:
		return nil, errors.New("bot: no conversation store")
	case o.Engine == nil:
		return nil, errors.New("bot: no dialog engine")
	case o.Matcher == nil:
		return nil, errors.New("bot: no catalogue matcher")
	case o.T == nil:
		return nil, errors.New("bot: no translator")
	}
	if o.Card == nil {
		tr := o.T
		o.Card = func(m catalogue.Match, l lang.Lang) string { return catalogue.MatchCard(m, l, tr) }
	}
	if o.ChatInterval == 0 {
		o.ChatInterval = time.Second
	}
	if o.ChatInterval < 0 {
		o.ChatInterval = 0 // off
	}
	if o.ChatBurst == 0 {
		o.ChatBurst = 5
	}
	if o.Grace == 0 {
		o.Grace = 10 * time.Second
	}
	if o.LockWait == 0 {
		o.LockWait = 15 * time.Second
	}
	if o.PageSize == 0 {
		o.PageSize = 3
	}
	if o.MaxResults == 0 {
		o.MaxResults = 12
	}
	if o.SendAttempts == 0 {
		o.SendAttempts = 5
	}
	if o.SendBackoff == 0 {
		o.SendBackoff = 500 * time.Millisecond
	}
	if o.SendTimeout == 0 {
		o.SendTimeout = 15 * time.Second
	}
	if o.TypingAfter == 0 {
		o.TypingAfter = 200 * time.Millisecond
	}
	if o.SweepEvery == 0 {
		o.SweepEvery = 10 * time.Second
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Timing == (requests.Timing{}) {
		o.Timing = requests.DefaultTiming()
	}
	m := newMetrics()
	b := &Bot{o: o, client: o.Client, store: o.Store, out: outbox.NewChats(o.Store), m: m, log: o.Log, name: o.Client.Self.Username,
		actors: map[int64]*actor{}, workers: newWorkers(10 * time.Second)}
	lim := newLimits(o.RateLimit, o.ChatInterval, o.ChatBurst)
	if o.GroupWindow > 0 {
		lim.groupWindow = o.GroupWindow
	}
	b.send = newSender(o.Client, lim, m, o.Log,
		o.SendAttempts, o.SendBackoff, o.SendTimeout, o.Migrated)
	b.sched = outbox.New(o.Store.Client(), outbox.Options{Prefix: strings.TrimSuffix(o.Store.GlobalKey(""), ":"),
		Lease: o.ScheduleLease, Every: o.ScheduleEvery, Log: o.Log})
	b.workCtx, b.cancelWork = context.WithCancel(context.Background())
	return b, nil
}

// chatHash identifies a chat in logs without revealing it.
func chatHash(chat int64) string {
	m := hmac.New(sha256.New, logKey)
	m.Write([]byte(strconv.FormatInt(chat, 10)))
	return hex.EncodeToString(m.Sum(nil)[:6])
}

// logKey keys chatHash with a secret of this process, so a chat id cannot
// be found again from the logs by hashing candidate ids (an unkeyed hash of
// a 10-digit id can be reversed by trying them all). A chat's lines still
// correlate within one process's logs; update ids correlate across replicas.
var logKey = func() []byte {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		panic("bot: no randomness for the log key: " + err.Error())
	}
	return k
}()

// dispatch queues an update on its chat's actor; done is called once the
// update is durably handled (or dropped), before its replies are sent.
func (b *Bot) dispatch(up *telegram.Update, at time.Time, done func()) {
	chat := up.ChatID()
	b.mu.Lock()
	a := b.actors[chat]
	if a == nil {
		a = &actor{}
		b.actors[chat] = a
		b.work.Add(1)
		b.workers.Go(func() { b.runActor(chat, a) })
	}
	a.jobs = append(a.jobs, job{up: up, at: at, done: done})
	b.mu.Unlock()
}

func (b *Bot) runActor(chat int64, a *actor) {
	defer b.work.Done()
	for {
		b.mu.Lock()
		if len(a.jobs) == 0 {
			delete(b.actors, chat)
			b.mu.Unlock()
			return
		}
		j := a.jobs[0]
		a.jobs = a.jobs[1:]
		b.mu.Unlock()
		var once sync.Once
		done := func() { once.Do(j.done) }
		b.handleSafely(j, done)
		done()
	}
}

// handle runs one update through the engine and saves the outcome.
func (b *Bot) handle(ctx context.Context, up *telegram.Update, at time.Time, done func()) {
	chat := up.ChatID()
	// Every line about this update names it, so one update can be followed
	// through the logs of several replicas.
	log := b.log.With("update", up.UpdateID)
	cq := up.CallbackQuery
	intercepted := chat != 0 && b.o.Intercept != nil && b.o.Intercept(ctx, up)
	if cq != nil && !intercepted {
		// Every button press is answered, whatever happens next, so the
		// user's app stops its spinner.
		defer func() {
			b.sending.Add(1)
			b.workers.Go(func() {
				defer b.sending.Done()
				b.answer(ctx, chat, cq.ID)
			})
		}()
	}
	if chat == 0 {
		b.m.updates.WithLabelValues("ignored").Inc()
		return
	}
	if intercepted {
		b.m.updates.WithLabelValues("intercepted").Inc()
		return
	}
	if chat == b.o.AdvisersChatID && chat != 0 {
		b.m.updates.WithLabelValues("ignored").Inc()
		return
	}
	if !b.private(up) {
		b.group(ctx, up)
		return
	}
	in, ok := input(up, b.name, time.Now())
	if !ok {
		b.m.updates.WithLabelValues("ignored").Inc()
		return
	}
	sess, err := b.store.Lock(ctx, chat, b.o.LockWait)
	if err != nil {
		log.Error("loading conversation", "chat", chatHash(chat), "err", err)
		b.technical(ctx, chat, guessLang(up))
		b.m.updates.WithLabelValues("error").Inc()
		return
	}
	defer func() {
		// A panic must not leave the chat locked (handleSafely contains it).
		if p := recover(); p != nil {
			b.unlock(sess)
			panic(p)
		}
	}()
	key := UpdateKey(up)
	if sess.Found && sess.Conv.Handled(key) {
		b.unlock(sess)
		b.m.updates.WithLabelValues("duplicate").Inc()
		return
	}
	conv := sess.Conv
	var outs []out
	if cq != nil && cq.Message != nil && cq.Message.ReplyMarkup != nil && len(cq.Message.ReplyMarkup.InlineKeyboard) > 0 &&
		!strings.HasPrefix(cq.Data, dialog.DataRequest) { // a card stays: its request may be prepared again after a "no"
		// The question is answered: its buttons go, so they cannot be
		// pressed twice by mistake.
		outs = append(outs, outOf(telegram.EditMessageReplyMarkup{ChatID: chat, MessageID: cq.Message.MessageID}))
	}
	forget := false
	{ // kept as a block (it was an else) so that the merge with the outbox rewrite stays small
		var st dialog.State
		var replies []dialog.Reply
		var effects []dialog.Effect
		if in.Kind == dialog.InButton && newsButton(in.Data) {
			// A request's news button: answered by the bot, the
			// conversation left where it is (requests.go).
			news, err := b.news(ctx, chat, conv.State, in.Data)
			if err != nil {
				b.fail(ctx, sess, chat, conv.State.Lang, "answering a request's button", err)
				return
			}
			outs = append(outs, news...)
			st = conv.State
		} else {
			if in.Kind == dialog.InButton && strings.HasPrefix(in.Data, dialog.DataRequest) && b.requestsOn() {
				// The names the preview shows: the engine does no I/O.
				if in.Target, err = b.target(ctx, up, strings.TrimPrefix(in.Data, dialog.DataRequest), conv.State.Lang); err != nil {
					b.fail(ctx, sess, chat, conv.State.Lang, "preparing a request", err)
					return
				}
			}
			st, replies, effects = b.o.Engine.Step(conv.State, in)
		}
		for _, r := range merge(replies) {
			if r.Referral == nil {
				outs = append(outs, b.reply(chat, r)...)
				continue
			}
			// The engine asks for services (a referral, or the next page of
			// one); it is told which were shown, for paging and the adviser.
			var cards []out
			var ids []string
			var err error
			if r.From == 0 {
				cards, ids, err = b.referral(ctx, chat, st.Lang, *r.Referral)
			} else {
				cards, ids, err = b.nextPage(ctx, chat, *r.Referral, r.From)
			}
			if err != nil {
				b.fail(ctx, sess, chat, st.Lang, "matching services", err)
				return
			}
			outs = append(outs, cards...)
			st, _, _ = b.o.Engine.Step(st, dialog.Input{Kind: dialog.InShown, Shown: ids, From: r.From})
		}
		for _, e := range effects {
			switch e.Kind {
			case dialog.EffectAdviser:
				b.m.effects.WithLabelValues("adviser").Inc()
				log.Info("conversation handed to an adviser", "chat", chatHash(chat))
				if b.o.AdviserNotice != nil {
					// Carried out by the chat's sender, outside the lock,
					// once the state is saved with it (see handoffEffect).
					o, err := handoffEffect(chat, st)
					if err != nil {
						b.fail(ctx, sess, chat, st.Lang, "adviser handoff", err)
						return
					}
					outs = append(outs, o)
				} else if b.o.Adviser != nil {
					if err := b.o.Adviser(ctx, chat, st); err != nil {
						log.Error("adviser handoff", "chat", chatHash(chat), "err", err)
					}
				} else {
					// No advisers' group configured: say so rather than
					// promise an answer that will never come.
					outs = append(outs, b.message(chat, b.o.T.T(st.Lang, "NoAdvisers", nil), nil)...)
				}
			case dialog.EffectForget:
				b.m.effects.WithLabelValues("forget").Inc()
				if b.o.ForgetNotice != nil {
					// The state before the step: the engine's new one is
					// blank, language included.
					notice, err := b.o.ForgetNotice(ctx, chat, conv.State)
					if err != nil {
						b.fail(ctx, sess, chat, st.Lang, "forgetting a user", err)
						return
					}
					if notice != "" { // after the engine's own reply, already in outs
						outs = append(outs, b.message(chat, notice, nil)...)
					}
				}
				// Their requests: erased, and withdrawn from the organisations
				// by the sender (effect items, carried on until done).
				notice, withdrawals, err := b.forgetRequests(ctx, chat, conv.State.Lang)
				if err != nil {
					b.fail(ctx, sess, chat, st.Lang, "forgetting a user", err)
					return
				}
				outs = append(outs, withdrawals...)
				outs = append(outs, b.message(chat, notice, nil)...)
				// Nothing scheduled reaches a user who asked to be forgotten.
				if _, err := b.sched.CancelChat(ctx, chat); err != nil {
					b.fail(ctx, sess, chat, st.Lang, "forgetting a user", err)
					return
				}
				if b.o.Forget != nil {
					if err := b.o.Forget(ctx, chat); err != nil {
						// Saying "erased" when it is not would be a lie:
						// nothing is saved and the user can ask again.
						b.fail(ctx, sess, chat, st.Lang, "forgetting a user", err)
						return
					}
				}
				forget = true
			case dialog.EffectRequest:
				// Sent by the chat's sender, outside the lock, once the
				// state is saved with it (sendRequest).
				b.m.effects.WithLabelValues("request_yes").Inc()
				o, err := requestEffect(chat, e.Request)
				if err != nil {
					b.fail(ctx, sess, chat, st.Lang, "sending a request", err)
					return
				}
				outs = append(outs, o)
			case dialog.EffectRequests:
				text, err := b.listRequests(ctx, chat, orFR(st.Lang))
				if err != nil {
					b.fail(ctx, sess, chat, st.Lang, "listing requests", err)
					return
				}
				outs = append(outs, b.message(chat, text, nil)...)
			case dialog.EffectStop:
				text, err := b.stop(ctx, chat, orFR(st.Lang))
				if err != nil {
					b.fail(ctx, sess, chat, st.Lang, "stopping follow-ups", err)
					return
				}
				outs = append(outs, b.message(chat, text, nil)...)
			}
		}
		conv.State = st
		conv.Extra = nil // the last list shown was kept here before the engine kept it (State.List)
	}
	conv.MarkHandled(key)
	items := make([]outbox.Item, len(outs))
	for i, o := range outs {
		body := o.appendJSON(make([]byte, 0, 256))
		items[i] = outbox.Item{ID: strconv.FormatInt(up.UpdateID, 10) + "." + strconv.Itoa(i), Body: body}
	}
	var save *redisstore.Conversation
	if !forget {
		save = &conv
	}
	if len(items) > 0 {
		b.started.Store(up.UpdateID, at)
	}
	// An effect (a handoff, a request, a withdrawal) is carried out by the sender after
	// the lock is freed; this chat's next update waits for it (see the
	// end), as it did when effects ran under the lock: a message written
	// right after /adviser finds the handoff open and reaches the
	// advisers, and a /forget right after a request's yes finds the
	// request to erase and withdraw.
	var effectIDs []string
	var effectsDone []chan struct{}
	for i, o := range outs {
		if o.effect() {
			done := make(chan struct{})
			effectIDs, effectsDone = append(effectIDs, items[i].ID), append(effectsDone, done)
			b.effects.Store(items[i].ID, done)
		}
	}
	snd, err := b.out.Commit(ctx, sess, save, items)
	if err != nil {
		for _, id := range effectIDs {
			b.effects.Delete(id)
		}
		b.started.Delete(up.UpdateID)
		log.Error("saving conversation", "chat", chatHash(chat), "err", err)
		b.technical(ctx, chat, conv.State.Lang)
		b.m.updates.WithLabelValues("error").Inc()
		return
	}
	took := time.Since(at)
	b.m.handling.Observe(took.Seconds())
	if b.o.OnHandled != nil {
		b.o.OnHandled(up.UpdateID, took)
	}
	b.m.updates.WithLabelValues("handled").Inc()
	done()
	if snd != nil {
		// The replies just saved need not be decoded again to be sent.
		mine := make(map[string]rendered, len(items))
		for i, it := range items {
			mine[it.ID] = rendered{it.Body, outs[i]}
		}
		b.sending.Add(1)
		b.workers.Go(func() {
			defer b.sending.Done()
			b.flushWith(snd, mine)
		})
	}
	if len(effectsDone) > 0 {
		// Holding no lock: however long the card waits for the group's
		// limit, nothing expires. Bounded in case the effect is carried
		// out by another process (a sender left from before a restart).
		t := time.NewTimer(effectWait)
		defer t.Stop()
		for i, done := range effectsDone {
			select {
			case <-done:
			case <-t.C:
				for _, id := range effectIDs[i:] {
					b.effects.Delete(id)
				}
				return
			case <-ctx.Done():
				return
			}
		}
	}
}

// effectWait bounds how long a chat's next update waits for its effects
// (a handoff's card, a request's card): a group's limit (20 a minute) lets
// a burst of 50 cards through in under three minutes.
const effectWait = 3 * time.Minute

// rendered is a reply as saved in the outbox and as it was before encoding.
type rendered struct {
	body []byte
	o    out
}

// UpdateKey identifies an update for duplicate detection: its id and what
// it carries. Telegram redelivers an update unchanged; a Bot API server
// whose update ids started again from 1 (a test server, a reset local
// server) sends new updates under old ids, which must not be dropped.
func UpdateKey(up *telegram.Update) int64 {
	h := fnv.New64a()
	fmt.Fprint(h, up.UpdateID)
	for _, m := range []*telegram.Message{up.Message, up.EditedMessage} {
		if m != nil {
			fmt.Fprint(h, "|m", m.MessageID, "|", m.Date, "|", m.EditDate, "|", m.Text)
		}
	}
	if cq := up.CallbackQuery; cq != nil {
		fmt.Fprint(h, "|c", cq.ID, "|", cq.Data)
	}
	return int64(h.Sum64())
}

// private reports whether the update comes from a one-to-one chat.
func (b *Bot) private(up *telegram.Update) bool {
	switch {
	case up.Message != nil:
		return up.Message.Chat.Private()
	case up.EditedMessage != nil:
		return up.EditedMessage.Chat.Private()
	case up.CallbackQuery != nil && up.CallbackQuery.Message != nil:
		return up.CallbackQuery.Message.Chat.Private()
	case up.CallbackQuery != nil:
		return true
	case up.MyChatMember != nil:
		return up.MyChatMember.Chat.Private()
	}
	return false
}

func (b *Bot) unlock(sess *redisstore.Session) {
	if err := b.store.Unlock(b.workCtx, sess); err != nil {
		b.log.Warn("unlocking conversation", "chat", chatHash(sess.Chat), "err", err)
	}
}

// fail gives up an update whose effects could not be carried out: nothing is
// saved, the user is asked to try again.
func (b *Bot) fail(ctx context.Context, sess *redisstore.Session, chat int64, l lang.Lang, doing string, err error) {
	b.log.Error(doing, "chat", chatHash(chat), "err", err)
	b.unlock(sess)
	b.technical(ctx, chat, l)
	b.m.updates.WithLabelValues("error").Inc()
}

// technical tells the user, outside the outbox (Redis may be what failed),
// to try again in a moment.
func (b *Bot) technical(ctx context.Context, chat int64, l lang.Lang) {
	if l == "" {
		l = lang.FR
	}
	o := outOf(telegram.SendMessage{ChatID: chat, Text: b.o.T.T(l, "TechnicalError", nil)})
	if _, err := b.send.do(ctx, chat, o); err != nil {
		b.log.Error("sending the technical error notice", "chat", chatHash(chat), "err", err)
	}
}

// guessLang picks the language of a notice for a user whose conversation
// could not be read: Arabic for an Arabic Telegram app, else French.
func guessLang(up *telegram.Update) lang.Lang {
	if u := up.From(); u != nil && strings.HasPrefix(u.LanguageCode, "ar") {
		return lang.AR
	}
	return lang.FR
}

// AnswerPress answers a button press taken by an interceptor, with a
// short text shown to the one who pressed ("" for none). It is not a
// message: it goes at once, not through the outbox.
func (b *Bot) AnswerPress(ctx context.Context, chat int64, id, text string) error {
	_, err := b.send.do(ctx, chat, outOf(telegram.AnswerCallbackQuery{ID: id, Text: text}))
	return err
}

func (b *Bot) answer(ctx context.Context, chat int64, id string) {
	o := outOf(telegram.AnswerCallbackQuery{ID: id})
	if _, err := b.send.do(ctx, chat, o); err != nil {
		b.log.Warn("answering a button press", "err", err)
	}
}

// flush sends a chat's outbox in order while it holds the send lock,
// marking each reply sent; replies added meanwhile are sent too. Edits may
// be sent twice without harm, so they are marked together with the message
// after them (one Redis trip instead of two); a message is marked before
// anything after it is sent.
func (b *Bot) flush(snd *outbox.Sender) { b.flushWith(snd, nil) }

// flushWith is flush given replies already decoded, by item id; one is
// used only for the very bytes it was saved as.
func (b *Bot) flushWith(snd *outbox.Sender, mine map[string]rendered) {
	ctx := b.workCtx
	for len(snd.Items) > 0 {
		var sent []string
		for _, item := range snd.Items {
			var o out
			if r, ok := mine[item.ID]; ok && bytes.Equal(r.body, item.Body) {
				delete(mine, item.ID)
				o = r.o
			} else if err := json.Unmarshal(item.Body, &o); err != nil {
				b.log.Error("unreadable reply in outbox, dropped", "chat", chatHash(snd.Chat), "err", err)
				sent = append(sent, item.ID)
				break
			}
			if o.effect() {
				if !b.carry(ctx, snd, item.ID, o) {
					b.stopSending(snd, false) // stopping, or failed: the effect stays owed
					return
				}
				if ch, ok := b.effects.LoadAndDelete(item.ID); ok {
					close(ch.(chan struct{}))
				}
				sent = append(sent, item.ID)
				break
			}
			raw, err := b.send.do(ctx, snd.Chat, o)
			var se *telegram.SendError
			errors.As(err, &se)
			if o.After != "" && (se == nil || se.Reason != "stopped") {
				b.afterSend(ctx, snd.Chat, o, raw, err)
			}
			if err != nil {
				switch {
				case se != nil && se.Reason == "stopped":
					// Shutting down: leave it owed for the next process.
					b.stopSending(snd, false)
					return
				case se != nil && se.Class == telegram.Blocked:
					b.log.Info("user blocked the bot; dropping the replies owed", "chat", chatHash(snd.Chat))
					b.m.failedSend.WithLabelValues("blocked").Inc()
					b.stopSending(snd, true)
					return
				default:
					reason := "gave_up"
					if se != nil {
						reason = se.Reason
					}
					b.m.failedSend.WithLabelValues(reason).Inc()
					b.log.Error("reply not delivered, dropped", "chat", chatHash(snd.Chat), "method", o.Method, "reason", reason, "err", err)
				}
			}
			sent = append(sent, item.ID)
			if o.countsInChat() {
				b.firstReply(item.ID, err == nil)
				break
			}
		}
		// Marked even when a stop cut the work short: a message that went
		// out must not be sent again by the next sender.
		mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Second)
		err := b.out.Next(mctx, snd, sent...)
		cancel()
		if err != nil {
			if errors.Is(err, outbox.ErrLockLost) {
				return // another sender has taken over
			}
			b.log.Error("marking a reply sent", "chat", chatHash(snd.Chat), "err", err)
			b.stopSending(snd, false)
			return
		}
	}
}

// firstReply records the reply latency of the update an item answers, at
// its first message (when it was sent).
func (b *Bot) firstReply(itemID string, sent bool) {
	up, _, _ := strings.Cut(itemID, ".")
	id, err := strconv.ParseInt(up, 10, 64)
	if err != nil {
		return
	}
	if at, ok := b.started.LoadAndDelete(id); ok && sent {
		b.m.replying.Observe(time.Since(at.(time.Time)).Seconds())
	}
}

func (b *Bot) stopSending(snd *outbox.Sender, drop bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := b.out.Stop(ctx, snd, drop); err != nil {
		b.log.Warn("releasing outbox", "chat", chatHash(snd.Chat), "err", err)
	}
}

// sweep sends the replies that a stopped process left owed.
func (b *Bot) sweep(ctx context.Context) {
	var chats []int64
	if err := b.out.Owed(ctx, func(c int64) { chats = append(chats, c) }); err != nil {
		b.log.Warn("looking for replies owed", "err", err)
		return
	}
	for _, chat := range chats {
		snd, err := b.out.Claim(ctx, chat)
		if err != nil || snd == nil {
			continue
		}
		b.log.Info("sending replies left owed", "chat", chatHash(chat))
		b.flushLater(snd)
	}
}

// flushLater sends, in the background, what a chat is owed (nothing when
// snd is nil: another sender holds the chat); Run waits for it at stop.
func (b *Bot) flushLater(snd *outbox.Sender) {
	if snd == nil {
		return
	}
	b.sending.Add(1)
	go func() {
		defer b.sending.Done()
		b.flush(snd)
	}()
}

// message renders a text reply with its buttons as sendMessage calls (a
// text longer than Telegram's 4096 characters is split).
func (b *Bot) message(chat int64, text string, buttons [][]dialog.Button) []out {
	if strings.TrimSpace(text) == "" {
		if len(buttons) == 0 {
			return nil
		}
		text = "…"
	}
	parts := split(text, 4000)
	outs := make([]out, 0, len(parts))
	for i, p := range parts {
		r := telegram.SendMessage{ChatID: chat, Text: p, NoPreview: true}
		if i == len(parts)-1 && len(buttons) > 0 {
			r.Keyboard = keyboard(buttons)
		}
		outs = append(outs, outOf(r))
	}
	return outs
}

// reply renders one of the engine's replies: a message with its inline
// buttons, or with the keyboard button that shares the person's phone, or
// taking that keyboard away.
func (b *Bot) reply(chat int64, r dialog.Reply) []out {
	if r.Contact == "" && !r.RemoveKeyboard {
		return b.message(chat, r.Text, r.Buttons)
	}
	outs := b.message(chat, r.Text, nil)
	if len(outs) == 0 {
		return nil
	}
	p := outs[len(outs)-1].Params
	if r.Contact != "" {
		kb, _ := json.Marshal(telegram.ReplyKeyboard{Keyboard: [][]telegram.KeyboardButton{{{Text: r.Contact, RequestContact: true}}},
			ResizeKeyboard: true, OneTimeKeyboard: true}) // plain strings: always encodes
		p["reply_markup"] = string(kb)
	} else {
		p["reply_markup"] = `{"remove_keyboard":true}`
	}
	return outs
}

func keyboard(buttons [][]dialog.Button) *telegram.InlineKeyboard {
	kb := telegram.InlineKeyboard{InlineKeyboard: make([][]telegram.InlineButton, 0, len(buttons))}
	for _, row := range buttons {
		r := make([]telegram.InlineButton, 0, len(row))
		for _, btn := range row {
			r = append(r, telegram.InlineButton{Text: btn.Label, CallbackData: btn.Data})
		}
		kb.InlineKeyboard = append(kb.InlineKeyboard, r)
	}
	return &kb
}

// merge joins texts that follow one another without buttons into one
// message: fewer notifications on the user's phone, fewer messages under
// Telegram's per-chat limit. A reply with buttons ends a message.
func merge(replies []dialog.Reply) []dialog.Reply {
	out := make([]dialog.Reply, 0, len(replies))
	for _, r := range replies {
		if n := len(out); n > 0 && r.Referral == nil && r.Text != "" && r.Contact == "" && !r.RemoveKeyboard && out[n-1].Contact == "" && !out[n-1].RemoveKeyboard {
			prev := &out[n-1]
			if prev.Referral == nil && len(prev.Buttons) == 0 && prev.Text != "" &&
				len([]rune(prev.Text))+len([]rune(r.Text)) < 3500 {
				prev.Text += "\n\n" + r.Text
				prev.Buttons, prev.Node, prev.Stale = r.Buttons, r.Node, prev.Stale || r.Stale
				continue
			}
		}
		out = append(out, r)
	}
	return out
}

// split cuts text into pieces of at most n characters, at a line break or
// a space when there is one.
func split(text string, n int) []string {
	r := []rune(text)
	var parts []string
	for len(r) > n {
		cut := n
		for i := n; i > n/2; i-- {
			if r[i] == '\n' || r[i] == ' ' {
				cut = i
				break
			}
		}
		parts = append(parts, string(r[:cut]))
		r = r[cut:]
		for len(r) > 0 && (r[0] == '\n' || r[0] == ' ') {
			r = r[1:]
		}
	}
	return append(parts, string(r))
}
