package main

import (
	"context"
	"time"

	"github.com/dalil-tt/dalil/bot"
	"github.com/dalil-tt/dalil/bot/handoff"
	"github.com/dalil-tt/dalil/bot/outbox"
	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/dialog"
)

// newDesk builds the adviser handoff (ADVISERS_CHAT_ID): requests for an
// adviser go to that group, the group's messages and the user's messages
// while an adviser holds the conversation are relayed, /forget erases
// handoffs too. Without DATABASE_URL handoffs work but are not recorded.
func (m *Main) newDesk() (*handoff.Desk, error) {
	cfg := m.Config
	if m.Records == nil {
		m.Log.Warn("DATABASE_URL not set: handoffs to advisers are not recorded")
	}
	hours := cfg.Handoff.Hours
	if hours.Loc == nil { // a Config built by hand (tests)
		hours = handoff.DefaultHours()
	}
	return handoff.New(handoff.Options{API: m.Telegram, Limits: deskBot{m}, Resume: deskBot{m}, Outbox: deskBot{m}, Redis: m.Redis, Records: m.Records,
		T: m.T, AdvisersChatID: cfg.AdvisersChatID, Pseudonyms: cfg.Pseudonyms, StateTTL: cfg.StateTTL,
		Hours: &hours, Wait: cfg.Handoff.Wait, HideName: cfg.Handoff.HideName, Retention: cfg.Handoff.Retention,
		Services: serviceNames(m.Matcher), Log: m.Log})
}

// deskBot is what the desk needs of the bot: its send limits and giving a
// user back to the tree. The bot needs the desk at construction too (it
// sees updates first), so this side is bound late: it reads Main's bot,
// which Open sets right after the desk and before anything runs (the desk
// sends nothing before Run).
type deskBot struct{ m *Main }

func (d deskBot) WaitTurn(ctx context.Context, chat int64, countsInChat bool) error {
	return d.m.Bot.WaitTurn(ctx, chat, countsInChat)
}

func (d deskBot) Resume(ctx context.Context, chat int64) error { return d.m.Bot.Resume(ctx, chat) }

// Put puts the desk's messages (relays, notices, posts in the group) in a
// chat's outbox, once per key.
func (d deskBot) Put(ctx context.Context, chat int64, once string, msgs ...outbox.Message) (bool, error) {
	return d.m.Bot.Put(ctx, chat, once, msgs...)
}

// wireDesk plugs the desk into the bot's options: it sees every update
// first (the advisers' group, users in a handoff), opens handoffs, records
// what its messages became once sent (a relay's id, for replies), and
// /forget removes the user from the advisers' group too (the user is told
// what could not be removed there).
func wireDesk(desk *handoff.Desk, o *bot.Options) {
	o.Adviser, o.AdviserNotice = nil, desk.OpenNotice
	o.Intercept = desk.Intercept
	o.AfterSend = desk.AfterSend()
	o.ForgetNotice = func(ctx context.Context, chat int64, st dialog.State) (string, error) {
		return desk.ForgetNotice(ctx, chat, st.Lang)
	}
}

// serviceNames names, on the advisers' card, the services a user was shown,
// from the catalogue the bot answers from (PostgreSQL or the demo in
// memory); nil (ids on the card) for a catalogue that cannot list them.
func serviceNames(m catalogue.Matcher) handoff.ServiceNames {
	switch m.(type) {
	case interface {
		Services(context.Context) ([]*catalogue.Service, error)
	}:
		return handoff.NamesFrom(catalogueList(m), 5*time.Minute)
	case interface{ Services() []*catalogue.Service }:
		return handoff.NamesFrom(catalogueList(m), time.Hour)
	}
	return nil
}
