package main

import (
	"context"
	"errors"
	"maps"
	"time"

	"github.com/dalil-tt/dalil/bot"
	"github.com/dalil-tt/dalil/bot/outbox"
	"github.com/dalil-tt/dalil/bot/partners"
	"github.com/dalil-tt/dalil/bot/telegram"
	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/requests"
)

// newPartners builds the organisations' side in Telegram (bot/partners)
// on the requests store: group links, request cards, reminders, digests.
func (m *Main) newPartners() (*partners.Partners, error) {
	names := &partners.Catalogue{List: catalogueList(m.Matcher), TTL: 5 * time.Minute}
	return partners.New(partners.Options{Store: m.Requests, Out: partnersBot{m}, People: mainPeople{m}, T: m.T,
		Names: names, Orgs: names.Orgs, Pseudonyms: m.Config.Pseudonyms, Redis: m.Redis,
		BotName: m.Telegram.Self.Username, Log: m.Log})
}

// wirePartners lets the partners see updates after the desk (/link and
// the cards' buttons in the organisations' groups) and gives the bot
// their after-send hooks beside the desk's.
func wirePartners(p *partners.Partners, o *bot.Options) {
	o.Intercept = intercepts(o.Intercept, p.Intercept)
	hooks := map[string]outbox.AfterSend{}
	maps.Copy(hooks, o.AfterSend)
	maps.Copy(hooks, p.AfterSend())
	o.AfterSend = hooks
	// A group the sender finds upgraded to a supergroup: its link follows.
	prev := o.Migrated
	o.Migrated = func(ctx context.Context, from, to int64) {
		if prev != nil {
			prev(ctx, from, to)
		}
		p.Moved(ctx, from, to)
	}
}

// intercepts chains the bot's interceptors: the first that takes an
// update has it.
func intercepts(fs ...func(context.Context, *telegram.Update) bool) func(context.Context, *telegram.Update) bool {
	var chain []func(context.Context, *telegram.Update) bool
	for _, f := range fs {
		if f != nil {
			chain = append(chain, f)
		}
	}
	return func(ctx context.Context, up *telegram.Update) bool {
		for _, f := range chain {
			if f(ctx, up) {
				return true
			}
		}
		return false
	}
}

// catalogueList lists the services of the catalogue the bot answers from
// (PostgreSQL or the demo in memory); an empty list for one that cannot
// list them.
func catalogueList(mt catalogue.Matcher) func(context.Context) ([]*catalogue.Service, error) {
	switch c := mt.(type) {
	case interface {
		Services(context.Context) ([]*catalogue.Service, error)
	}:
		return c.Services
	case interface{ Services() []*catalogue.Service }:
		return func(context.Context) ([]*catalogue.Service, error) { return c.Services(), nil }
	}
	return func(context.Context) ([]*catalogue.Service, error) { return nil, nil }
}

// partnersBot is what the partners need of the bot, bound late like
// deskBot: the bot needs the partners' Intercept at construction.
type partnersBot struct{ m *Main }

func (p partnersBot) Put(ctx context.Context, chat int64, once string, msgs ...outbox.Message) (bool, error) {
	return p.m.Bot.Put(ctx, chat, once, msgs...)
}

func (p partnersBot) AnswerPress(ctx context.Context, chat int64, id, text string) error {
	return p.m.Bot.AnswerPress(ctx, chat, id, text)
}

// errNoPeople is what an organisation's answer meets while nothing tells
// the person (Main.RequestPeople unset): logged by the caller, the answer
// stays recorded.
var errNoPeople = errors.New("the person's side of requests is not wired (Main.RequestPeople)")

// mainPeople tells the person through Main.RequestPeople, bound late (the
// person's side is the bot, built after the partners).
type mainPeople struct{ m *Main }

func (p mainPeople) Changed(ctx context.Context, r *requests.Request) error {
	if p.m.RequestPeople == nil {
		return errNoPeople
	}
	return p.m.RequestPeople.Changed(ctx, r)
}

func (p mainPeople) Lapsed(ctx context.Context, r *requests.Request) error {
	if p.m.RequestPeople == nil {
		return errNoPeople
	}
	return p.m.RequestPeople.Lapsed(ctx, r)
}

func (p mainPeople) FollowUp(ctx context.Context, r *requests.Request, n int) error {
	if p.m.RequestPeople == nil {
		return errNoPeople
	}
	return p.m.RequestPeople.FollowUp(ctx, r, n)
}
