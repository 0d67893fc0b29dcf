package partners

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/dalil-tt/dalil/bot"
	"github.com/dalil-tt/dalil/bot/telegram"
	"github.com/dalil-tt/dalil/requests"
)

// digestHour is when the weekly digest is due, Monday in the
// organisations' zone.
const digestHour = 9

// weekStart is the Monday 00:00 of t's week, in loc.
func weekStart(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	days := (int(t.Weekday()) + 6) % 7 // Monday 0
	y, m, d := t.Date()
	return time.Date(y, m, d-days, 0, 0, 0, 0, loc)
}

// RunDigests posts the weekly digests when due, looking every minute,
// until ctx ends.
func (p *Partners) RunDigests(ctx context.Context) {
	for {
		if err := p.Digests(ctx); err != nil && ctx.Err() == nil {
			p.log.Error("weekly digests", "err", err)
		}
		// Spread the replicas' looks over the minute.
		t := time.NewTimer(time.Minute + time.Duration(rand.Int64N(int64(10*time.Second))))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// Digests posts, from Monday 09:00 to Tuesday's end, this week's digest of
// the past week to each organisation with a linked group: once per
// organisation and ISO week, across replicas and restarts (the outbox
// posts a key once; a flag spares the work of counting again).
func (p *Partners) Digests(ctx context.Context) error {
	if p.o.Orgs == nil {
		return nil
	}
	now := p.o.Now().In(p.o.Loc)
	start := weekStart(now, p.o.Loc)
	// Due from Monday 09:00; a replica back by Tuesday evening still sends
	// it, later it would read as stale.
	if now.Before(start.Add(digestHour*time.Hour)) || !now.Before(start.AddDate(0, 0, 2)) {
		return nil
	}
	y, w := start.ISOWeek()
	week := fmt.Sprintf("%d-W%02d", y, w)
	orgs, err := p.o.Orgs(ctx)
	if err != nil {
		return fmt.Errorf("listing organisations: %w", err)
	}
	var errs []error
	for _, org := range orgs {
		if err := p.digest(ctx, org, week, start.AddDate(0, 0, -7)); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", org, err))
		}
	}
	return errors.Join(errs...)
}

func (p *Partners) digest(ctx context.Context, org, week string, since time.Time) error {
	flag := p.key("digest:" + week + ":" + org)
	if n, err := p.o.Redis.Exists(ctx, flag).Result(); err != nil {
		return err
	} else if n > 0 {
		return nil
	}
	g, err := p.o.Store.GroupOf(ctx, org)
	if errors.Is(err, requests.ErrNotFound) {
		return p.o.Redis.Set(ctx, flag, 1, 8*24*time.Hour).Err()
	}
	if err != nil {
		return err
	}
	c, err := p.o.Store.Counts(ctx, org, since)
	if err != nil {
		return err
	}
	total := 0
	for _, n := range c {
		total += n
	}
	text := p.o.T.T(g.Lang, "partners.digest", map[string]any{
		"Org": p.orgName(ctx, org, g.Lang), "Since": isolate(g.Lang, since.Format("02/01/2006")), "Total": total,
		"Pending": c[requests.Sent] + c[requests.Lapsed], "Accepted": c[requests.Accepted], "Contacted": c[requests.Contacted],
		"Declined": c[requests.Declined], "Helped": c[requests.Helped], "NotHelped": c[requests.NotHelped],
		"Withdrawn": c[requests.Withdrawn]})
	m := telegram.SendMessage{ChatID: g.Chat, Text: text, NoPreview: true}
	if err := p.o.Out.Post(ctx, g.Chat, bot.Posting{Key: "digest:" + week + ":" + org, Call: m}); err != nil {
		return err
	}
	return p.o.Redis.Set(ctx, flag, 1, 8*24*time.Hour).Err()
}
