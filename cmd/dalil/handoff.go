package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dalil-tt/dalil/bot"
	"github.com/dalil-tt/dalil/bot/handoff"
	"github.com/dalil-tt/dalil/bot/telegram"
	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/dialog"
)

// botStarted are told the bot once it exists (serve calls them after
// bot.New): the handoff needs it to give users back to the tree.
var botStarted []func(b *bot.Bot)

// The adviser handoff plugs into the bot when ADVISERS_CHAT_ID is set:
// requests for an adviser go to that group, the group's messages and the
// user's messages while an adviser holds the conversation are relayed,
// /forget erases handoffs too. Without DATABASE_URL handoffs work but are
// not recorded.
func init() {
	var running atomic.Pointer[bot.Bot]
	botStarted = append(botStarted, func(b *bot.Bot) { running.Store(b) })
	botPlugins = append(botPlugins, func(ctx context.Context, deps serveDeps, o *bot.Options) (func(context.Context), error) {
		cfg, log := deps.Cfg, deps.Log
		if cfg.AdvisersChatID == 0 {
			log.Warn("ADVISERS_CHAT_ID not set: requests for an adviser are only logged")
			return nil, nil
		}
		var recs *handoff.Records
		var pool *pgxpool.Pool
		if cfg.DatabaseURL != "" {
			if err := handoff.Migrate(ctx, cfg.DatabaseURL); err != nil {
				return nil, fmt.Errorf("DATABASE_URL: %w", err)
			}
			p, err := pgxpool.New(ctx, cfg.DatabaseURL)
			if err != nil {
				return nil, fmt.Errorf("DATABASE_URL: %w", err)
			}
			pool, recs = p, handoff.NewRecords(p)
		} else {
			log.Warn("DATABASE_URL not set: handoffs to advisers are not recorded")
		}
		hours := cfg.Handoff.Hours
		if hours.Loc == nil { // a Config built by hand (tests)
			hours = handoff.DefaultHours()
		}
		desk, err := handoff.New(handoff.Options{API: deps.Client, Limits: botLimits{&running}, Notices: botNotices{&running},
			Redis: deps.Redis, Records: recs, T: deps.T,
			AdvisersChatID: cfg.AdvisersChatID, Pseudonyms: cfg.Pseudonyms, StateTTL: cfg.StateTTL,
			Hours: &hours, Wait: cfg.Handoff.Wait, HideName: cfg.Handoff.HideName, Retention: cfg.Handoff.Retention,
			Services: serviceNames(o.Matcher),
			Resume: func(ctx context.Context, chat int64) error {
				if b := running.Load(); b != nil {
					return b.Resume(ctx, chat)
				}
				return nil
			},
			Log: log})
		if err != nil {
			if pool != nil {
				pool.Close()
			}
			return nil, err
		}
		if deps.Metrics != nil {
			deps.Metrics(desk.Collectors()...)
		}
		o.Adviser, o.AdviserNotice = nil, desk.OpenNotice
		prevIntercept := o.Intercept
		o.Intercept = func(ctx context.Context, up *telegram.Update) bool {
			return desk.Intercept(ctx, up) || (prevIntercept != nil && prevIntercept(ctx, up))
		}
		// /forget removes the user from the advisers' group too, and the
		// user is told what could not be removed there; o.Forget (the
		// other features' erasure) still runs after it.
		prevNotice := o.ForgetNotice
		o.ForgetNotice = func(ctx context.Context, chat int64, st dialog.State) (string, error) {
			notice, err := desk.ForgetNotice(ctx, chat, st.Lang)
			if err != nil || prevNotice == nil {
				return notice, err
			}
			more, err := prevNotice(ctx, chat, st)
			return strings.TrimSpace(notice + "\n\n" + more), err
		}
		return func(ctx context.Context) {
			desk.Run(ctx, 30*time.Second)
			if pool != nil {
				pool.Close()
			}
		}, nil
	})
}

// botNotices puts the desk's notices in the users' outboxes through the
// running bot (the desk acts only on what the running bot hands it).
type botNotices struct{ b *atomic.Pointer[bot.Bot] }

func (n botNotices) Notify(ctx context.Context, chat int64, key string, m telegram.SendMessage) error {
	b := n.b.Load()
	if b == nil {
		return errors.New("handoff notice before the bot runs")
	}
	return b.Notify(ctx, chat, key, m)
}

// botLimits makes the desk's Bot API calls wait under the running bot's
// rate limits (none before the bot exists: the desk sends nothing then).
type botLimits struct{ b *atomic.Pointer[bot.Bot] }

func (l botLimits) WaitTurn(ctx context.Context, chat int64, countsInChat bool) error {
	if b := l.b.Load(); b != nil {
		return b.WaitTurn(ctx, chat, countsInChat)
	}
	return nil
}

// serviceNames names, on the advisers' card, the services a user was shown,
// from the catalogue the bot answers from (PostgreSQL or the demo in
// memory); nil (ids on the card) for a catalogue that cannot list them.
func serviceNames(m catalogue.Matcher) handoff.ServiceNames {
	switch c := m.(type) {
	case interface {
		Services(context.Context) ([]*catalogue.Service, error)
	}:
		return handoff.NamesFrom(c.Services, 5*time.Minute)
	case interface{ Services() []*catalogue.Service }:
		return handoff.NamesFrom(func(context.Context) ([]*catalogue.Service, error) { return c.Services(), nil }, time.Hour)
	}
	return nil
}
