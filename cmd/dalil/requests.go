package main

import (
	"time"

	"github.com/dalil-tt/dalil/requests"
	reqpg "github.com/dalil-tt/dalil/requests/postgres"
)

// requestTiming is the requests' deadlines from the settings: counted in
// working days of the region's office hours (HANDOFF_HOURS, HANDOFF_TZ),
// follow-ups awake in the same time zone.
func requestTiming(cfg *Config) requests.Timing {
	t := requests.DefaultTiming()
	t.Remind, t.Lapse = cfg.RequestRemindDays, cfg.RequestLapseDays
	t.FollowUp = time.Duration(cfg.FollowUpDays) * 24 * time.Hour
	if cfg.Handoff.Hours.Loc != nil {
		t.Hours = cfg.Handoff.Hours
		t.Awake.Loc = cfg.Handoff.Hours.Loc
	}
	return t
}

// openRequests opens the requests' store on the pool (with DATABASE_URL).
func (m *Main) openRequests() {
	m.Requests = reqpg.New(m.DB)
	m.Requests.Timing = requestTiming(m.Config)
}

// openClock builds the requests' clock once both sides a timed step goes
// to are set (RequestOrgs: the organisations' groups and inbox; RequestPeople:
// the person's side in the bot). Without them it stays off: no request is
// sent without them either.
func (m *Main) openClock() {
	if m.Requests == nil || m.RequestOrgs == nil || m.RequestPeople == nil {
		return
	}
	m.Clock = requests.NewClock(m.Requests, m.Requests.Timing, m.RequestOrgs, m.RequestPeople, m.Log)
	if m.Bot != nil {
		// "Send my request" shows on the cards from now on: both sides are there.
		m.Bot.SetOrganisations(m.RequestOrgs)
	}
}
