package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/dalil-tt/dalil/bot/telegram"
	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/catalogue/vocab"
	"github.com/dalil-tt/dalil/dialog"
	"github.com/dalil-tt/dalil/dialog/lang"
	"github.com/dalil-tt/dalil/dialog/redisstore"
)

// extra is the transport's own part of the stored conversation: the last
// referral, to show its next page.
type extra struct {
	Codes vocab.Codes `json:"c"`
	Not   vocab.Codes `json:"o"`
	Lang  lang.Lang   `json:"l"`
	Shown int         `json:"n"` // services shown so far
}

// referral looks up the services for q and renders the first page: a note
// when nothing fits or the search was widened, one card per service (and
// its place on the map when known), and a "more" button.
func (b *Bot) referral(ctx context.Context, chat int64, conv *redisstore.Conversation, st *dialog.State, q catalogue.Query) ([]out, error) {
	defer b.typing(chat)()
	l := st.Lang
	if l == "" {
		l = lang.Lang(q.Lang)
	}
	q.Limit = max(q.Limit, b.o.MaxResults)
	res, err := b.o.Matcher.Match(ctx, q)
	if err != nil {
		b.m.referral("error", q.Codes)
		return nil, fmt.Errorf("match services: %w", err)
	}
	var outs []out
	switch {
	case len(res.Matches) == 0:
		b.m.referral("none", q.Codes)
	case len(res.Relaxed) > 0 || res.Widened > catalogue.NeedExact:
		b.m.referral("widened", q.Codes)
	default:
		b.m.referral("matched", q.Codes)
	}
	note := catalogue.Note(q, res, l, b.o.T)
	if len(res.Matches) == 0 {
		conv.Extra = nil
		return b.message(chat, note, nil), nil
	}
	if note != "" {
		outs = append(outs, b.message(chat, note, nil)...)
	}
	page := b.page(chat, l, res.Matches, 0)
	for _, m := range res.Matches[:min(len(res.Matches), b.o.PageSize)] {
		st.Referred = appendNew(st.Referred, m.Service.ID)
	}
	ex, _ := json.Marshal(extra{Codes: q.Codes, Not: q.Not, Lang: l, Shown: min(len(res.Matches), b.o.PageSize)})
	conv.Extra = ex
	return append(outs, page...), nil
}

// nextPage shows the next services of the last referral ("pg:N" pressed).
// A press on an older list's button shows nothing more: its keyboard is
// removed like any answered question's.
func (b *Bot) nextPage(ctx context.Context, chat int64, conv *redisstore.Conversation, data string) ([]out, error) {
	from, err := strconv.Atoi(strings.TrimPrefix(data, pageData))
	var ex extra
	if err != nil || len(conv.Extra) == 0 || json.Unmarshal(conv.Extra, &ex) != nil || ex.Shown != from {
		return nil, nil
	}
	defer b.typing(chat)()
	res, err := b.o.Matcher.Match(ctx, catalogue.Query{Codes: ex.Codes, Not: ex.Not, Lang: string(ex.Lang), Limit: b.o.MaxResults})
	if err != nil {
		return nil, fmt.Errorf("match services: %w", err)
	}
	if from >= len(res.Matches) {
		return nil, nil
	}
	end := min(len(res.Matches), from+b.o.PageSize)
	for _, m := range res.Matches[from:end] {
		conv.State.Referred = appendNew(conv.State.Referred, m.Service.ID)
	}
	ex.Shown = end
	conv.Extra, _ = json.Marshal(ex)
	b.m.referralPages.Inc()
	return b.page(chat, ex.Lang, res.Matches, from), nil
}

// page renders the services from index from, numbered, and a button for
// the rest.
func (b *Bot) page(chat int64, l lang.Lang, ms []catalogue.Match, from int) []out {
	end := min(len(ms), from+b.o.PageSize)
	var outs []out
	b.m.servicesShown.Add(float64(max(end-from, 0)))
	for i := from; i < end; i++ {
		s := ms[i].Service
		outs = append(outs, b.message(chat, fmt.Sprintf("%d) %s", i+1, b.o.Card(ms[i], l)), nil)...)
		if v := venue(chat, s, l); v != nil {
			outs = append(outs, *v)
		}
	}
	if rest := len(ms) - end; rest > 0 {
		btn := dialog.Button{Label: b.o.T.T(l, "bot.more.button", map[string]any{"Count": rest}), Data: pageData + strconv.Itoa(end)}
		outs = append(outs, b.message(chat, b.o.T.T(l, "bot.more", map[string]any{"Count": rest}), [][]dialog.Button{{btn}})...)
	}
	return outs
}

// venue is the place of a service on the map, when its coordinates are known.
func venue(chat int64, s *catalogue.Service, l lang.Lang) *out {
	if s.Latitude == nil || s.Longitude == nil {
		return nil
	}
	title := s.Org.NameFR
	if l.RTL() && s.Org.NameAR != "" {
		title = s.Org.NameAR
	}
	addr := strings.TrimSpace(strings.Trim(strings.TrimSpace(s.Address+", "+s.City), ","))
	if addr == "" {
		addr = title
	}
	o := outOf(telegram.SendVenue{ChatID: chat, Latitude: *s.Latitude, Longitude: *s.Longitude, Title: title, Address: addr})
	return &o
}

// typing shows "typing…" when looking services up takes a noticeable
// time; best effort. The returned function is called when the lookup ends.
func (b *Bot) typing(chat int64) (stop func()) {
	show := func() {
		o := outOf(telegram.SendChatAction{ChatID: chat, Action: "typing"})
		_, _ = b.send.do(b.workCtx, chat, o)
	}
	if b.o.TypingAfter < 0 {
		go show()
		return func() {}
	}
	t := time.AfterFunc(b.o.TypingAfter, show)
	return func() { t.Stop() }
}

// maxReferred bounds the services remembered as shown, to keep the stored
// conversation small.
const maxReferred = 20

func appendNew(ids []string, id string) []string {
	for _, have := range ids {
		if have == id {
			return ids
		}
	}
	ids = append(ids, id)
	if len(ids) > maxReferred {
		ids = ids[len(ids)-maxReferred:]
	}
	return ids
}
