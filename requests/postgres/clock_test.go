package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dalil-tt/dalil/requests"
)

// sides records what the clock hands to the organisations and the people,
// as the bot's outbox would receive it: one key per request, step and n.
type sides struct {
	mu    sync.Mutex
	calls map[string]int // req:<id>:<step>:<n> → times handed
	fail  func(key string) error
}

func newSides() *sides { return &sides{calls: map[string]int{}} }

func (s *sides) record(r *requests.Request, step requests.Due, n int) error {
	key := fmt.Sprintf("req:%s:%s:%d", r.ID, step, n)
	s.mu.Lock()
	s.calls[key]++
	fail := s.fail
	s.mu.Unlock()
	if fail != nil {
		return fail(key)
	}
	return nil
}

func (s *sides) count(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[key]
}

func (s *sides) Deliver(context.Context, *requests.Request) error {
	return errors.New("not a clock step")
}
func (s *sides) Withdraw(context.Context, *requests.Request) error {
	return errors.New("not a clock step")
}
func (s *sides) Changed(context.Context, *requests.Request) error {
	return errors.New("not a clock step")
}
func (s *sides) Remind(_ context.Context, r *requests.Request, n int) error {
	return s.record(r, requests.DueReminder, n)
}
func (s *sides) FollowUp(_ context.Context, r *requests.Request, n int) error {
	return s.record(r, requests.DueFollowUp, n)
}
func (s *sides) Lapsed(_ context.Context, r *requests.Request) error {
	if r.Status != requests.Lapsed || r.LapsedAt.IsZero() {
		return fmt.Errorf("told of a lapse while %s", r.Status)
	}
	return s.record(r, requests.DueLapse, 1)
}

// orgSide is the organisations' side of sides: its Lapsed (the card
// marked) is counted apart from the person's.
type orgSide struct{ *sides }

func (o orgSide) Lapsed(_ context.Context, r *requests.Request) error {
	return o.record(r, "org-"+requests.DueLapse, 1)
}

// fakeNow is a clock's time, moved by the test.
type fakeNow struct {
	mu sync.Mutex
	t  time.Time
}

func (f *fakeNow) Now() time.Time  { f.mu.Lock(); defer f.mu.Unlock(); return f.t }
func (f *fakeNow) Set(t time.Time) { f.mu.Lock(); f.t = t; f.mu.Unlock() }

func newClock(s *Store, sd *sides, now *fakeNow, log *slog.Logger) *requests.Clock {
	c := requests.NewClock(s, s.Timing, orgSide{sd}, sd, log)
	c.Every, c.Now = time.Millisecond, now.Now
	return c
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// Steps that fell due while no clock ran are carried out once when two
// clocks (two replicas, two pools) start at once: the reminder, then the
// lapse, then for an accepted request the follow-ups.
func TestClockOnceAcrossReplicas(t *testing.T) {
	pool, url := newDB(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pool2, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool2.Close()
	s := New(pool)
	sent := at(t, "2026-11-30 10:00") // Monday
	const n = 30
	var ids []string
	for i := 0; i < n; i++ {
		ids = append(ids, create(t, s, sample(chatA+int64(i), sent)).ID)
	}
	followed := ids[0]
	if _, err := s.Act(ctx, followed, requests.Accept, "", "", "m:1", sent.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}

	now := &fakeNow{t: at(t, "2026-12-01 12:00")} // past the reminders
	sd := newSides()
	rounds := make(chan int)
	var wg sync.WaitGroup
	for _, p := range []*pgxpool.Pool{pool, pool2} {
		c := newClock(New(p), sd, now, discard())
		c.Batch = 7
		c.Rounds = rounds
		wg.Add(1)
		go func() { defer wg.Done(); c.Run(ctx) }()
	}
	// runUntil waits for want steps in all, then for a few more rounds in
	// which nothing is left to do.
	runUntil := func(want int) {
		t.Helper()
		total, idle := 0, 0
		deadline := time.After(30 * time.Second)
		for total < want || idle < 6 {
			select {
			case d := <-rounds:
				total += d
				if total >= want && d == 0 {
					idle++
				}
			case <-deadline:
				t.Fatalf("%d of %d steps carried out", total, want)
			}
		}
		if total != want {
			t.Errorf("%d steps carried out, want %d", total, want)
		}
	}
	runUntil(n - 1)
	for _, id := range ids[1:] {
		if c := sd.count("req:" + id + ":reminder:1"); c != 1 {
			t.Errorf("%s reminded %d times", id, c)
		}
	}
	now.Set(at(t, "2026-12-03 10:00")) // 3 working days: the lapse
	runUntil(n - 1)
	for _, id := range ids[1:] {
		r, _ := s.Get(ctx, id)
		if c := sd.count("req:" + id + ":lapse:1"); c != 1 || r.Status != requests.Lapsed || r.NextKind != "" {
			t.Errorf("%s: lapse told %d times, %s, next %q", id, c, r.Status, r.NextKind)
		}
		if c := sd.count("req:" + id + ":org-lapse:1"); c != 1 {
			t.Errorf("%s: organisation told of the lapse %d times", id, c)
		}
	}
	// The accepted one: asked 7 days after sending, "not yet", asked again
	// 3 days later, and no more.
	now.Set(at(t, "2026-12-07 10:00"))
	runUntil(1)
	if _, err := s.Answer(ctx, followed, requests.NotYet, at(t, "2026-12-07 11:00")); err != nil {
		t.Fatal(err)
	}
	now.Set(at(t, "2026-12-10 11:00"))
	runUntil(1)
	now.Set(at(t, "2026-12-30 11:00"))
	runUntil(0)
	if a, b := sd.count("req:"+followed+":followup:1"), sd.count("req:"+followed+":followup:2"); a != 1 || b != 1 {
		t.Errorf("follow-ups handed %d and %d times", a, b)
	}
	if k := kinds(t, s, followed); k != "sent,accepted,followup,answered,followup" {
		t.Errorf("events %s", k)
	}
	cancel()
	wg.Wait()
}

// A failing handler leaves the step due: handed out again once its lease
// has run out, with the same n, and logged without anything personal.
func TestClockRetriesAFailedStep(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	r := create(t, s, sample(chatA, at(t, "2026-11-30 10:00")))
	now := &fakeNow{t: at(t, "2026-12-01 12:00")}
	sd := newSides()
	sd.fail = func(string) error { return errors.New("Bot API down") }
	var logs bytes.Buffer
	c := newClock(s, sd, now, slog.New(slog.NewTextHandler(&logs, nil)))
	if done, _ := c.Round(ctx); done != 0 {
		t.Fatalf("a failed step counted done")
	}
	if done, _ := c.Round(ctx); done != 0 || sd.count("req:"+r.ID+":reminder:1") != 1 {
		t.Errorf("handed out again within its lease: %d", sd.count("req:"+r.ID+":reminder:1"))
	}
	now.Set(now.Now().Add(time.Minute))
	if done, _ := c.Round(ctx); done != 0 || sd.count("req:"+r.ID+":reminder:1") != 2 {
		t.Errorf("not retried after the lease: %d", sd.count("req:"+r.ID+":reminder:1"))
	}
	// The second failure doubled the lease.
	now.Set(now.Now().Add(time.Minute))
	sd.fail = nil
	if done, _ := c.Round(ctx); done != 0 {
		t.Error("retried before the doubled lease ran out")
	}
	now.Set(now.Now().Add(time.Minute))
	if done, _ := c.Round(ctx); done != 1 || sd.count("req:"+r.ID+":reminder:1") != 3 {
		t.Errorf("third try: %d", sd.count("req:"+r.ID+":reminder:1"))
	}
	if got, _ := s.Get(ctx, r.ID); got.Reminders != 1 || got.NextKind != requests.DueLapse {
		t.Errorf("after the retries: %+v", got)
	}
	if !bytes.Contains(logs.Bytes(), []byte("Bot API down")) {
		t.Errorf("the failure was not logged: %s", logs.String())
	}
	for _, personal := range []string{strconv.FormatInt(chatA, 10), "Amina", "612345678"} {
		if bytes.Contains(logs.Bytes(), []byte(personal)) {
			t.Errorf("the log holds %q: %s", personal, logs.String())
		}
	}
}

// A replica that dies after its handler and before Done: another one
// hands the step out again with the same n (the outbox's key sends it
// once), then records it. (The cancelled context stands for the crash; a
// stop like it also gives the step back, which changes nothing here.)
func TestClockCrashBeforeDone(t *testing.T) {
	s, _ := newStore(t)
	r := create(t, s, sample(chatA, at(t, "2026-11-30 10:00")))
	now := &fakeNow{t: at(t, "2026-12-01 12:00")}
	sd := newSides()
	dying, die := context.WithCancel(context.Background())
	sd.fail = func(string) error { die(); return nil } // sent, then the process goes
	if done, _ := newClock(s, sd, now, discard()).Round(dying); done != 0 {
		t.Fatal("recorded despite the crash")
	}
	sd.fail = nil
	now.Set(now.Now().Add(time.Minute))
	if done, _ := newClock(s, sd, now, discard()).Round(context.Background()); done != 1 {
		t.Fatal("the step did not come back")
	}
	if c := sd.count("req:" + r.ID + ":reminder:1"); c != 2 {
		t.Errorf("handed %d times under one key, want 2 (the outbox sends it once)", c)
	}
	if got, _ := s.Get(context.Background(), r.ID); got.Reminders != 1 {
		t.Errorf("%d reminders recorded", got.Reminders)
	}
}

// The clock erases the person's part of requests ended longer than Keep ago.
func TestClockPurges(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	sent := at(t, "2026-11-30 10:00")
	r := create(t, s, sample(chatA, sent))
	if _, err := s.Act(ctx, r.ID, requests.Decline, requests.Full, "", "m", sent); err != nil {
		t.Fatal(err)
	}
	now := &fakeNow{t: sent.Add(29 * 24 * time.Hour)}
	c := newClock(s, newSides(), now, discard())
	c.Round(ctx)
	if got, _ := s.Get(ctx, r.ID); got.Chat != chatA {
		t.Fatal("erased before Keep")
	}
	now.Set(sent.Add(31 * 24 * time.Hour))
	c.Round(ctx)
	if got, _ := s.Get(ctx, r.ID); got.Chat != 0 || got.Shared.Phone != "" {
		t.Errorf("not erased after Keep: %+v", got)
	}
}

// A follow-up that fell due while no clock ran (replicas back at 02:30)
// is moved to the morning, not sent at night, and not counted.
func TestClockFollowUpNotAtNight(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	sent := at(t, "2026-11-30 10:00")
	r := create(t, s, sample(chatA, sent))
	if _, err := s.Act(ctx, r.ID, requests.Accept, "", "", "m:1", sent.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	now := &fakeNow{t: at(t, "2026-12-08 02:30")} // due 2026-12-07 10:00
	sd := newSides()
	c := newClock(s, sd, now, discard())
	if done, _ := c.Round(ctx); done != 0 || sd.count("req:"+r.ID+":followup:1") != 0 {
		t.Fatalf("follow-up sent at night: %d steps, %d handed", done, sd.count("req:"+r.ID+":followup:1"))
	}
	got, _ := s.Get(ctx, r.ID)
	if want := at(t, "2026-12-08 09:00"); got.NextKind != requests.DueFollowUp || !got.NextAt.Equal(want) || got.FollowUps != 0 {
		t.Fatalf("after the night: next %s at %v, %d follow-ups; want the follow-up at %v, none counted", got.NextKind, got.NextAt, got.FollowUps, want)
	}
	now.Set(at(t, "2026-12-08 09:00"))
	if done, _ := c.Round(ctx); done != 1 || sd.count("req:"+r.ID+":followup:1") != 1 {
		t.Errorf("morning: %d steps, %d handed", done, sd.count("req:"+r.ID+":followup:1"))
	}
}

// racing is a store whose Due lets something happen between taking the
// due steps and the clock carrying them out (an organisation's answer, a
// /stop on another replica).
type racing struct {
	*Store
	meanwhile func()
}

func (r racing) Due(ctx context.Context, now time.Time, limit int) ([]requests.Request, error) {
	due, err := r.Store.Due(ctx, now, limit)
	if len(due) > 0 && r.meanwhile != nil {
		r.meanwhile()
	}
	return due, err
}

// A step that no longer applies when the clock gets to it is skipped: no
// "no answer" just after the organisation accepted, no follow-up after
// /stop.
func TestClockSkipsAStepOvertaken(t *testing.T) {
	ctx := context.Background()
	sent := at(t, "2026-11-30 10:00")
	for _, tc := range []struct {
		name, key string
		setup     func(*testing.T, *Store, string)
		now       string
		meanwhile func(*Store, string) error
	}{
		{"accepted before the lapse", ":lapse:1", nil, "2026-12-03 12:00", func(s *Store, id string) error {
			_, err := s.Act(ctx, id, requests.Accept, "", "", "m:1", at(t, "2026-12-03 11:59"))
			return err
		}},
		{"stopped before the follow-up", ":followup:1", func(t *testing.T, s *Store, id string) {
			if _, err := s.Act(ctx, id, requests.Accept, "", "", "m:1", sent.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
		}, "2026-12-07 12:00", func(s *Store, _ string) error {
			_, err := s.Stop(ctx, chatA)
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newStore(t)
			s.Timing.Remind = 0 // the lapse first
			r := create(t, s, sample(chatA, sent))
			if tc.setup != nil {
				tc.setup(t, s, r.ID)
			}
			sd := newSides()
			var raceErr error
			rs := racing{Store: s, meanwhile: func() { raceErr = tc.meanwhile(s, r.ID) }}
			c := requests.NewClock(rs, s.Timing, orgSide{sd}, sd, discard())
			c.Now = (&fakeNow{t: at(t, tc.now)}).Now
			c.Round(ctx)
			if raceErr != nil {
				t.Fatal(raceErr)
			}
			if n := sd.count("req:" + r.ID + tc.key); n != 0 {
				t.Errorf("the overtaken step was handed %d times", n)
			}
		})
	}
}

// A clock stopped (a deploy) while a handler runs gives its steps back:
// the one cut short and the one of the round not reached yet are due at
// once for another clock, which carries each out once; the stop is not
// logged as an error and not counted as a failed attempt.
func TestClockStopReleasesItsSteps(t *testing.T) {
	s, pool := newStore(t)
	ctx := context.Background()
	a := create(t, s, sample(chatA, at(t, "2026-11-30 10:00")))
	b := create(t, s, sample(chatA+1, at(t, "2026-11-30 10:01")))
	now := &fakeNow{t: at(t, "2026-12-01 12:00")}
	sd := newSides()
	stopping, stop := context.WithCancel(ctx)
	defer stop()
	started := make(chan string, 2)
	sd.fail = func(key string) error {
		started <- key
		<-stopping.Done() // the handler is under way when serve stops
		return fmt.Errorf("sending %s: %w", key, stopping.Err())
	}
	var logs bytes.Buffer
	c := newClock(s, sd, now, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	ran := make(chan struct{})
	go func() { defer close(ran); c.Run(stopping) }()
	if key := <-started; key != "req:"+a.ID+":reminder:1" {
		t.Fatalf("first step %s", key)
	}
	stop()
	<-ran
	if n := len(started); n != 0 {
		t.Fatalf("%d more steps begun after the stop", n)
	}
	for _, id := range []string{a.ID, b.ID} {
		var attempts int
		var claimed *time.Time
		if err := pool.QueryRow(ctx, `SELECT attempts, claimed_until FROM requests WHERE id = $1`, id).Scan(&attempts, &claimed); err != nil {
			t.Fatal(err)
		}
		if attempts != 0 || claimed != nil {
			t.Errorf("%s after the stop: %d attempts, claimed until %v", id, attempts, claimed)
		}
	}
	if bytes.Contains(logs.Bytes(), []byte("level=ERROR")) || !bytes.Contains(logs.Bytes(), []byte("gave back")) {
		t.Errorf("the stop logged: %s", logs.String())
	}

	// Another clock at the same time, well within the first one's lease.
	sd.fail = nil
	c2 := newClock(s, sd, now, discard())
	if done, _ := c2.Round(ctx); done != 2 {
		t.Fatalf("%d steps carried out after the stop, want 2", done)
	}
	if done, _ := c2.Round(ctx); done != 0 {
		t.Errorf("%d steps carried out again", done)
	}
	for _, r := range []*requests.Request{a, b} {
		got, err := s.Get(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Reminders != 1 || got.NextKind != requests.DueLapse {
			t.Errorf("%s: %d reminders, next %s", r.ID, got.Reminders, got.NextKind)
		}
	}
	if c := sd.count("req:" + a.ID + ":reminder:1"); c != 2 {
		t.Errorf("the step cut short handed %d times under one key, want 2 (the outbox sends it once)", c)
	}
	if c := sd.count("req:" + b.ID + ":reminder:1"); c != 1 {
		t.Errorf("the step not reached handed %d times, want 1", c)
	}
}

// Release gives back only a step still leased and still the request's
// next; a real failure keeps its doubled lease (TestClockRetriesAFailedStep).
func TestReleaseOnlyTheStepHandedOut(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	r := create(t, s, sample(chatA, at(t, "2026-11-30 10:00")))
	now := at(t, "2026-12-01 12:00")
	if due, err := s.Due(ctx, now, 10); err != nil || len(due) != 1 {
		t.Fatalf("due: %v, %v", due, err)
	}
	if err := s.Release(ctx, r.ID, requests.DueLapse); err != nil {
		t.Fatal(err)
	}
	if due, err := s.Due(ctx, now, 10); err != nil || len(due) != 0 {
		t.Fatalf("another step's release freed the reminder: %v, %v", due, err)
	}
	if err := s.Release(ctx, r.ID, requests.DueReminder); err != nil {
		t.Fatal(err)
	}
	if due, err := s.Due(ctx, now, 10); err != nil || len(due) != 1 {
		t.Fatalf("not due again after its release: %v, %v", due, err)
	}
	// Handed out twice, released once: one attempt counted, so the lease
	// is still the first one (a minute).
	if due, err := s.Due(ctx, now.Add(time.Minute), 10); err != nil || len(due) != 1 {
		t.Errorf("a release lengthened the lease: %v, %v", due, err)
	}
}
