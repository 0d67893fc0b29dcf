package partners

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dalil-tt/dalil/bot/outbox"
	"github.com/dalil-tt/dalil/bot/telegram"
	"github.com/dalil-tt/dalil/internal/lang"
	"github.com/dalil-tt/dalil/internal/vocab"
	"github.com/dalil-tt/dalil/requests"
)

// Callback data of a card's buttons: "rq:" verb ":" request id, or
// "rq:dr:" reason ":" id for a decline's reason (under Telegram's 64 bytes).
const dataPrefix = "rq:"

var verbs = map[string]requests.Action{
	"acc": requests.Accept,
	"con": requests.MarkContact,
	"hlp": requests.DoneHelped,
	"nhl": requests.DoneNot,
	"dr":  requests.Decline,
}

// maxQuestion bounds the person's words on a card (Telegram takes 4096
// characters in a message).
const maxQuestion = 1500

// card is the text of a request's card: what was shared, then where it
// stands.
func (p *Partners) card(ctx context.Context, l lang.Lang, r *requests.Request) string {
	t := func(id string, data map[string]any) string { return p.o.T.T(l, id, data) }
	if r.Status == requests.Withdrawn {
		return t("partners.status.withdrawn", map[string]any{"ID": r.ID})
	}
	lines := []string{t("partners.card.title", map[string]any{"ID": isolate(l, r.ID), "Service": p.serviceName(ctx, r.Service, l)})}
	s := r.Shared
	name := s.FirstName
	if name == "" {
		name = t("partners.card.anonymous", nil)
	}
	lines = append(lines, "", t("partners.card.name", map[string]any{"Name": isolate(l, name)}))
	if s.Lang != "" {
		lines = append(lines, t("partners.card.lang", map[string]any{"Lang": t("partners.lang."+string(s.Lang), nil)}))
	}
	if facts := p.facts(l, s.Facts); facts != "" {
		lines = append(lines, t("partners.card.situation", map[string]any{"Facts": facts}))
	}
	if q := strings.TrimSpace(s.Question); q != "" {
		if utf8.RuneCountInString(q) > maxQuestion {
			q = string([]rune(q)[:maxQuestion]) + "…"
		}
		lines = append(lines, t("partners.card.question", map[string]any{"Question": isolate(l, q)}))
	}
	if s.Phone != "" {
		lines = append(lines, t("partners.card.phone", map[string]any{"Phone": isolate(l, s.Phone)}))
	} else {
		lines = append(lines, t("partners.card.nophone", nil))
	}
	lines = append(lines, t("partners.card.sent", map[string]any{"Time": isolate(l, p.when(r.SentAt))}), "", p.status(l, r))
	return strings.Join(lines, "\n")
}

// facts are the person's situation in words, facet by facet.
func (p *Partners) facts(l lang.Lang, c vocab.Codes) string {
	var words []string
	for _, f := range vocab.Facets {
		for _, code := range c.Get(f) {
			words = append(words, p.o.T.T(l, "code."+string(f)+"."+code, nil))
		}
	}
	return strings.Join(words, " · ")
}

// status is the line that says where a request stands.
func (p *Partners) status(l lang.Lang, r *requests.Request) string {
	at := func(t time.Time) map[string]any { return map[string]any{"Time": isolate(l, p.when(t))} }
	switch r.Status {
	case requests.Accepted:
		return p.o.T.T(l, "partners.status.accepted", at(r.AnsweredAt))
	case requests.Declined:
		d := at(r.AnsweredAt)
		d["Reason"] = p.o.T.T(l, "partners.reason."+string(r.Reason), nil)
		return p.o.T.T(l, "partners.status.declined", d)
	case requests.Contacted:
		return p.o.T.T(l, "partners.status.contacted", at(r.ContactedAt))
	case requests.Helped, requests.NotHelped:
		return p.o.T.T(l, "partners.status."+string(r.Status), at(r.DoneAt))
	case requests.Lapsed:
		return p.o.T.T(l, "partners.status.lapsed", nil)
	}
	return p.o.T.T(l, "partners.status.sent", nil)
}

// buttons are the actions that still apply to r (requests.Next), or nil
// when none does.
func (p *Partners) buttons(l lang.Lang, r *requests.Request) *telegram.InlineKeyboard {
	btn := func(label, verb string) telegram.InlineButton {
		return telegram.InlineButton{Text: p.o.T.T(l, "partners.button."+label, nil), CallbackData: dataPrefix + verb + ":" + r.ID}
	}
	can := func(a requests.Action) bool { _, err := requests.Next(r.Status, a); return err == nil }
	var rows [][]telegram.InlineButton
	var row []telegram.InlineButton
	if can(requests.Accept) {
		row = append(row, btn("accept", "acc"))
	}
	if can(requests.Decline) {
		row = append(row, btn("decline", "dec"))
	}
	if len(row) > 0 {
		rows = append(rows, row)
	}
	if can(requests.MarkContact) {
		rows = append(rows, []telegram.InlineButton{btn("contacted", "con")})
	}
	row = nil
	if can(requests.DoneHelped) {
		row = append(row, btn("helped", "hlp"))
	}
	if can(requests.DoneNot) {
		row = append(row, btn("not_helped", "nhl"))
	}
	if len(row) > 0 {
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		return nil
	}
	return &telegram.InlineKeyboard{InlineKeyboard: rows}
}

// reasons are the decline reasons' buttons, and a way back.
func (p *Partners) reasons(l lang.Lang, id string) *telegram.InlineKeyboard {
	var rows [][]telegram.InlineButton
	for _, r := range requests.Reasons {
		rows = append(rows, []telegram.InlineButton{{Text: p.o.T.T(l, "partners.reason."+string(r), nil), CallbackData: dataPrefix + "dr:" + string(r) + ":" + id}})
	}
	rows = append(rows, []telegram.InlineButton{{Text: p.o.T.T(l, "partners.button.back", nil), CallbackData: dataPrefix + "back:" + id}})
	return &telegram.InlineKeyboard{InlineKeyboard: rows}
}

// press handles a card's button. It returns false (not ours) for a group
// linked to no organisation.
func (p *Partners) press(ctx context.Context, up *telegram.Update, cq *telegram.CallbackQuery) bool {
	chat, msg := cq.Message.Chat.ID, cq.Message.MessageID
	g, err := p.o.Store.OrgOf(ctx, chat)
	if errors.Is(err, requests.ErrNotFound) {
		return false
	}
	answer := func(id string) {
		text := ""
		if id != "" {
			text = p.o.T.T(g.Lang, id, nil)
		}
		if err := p.o.Out.AnswerPress(ctx, chat, cq.ID, text); err != nil {
			p.log.Warn("answering a press", "err", err)
		}
	}
	if err != nil {
		p.log.Error("organisation of a group", "err", err)
		answer("partners.error")
		return true
	}
	verb, id, _ := strings.Cut(strings.TrimPrefix(cq.Data, dataPrefix), ":")
	var reason requests.Reason
	if verb == "dr" {
		rs, rest, _ := strings.Cut(id, ":")
		reason, id = requests.Reason(rs), rest
	}
	r, err := p.o.Store.Get(ctx, id)
	if errors.Is(err, requests.ErrNotFound) || (err == nil && r.Org != g.Org) {
		answer("partners.press.unknown")
		return true
	}
	if err != nil {
		p.log.Error("reading a request", "err", err)
		answer("partners.error")
		return true
	}
	key := "press:" + updateID(up)
	switch verb {
	case "dec", "back":
		// Only the buttons change: the reasons, or back to the actions.
		kb := p.buttons(g.Lang, r)
		if verb == "dec" && kb != nil {
			kb = p.reasons(g.Lang, r.ID)
		}
		p.post(ctx, chat, key, telegram.EditMessageReplyMarkup{ChatID: chat, MessageID: msg, Keyboard: kb})
		answer("")
		return true
	}
	a, ok := verbs[verb]
	if !ok || (a == requests.Decline && !slices.Contains(requests.Reasons, reason)) {
		answer("partners.press.unknown")
		return true
	}
	var by string
	if cq.From != nil && p.o.Pseudonyms.Valid() {
		by = "tg:" + p.o.Pseudonyms.Of(cq.From.ID)
	}
	nr, err := p.o.Store.Act(ctx, r.ID, a, reason, "", by, p.o.Now())
	var te *requests.TransitionError
	if errors.As(err, &te) {
		if te.Already() {
			// Recorded already, maybe by a process that died before the
			// person was told or the card edited: both again, each once
			// (the outbox's keys), from the request as it stands now.
			if now, err := p.o.Store.Get(ctx, r.ID); err != nil {
				p.log.Error("reading a request", "err", err)
			} else {
				p.settled(ctx, g, msg, now)
			}
		}
		answer("partners.press.stale")
		return true
	}
	if err != nil {
		p.log.Error("recording an organisation's answer", "action", a, "err", err)
		answer("partners.error")
		return true
	}
	p.settled(ctx, g, msg, nr)
	answer("partners.press.done")
	return true
}

// settled tells the person what the organisation did and edits the card
// to say where r stands.
func (p *Partners) settled(ctx context.Context, g requests.Group, msg int64, r *requests.Request) {
	p.changed(ctx, r)
	if err := p.edit(ctx, g, msg, r); err != nil {
		p.log.Error("editing a request's card", "err", err)
	}
}

// edit edits card msg to say where r stands, with the buttons that still
// apply. One edit per request and status, whoever asks (two members
// pressing at once, a press and the console, a repeat).
func (p *Partners) edit(ctx context.Context, g requests.Group, msg int64, r *requests.Request) error {
	if _, err := p.put(ctx, g.Chat, "state:"+r.ID+":"+string(r.Status), outbox.Message{Request: telegram.EditMessageText{
		ChatID: g.Chat, MessageID: msg, Text: p.card(ctx, g.Lang, r), Keyboard: p.buttons(g.Lang, r)}}); err != nil {
		return fmt.Errorf("editing the card of request %s: %w", r.ID, err)
	}
	return nil
}

// Refresh brings r's card in its organisation's group up to date (an
// answer given in the console, a lapse): the edit a press makes, once per
// status. Nothing for an organisation without a group or a card whose
// message id is not known (not out yet, or older than cardTTL).
func (p *Partners) Refresh(ctx context.Context, r *requests.Request) error {
	g, err := p.o.Store.GroupOf(ctx, r.Org)
	if errors.Is(err, requests.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("refreshing the card of request %s: %w", r.ID, err)
	}
	mid, err := p.cardID(ctx, g.Chat, r.ID)
	if err != nil {
		return fmt.Errorf("refreshing the card of request %s: %w", r.ID, err)
	}
	if mid == 0 {
		return nil
	}
	return p.edit(ctx, g, mid, r)
}

// Lapsed marks the card of a request left unanswered in time; its buttons
// stay, as a late answer is taken (requests.Next).
func (p *Partners) Lapsed(ctx context.Context, r *requests.Request) error {
	return p.Refresh(ctx, r)
}

// put puts msgs in chat's outbox once per key, the partners' keys apart
// from the other parts' in the same chat.
func (p *Partners) put(ctx context.Context, chat int64, key string, msgs ...outbox.Message) (bool, error) {
	return p.o.Out.Put(ctx, chat, "partners:"+key, msgs...)
}

// post puts one call in chat's outbox, once per key.
func (p *Partners) post(ctx context.Context, chat int64, key string, r telegram.Request) {
	if _, err := p.put(ctx, chat, key, outbox.Message{Request: r}); err != nil {
		p.log.Error("posting to a group", "method", r.Method(), "err", err)
	}
}

// changed tells the person, retrying a failure a few times: the answer is
// recorded, and the person must hear of it.
func (p *Partners) changed(ctx context.Context, r *requests.Request) {
	wait := 200 * time.Millisecond
	for i := 0; ; i++ {
		err := p.o.People.Changed(ctx, r)
		if err == nil {
			return
		}
		if i == 3 || ctx.Err() != nil {
			p.log.Error("telling the person what the organisation did", "request", r.ID, "err", err)
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
		wait *= 2
	}
}
