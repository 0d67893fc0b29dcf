package requests

import (
	"testing"
	"time"
)

func TestTimingNext(t *testing.T) {
	tm := DefaultTiming()
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, tm.Hours.Loc)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	const never = ""
	// 2026-11-27 is a Friday; r is sent then, with a follow-up agreed.
	sent := at("2026-11-27 16:00")
	for _, c := range []struct {
		name string
		r    Request
		at   string // the latest change
		kind Due
		when string
	}{
		{"sent: a reminder a working day later", Request{Status: Sent}, "2026-11-27 16:00", DueReminder, "2026-11-30 16:00"},
		{"reminded: the lapse 3 working days after sending", Request{Status: Sent, Reminders: 1}, "2026-11-30 16:00", DueLapse, "2026-12-02 16:00"},
		{"lapsed: nothing more", Request{Status: Lapsed, Reminders: 1}, "2026-12-02 16:00", never, ""},
		{"declined: nothing", Request{Status: Declined}, "2026-11-28 10:00", never, ""},
		{"withdrawn: nothing", Request{Status: Withdrawn}, "2026-11-28 10:00", never, ""},
		{"accepted: follow-up 7 days after sending", Request{Status: Accepted}, "2026-11-28 10:00", DueFollowUp, "2026-12-04 16:00"},
		{"contacted: the same", Request{Status: Contacted}, "2026-12-01 10:00", DueFollowUp, "2026-12-04 16:00"},
		{"done: the follow-up still (did it help?)", Request{Status: Helped}, "2026-12-01 10:00", DueFollowUp, "2026-12-04 16:00"},
		{"done not helped: the same", Request{Status: NotHelped}, "2026-12-01 10:00", DueFollowUp, "2026-12-04 16:00"},
		{"accepted late: not sooner than 3 days after", Request{Status: Accepted}, "2026-12-06 12:00", DueFollowUp, "2026-12-09 12:00"},
		{"accepted late at night: the next morning", Request{Status: Accepted}, "2026-12-06 22:30", DueFollowUp, "2026-12-10 09:00"},
		{"not yet: once more 3 days later", Request{Status: Accepted, FollowUps: 1, Outcome: NotYet}, "2026-12-04 18:00", DueFollowUp, "2026-12-07 18:00"},
		{"not yet at night: in the morning", Request{Status: Accepted, FollowUps: 1, Outcome: NotYet}, "2026-12-04 23:10", DueFollowUp, "2026-12-08 09:00"},
		{"not yet twice: no third", Request{Status: Accepted, FollowUps: 2, Outcome: NotYet}, "2026-12-07 18:00", never, ""},
		{"asked, no answer: no second", Request{Status: Accepted, FollowUps: 1}, "2026-12-04 16:00", never, ""},
		{"answered: done", Request{Status: Helped, FollowUps: 1, Outcome: Reached}, "2026-12-04 16:00", never, ""},
		{"answered before the organisation's done: no follow-up", Request{Status: Contacted, FollowUps: 1, Outcome: NotReached}, "2026-12-05 10:00", never, ""},
		{"no follow-up agreed", Request{Status: Accepted, FollowUp: false}, "2026-11-28 10:00", never, ""},
		{"/stop", Request{Status: Accepted, Stopped: true}, "2026-11-28 10:00", never, ""},
		{"forgotten (no chat)", Request{Status: Accepted, Chat: -1}, "2026-11-28 10:00", never, ""},
	} {
		r := c.r
		r.SentAt = sent
		if r.Chat == 0 {
			r.Chat = 5_000_000_001
		} else if r.Chat == -1 {
			r.Chat = 0
		}
		if c.name != "no follow-up agreed" {
			r.FollowUp = true
		}
		kind, when := tm.Next(&r, at(c.at))
		if kind != c.kind || (c.kind != never && !when.Equal(at(c.when))) || (c.kind == never && !when.IsZero()) {
			t.Errorf("%s: %q at %s, want %q at %s", c.name, kind, when.In(tm.Hours.Loc).Format("2006-01-02 15:04"), c.kind, c.when)
		}
	}
}

func TestTimingWithoutReminder(t *testing.T) {
	tm := DefaultTiming()
	tm.Remind = 0
	sent := time.Date(2026, 11, 30, 10, 0, 0, 0, tm.Hours.Loc) // Monday
	if kind, when := tm.Next(&Request{Status: Sent, SentAt: sent}, sent); kind != DueLapse || !when.Equal(sent.AddDate(0, 0, 3)) {
		t.Errorf("no reminder: %s at %s", kind, when)
	}
	tm.Remind, tm.Lapse = 3, 3 // a reminder as late as the lapse is none
	if kind, _ := tm.Next(&Request{Status: Sent, SentAt: sent}, sent); kind != DueLapse {
		t.Errorf("reminder at the lapse: %s", kind)
	}
}

func TestCarried(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	r := Request{Status: Sent}
	Carried(&r, DueReminder, at)
	Carried(&r, DueLapse, at)
	Carried(&r, DueFollowUp, at)
	if r.Reminders != 1 || r.Status != Lapsed || !r.LapsedAt.Equal(at) || r.FollowUps != 1 {
		t.Errorf("carried: %+v", r)
	}
	// The lapse of a request answered meanwhile changes nothing.
	r = Request{Status: Accepted}
	Carried(&r, DueLapse, at)
	if r.Status != Accepted || !r.LapsedAt.IsZero() {
		t.Errorf("lapse after an answer: %+v", r)
	}
}

func TestTransitionAlready(t *testing.T) {
	for _, c := range []struct {
		from Status
		a    Action
		want bool
	}{
		{Accepted, Accept, true}, {Declined, Decline, true}, {Contacted, MarkContact, true},
		{Helped, DoneHelped, true}, {NotHelped, DoneNot, true},
		{Declined, Accept, false}, {Helped, DoneNot, false}, {Withdrawn, Accept, false},
	} {
		_, err := Next(c.from, c.a)
		te, ok := err.(*TransitionError)
		if !ok {
			t.Fatalf("%s from %s: %v", c.a, c.from, err)
		}
		if te.Already() != c.want {
			t.Errorf("%s from %s: Already %v", c.a, c.from, te.Already())
		}
	}
}
