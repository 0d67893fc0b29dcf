package requests

import (
	"time"

	"github.com/dalil-tt/dalil/internal/officehours"
)

// Timing is when a request's timed steps fall: the organisation's reminder
// and deadline in working days of the region, the person's follow-ups in
// calendar days and never at night.
type Timing struct {
	Remind   int           // working days after sending before the organisation is reminded (0: never)
	Lapse    int           // working days after sending before the person is offered another way
	FollowUp time.Duration // after sending, the person is asked whether it helped
	Again    time.Duration // after a "not yet", asked once more
	Hours    officehours.Hours
	// Awake is when a person may be written to unasked: every day,
	// 09:00–20:00, Casablanca time.
	Awake officehours.Hours
}

// MaxFollowUps is how many times a person is asked about one request.
const MaxFollowUps = 2

// DefaultTiming is 1 and 3 working days for the organisation, 7 days to
// the follow-up and 3 more after a "not yet".
func DefaultTiming() Timing {
	h := officehours.Default()
	awake := h
	awake.Days = [7]bool{true, true, true, true, true, true, true}
	awake.Start, awake.End = 9*time.Hour, 20*time.Hour
	return Timing{Remind: 1, Lapse: 3, FollowUp: 7 * 24 * time.Hour, Again: 3 * 24 * time.Hour, Hours: h, Awake: awake}
}

// Next is r's next timed step now that its latest change (an
// organisation's action, the person's answer, a step carried out) happened
// at at; "" when none:
//   - sent and unanswered: a reminder to the organisation after Remind
//     working days (once), then the lapse after Lapse working days;
//   - accepted, contacted or done: the follow-up FollowUp after sending,
//     if the person agreed and has not said /stop, not sooner than Again
//     after at (a late acceptance is not followed at once by "did it
//     help?"), and never once the person has answered;
//   - after a "not yet" to the first follow-up: once more, Again later;
//   - declined, lapsed, withdrawn: none (a lapsed request may still be
//     answered: the answer schedules the follow-up).
//
// Follow-ups move to the next time the person is Awake.
func (t Timing) Next(r *Request, at time.Time) (Due, time.Time) {
	switch r.Status {
	case Sent:
		if r.Reminders == 0 && t.Remind > 0 && t.Remind < t.Lapse {
			return DueReminder, t.Hours.AddWorking(r.SentAt, t.Remind)
		}
		return DueLapse, t.Hours.AddWorking(r.SentAt, t.Lapse)
	case Accepted, Contacted, Helped, NotHelped:
		if !r.FollowUp || r.Stopped || r.Chat == 0 {
			return "", time.Time{}
		}
		var when time.Time
		switch {
		case r.FollowUps == 0 && r.Outcome == "":
			when = r.SentAt.Add(t.FollowUp)
			if soonest := at.Add(t.Again); when.Before(soonest) {
				when = soonest
			}
		case r.FollowUps > 0 && r.FollowUps < MaxFollowUps && r.Outcome == NotYet:
			when = at.Add(t.Again)
		default:
			return "", time.Time{}
		}
		return DueFollowUp, t.Awake.Next(when)
	}
	return "", time.Time{}
}

// Carried is r once step has been carried out at at: a reminder counted,
// the request lapsed (if still unanswered), a follow-up counted. The
// store's Done and the clock both use it, so they agree.
func Carried(r *Request, step Due, at time.Time) {
	switch step {
	case DueReminder:
		r.Reminders++
	case DueLapse:
		if r.Status == Sent {
			r.Status, r.LapsedAt = Lapsed, at
		}
	case DueFollowUp:
		r.FollowUps++
	}
}
