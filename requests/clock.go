package requests

import (
	"context"
	"log/slog"
	"time"
)

// Clock carries out requests' timed steps: it takes the due ones from the
// Store (each to one clock among the replicas), hands each to its side
// (a reminder to the Organisations, the lapse and the follow-ups to the
// People), and records it Done with the next step from the Timing. A
// step whose handler fails stays due: the Store hands it out again once
// its lease runs out (longer after each failure, at most an hour). A
// crash between a handler and Done hands the step out again with the same
// n, so the outbox's key req:<id>:<step>:<n> sends it once. A step cut
// short because the clock is stopping (a deploy) is given back with
// Store.Release, due again at once for another replica and not counted
// as a failure, and so are the steps of the round not reached yet.
type Clock struct {
	store  Store
	timing Timing
	orgs   Organisations
	people People
	log    *slog.Logger

	// Every is the time between rounds (default 30 s: steps are days
	// apart, a round's lateness does not matter); a full round (Batch
	// steps) is followed by another at once.
	Every time.Duration
	Batch int // steps taken in one round (default 50)
	// Keep is how long the person's part of an ended request stays for
	// /requests and the organisation's inbox (default 30 days; Purge).
	Keep time.Duration
	// Now is the clock's time (tests set it).
	Now func() time.Time
	// Rounds, when set, receives the number of steps carried out after
	// each round (tests wait on it).
	Rounds chan<- int

	lastPurge time.Time
}

// NewClock returns a clock over store; the timing must be the store's.
func NewClock(store Store, timing Timing, orgs Organisations, people People, log *slog.Logger) *Clock {
	return &Clock{store: store, timing: timing, orgs: orgs, people: people, log: log,
		Every: 30 * time.Second, Batch: 50, Keep: 30 * 24 * time.Hour, Now: time.Now}
}

// Run runs rounds until ctx ends.
func (c *Clock) Run(ctx context.Context) {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, full := c.Round(ctx)
		if c.Rounds != nil {
			select {
			case c.Rounds <- n:
			case <-ctx.Done():
				return
			}
		}
		if full {
			t.Reset(0)
		} else {
			t.Reset(c.Every)
		}
	}
}

// Round carries out the steps due now; it returns how many were carried
// out and whether the round was full (more may be due).
func (c *Clock) Round(ctx context.Context) (done int, full bool) {
	now := c.Now()
	c.purge(ctx, now)
	due, err := c.store.Due(ctx, now, c.Batch)
	if err != nil {
		if ctx.Err() == nil {
			c.log.Error("requests: taking due steps; retrying next round", "err", err)
		}
		return 0, false
	}
	for i := range due {
		if ctx.Err() != nil {
			c.release(ctx, due[i].ID, due[i].NextKind)
			continue
		}
		if c.step(ctx, &due[i], now) {
			done++
		}
	}
	return done, len(due) == c.Batch
}

// step carries out the next step of a request taken by Due and records
// it. The row is read again first: Due's copy may be overtaken (the
// organisation answered, the person said /stop or /forget), and a step
// that no longer applies is skipped; whatever changed it set the next one.
func (c *Clock) step(ctx context.Context, taken *Request, now time.Time) bool {
	step := taken.NextKind
	r, err := c.store.Get(ctx, taken.ID)
	if err != nil {
		c.failed(ctx, taken.ID, step, "requests: reading a due step; it will be handed out again", err)
		return false
	}
	if r.NextKind != step || r.NextAt.IsZero() || r.NextAt.After(now) {
		return false
	}
	if step == DueFollowUp {
		if wake := c.timing.Awake.Next(now); wake.After(now) {
			// Due at night, reached only now (no clock ran at the time):
			// the person is asked in the morning, as Timing.Next plans.
			if err := c.store.Postpone(ctx, r.ID, step, wake); err != nil {
				c.failed(ctx, r.ID, step, "requests: postponing a follow-up to the morning; it will be handed out again", err)
			}
			return false
		}
	}
	after := *r
	Carried(&after, step, now)
	switch step {
	case DueReminder:
		err = c.orgs.Remind(ctx, &after, after.Reminders)
	case DueLapse:
		// The person first; a failure on either side retries both, each
		// once per step (the outbox's keys).
		if err = c.people.Lapsed(ctx, &after); err == nil {
			err = c.orgs.Lapsed(ctx, &after)
		}
	case DueFollowUp:
		err = c.people.FollowUp(ctx, &after, after.FollowUps)
	default:
		c.log.Error("requests: unknown step; left due", "request", r.ID, "step", step)
		return false
	}
	if err != nil {
		// Left claimed: the store hands it out again once the lease runs
		// out, longer after each failure.
		c.failed(ctx, r.ID, step, "requests: a timed step failed; it will be retried", err)
		return false
	}
	next, at := c.timing.Next(&after, now)
	if err := c.store.Done(ctx, r.ID, step, now, next, at); err != nil {
		// Sent but not recorded: handed out again after the lease, with
		// the same n, and the outbox does not send it twice.
		c.failed(ctx, r.ID, step, "requests: recording a timed step; it will be handed out again", err)
		return false
	}
	return true
}

// failed handles a step that could not be carried out or recorded. When
// the clock is stopping the error is only the stop's: the step is given
// back rather than left leased, and it is no error. Otherwise it stays
// leased and comes back after its lease, longer after each failure.
func (c *Clock) failed(ctx context.Context, id string, step Due, msg string, err error) {
	if ctx.Err() == nil {
		c.log.Error(msg, "request", id, "step", step, "err", err)
		return
	}
	c.release(ctx, id, step)
}

// release gives a step back to the store when the clock stops. ctx is
// already cancelled, so it uses a short context of its own; if that
// fails too, the step comes back after its lease as before.
func (c *Clock) release(ctx context.Context, id string, step Due) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	if err := c.store.Release(rctx, id, step); err != nil {
		c.log.Warn("requests: giving back a step on stopping; it will be handed out again after its lease", "request", id, "step", step, "err", err)
		return
	}
	c.log.Info("requests: stopping; gave back a timed step", "request", id, "step", step)
}

// releaseTimeout bounds giving a step back on stopping, so that a stop
// is not held up by an unreachable database.
const releaseTimeout = 5 * time.Second

// purge erases, at most hourly, the person's part of requests ended more
// than Keep ago.
func (c *Clock) purge(ctx context.Context, now time.Time) {
	if now.Sub(c.lastPurge) < time.Hour {
		return
	}
	n, err := c.store.Purge(ctx, now.Add(-c.Keep))
	if err != nil {
		c.log.Error("requests: erasing the person's part of ended requests; retrying next round", "err", err)
		return
	}
	c.lastPurge = now
	if n > 0 {
		c.log.Info("requests: erased the person's part of ended requests", "count", n)
	}
}
