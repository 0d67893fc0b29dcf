package main

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/dalil-tt/dalil/requests"
	reqpg "github.com/dalil-tt/dalil/requests/postgres"
)

func TestRequestTimingSettings(t *testing.T) {
	c, err := loadConfig(env())
	if err != nil {
		t.Fatal(err)
	}
	tm := requestTiming(c)
	if tm.Remind != 1 || tm.Lapse != 3 || tm.FollowUp != 7*24*time.Hour || tm.Hours.Loc.String() != "Africa/Casablanca" {
		t.Errorf("defaults: %+v", tm)
	}
	c, err = loadConfig(env("REQUEST_REMIND_DAYS", "0", "REQUEST_LAPSE_DAYS", "5", "FOLLOWUP_DAYS", "14",
		"HANDOFF_HOURS", "Mon-Sat 08:30-18:00", "HANDOFF_TZ", "Europe/Madrid"))
	if err != nil {
		t.Fatal(err)
	}
	tm = requestTiming(c)
	if tm.Remind != 0 || tm.Lapse != 5 || tm.FollowUp != 14*24*time.Hour || !tm.Hours.Days[time.Saturday] ||
		tm.Hours.Start != 8*time.Hour+30*time.Minute || tm.Awake.Loc.String() != "Europe/Madrid" || tm.Awake.Start != 9*time.Hour {
		t.Errorf("from the settings: %+v", tm)
	}
	for name, bad := range map[string]string{"REQUEST_REMIND_DAYS": "-1", "REQUEST_LAPSE_DAYS": "0", "FOLLOWUP_DAYS": "a week"} {
		_, err := loadConfig(env(name, bad))
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%s: %v", name, bad, err)
		}
	}
}

type side struct{}

func (side) Deliver(context.Context, *requests.Request) error       { return nil }
func (side) Withdraw(context.Context, *requests.Request) error      { return nil }
func (side) Remind(context.Context, *requests.Request, int) error   { return nil }
func (side) Changed(context.Context, *requests.Request) error       { return nil }
func (side) Lapsed(context.Context, *requests.Request) error        { return nil }
func (side) FollowUp(context.Context, *requests.Request, int) error { return nil }

// The clock starts only with both sides a step goes to.
func TestClockNeedsBothSides(t *testing.T) {
	m := &Main{Config: &Config{}, Log: slog.Default(), Requests: reqpg.New(nil)}
	m.RequestOrgs = side{}
	if m.openClock(); m.Clock != nil {
		t.Error("a clock without the person's side")
	}
	m.RequestPeople = side{}
	if m.openClock(); m.Clock == nil {
		t.Error("no clock with both sides")
	}
}
