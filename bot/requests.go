package bot

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dalil-tt/dalil/bot/outbox"
	"github.com/dalil-tt/dalil/bot/telegram"
	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/dialog"
	"github.com/dalil-tt/dalil/internal/lang"
	"github.com/dalil-tt/dalil/locales"
	"github.com/dalil-tt/dalil/requests"
)

// The person's side of a request sent to an organisation (issue 17): the
// "send my request" button on the cards, the request sent once the engine
// has the person's yes (an effect carried out by the chat's sender, like
// the handoff), the news of what the organisation did (Bot is the
// requests.People), the follow-up answers, /requests and /stop. Every
// message goes through the chat's outbox.

var _ requests.People = (*Bot)(nil)

// effectRequest is the outbox item that sends a request the person said
// yes to (dialog.EffectRequest): saved with the conversation, carried out
// by the chat's sender outside the lock.
const effectRequest = "dalil.request"

// effectWithdraw is the outbox item that tells an organisation a request
// was erased (/forget): put with the confirmation, carried out by the
// sender until done, the request having no one left to retry it.
const effectWithdraw = "dalil.withdraw"

// Callback data of the buttons of the news: the next option after a
// decline, a lapse or an unhelpful follow-up ("rqx:<id>"), and a
// follow-up's answers ("rqa:<id>:<n>:<outcome>", n the follow-up's number). The bot answers them itself:
// they are about a stored request, not the conversation's question.
const (
	dataNext   = "rqx:"
	dataAnswer = "rqa:"
)

// outcomeCodes are the follow-up answers' short codes in callback data.
var outcomeCodes = map[string]requests.Outcome{
	"h": requests.Reached, "n": requests.NoHelp, "u": requests.NotReached, "w": requests.NotYet,
}

// SetOrganisations sets the organisations' side of requests
// (Options.Organisations) on a bot not yet running: that side sends
// through the bot's outbox, so it is built after the bot. Not safe once
// Run has started.
func (b *Bot) SetOrganisations(o requests.Organisations) { b.o.Organisations = o }

// requestsOn says whether requests can be sent: a store, the
// organisations' side and the names of services.
func (b *Bot) requestsOn() bool {
	return b.o.Requests != nil && b.o.Organisations != nil && b.o.Finder != nil
}

// reachable says which of the services' organisations can receive
// requests: one look-up per page, not per card. Empty when requests are
// off; an error leaves the buttons out (the cards still show the contacts).
func (b *Bot) reachable(ctx context.Context, ms []catalogue.Match) map[string]bool {
	if !b.requestsOn() || len(ms) == 0 {
		return nil
	}
	var orgs []string
	for _, m := range ms {
		if !slices.Contains(orgs, m.Service.Org.ID) {
			orgs = append(orgs, m.Service.Org.ID)
		}
	}
	ok, err := b.o.Requests.Reachable(ctx, orgs)
	if err != nil {
		b.log.Warn("which organisations can receive requests", "err", err)
		return nil
	}
	return ok
}

// sendButton is a card's "send my request" button, nil when its
// organisation cannot receive requests.
func (b *Bot) sendButton(s *catalogue.Service, l lang.Lang, reachable map[string]bool) [][]dialog.Button {
	data := dialog.RequestData(s.ID)
	if !reachable[s.Org.ID] || data == "" {
		return nil
	}
	return [][]dialog.Button{{{Label: b.o.T.T(l, "request.button.send", nil), Data: data}}}
}

// names are a service's and its organisation's names in l; a French name
// shown in Arabic is isolated, so it does not reorder the text around it.
func names(s *catalogue.Service, l lang.Lang) (org, service string) {
	org, service = s.Org.NameFR, s.NameFR
	if l.RTL() {
		org, service = locales.Isolate(org), locales.Isolate(service)
		if s.Org.NameAR != "" {
			org = s.Org.NameAR
		}
		if s.NameAR != "" {
			service = s.NameAR
		}
	}
	return org, service
}

// target fills what the preview of a "send my request" press shows: the
// names of the service and its organisation, and the first name Telegram
// gives. Nil when the service is unknown (the engine says so).
func (b *Bot) target(ctx context.Context, up *telegram.Update, service string, l lang.Lang) (*dialog.Target, error) {
	found, err := b.o.Finder.Find(ctx, []string{service})
	if err != nil {
		return nil, fmt.Errorf("reading the service of a request: %w", err)
	}
	s := found[service]
	if s == nil {
		return nil, nil
	}
	t := &dialog.Target{Service: s.ID, Org: s.Org.ID}
	t.OrgName, t.ServiceName = names(s, l)
	if u := up.From(); u != nil {
		t.FirstName = u.FirstName
	}
	mine, err := b.o.Requests.ForChat(ctx, up.ChatID())
	if err != nil {
		return nil, fmt.Errorf("reading a person's requests: %w", err)
	}
	for _, r := range mine {
		t.Open = t.Open || r.Service == s.ID && r.Status.Open()
	}
	return t, nil
}

// requestEffect is the outbox item that sends draft d once saved.
func requestEffect(chat int64, d *dialog.Draft) (out, error) {
	raw, err := json.Marshal(d)
	if err != nil {
		return out{}, fmt.Errorf("encoding the request effect: %w", err)
	}
	return out{Method: effectRequest, Params: map[string]string{"chat_id": strconv.FormatInt(chat, 10), "draft": string(raw)}}, nil
}

// requestID derives a request's id from its outbox item: an effect run
// again after a crash finds the request it created instead of making a
// second one. The service is in it too: a Bot API server whose update ids
// started again (item ids are update ids) does not merge two requests.
// "r" and 10 base-36 characters (requests.Request.ID).
func requestID(chat int64, item, service string) string {
	h := sha256.Sum256([]byte(strconv.FormatInt(chat, 10) + "|" + item + "|" + service))
	n := binary.BigEndian.Uint64(h[:8]) % 3656158440062976 // 36^10
	s := strconv.FormatUint(n, 36)
	return "r" + strings.Repeat("0", 10-len(s)) + s
}

// sendRequest carries out a request effect: the request recorded with
// exactly what its preview showed, delivered to the organisation, and the
// person told. It returns false when stopping before it was done, or when
// the card could not be delivered (left owed, carried on by the next
// sender with the same id).
func (b *Bot) sendRequest(ctx context.Context, snd *outbox.Sender, item string, o out) bool {
	var d dialog.Draft
	if err := json.Unmarshal([]byte(o.Params["draft"]), &d); err != nil {
		b.log.Error("unreadable request effect, dropped", "chat", chatHash(snd.Chat), "err", err)
		return true
	}
	l := d.Lang
	if l == "" {
		l = lang.FR
	}
	id := requestID(snd.Chat, item, d.Service)
	// Through the outbox, after this item, once per request: an effect
	// carried out again (a crash before its mark, a sender taking over)
	// says it once. False: left owed, told by the next run.
	tell := func(step, text string) bool {
		m := telegram.SendMessage{Text: text, NoPreview: true, RemoveKeyboard: true}
		if err := b.Notify(ctx, snd.Chat, "req:"+id+":"+step, m); err != nil {
			b.log.Error("telling the user about their request; left owed", "chat", chatHash(snd.Chat), "err", err)
			return false
		}
		return true
	}
	if !b.requestsOn() {
		return tell("failed", b.o.T.T(l, "request.failed", nil))
	}
	r, err := b.o.Requests.Get(ctx, id)
	if errors.Is(err, requests.ErrNotFound) {
		r = &requests.Request{ID: id, Service: d.Service, Org: d.Org, Chat: snd.Chat, FollowUp: d.FollowUp,
			Shared: requests.Shared{FirstName: d.FirstName, Lang: d.Lang, Facts: d.Facts, Question: d.Question, Phone: d.Phone},
			Status: requests.Sent, SentAt: time.Now()}
		err = b.o.Requests.Create(ctx, r)
	}
	if err != nil {
		if ctx.Err() != nil {
			return false
		}
		b.log.Error("recording a request", "chat", chatHash(snd.Chat), "err", err)
		b.m.effects.WithLabelValues("request_failed").Inc()
		return tell("failed", b.o.T.T(l, "request.failed", nil))
	}
	if err := b.retry(ctx, func() error { return b.o.Organisations.Deliver(ctx, r) }); err != nil {
		if ctx.Err() == nil {
			// Left owed: the sender carries it on (the sweep, or the
			// chat's next message); Create finds the request and Deliver,
			// once per card, posts one card.
			b.log.Error("delivering a request to its organisation; left owed", "chat", chatHash(snd.Chat), "request", id, "err", err)
			b.m.effects.WithLabelValues("request_undelivered").Inc()
		}
		return false
	}
	org, service := d.OrgName, d.ServiceName
	text := b.o.T.T(l, "request.sent", map[string]any{"Org": org, "Service": service, "Days": b.workdays(l)})
	if d.FollowUp {
		days := max(1, int(b.o.Timing.FollowUp/(24*time.Hour)))
		text += "\n\n" + b.o.T.T(l, "request.sent.followup", map[string]any{"When": b.o.T.T(l, "request.days", map[string]any{"Count": days})})
	}
	b.m.effects.WithLabelValues("request").Inc()
	return tell("sent", text)
}

// retry carries out an organisation's side of an effect (a card, a
// withdrawal), retrying a failure (a Redis or PostgreSQL blip) as the
// sender retries a Bot API call: SendAttempts times, the wait doubled from
// SendBackoff.
func (b *Bot) retry(ctx context.Context, f func() error) error {
	wait := b.o.SendBackoff
	for attempt := 1; ; attempt++ {
		err := f()
		if err == nil || attempt >= b.o.SendAttempts || ctx.Err() != nil {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
		wait *= 2
	}
}

// workdays is the time an organisation has to answer, in words.
func (b *Bot) workdays(l lang.Lang) string {
	return b.o.T.T(l, "request.workdays", map[string]any{"Count": b.o.Timing.Lapse})
}

// requestsOf reads a person's requests and the names of their services.
func (b *Bot) requestsOf(ctx context.Context, chat int64) ([]requests.Request, map[string]*catalogue.Service, error) {
	if b.o.Requests == nil {
		return nil, nil, nil
	}
	rs, err := b.o.Requests.ForChat(ctx, chat)
	if err != nil {
		return nil, nil, fmt.Errorf("reading a person's requests: %w", err)
	}
	svcs, err := b.find(ctx, rs...)
	return rs, svcs, err
}

// find reads the services of requests rs, by id.
func (b *Bot) find(ctx context.Context, rs ...requests.Request) (map[string]*catalogue.Service, error) {
	if b.o.Finder == nil || len(rs) == 0 {
		return nil, nil
	}
	ids := make([]string, 0, len(rs))
	for _, r := range rs {
		ids = append(ids, r.Service)
	}
	svcs, err := b.o.Finder.Find(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("reading the services of requests: %w", err)
	}
	return svcs, nil
}

// requestNames are the organisation's and the service's names of r in l;
// the ids when the catalogue no longer has the service.
func requestNames(r *requests.Request, svcs map[string]*catalogue.Service, l lang.Lang) (org, service string) {
	if s := svcs[r.Service]; s != nil {
		return names(s, l)
	}
	if l.RTL() {
		return locales.Isolate(r.Org), locales.Isolate(r.Service)
	}
	return r.Org, r.Service
}

// listRequests answers /requests: the person's requests, newest first,
// each with its organisation, service, the date it was sent and where it
// stands, in words.
func (b *Bot) listRequests(ctx context.Context, chat int64, l lang.Lang) (string, error) {
	rs, svcs, err := b.requestsOf(ctx, chat)
	if err != nil {
		return "", err
	}
	if len(rs) == 0 {
		return b.o.T.T(l, "request.list.none", nil), nil
	}
	lines := []string{b.o.T.T(l, "request.list.head", map[string]any{"Count": len(rs)})}
	for i := range rs {
		r := &rs[i]
		org, service := requestNames(r, svcs, l)
		lines = append(lines, b.o.T.T(l, "request.list.item", map[string]any{
			"Org": org, "Service": service, "Date": b.date(r.SentAt, l), "Status": b.standing(r, l)}))
	}
	return strings.Join(lines, "\n\n"), nil
}

// standing says where a request stands, in words: the organisation's
// status, and the person's own follow-up answer when they gave one.
func (b *Bot) standing(r *requests.Request, l lang.Lang) string {
	s := b.o.T.T(l, "request.status."+string(r.Status), map[string]any{"Reason": b.reason(r, l), "Days": b.workdays(l)})
	if r.Outcome != "" {
		sep := ", "
		if l.RTL() {
			sep = "، "
		}
		s += sep + b.o.T.T(l, "request.outcome."+string(r.Outcome), nil)
	}
	return s
}

// reason is why an organisation declined, in words.
func (b *Bot) reason(r *requests.Request, l lang.Lang) string {
	why := r.Reason
	if why == "" {
		why = requests.OtherReason
	}
	s := b.o.T.T(l, "request.reason."+string(why), nil)
	if r.Note != "" {
		s = b.o.T.T(l, "request.reason.note", map[string]any{"Reason": s, "Note": r.Note})
	}
	return s
}

// date writes a day in words, "6 décembre 2026", in the region's time
// (the requests' office hours).
func (b *Bot) date(t time.Time, l lang.Lang) string {
	if loc := b.o.Timing.Hours.Loc; loc != nil {
		t = t.In(loc)
	}
	day := strconv.Itoa(t.Day())
	if l == lang.FR && t.Day() == 1 {
		day = "1er" // French writes the first of the month as an ordinal
	}
	return b.o.T.T(l, "request.date", map[string]any{
		"Day": day, "Month": b.o.T.T(l, "request.month."+strconv.Itoa(int(t.Month())), nil), "Year": t.Year()})
}

// stop is /stop: no more follow-ups (later, alerts too: here), the data
// kept. It returns what to tell the person.
func (b *Bot) stop(ctx context.Context, chat int64, l lang.Lang) (string, error) {
	n := 0
	if b.o.Requests != nil {
		var err error
		if n, err = b.o.Requests.Stop(ctx, chat); err != nil {
			return "", fmt.Errorf("stopping follow-ups: %w", err)
		}
	}
	if n == 0 {
		return b.o.T.T(l, "request.stop.none", nil), nil
	}
	return b.o.T.T(l, "request.stop", map[string]any{"Count": n}), nil
}

// forgetRequests erases the person's part of their requests; it returns
// what to add to the confirmation about the open ones ("" when there were
// none) and the effect items that have every card lose the data (the
// open ones withdrawn). Erased already, a request is not found by a
// second /forget: the items are carried on by the sender until done.
func (b *Bot) forgetRequests(ctx context.Context, chat int64, l lang.Lang) (string, []out, error) {
	if b.o.Requests == nil {
		return "", nil, nil
	}
	rs, err := b.o.Requests.Forget(ctx, chat, time.Now())
	if err != nil {
		return "", nil, fmt.Errorf("erasing a person's requests: %w", err)
	}
	var items []out
	withdrawn := 0
	for _, r := range rs {
		if r.Status == requests.Withdrawn {
			withdrawn++
		}
		if b.o.Organisations == nil {
			continue
		}
		// What the organisation's side needs, nothing more.
		raw, err := json.Marshal(requests.Request{ID: r.ID, Service: r.Service, Org: r.Org, Status: r.Status})
		if err != nil {
			return "", nil, fmt.Errorf("encoding a withdrawal: %w", err)
		}
		items = append(items, out{Method: effectWithdraw, Params: map[string]string{"chat_id": strconv.FormatInt(chat, 10), "request": string(raw)}})
	}
	if withdrawn == 0 {
		return "", items, nil
	}
	return b.o.T.T(orFR(l), "request.forget.withdrawn", map[string]any{"Count": withdrawn}), items, nil
}

// withdraw carries out a withdrawal effect: the organisation told, its
// card without the person's data. It returns false when stopping, or when
// the organisation could not be told (left owed, carried on by the sender).
func (b *Bot) withdraw(ctx context.Context, snd *outbox.Sender, _ string, o out) bool {
	var r requests.Request
	if err := json.Unmarshal([]byte(o.Params["request"]), &r); err != nil {
		b.log.Error("unreadable withdrawal effect, dropped", "chat", chatHash(snd.Chat), "err", err)
		return true
	}
	if b.o.Organisations == nil {
		return true
	}
	if err := b.retry(ctx, func() error { return b.o.Organisations.Withdraw(ctx, &r) }); err != nil {
		if ctx.Err() == nil {
			b.log.Error("telling an organisation a request was withdrawn; left owed", "request", r.ID, "err", err)
			b.m.effects.WithLabelValues("withdrawal_undone").Inc()
		}
		return false
	}
	return true
}

func orFR(l lang.Lang) lang.Lang {
	if l == "" {
		return lang.FR
	}
	return l
}

// newsButton says whether data is a news button the bot answers itself.
func newsButton(data string) bool {
	return strings.HasPrefix(data, dataNext) || strings.HasPrefix(data, dataAnswer)
}

// news answers a news button: the next option, or a follow-up's answer.
// The conversation is left as it is: nothing starts over.
func (b *Bot) news(ctx context.Context, chat int64, st dialog.State, data string) ([]out, error) {
	l := orFR(st.Lang)
	if !b.requestsOn() {
		return b.message(chat, b.o.T.T(l, "StaleButton", nil), nil), nil
	}
	if id, ok := strings.CutPrefix(data, dataNext); ok {
		r, err := b.o.Requests.Get(ctx, id)
		if errors.Is(err, requests.ErrNotFound) || err == nil && r.Chat != chat {
			return b.message(chat, b.o.T.T(l, "StaleButton", nil), nil), nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading a request: %w", err)
		}
		return b.nextOption(ctx, chat, r, st)
	}
	parts := strings.Split(strings.TrimPrefix(data, dataAnswer), ":")
	if len(parts) != 3 {
		return b.message(chat, b.o.T.T(l, "StaleButton", nil), nil), nil
	}
	id, code := parts[0], parts[2]
	n, _ := strconv.Atoi(parts[1])
	o, known := outcomeCodes[code]
	r, err := b.o.Requests.Get(ctx, id)
	if !known || errors.Is(err, requests.ErrNotFound) || err == nil && r.Chat != chat {
		return b.message(chat, b.o.T.T(l, "StaleButton", nil), nil), nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading a request: %w", err)
	}
	l = r.Shared.Lang
	if r.Outcome != "" && r.Outcome != requests.NotYet || r.Outcome == requests.NotYet && o == requests.NotYet && n < 2 {
		// A follow-up answered already (its buttons on another device, or
		// "not yet" pressed again on the first).
		return b.message(chat, b.o.T.T(l, "request.answer.already", nil), nil), nil
	}
	if r, err = b.o.Requests.Answer(ctx, id, o, time.Now()); err != nil {
		if _, closed := errors.AsType[*requests.TransitionError](err); closed {
			return b.message(chat, b.o.T.T(l, "request.answer.already", nil), nil), nil
		}
		return nil, fmt.Errorf("recording a follow-up answer: %w", err)
	}
	b.m.effects.WithLabelValues("followup_" + string(o)).Inc()
	answer := map[requests.Outcome]string{
		requests.Reached: "helped", requests.NoHelp: "nohelp", requests.NotReached: "unreachable", requests.NotYet: "notyet"}[o]
	if o == requests.NotYet && n >= 2 {
		answer = "notyet.last" // the last follow-up: nothing more will be asked
	}
	text := b.o.T.T(l, "request.answer."+answer, nil)
	if o == requests.NoHelp || o == requests.NotReached {
		text += "\n\n" + b.o.T.T(l, "request.news.next", nil)
		return b.message(chat, text, nextButtons(r, l, b.o.T)), nil
	}
	return b.message(chat, text, nil), nil
}

// nextButtons offer the next way: another service, or an adviser.
func nextButtons(r *requests.Request, l lang.Lang, tr Translator) [][]dialog.Button {
	return [][]dialog.Button{
		{{Label: tr.T(l, "request.button.next", nil), Data: dataNext + r.ID}},
		{{Label: tr.T(l, "ButtonAdviser", nil), Data: dialog.DataAdviser}},
	}
}

// nextOption shows the next suitable service after r: the next one of
// the conversation's list not already sent to, else the best match for
// the request's facts, leaving out every service the person sent a
// request to (declined ones included). None: an adviser is offered.
func (b *Bot) nextOption(ctx context.Context, chat int64, r *requests.Request, st dialog.State) ([]out, error) {
	l := r.Shared.Lang
	mine, err := b.o.Requests.ForChat(ctx, chat)
	if err != nil {
		return nil, fmt.Errorf("reading a person's requests: %w", err)
	}
	sent := map[string]bool{r.Service: true}
	for _, m := range mine {
		sent[m.Service] = true
	}
	queries := []catalogue.Query{}
	if st.List != nil {
		queries = append(queries, catalogue.Query{Codes: st.List.Codes.Clone(), Not: st.List.Not.Clone(), Lang: string(l)})
	}
	queries = append(queries, catalogue.Query{Codes: r.Shared.Facts.Clone(), Lang: string(l)})
	for _, q := range queries {
		q.Limit = max(q.Limit, b.o.MaxResults)
		res, err := b.o.Matcher.Match(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("matching the next service: %w", err)
		}
		for i, m := range res.Matches {
			if sent[m.Service.ID] {
				continue
			}
			outs := b.message(chat, b.o.T.T(l, "request.next.intro", nil), nil)
			reach := b.reachable(ctx, res.Matches[i:i+1])
			outs = append(outs, b.message(chat, b.o.Card(m, l), b.sendButton(m.Service, l, reach))...)
			if v := venue(chat, m.Service, l); v != nil {
				outs = append(outs, *v)
			}
			return outs, nil
		}
	}
	return b.message(chat, b.o.T.T(l, "request.next.none", nil),
		[][]dialog.Button{{{Label: b.o.T.T(l, "ButtonAdviser", nil), Data: dialog.DataAdviser}}}), nil
}

// notify sends a request's news through the chat's outbox, once per key.
func (b *Bot) notify(ctx context.Context, r *requests.Request, step, text string, buttons [][]dialog.Button) error {
	if r.Chat == 0 {
		return nil // erased (/forget): nobody to tell
	}
	m := telegram.SendMessage{Text: text, NoPreview: true}
	if len(buttons) > 0 {
		m.Keyboard = keyboard(buttons)
	}
	if err := b.Notify(ctx, r.Chat, "req:"+r.ID+":"+step, m); err != nil {
		return fmt.Errorf("telling the person about request %s: %w", r.ID, err)
	}
	return nil
}

// Changed tells the person what the organisation did with their request:
// accepted, contacted, done, or declined and why with the next way
// offered, in the person's language, once per request and status.
func (b *Bot) Changed(ctx context.Context, r *requests.Request) error {
	l := orFR(r.Shared.Lang)
	svcs, err := b.find(ctx, *r)
	if err != nil {
		return err
	}
	org, service := requestNames(r, svcs, l)
	data := map[string]any{"Org": org, "Service": service}
	switch r.Status {
	case requests.Accepted, requests.Contacted, requests.Helped, requests.NotHelped:
		return b.notify(ctx, r, string(r.Status), b.o.T.T(l, "request.news."+string(r.Status), data), nil)
	case requests.Declined:
		data["Reason"] = b.reason(r, l)
		text := b.o.T.T(l, "request.news.declined", data) + "\n\n" + b.o.T.T(l, "request.news.next", nil)
		return b.notify(ctx, r, string(r.Status), text, nextButtons(r, l, b.o.T))
	case requests.Lapsed:
		return b.Lapsed(ctx, r)
	}
	return nil // sent, withdrawn: nothing to tell
}

// Lapsed tells the person the organisation has not answered in time and
// offers the next way, without starting over.
func (b *Bot) Lapsed(ctx context.Context, r *requests.Request) error {
	l := orFR(r.Shared.Lang)
	svcs, err := b.find(ctx, *r)
	if err != nil {
		return err
	}
	org, service := requestNames(r, svcs, l)
	text := b.o.T.T(l, "request.news.lapsed", map[string]any{"Org": org, "Service": service, "Days": b.workdays(l)}) +
		"\n\n" + b.o.T.T(l, "request.news.next", nil)
	return b.notify(ctx, r, "lapsed", text, nextButtons(r, l, b.o.T))
}

// FollowUp asks the person whether they reached the organisation and
// whether it helped (the n-th time), unless they said /stop.
func (b *Bot) FollowUp(ctx context.Context, r *requests.Request, n int) error {
	if r.Stopped || !r.FollowUp {
		return nil
	}
	l := orFR(r.Shared.Lang)
	svcs, err := b.find(ctx, *r)
	if err != nil {
		return err
	}
	org, service := requestNames(r, svcs, l)
	btn := func(id, code string) dialog.Button {
		return dialog.Button{Label: b.o.T.T(l, "request.followup."+id, nil), Data: dataAnswer + r.ID + ":" + strconv.Itoa(n) + ":" + code}
	}
	buttons := [][]dialog.Button{
		{btn("helped", "h")}, {btn("nohelp", "n")}, {btn("unreachable", "u")}, {btn("notyet", "w")},
	}
	text := b.o.T.T(l, "request.followup.question", map[string]any{"Org": org, "Service": service})
	return b.notify(ctx, r, "followup"+strconv.Itoa(n), text, buttons)
}
