package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/dalil-tt/dalil/catalogue/postgres/pgtest"
	"github.com/dalil-tt/dalil/internal/lang"
	"github.com/dalil-tt/dalil/internal/vocab"
	"github.com/dalil-tt/dalil/requests"
	"github.com/dalil-tt/dalil/staff"
)

// Telegram ids past 2^32, as real ones are.
const (
	chatA int64 = 5_000_000_001
	chatB int64 = 5_000_000_002
	group int64 = -1_000_000_000_123
)

var casablanca = requests.DefaultTiming().Hours.Loc

// at reads a Casablanca time; 2026-11-30 is a Monday.
func at(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, casablanca)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// newDB is a fresh migrated database (staff's tables too: Reachable reads
// partner accounts) and its URL.
func newDB(t *testing.T) (*pgxpool.Pool, string) {
	t.Helper()
	url := pgtest.NewDB(t)
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	if err := staff.MigrateDB(ctx, db); err != nil {
		t.Fatal(err)
	}
	if err := MigrateDB(ctx, db); err != nil {
		t.Fatal(err)
	}
	if err := MigrateDB(ctx, db); err != nil {
		t.Fatalf("migrating twice: %v", err)
	}
	return pool, url
}

func newStore(t *testing.T) (*Store, *pgxpool.Pool) {
	pool, _ := newDB(t)
	return New(pool), pool
}

func sample(chat int64, sent time.Time) *requests.Request {
	var facts vocab.Codes
	facts.Add(vocab.Needs, "funding")
	facts.Add(vocab.Provinces, "tanger-assilah")
	return &requests.Request{
		Service: "svc-1", Org: "org-1", Chat: chat, FollowUp: true, SentAt: sent,
		Shared: requests.Shared{FirstName: "Amina", Lang: lang.ARY, Facts: facts,
			Question: "واش كاين شي تمويل ديال المشاريع الصغار؟", Phone: "+212612345678"},
	}
}

func create(t *testing.T, s *Store, r *requests.Request) *requests.Request {
	t.Helper()
	if err := s.Create(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return r
}

func kinds(t *testing.T, s *Store, id string) string {
	t.Helper()
	evs, err := s.Events(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var k []string
	for _, e := range evs {
		k = append(k, e.Kind)
	}
	return strings.Join(k, ",")
}

func TestCreateGet(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	sent := at(t, "2026-11-27 16:00") // Friday
	r := create(t, s, sample(chatA, sent))
	if len(r.ID) != 11 || r.ID[0] != 'r' {
		t.Errorf("id %q: want r and 10 characters", r.ID)
	}
	got, err := s.Get(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Chat != chatA || got.Shared.FirstName != "Amina" || got.Shared.Phone != "+212612345678" ||
		got.Shared.Question != r.Shared.Question || got.Shared.Lang != lang.ARY || !got.FollowUp ||
		got.Shared.Facts.Get(vocab.Provinces)[0] != "tanger-assilah" || got.Status != requests.Sent || !got.SentAt.Equal(sent) {
		t.Errorf("read back %+v", got)
	}
	// One working day after Friday 16:00 is Monday 16:00.
	if got.NextKind != requests.DueReminder || !got.NextAt.Equal(at(t, "2026-11-30 16:00")) {
		t.Errorf("first step %s at %s", got.NextKind, got.NextAt.In(casablanca))
	}
	if k := kinds(t, s, r.ID); k != "sent" {
		t.Errorf("events %s", k)
	}
	if _, err := s.Get(ctx, "rnope"); !errors.Is(err, requests.ErrNotFound) {
		t.Errorf("unknown id: %v", err)
	}
	for name, bad := range map[string]func(r *requests.Request){
		"no chat":     func(r *requests.Request) { r.Chat = 0 },
		"no service":  func(r *requests.Request) { r.Service = "" },
		"bad lang":    func(r *requests.Request) { r.Shared.Lang = "en" },
		"bad code":    func(r *requests.Request) { r.Shared.Facts.Needs = []string{"nonsense"} },
		"not sent":    func(r *requests.Request) { r.Status = requests.Accepted },
		"no sent_at":  func(r *requests.Request) { r.SentAt = time.Time{} },
		"id in use":   func(r *requests.Request) { r.ID = got.ID },
		"phone bytes": func(r *requests.Request) { r.Shared.Phone = "\x00" },
	} {
		r := sample(chatA, sent)
		bad(r)
		if err := s.Create(ctx, r); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// setStatus puts a request in a status directly, to try every action from it.
func setStatus(t *testing.T, pool *pgxpool.Pool, id string, st requests.Status) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), `UPDATE requests SET status = $2 WHERE id = $1`, id, st); err != nil {
		t.Fatal(err)
	}
}

func TestTransitions(t *testing.T) {
	s, pool := newStore(t)
	ctx := context.Background()
	sent := at(t, "2026-11-30 10:00")
	statuses := []requests.Status{requests.Sent, requests.Accepted, requests.Declined, requests.Contacted,
		requests.Helped, requests.NotHelped, requests.Lapsed, requests.Withdrawn}
	actions := []requests.Action{requests.Accept, requests.Decline, requests.MarkContact, requests.DoneHelped, requests.DoneNot}
	for _, from := range statuses {
		for _, a := range actions {
			r := create(t, s, sample(chatA, sent))
			setStatus(t, pool, r.ID, from)
			want, wantErr := requests.Next(from, a)
			got, err := s.Act(ctx, r.ID, a, requests.Full, "", "m:abc", sent.Add(time.Hour))
			if wantErr != nil {
				var te *requests.TransitionError
				if !errors.As(err, &te) || te.From != from || te.Action != a {
					t.Errorf("%s from %s: %v, want a transition error", a, from, err)
				}
				if te != nil && te.Already() != (from == mustNext(a)) {
					t.Errorf("%s from %s: Already %v", a, from, te.Already())
				}
				if k := kinds(t, s, r.ID); k != "sent" {
					t.Errorf("%s from %s refused, yet events %s", a, from, k)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s from %s: %v", a, from, err)
			}
			stored, _ := s.Get(ctx, r.ID)
			if got.Status != want || stored.Status != want || !stored.AnsweredAt.Equal(sent.Add(time.Hour)) {
				t.Errorf("%s from %s: %s (stored %s, answered %s), want %s", a, from, got.Status, stored.Status, stored.AnsweredAt, want)
			}
			if k := kinds(t, s, r.ID); k != "sent,"+string(want) {
				t.Errorf("%s from %s: events %s", a, from, k)
			}
		}
	}
}

func mustNext(a requests.Action) requests.Status {
	to, _ := requests.Next(requests.Sent, a)
	return to
}

func TestActSteps(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	sent := at(t, "2026-11-30 10:00")

	// A decline needs a known reason; its note is kept, the event has the reason only.
	r := create(t, s, sample(chatA, sent))
	if _, err := s.Act(ctx, r.ID, requests.Decline, "whatever", "", "m:1", sent); err == nil {
		t.Error("a decline without a known reason was taken")
	}
	got, err := s.Act(ctx, r.ID, requests.Decline, requests.OtherReason, "Pas de place avant mars", "m:1", sent.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if got.Reason != requests.OtherReason || got.Note != "Pas de place avant mars" || got.NextKind != "" || got.Chat != chatA {
		t.Errorf("declined: %+v", got)
	}
	evs, _ := s.Events(ctx, r.ID)
	if e := evs[len(evs)-1]; e.Kind != "declined" || e.By != "m:1" || e.Detail != "other" {
		t.Errorf("decline event %+v", e)
	}

	// Accepted: the follow-up 7 days after sending, in waking hours; a
	// later action keeps it; "not yet" asks again 3 days later; a final
	// answer ends them.
	r = create(t, s, sample(chatA, sent))
	if _, err := s.Act(ctx, r.ID, requests.Accept, "", "", "m:1", sent.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Get(ctx, r.ID)
	if got.NextKind != requests.DueFollowUp || !got.NextAt.Equal(at(t, "2026-12-07 10:00")) {
		t.Errorf("after accept: %s at %s", got.NextKind, got.NextAt.In(casablanca))
	}
	got, _ = s.Act(ctx, r.ID, requests.MarkContact, "", "", "m:2", at(t, "2026-12-02 11:00"))
	if got.NextKind != requests.DueFollowUp || !got.NextAt.Equal(at(t, "2026-12-07 10:00")) || !got.ContactedAt.Equal(at(t, "2026-12-02 11:00")) {
		t.Errorf("after contact: %+v", got)
	}
	if err := s.Done(ctx, r.ID, requests.DueFollowUp, at(t, "2026-12-07 10:00"), "", time.Time{}); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Answer(ctx, r.ID, requests.NotYet, at(t, "2026-12-07 19:30"))
	// 3 days later is 19:30, within waking hours.
	if got.FollowUps != 1 || got.Outcome != requests.NotYet || got.NextKind != requests.DueFollowUp || !got.NextAt.Equal(at(t, "2026-12-10 19:30")) {
		t.Errorf("after not yet: %+v", got)
	}
	if _, err := s.Answer(ctx, r.ID, "maybe", at(t, "2026-12-07 20:00")); err == nil {
		t.Error("an unknown outcome was taken")
	}
	got, _ = s.Answer(ctx, r.ID, requests.Reached, at(t, "2026-12-08 09:00"))
	if got.Outcome != requests.Reached || got.NextKind != "" {
		t.Errorf("after helped: %+v", got)
	}
	if k := kinds(t, s, r.ID); k != "sent,accepted,contacted,followup,answered,answered" {
		t.Errorf("events %s", k)
	}
}

// Two members pressing "accept" at once: one wins, the others are told it
// is already accepted; one event.
func TestConcurrentAct(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	sent := at(t, "2026-11-30 10:00")
	for round := 0; round < 5; round++ {
		r := create(t, s, sample(chatA, sent))
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = s.Act(ctx, r.ID, requests.Accept, "", "", "m:"+strconv.Itoa(i), sent.Add(time.Hour))
			}()
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			var te *requests.TransitionError
			switch {
			case err == nil:
				won++
			case errors.As(err, &te) && te.Already():
			default:
				t.Errorf("concurrent accept: %v", err)
			}
		}
		if won != 1 {
			t.Errorf("%d accepts won", won)
		}
		if k := kinds(t, s, r.ID); k != "sent,accepted" {
			t.Errorf("events %s", k)
		}
	}
}

// A step is handed to one caller among two stores (two replicas) taking
// at once; it comes back only once its lease has run out without Done.
func TestDueOnce(t *testing.T) {
	pool, url := newDB(t)
	ctx := context.Background()
	pool2, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool2.Close()
	stores := []*Store{New(pool), New(pool2)}
	sent := at(t, "2026-11-30 10:00")
	const n = 40
	for i := 0; i < n; i++ {
		create(t, stores[0], sample(chatA+int64(i), sent.Add(time.Duration(i)*time.Second)))
	}
	// Not yet due: the reminder is a working day later.
	if due, err := stores[0].Due(ctx, sent.Add(time.Hour), 100); err != nil || len(due) != 0 {
		t.Fatalf("due too early: %d %v", len(due), err)
	}
	now := at(t, "2026-12-01 11:00")
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for w := 0; w < 6; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				due, err := stores[w%2].Due(ctx, now, 3)
				if err != nil {
					t.Error(err)
					return
				}
				if len(due) == 0 {
					return
				}
				mu.Lock()
				for _, r := range due {
					seen[r.ID]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != n {
		t.Errorf("%d requests handed out, want %d", len(seen), n)
	}
	for id, c := range seen {
		if c != 1 {
			t.Errorf("%s handed out %d times", id, c)
		}
	}
	// Nobody called Done: after the lease (1 minute) they come back, oldest
	// first; then the lease is 2 minutes.
	s := stores[0]
	if due, _ := s.Due(ctx, now.Add(59*time.Second), 100); len(due) != 0 {
		t.Errorf("%d handed out again within the lease", len(due))
	}
	due, err := s.Due(ctx, now.Add(time.Minute), 100)
	if err != nil || len(due) != n || due[0].NextAt.After(due[n-1].NextAt) {
		t.Fatalf("after the lease: %d %v", len(due), err)
	}
	if again, _ := s.Due(ctx, now.Add(2*time.Minute+59*time.Second), 100); len(again) != 0 {
		t.Errorf("second lease not longer: %d back", len(again))
	}
	// Done with the following step: not due again until it is.
	for _, r := range due {
		next, nextAt := s.Timing.Next(withStep(r, requests.DueReminder), now)
		if next != requests.DueLapse {
			t.Fatalf("after a reminder: %s", next)
		}
		if err := s.Done(ctx, r.ID, requests.DueReminder, now.Add(time.Minute), next, nextAt); err != nil {
			t.Fatal(err)
		}
	}
	if again, _ := s.Due(ctx, now.Add(time.Hour), 100); len(again) != 0 {
		t.Errorf("%d due after Done", len(again))
	}
	got, _ := s.Get(ctx, due[0].ID)
	if got.Reminders != 1 || got.NextKind != requests.DueLapse || !got.NextAt.Equal(at(t, "2026-12-03 10:00")) {
		t.Errorf("after the reminder: %d reminders, %s at %s", got.Reminders, got.NextKind, got.NextAt.In(casablanca))
	}
	// A second Done of the same step (a replica whose lease ran out) changes nothing.
	if err := s.Done(ctx, got.ID, requests.DueReminder, now.Add(2*time.Minute), requests.DueLapse, got.NextAt); err != nil {
		t.Fatal(err)
	}
	if again, _ := s.Get(ctx, got.ID); again.Reminders != 1 || kinds(t, s, got.ID) != "sent,reminded" {
		t.Errorf("second Done: %d reminders, events %s", again.Reminders, kinds(t, s, got.ID))
	}
	// The lapse.
	lapse := at(t, "2026-12-03 10:00")
	due, _ = s.Due(ctx, lapse, 1)
	if len(due) != 1 || due[0].NextKind != requests.DueLapse {
		t.Fatalf("lapse: %+v", due)
	}
	if err := s.Done(ctx, due[0].ID, requests.DueLapse, lapse, "", time.Time{}); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Get(ctx, due[0].ID)
	if got.Status != requests.Lapsed || !got.LapsedAt.Equal(lapse) || got.NextKind != "" {
		t.Errorf("lapsed: %+v", got)
	}
	// Late help is help: the organisation may still accept, and the follow-up comes.
	got, err = s.Act(ctx, got.ID, requests.Accept, "", "", "m:1", lapse.Add(time.Hour))
	if err != nil || got.NextKind != requests.DueFollowUp {
		t.Errorf("accept after lapse: %+v %v", got, err)
	}
}

func withStep(r requests.Request, step requests.Due) *requests.Request {
	requests.Carried(&r, step, time.Time{})
	return &r
}

// An organisation answering while a clock holds the reminder: the
// reminder's Done does not undo the answer's follow-up.
func TestDoneSuperseded(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	r := create(t, s, sample(chatA, at(t, "2026-11-30 10:00")))
	now := at(t, "2026-12-01 10:30")
	if due, _ := s.Due(ctx, now, 10); len(due) != 1 {
		t.Fatalf("due: %d", len(due))
	}
	if _, err := s.Act(ctx, r.ID, requests.Accept, "", "", "m:1", now); err != nil {
		t.Fatal(err)
	}
	if err := s.Done(ctx, r.ID, requests.DueReminder, now.Add(time.Second), requests.DueLapse, now.Add(48*time.Hour)); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Get(ctx, r.ID)
	if got.Reminders != 0 || got.NextKind != requests.DueFollowUp || kinds(t, s, r.ID) != "sent,accepted" {
		t.Errorf("superseded reminder: %+v, events %s", got, kinds(t, s, r.ID))
	}
	if err := s.Done(ctx, "rnope", requests.DueReminder, now, "", time.Time{}); !errors.Is(err, requests.ErrNotFound) {
		t.Errorf("Done of an unknown request: %v", err)
	}
}

func TestForChatForOrgCounts(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	base := at(t, "2026-11-30 10:00")
	var ids []string
	for i := 0; i < 4; i++ {
		r := sample(chatA, base.Add(time.Duration(i)*time.Hour))
		if i == 3 {
			r.Chat, r.Org = chatB, "org-2"
		}
		ids = append(ids, create(t, s, r).ID)
	}
	if _, err := s.Act(ctx, ids[0], requests.Accept, "", "", "m:1", base.Add(5*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Act(ctx, ids[1], requests.Decline, requests.NotOurArea, "", "m:1", base.Add(5*time.Hour)); err != nil {
		t.Fatal(err)
	}
	mine, err := s.ForChat(ctx, chatA)
	if err != nil || len(mine) != 3 || mine[0].ID != ids[2] || mine[2].ID != ids[0] {
		t.Errorf("ForChat: %v %v", len(mine), err)
	}
	org, err := s.ForOrg(ctx, "org-1", 2)
	if err != nil || len(org) != 2 || org[0].ID != ids[2] || org[1].ID != ids[1] {
		t.Errorf("ForOrg: %v %v", len(org), err)
	}
	c, err := s.Counts(ctx, "org-1", base)
	if err != nil || c[requests.Accepted] != 1 || c[requests.Declined] != 1 || c[requests.Sent] != 1 || len(c) != 3 {
		t.Errorf("Counts: %v %v", c, err)
	}
	if c, _ := s.Counts(ctx, "org-1", base.Add(90*time.Minute)); c[requests.Sent] != 1 || len(c) != 1 {
		t.Errorf("Counts since: %v", c)
	}
}

func TestStop(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	base := at(t, "2026-11-30 10:00")
	accepted := create(t, s, sample(chatA, base))
	sent := create(t, s, sample(chatA, base))
	declined := create(t, s, sample(chatA, base))
	noFollow := sample(chatA, base)
	noFollow.FollowUp = false
	create(t, s, noFollow)
	other := create(t, s, sample(chatB, base))
	s.Act(ctx, accepted.ID, requests.Accept, "", "", "m", base.Add(time.Hour))
	s.Act(ctx, declined.ID, requests.Decline, requests.Full, "", "m", base.Add(time.Hour))
	s.Act(ctx, other.ID, requests.Accept, "", "", "m", base.Add(time.Hour))

	n, err := s.Stop(ctx, chatA)
	if err != nil || n != 2 {
		t.Fatalf("Stop: %d %v, want 2 (the accepted one and the one still waiting)", n, err)
	}
	got, _ := s.Get(ctx, accepted.ID)
	if !got.Stopped || got.NextKind != "" {
		t.Errorf("accepted after stop: %+v", got)
	}
	// The organisation's steps go on; an answer after /stop plans no follow-up.
	got, _ = s.Get(ctx, sent.ID)
	if got.NextKind != requests.DueReminder {
		t.Errorf("the organisation's reminder was dropped: %s", got.NextKind)
	}
	if got, _ := s.Act(ctx, sent.ID, requests.Accept, "", "", "m", base.Add(2*time.Hour)); got.NextKind != "" {
		t.Errorf("follow-up planned after /stop: %s", got.NextKind)
	}
	if got, _ := s.Get(ctx, other.ID); got.Stopped || got.NextKind != requests.DueFollowUp {
		t.Errorf("another person's follow-up changed: %+v", got)
	}
	if n, _ := s.Stop(ctx, chatA); n != 0 {
		t.Errorf("second stop: %d", n)
	}
	if k := kinds(t, s, accepted.ID); k != "sent,accepted,stopped" {
		t.Errorf("events %s", k)
	}
}

// After /forget nothing of the person is left: no column of theirs (nor
// of the events) holds their chat, name, question, phone or the
// organisation's note; open requests are withdrawn; all are returned.
func TestForget(t *testing.T) {
	s, pool := newStore(t)
	ctx := context.Background()
	base := at(t, "2026-11-30 10:00")
	open := create(t, s, sample(chatA, base))
	declined := create(t, s, sample(chatA, base.Add(time.Minute)))
	s.Act(ctx, declined.ID, requests.Decline, requests.OtherReason, "Amina habite trop loin", "m:1", base.Add(time.Hour))
	other := create(t, s, sample(chatB, base))

	gone, err := s.Forget(ctx, chatA, base.Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	// Every request erased comes back, for its card to lose the data: the
	// open one withdrawn, the closed one as it was.
	if len(gone) != 2 || gone[0].ID != open.ID || gone[0].Status != requests.Withdrawn || gone[0].Org != "org-1" || gone[0].Chat != 0 ||
		gone[1].ID != declined.ID || gone[1].Status != requests.Declined || gone[1].Chat != 0 || gone[1].Shared.FirstName != "" {
		t.Fatalf("erased: %+v", gone)
	}
	if mine, _ := s.ForChat(ctx, chatA); len(mine) != 0 {
		t.Errorf("%d requests still found by chat", len(mine))
	}
	for _, table := range []string{"requests", "request_events"} {
		rows, err := pool.Query(ctx, `SELECT row_to_json(t)::text FROM `+table+` t WHERE `+
			map[string]string{"requests": "id", "request_events": "request_id"}[table]+` = ANY($1)`, []string{open.ID, declined.ID})
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var row string
			if err := rows.Scan(&row); err != nil {
				t.Fatal(err)
			}
			for _, personal := range []string{strconv.FormatInt(chatA, 10), "Amina", "تمويل", "612345678", "loin"} {
				if strings.Contains(row, personal) {
					t.Errorf("%s keeps %q after /forget: %s", table, personal, row)
				}
			}
		}
		rows.Close()
	}
	if k := kinds(t, s, open.ID); k != "sent,withdrawn" {
		t.Errorf("events %s", k)
	}
	if got, _ := s.Get(ctx, open.ID); got.NextKind != "" || got.Shared.Facts.Empty() {
		t.Errorf("withdrawn: next %s, facts %v (kept, tied to no one)", got.NextKind, got.Shared.Facts)
	}
	if _, err := s.Answer(ctx, open.ID, requests.Reached, base.Add(3*time.Hour)); err == nil {
		t.Error("a withdrawn request took an answer")
	}
	if got, _ := s.Get(ctx, other.ID); got.Chat != chatB || got.Shared.FirstName != "Amina" {
		t.Errorf("another person's request changed: %+v", got)
	}
}

func TestPurge(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	base := at(t, "2026-11-30 10:00")
	declined := create(t, s, sample(chatA, base))
	s.Act(ctx, declined.ID, requests.Decline, requests.Full, "", "m", base.Add(time.Hour))
	waiting := create(t, s, sample(chatA, base))
	n, err := s.Purge(ctx, base.Add(30*time.Minute))
	if err != nil || n != 0 {
		t.Errorf("purge before the end: %d %v", n, err)
	}
	n, err = s.Purge(ctx, base.Add(48*time.Hour))
	if err != nil || n != 1 {
		t.Errorf("purge: %d %v", n, err)
	}
	if got, _ := s.Get(ctx, declined.ID); got.Chat != 0 || got.Shared.FirstName != "" || got.Shared.Phone != "" || got.Status != requests.Declined {
		t.Errorf("purged: %+v", got)
	}
	if got, _ := s.Get(ctx, waiting.ID); got.Chat != chatA {
		t.Errorf("a request with a step to come was purged")
	}
}

func TestLinkCodes(t *testing.T) {
	s, pool := newStore(t)
	ctx := context.Background()
	now := at(t, "2026-11-30 10:00")
	if _, err := s.NewLinkCode(ctx, "org-1", lang.ARY, now.Add(time.Hour)); err == nil {
		t.Error("cards in ary were accepted (fr or ar)")
	}
	code, err := s.NewLinkCode(ctx, "org-1", lang.AR, now.Add(time.Hour))
	if err != nil || len(code) != codeLen {
		t.Fatalf("code %q %v", code, err)
	}
	var stored int
	pool.QueryRow(ctx, `SELECT count(*) FROM org_link_codes WHERE code_hash = $1 OR org_id = $1`, code).Scan(&stored)
	if stored != 0 {
		t.Error("the code is stored in clear")
	}
	if _, err := s.Link(ctx, "ZZZZZZZZZZ", group, now); !errors.Is(err, requests.ErrNotFound) {
		t.Errorf("wrong code: %v", err)
	}
	if _, err := s.GroupOf(ctx, "org-1"); !errors.Is(err, requests.ErrNotFound) {
		t.Errorf("group before linking: %v", err)
	}
	// Typed in lower case with a space: the same code.
	g, err := s.Link(ctx, " "+strings.ToLower(code[:5])+" "+code[5:], group, now.Add(time.Minute))
	if err != nil || g != (requests.Group{Org: "org-1", Chat: group, Lang: lang.AR}) {
		t.Fatalf("link: %+v %v", g, err)
	}
	if _, err := s.Link(ctx, code, group-1, now.Add(2*time.Minute)); !errors.Is(err, requests.ErrNotFound) {
		t.Errorf("code used twice: %v", err)
	}
	expired, _ := s.NewLinkCode(ctx, "org-1", lang.FR, now.Add(time.Hour))
	if _, err := s.Link(ctx, expired, group, now.Add(time.Hour)); !errors.Is(err, requests.ErrNotFound) {
		t.Errorf("expired code: %v", err)
	}
	if g, err := s.OrgOf(ctx, group); err != nil || g.Org != "org-1" {
		t.Errorf("OrgOf: %+v %v", g, err)
	}
	// A new group replaces the organisation's earlier one.
	again, _ := s.NewLinkCode(ctx, "org-1", lang.FR, now.Add(2*time.Hour))
	if _, err := s.Link(ctx, again, group-1, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if g, _ := s.GroupOf(ctx, "org-1"); g.Chat != group-1 || g.Lang != lang.FR {
		t.Errorf("relinked: %+v", g)
	}
	if _, err := s.OrgOf(ctx, group); !errors.Is(err, requests.ErrNotFound) {
		t.Errorf("the old group still linked: %v", err)
	}
	// A group linked by another organisation's code moves to it.
	other, _ := s.NewLinkCode(ctx, "org-2", lang.FR, now.Add(2*time.Hour))
	if _, err := s.Link(ctx, other, group-1, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GroupOf(ctx, "org-1"); !errors.Is(err, requests.ErrNotFound) {
		t.Errorf("the group is still org-1's: %v", err)
	}
	if err := s.SetGroupLang(ctx, "org-2", lang.AR); err != nil {
		t.Fatal(err)
	}
	if g, _ := s.GroupOf(ctx, "org-2"); g.Lang != lang.AR || g.Chat != group-1 {
		t.Errorf("after SetGroupLang: %+v", g)
	}
	if err := s.SetGroupLang(ctx, "org-1", lang.FR); !errors.Is(err, requests.ErrNotFound) {
		t.Errorf("SetGroupLang without a group: %v", err)
	}
	if err := s.SetGroupLang(ctx, "org-2", lang.ARY); err == nil {
		t.Error("SetGroupLang ary accepted")
	}
}

func TestMoveGroup(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	now := at(t, "2026-11-30 10:00")
	code, _ := s.NewLinkCode(ctx, "org-1", lang.AR, now.Add(time.Hour))
	if _, err := s.Link(ctx, code, group, now); err != nil {
		t.Fatal(err)
	}
	// The group became a supergroup: the link follows, its language kept.
	super := group - 1_000_000_000_000
	if err := s.MoveGroup(ctx, group, super); err != nil {
		t.Fatal(err)
	}
	if g, err := s.OrgOf(ctx, super); err != nil || g != (requests.Group{Org: "org-1", Chat: super, Lang: lang.AR}) {
		t.Fatalf("OrgOf the supergroup: %+v %v", g, err)
	}
	if _, err := s.OrgOf(ctx, group); !errors.Is(err, requests.ErrNotFound) {
		t.Errorf("the old group still linked: %v", err)
	}
	// Told twice (both service messages), or of a group linked to nobody:
	// nothing changes.
	if err := s.MoveGroup(ctx, group, super); err != nil {
		t.Fatal(err)
	}
	if err := s.MoveGroup(ctx, group-5, super-5); err != nil {
		t.Fatal(err)
	}
	if g, _ := s.GroupOf(ctx, "org-1"); g.Chat != super {
		t.Errorf("after a second move: %+v", g)
	}
	// A supergroup linked already (a new code used there) keeps its link.
	other, _ := s.NewLinkCode(ctx, "org-2", lang.FR, now.Add(time.Hour))
	if _, err := s.Link(ctx, other, group-2, now); err != nil {
		t.Fatal(err)
	}
	if err := s.MoveGroup(ctx, group-2, super); err != nil {
		t.Fatal(err)
	}
	if g, _ := s.OrgOf(ctx, super); g.Org != "org-1" {
		t.Errorf("the supergroup's own link replaced: %+v", g)
	}
}

func TestReachable(t *testing.T) {
	s, pool := newStore(t)
	ctx := context.Background()
	now := at(t, "2026-11-30 10:00")
	code, _ := s.NewLinkCode(ctx, "org-group", lang.FR, now.Add(time.Hour))
	if _, err := s.Link(ctx, code, group, now); err != nil {
		t.Fatal(err)
	}
	for i, a := range []struct {
		org      string
		disabled bool
	}{{"org-partner", false}, {"org-gone", true}} {
		if _, err := pool.Exec(ctx, `INSERT INTO staff_account (email, role, password_hash, disabled, org_id)
			VALUES ($1, 'partner', 'x', $2, $3)`, fmt.Sprintf("p%d@example.org", i), a.disabled, a.org); err != nil {
			t.Fatal(err)
		}
	}
	// The schema holds a partner to an organisation, and only a partner.
	if _, err := pool.Exec(ctx, `INSERT INTO staff_account (email, role, password_hash) VALUES ('x@example.org', 'partner', 'x')`); err == nil {
		t.Error("a partner without an organisation was stored")
	}
	if _, err := pool.Exec(ctx, `INSERT INTO staff_account (email, role, password_hash, org_id) VALUES ('y@example.org', 'editor', 'x', 'org-1')`); err == nil {
		t.Error("an editor tied to an organisation was stored")
	}
	got, err := s.Reachable(ctx, []string{"org-group", "org-partner", "org-gone", "org-none"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"org-group": true, "org-partner": true, "org-gone": false, "org-none": false}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Reachable = %v, want %v", got, want)
	}
}
