package bot

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/dalil-tt/dalil/bot/telegram"
	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/dialog"
	"github.com/dalil-tt/dalil/internal/lang"
)

// referral looks up the services for q and renders the first page: a note
// when nothing fits or the search was widened, one card per service (and
// its place on the map when known), and a "more" button. It returns the
// ids of the services shown, for the engine (dialog.InShown).
func (b *Bot) referral(ctx context.Context, chat int64, l lang.Lang, q catalogue.Query) ([]out, []string, error) {
	defer b.typing(chat)()
	if l == "" {
		l = lang.Lang(q.Lang)
	}
	q.Limit = max(q.Limit, b.o.MaxResults)
	res, err := b.o.Matcher.Match(ctx, q)
	if err != nil {
		b.m.referral("error", q.Codes)
		return nil, nil, fmt.Errorf("match services: %w", err)
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
		return b.message(chat, note, nil), nil, nil
	}
	if note != "" {
		outs = append(outs, b.message(chat, note, nil)...)
	}
	page, ids := b.page(ctx, chat, l, res.Matches, 0)
	return append(outs, page...), ids, nil
}

// nextPage shows the services of q's list from index from, the engine's
// answer to a "more" button; nothing when the list has no more (the
// catalogue changed since).
func (b *Bot) nextPage(ctx context.Context, chat int64, q catalogue.Query, from int) ([]out, []string, error) {
	defer b.typing(chat)()
	q.Limit = max(q.Limit, b.o.MaxResults)
	res, err := b.o.Matcher.Match(ctx, q)
	if err != nil {
		return nil, nil, fmt.Errorf("match services: %w", err)
	}
	if from >= len(res.Matches) {
		return nil, nil, nil
	}
	b.m.referralPages.Inc()
	outs, ids := b.page(ctx, chat, lang.Lang(q.Lang), res.Matches, from)
	return outs, ids, nil
}

// page renders the services from index from, numbered, each with "send
// my request" when its organisation can receive requests, and a button
// for the rest; it returns the ids of the services it shows.
func (b *Bot) page(ctx context.Context, chat int64, l lang.Lang, ms []catalogue.Match, from int) ([]out, []string) {
	end := min(len(ms), from+b.o.PageSize)
	reach := b.reachable(ctx, ms[min(from, end):end])
	var outs []out
	var ids []string
	b.m.servicesShown.Add(float64(max(end-from, 0)))
	for i := from; i < end; i++ {
		s := ms[i].Service
		ids = append(ids, s.ID)
		outs = append(outs, b.message(chat, fmt.Sprintf("%d) %s", i+1, b.o.Card(ms[i], l)), b.sendButton(s, l, reach))...)
		if v := venue(chat, s, l); v != nil {
			outs = append(outs, *v)
		}
	}
	if rest := len(ms) - end; rest > 0 {
		btn := dialog.Button{Label: b.o.T.T(l, "bot.more.button", map[string]any{"Count": rest}), Data: dialog.MoreData(end)}
		outs = append(outs, b.message(chat, b.o.T.T(l, "bot.more", map[string]any{"Count": rest}), [][]dialog.Button{{btn}})...)
	}
	return outs, ids
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
