package partners

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // Casablanca time on hosts without zone files

	"github.com/redis/go-redis/v9"

	"github.com/dalil-tt/dalil/bot/outbox"
	"github.com/dalil-tt/dalil/bot/telegram"
	"github.com/dalil-tt/dalil/internal/lang"
	"github.com/dalil-tt/dalil/internal/pseudonym"
	"github.com/dalil-tt/dalil/requests"
)

// Outbox is how the partners' messages and edits leave: the bot's one
// outbox (*bot.Bot implements it).
type Outbox interface {
	// Put puts msgs in chat's outbox once per once key; a message's
	// after-send hook (Partners.AfterSend) is told when it is out.
	Put(ctx context.Context, chat int64, once string, msgs ...outbox.Message) (bool, error)
	// AnswerPress answers a button press (a toast, no message).
	AnswerPress(ctx context.Context, chat int64, id, text string) error
}

// Translator gives the texts of locales/partners.*.yaml.
type Translator interface {
	T(l lang.Lang, id string, data map[string]any) string
}

// Names names organisations and services on cards and digests in l; it
// returns "" for what it does not know (the id is shown instead).
type Names interface {
	Org(ctx context.Context, id string, l lang.Lang) string
	Service(ctx context.Context, id string, l lang.Lang) string
}

// Options configure Partners. Store, Out, People, T and Redis are required.
type Options struct {
	Store  requests.Store
	Out    Outbox
	People requests.People
	T      Translator
	Names  Names // nil: ids
	// Orgs lists the catalogue's organisations, for the weekly digest.
	Orgs func(ctx context.Context) ([]string, error)
	// Pseudonyms key the members who press a card's buttons.
	Pseudonyms pseudonym.Keys
	Redis      redis.UniversalClient
	Prefix     string // default dalil:partners
	// BotName is the bot's username: /link@BotName is ours, /link@Other is not.
	BotName string
	// Guesses is how many link codes a group may try in an hour (default 5).
	Guesses int
	// Loc is the organisations' time zone (default Africa/Casablanca).
	Loc *time.Location
	Now func() time.Time
	Log *slog.Logger
}

// Partners is the organisations' side in Telegram.
type Partners struct {
	o   Options
	log *slog.Logger
}

var _ requests.Organisations = (*Partners)(nil)

// New checks the options.
func New(o Options) (*Partners, error) {
	switch {
	case o.Store == nil:
		return nil, errors.New("partners: no requests store")
	case o.Out == nil:
		return nil, errors.New("partners: no outbox")
	case o.People == nil:
		return nil, errors.New("partners: nobody to tell the person")
	case o.T == nil:
		return nil, errors.New("partners: no translator")
	case o.Redis == nil:
		return nil, errors.New("partners: no Redis")
	}
	if o.Prefix == "" {
		o.Prefix = "dalil:partners"
	}
	if o.Guesses <= 0 {
		o.Guesses = 5
	}
	if o.Loc == nil {
		loc, err := time.LoadLocation("Africa/Casablanca")
		if err != nil {
			loc = time.FixedZone("+01", 3600)
		}
		o.Loc = loc
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	return &Partners{o: o, log: o.Log.With("part", "partners")}, nil
}

// Intercept takes /link commands (in groups, and in private to say where
// they work) and presses on request cards in linked groups (bot.Options.
// Intercept); it returns false for everything else, including presses
// from a group not linked to any organisation.
func (p *Partners) Intercept(ctx context.Context, up *telegram.Update) bool {
	if cq := up.CallbackQuery; cq != nil && strings.HasPrefix(cq.Data, dataPrefix) && cq.Message != nil && !cq.Message.Chat.Private() {
		return p.press(ctx, up, cq)
	}
	m := up.Message
	if m != nil && (m.MigrateToChatID != 0 || m.MigrateFromChatID != 0) {
		return p.migrated(ctx, m)
	}
	if m == nil || !p.isLink(m.Text) {
		return p.linkedChatter(ctx, up)
	}
	if !p.first(ctx, up) {
		return true
	}
	chat := m.Chat.ID
	if m.Chat.Private() {
		l := lang.FR
		if m.From != nil && strings.HasPrefix(m.From.LanguageCode, "ar") {
			l = lang.AR
		}
		p.say(ctx, chat, "link:"+updateID(up), l, "partners.link.private", nil, m.MessageID)
		return true
	}
	p.link(ctx, up, m)
	return true
}

// migrated moves an organisation's link when its group becomes a
// supergroup (a new chat id): both service messages say it, the old
// group's and the new one's, and the move is made once. It returns false
// for a group linked to nobody.
func (p *Partners) migrated(ctx context.Context, m *telegram.Message) bool {
	from, to := m.Chat.ID, m.MigrateToChatID
	if to == 0 {
		from, to = m.MigrateFromChatID, m.Chat.ID
	}
	return p.Moved(ctx, from, to)
}

// Moved moves the link of group from to to, a group that became a
// supergroup (the service messages, or the sender told to use the new
// id); it reports whether to is an organisation's group now.
func (p *Partners) Moved(ctx context.Context, from, to int64) bool {
	if err := p.o.Store.MoveGroup(ctx, from, to); err != nil {
		p.log.Error("moving an organisation's link to its supergroup", "err", err)
		return false
	}
	g, err := p.o.Store.OrgOf(ctx, to)
	if err != nil {
		if !errors.Is(err, requests.ErrNotFound) {
			p.log.Warn("organisation of a group", "err", err)
		}
		return false
	}
	p.log.Info("organisation group became a supergroup", "org", g.Org)
	return true
}

// linkedChatter takes what happens in an organisation's group and is not
// for the partners (a reply to a card, a command, Dalil added again): the
// bot would otherwise ask the members to talk to it in private.
func (p *Partners) linkedChatter(ctx context.Context, up *telegram.Update) bool {
	var chat telegram.Chat
	switch {
	case up.Message != nil:
		chat = up.Message.Chat
	case up.EditedMessage != nil:
		chat = up.EditedMessage.Chat
	case up.CallbackQuery != nil && up.CallbackQuery.Message != nil:
		chat = up.CallbackQuery.Message.Chat
	case up.MyChatMember != nil: // Dalil added again to a group still linked
		chat = up.MyChatMember.Chat
	default:
		return false
	}
	if chat.Private() || chat.Type == "channel" {
		return false
	}
	_, err := p.o.Store.OrgOf(ctx, chat.ID)
	if err != nil && !errors.Is(err, requests.ErrNotFound) {
		p.log.Warn("organisation of a group", "err", err)
	}
	if err != nil {
		return false
	}
	if cq := up.CallbackQuery; cq != nil {
		// A button of something else (the "talk in private" notice): the
		// press is answered, nothing more.
		if err := p.o.Out.AnswerPress(ctx, chat.ID, cq.ID, ""); err != nil {
			p.log.Warn("answering a press", "err", err)
		}
	}
	return true
}

// isLink reports whether text is /link or /link@ThisBot, with or without
// an argument.
func (p *Partners) isLink(text string) bool {
	cmd, _, _ := strings.Cut(text, " ")
	cmd, _, _ = strings.Cut(cmd, "\n")
	name, at, found := strings.Cut(cmd, "@")
	if !strings.EqualFold(name, "/link") {
		return false
	}
	return !found || p.o.BotName == "" || strings.EqualFold(at, p.o.BotName)
}

// first reports whether up is seen for the first time (Telegram may
// deliver an update again; a code used the first time would then be
// answered as used).
func (p *Partners) first(ctx context.Context, up *telegram.Update) bool {
	ok, err := p.o.Redis.SetNX(ctx, p.key("up:"+updateID(up)), 1, 24*time.Hour).Result()
	if err != nil {
		p.log.Warn("update dedup flag", "err", err)
		return true
	}
	return ok
}

// updateID names an update by its id and what it carries (a test Bot API
// server whose ids start again from 1 sends new updates under old ids).
func updateID(up *telegram.Update) string {
	id := strconv.FormatInt(up.UpdateID, 10)
	if m := up.Message; m != nil {
		id += "." + strconv.FormatInt(m.Chat.ID, 10) + "." + strconv.FormatInt(m.MessageID, 10) + "." + strconv.FormatInt(m.Date, 10)
	} else if cq := up.CallbackQuery; cq != nil {
		id += "." + cq.ID
	}
	return id
}

func (p *Partners) key(part string) string { return p.o.Prefix + ":" + part }

// countTry counts a try and starts the hour at the first, in one step (a
// counter left without its expiry would block the group for good).
var countTry = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return n`)

// link uses the code of a /link command in a group.
func (p *Partners) link(ctx context.Context, up *telegram.Update, m *telegram.Message) {
	chat, key := m.Chat.ID, "link:"+updateID(up)
	l := lang.FR
	if m.From != nil && strings.HasPrefix(m.From.LanguageCode, "ar") {
		l = lang.AR
	}
	fields := strings.Fields(m.Text)
	if len(fields) < 2 {
		p.say(ctx, chat, key, l, "partners.link.usage", nil, m.MessageID)
		return
	}
	// Tries are counted before the code is checked, so that guesses sent
	// at once cannot all pass the limit.
	gk := p.key("guess:" + strconv.FormatInt(chat, 10))
	n, err := countTry.Run(ctx, p.o.Redis, []string{gk}, int(time.Hour.Seconds())).Int64()
	if err != nil {
		p.log.Error("counting link codes tried", "err", err)
		p.say(ctx, chat, key, l, "partners.error", nil, m.MessageID)
		return
	}
	if n > int64(p.o.Guesses) {
		p.say(ctx, chat, key, l, "partners.link.slow", nil, m.MessageID)
		return
	}
	// The code as typed, spaces included (the store ignores them).
	g, err := p.o.Store.Link(ctx, strings.Join(fields[1:], ""), chat, p.o.Now())
	if errors.Is(err, requests.ErrNotFound) {
		p.say(ctx, chat, key, l, "partners.link.bad", nil, m.MessageID)
		return
	}
	if err != nil {
		p.log.Error("linking a group", "err", err)
		p.say(ctx, chat, key, l, "partners.error", nil, m.MessageID)
		return
	}
	if err := p.o.Redis.Del(ctx, gk).Err(); err != nil {
		p.log.Warn("clearing link codes tried", "err", err)
	}
	p.log.Info("organisation group linked", "org", g.Org)
	p.say(ctx, chat, key, g.Lang, "partners.link.done", map[string]any{"Org": p.orgName(ctx, g.Org, g.Lang)}, m.MessageID)
}

// say posts a text to a chat through the outbox, once per key.
func (p *Partners) say(ctx context.Context, chat int64, key string, l lang.Lang, id string, data map[string]any, replyTo int64) {
	p.post(ctx, chat, key, telegram.SendMessage{ChatID: chat, Text: p.o.T.T(l, id, data), ReplyTo: replyTo, NoPreview: true})
}

func (p *Partners) orgName(ctx context.Context, org string, l lang.Lang) string {
	if p.o.Names != nil {
		if n := p.o.Names.Org(ctx, org, l); n != "" {
			return isolate(l, n)
		}
	}
	return isolate(l, org)
}

func (p *Partners) serviceName(ctx context.Context, svc string, l lang.Lang) string {
	if p.o.Names != nil {
		if n := p.o.Names.Service(ctx, svc, l); n != "" {
			return isolate(l, n)
		}
	}
	return isolate(l, svc)
}

// isolate keeps a name or a person's words from turning an Arabic line
// around (a French name, a question in Latin letters).
func isolate(l lang.Lang, s string) string {
	if l == lang.FR || s == "" {
		return s
	}
	return "\u2068" + s + "\u2069"
}

// cardTTL is how long a card's message id is kept (to edit it, to reply
// to it), and a withdrawal waits for a card still owed.
const cardTTL = 90 * 24 * time.Hour

// afterCard is the after-send hook of the cards (AfterSend); Note: "id",
// the request.
const afterCard = "partners.card"

// AfterSend returns the partners' hooks, for bot.Options.AfterSend: a
// card's message id is kept once the card is out.
func (p *Partners) AfterSend() map[string]outbox.AfterSend {
	return map[string]outbox.AfterSend{afterCard: p.cardSent}
}

func (p *Partners) cardKey(chat int64, id string) string {
	return p.key("card:" + strconv.FormatInt(chat, 10) + ":" + id)
}

// cardSent keeps the id of a card just sent. If the person withdrew the
// request while the card was still owed, the card is edited at once.
func (p *Partners) cardSent(ctx context.Context, s outbox.Sent) {
	id := s.Note["id"]
	if s.MessageID == 0 {
		p.log.Error("a request's card was not delivered", "request", id, "err", s.Err)
		return
	}
	if err := p.o.Redis.Set(ctx, p.cardKey(s.Chat, id), s.MessageID, cardTTL).Err(); err != nil {
		p.log.Error("keeping a card's message id", "request", id, "err", err)
	}
	erased, err := p.o.Redis.Get(ctx, p.key("withdrawn:"+id)).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		p.log.Error("reading a withdrawal", "request", id, "err", err)
	}
	if erased != "" {
		p.editWithdrawn(ctx, s.Chat, s.MessageID, id, erasedText(erased))
	}
}

// cardID is the message id of a request's card in chat; 0 when not known.
func (p *Partners) cardID(ctx context.Context, chat int64, id string) (int64, error) {
	v, err := p.o.Redis.Get(ctx, p.cardKey(chat, id)).Int64()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("reading a card's message id: %w", err)
	}
	return v, nil
}

// Deliver posts the request's card to its organisation's group, once:
// called again (a retry, a restart) it posts nothing more. An
// organisation without a group reads it in the console.
func (p *Partners) Deliver(ctx context.Context, r *requests.Request) error {
	g, err := p.o.Store.GroupOf(ctx, r.Org)
	if errors.Is(err, requests.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("delivering request %s: %w", r.ID, err)
	}
	m := telegram.SendMessage{ChatID: g.Chat, Text: p.card(ctx, g.Lang, r), Keyboard: p.buttons(g.Lang, r), NoPreview: true}
	card := outbox.Message{Request: m, After: afterCard, Note: map[string]string{"id": r.ID}}
	if _, err := p.put(ctx, g.Chat, "card:"+r.ID, card); err != nil {
		return fmt.Errorf("delivering request %s: %w", r.ID, err)
	}
	return nil
}

// erasedText is the words of a card whose person's data was erased: an
// open request was withdrawn; a closed one (declined, done) keeps its
// status, and the card says the person asked for their data to be erased.
// status is the request's, as noted for cardSent.
func erasedText(status string) string {
	if st := requests.Status(status); st == requests.Withdrawn || st.Open() || status == "1" { // "1": noted before the status was
		return "partners.status.withdrawn"
	}
	return "partners.status.erased"
}

// Withdraw edits the card to say the person withdrew the request, or for
// a closed one that they had their data erased, without their data. When
// the card's id is not known yet, the group gets the same words as a
// notice naming the request only, and a card still owed is edited as soon
// as it is out (cardSent).
func (p *Partners) Withdraw(ctx context.Context, r *requests.Request) error {
	g, err := p.o.Store.GroupOf(ctx, r.Org)
	if errors.Is(err, requests.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("withdrawing request %s: %w", r.ID, err)
	}
	// Noted before the card's id is read: a card sent in between is
	// edited by cardSent.
	if err := p.o.Redis.Set(ctx, p.key("withdrawn:"+r.ID), string(r.Status), cardTTL).Err(); err != nil {
		return fmt.Errorf("withdrawing request %s: %w", r.ID, err)
	}
	mid, err := p.cardID(ctx, g.Chat, r.ID)
	if err != nil {
		return fmt.Errorf("withdrawing request %s: %w", r.ID, err)
	}
	key := erasedText(string(r.Status))
	if mid != 0 {
		p.editWithdrawn(ctx, g.Chat, mid, r.ID, key)
		return nil
	}
	text := p.o.T.T(g.Lang, key, map[string]any{"ID": r.ID})
	if _, err := p.put(ctx, g.Chat, "withdraw-notice:"+r.ID, outbox.Message{Request: telegram.SendMessage{ChatID: g.Chat, Text: text}}); err != nil {
		return fmt.Errorf("withdrawing request %s: %w", r.ID, err)
	}
	return nil
}

// editWithdrawn edits a card to the text key (erasedText), once whoever
// asks (Withdraw, or cardSent for a card sent after it).
func (p *Partners) editWithdrawn(ctx context.Context, chat, msg int64, id, key string) {
	g, err := p.o.Store.OrgOf(ctx, chat)
	l := g.Lang
	if err != nil {
		l = lang.FR
	}
	text := p.o.T.T(l, key, map[string]any{"ID": id})
	p.post(ctx, chat, "withdraw:"+id, telegram.EditMessageText{ChatID: chat, MessageID: msg, Text: text})
}

// Remind reminds the group of a request still unanswered, as a reply to
// its card when the card's id is known. An organisation without a group
// gets no message: its console inbox shows the request as overdue, first
// (requests.Request.Overdue), which is its reminder.
func (p *Partners) Remind(ctx context.Context, r *requests.Request, n int) error {
	g, err := p.o.Store.GroupOf(ctx, r.Org)
	if errors.Is(err, requests.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reminding of request %s: %w", r.ID, err)
	}
	mid, err := p.cardID(ctx, g.Chat, r.ID)
	if err != nil {
		return fmt.Errorf("reminding of request %s: %w", r.ID, err)
	}
	text := p.o.T.T(g.Lang, "partners.remind", map[string]any{
		"ID": isolate(g.Lang, r.ID), "Service": p.serviceName(ctx, r.Service, g.Lang), "Time": isolate(g.Lang, p.when(r.SentAt))})
	m := telegram.SendMessage{ChatID: g.Chat, Text: text, ReplyTo: mid, NoPreview: true}
	if _, err := p.put(ctx, g.Chat, "remind:"+r.ID+":"+strconv.Itoa(n), outbox.Message{Request: m}); err != nil {
		return fmt.Errorf("reminding of request %s: %w", r.ID, err)
	}
	return nil
}

// when is a time as organisations read it: their zone, day and hour.
func (p *Partners) when(t time.Time) string { return t.In(p.o.Loc).Format("02/01/2006 15:04") }
