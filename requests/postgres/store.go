package postgres

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dalil-tt/dalil/internal/lang"
	"github.com/dalil-tt/dalil/requests"
)

// Store is requests.Store in PostgreSQL (tables of MigrateDB).
type Store struct {
	pool *pgxpool.Pool
	// Timing sets the next step after an action or an answer; the clock
	// must use the same.
	Timing requests.Timing
	// Lease is how long a step handed out by Due stays with its caller
	// before another may take it (the caller crashed); it doubles with
	// each failed attempt, up to MaxLease.
	Lease, MaxLease time.Duration
}

// New returns the store over a migrated database, with DefaultTiming.
func New(pool *pgxpool.Pool) *Store {
	return &Store{pool: pool, Timing: requests.DefaultTiming(), Lease: time.Minute, MaxLease: time.Hour}
}

var _ requests.Store = (*Store)(nil)

// columns are read into a Request by scan, in this order.
const columns = `id, service_id, org_id, chat_id, first_name, question, phone, lang, facts, follow_up, stopped,
	status, reason, note, sent_at, answered_at, contacted_at, done_at, lapsed_at, outcome, follow_ups, reminders,
	next_at, next_kind`

func scan(row pgx.Row) (*requests.Request, error) {
	var (
		r                                         requests.Request
		chat                                      *int64
		name, question, phone, reason, note       *string
		outcome, nextKind                         *string
		answered, contacted, done, lapsed, nextAt *time.Time
		facts                                     []byte
	)
	err := row.Scan(&r.ID, &r.Service, &r.Org, &chat, &name, &question, &phone, &r.Shared.Lang, &facts, &r.FollowUp,
		&r.Stopped, &r.Status, &reason, &note, &r.SentAt, &answered, &contacted, &done, &lapsed, &outcome,
		&r.FollowUps, &r.Reminders, &nextAt, &nextKind)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(facts, &r.Shared.Facts); err != nil {
		return nil, fmt.Errorf("request %s: reading facts: %w", r.ID, err)
	}
	r.Chat = deref(chat)
	r.Shared.FirstName, r.Shared.Question, r.Shared.Phone = deref(name), deref(question), deref(phone)
	r.Reason, r.Note = requests.Reason(deref(reason)), deref(note)
	r.AnsweredAt, r.ContactedAt, r.DoneAt, r.LapsedAt = deref(answered), deref(contacted), deref(done), deref(lapsed)
	r.Outcome, r.NextAt, r.NextKind = requests.Outcome(deref(outcome)), deref(nextAt), requests.Due(deref(nextKind))
	return &r, nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// null is v, or NULL for its zero value.
func null[T comparable](v T) any {
	var zero T
	if v == zero {
		return nil
	}
	return v
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

func collect(rows pgx.Rows) ([]requests.Request, error) {
	defer rows.Close()
	var out []requests.Request
	for rows.Next() {
		r, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *r)
	}
	return out, rows.Err()
}

// idChars make request ids: lower-case base 36, as in callback data.
const idChars = "0123456789abcdefghijklmnopqrstuvwxyz"

// NewID is "r" and 10 random base-36 characters (about 51 bits).
func NewID() string {
	return "r" + randomString(idChars, 10)
}

func randomString(alphabet string, n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	// 256 is not a multiple of len(alphabet): redraw the few bytes past the
	// last whole multiple, so every character is as likely.
	limit := byte(256 / len(alphabet) * len(alphabet))
	for i := range b {
		for b[i] >= limit && limit != 0 {
			_, _ = rand.Read(b[i : i+1])
		}
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// Create records a request just sent: Status Sent, its first timed step
// from Timing unless r has one, and the "sent" event. An empty ID gets one.
func (s *Store) Create(ctx context.Context, r *requests.Request) error {
	if r.ID == "" {
		r.ID = NewID()
	}
	if r.Status == "" {
		r.Status = requests.Sent
	}
	switch {
	case r.Service == "" || r.Org == "":
		return fmt.Errorf("creating request %s: service and organisation are required", r.ID)
	case r.Chat == 0:
		return fmt.Errorf("creating request %s: the person's chat is required", r.ID)
	case r.Status != requests.Sent:
		return fmt.Errorf("creating request %s: a new request is sent, not %s", r.ID, r.Status)
	case r.SentAt.IsZero():
		return fmt.Errorf("creating request %s: no sending time", r.ID)
	}
	if _, err := lang.Parse(string(r.Shared.Lang)); err != nil {
		return fmt.Errorf("creating request %s: %w", r.ID, err)
	}
	if err := r.Shared.Facts.Validate(); err != nil {
		return fmt.Errorf("creating request %s: %w", r.ID, err)
	}
	facts, err := json.Marshal(r.Shared.Facts.Normalized())
	if err != nil {
		return fmt.Errorf("creating request %s: %w", r.ID, err)
	}
	if r.NextKind == "" {
		r.NextKind, r.NextAt = s.Timing.Next(r, r.SentAt)
	}
	return s.tx(ctx, "creating request "+r.ID, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO requests (id, service_id, org_id, chat_id, first_name, question, phone, lang,
			facts, follow_up, stopped, status, sent_at, next_at, next_kind, changed_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $13)`,
			r.ID, r.Service, r.Org, r.Chat, null(r.Shared.FirstName), null(r.Shared.Question), null(r.Shared.Phone),
			r.Shared.Lang, facts, r.FollowUp, r.Stopped, r.Status, r.SentAt, nullTime(r.NextAt), null(r.NextKind))
		if err != nil {
			return err
		}
		return event(ctx, tx, r.ID, r.SentAt, "sent", "", "")
	})
}

// Get returns one request; requests.ErrNotFound when unknown.
func (s *Store) Get(ctx context.Context, id string) (*requests.Request, error) {
	r, err := scan(s.pool.QueryRow(ctx, `SELECT `+columns+` FROM requests WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("request %s: %w", id, requests.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("reading request %s: %w", id, err)
	}
	return r, nil
}

// Act applies an organisation's action under the row's lock, so that of
// two members answering at once one wins and the other gets a
// *requests.TransitionError (its Already says whether the request is
// already where the action leads: a double press). The person's chat stays
// in the returned request for the caller to tell them.
func (s *Store) Act(ctx context.Context, id string, a requests.Action, reason requests.Reason, note, by string, at time.Time) (*requests.Request, error) {
	if a == requests.Decline && !slices.Contains(requests.Reasons, reason) {
		return nil, fmt.Errorf("declining request %s: unknown reason %q", id, reason)
	}
	var out *requests.Request
	err := s.tx(ctx, fmt.Sprintf("%s request %s", a, id), func(tx pgx.Tx) error {
		r, err := lockRow(ctx, tx, id)
		if err != nil {
			return err
		}
		to, err := requests.Next(r.Status, a)
		if err != nil {
			return err
		}
		r.Status = to
		if r.AnsweredAt.IsZero() {
			r.AnsweredAt = at // any answer is the first answer's time, for response times
		}
		switch to {
		case requests.Declined:
			r.Reason, r.Note = reason, note
		case requests.Contacted:
			r.ContactedAt = at
		case requests.Helped, requests.NotHelped:
			r.DoneAt = at
		}
		s.reschedule(r, at, true)
		if err := save(ctx, tx, r, at); err != nil {
			return err
		}
		out = r
		return event(ctx, tx, id, at, string(to), by, string(r.Reason))
	})
	return out, err
}

// Answer records the person's follow-up answer; a "not yet" brings one
// more follow-up, any other answer ends them.
func (s *Store) Answer(ctx context.Context, id string, o requests.Outcome, at time.Time) (*requests.Request, error) {
	switch o {
	case requests.Reached, requests.NoHelp, requests.NotReached, requests.NotYet:
	default:
		return nil, fmt.Errorf("answering request %s: unknown outcome %q", id, o)
	}
	var out *requests.Request
	err := s.tx(ctx, "answering request "+id, func(tx pgx.Tx) error {
		r, err := lockRow(ctx, tx, id)
		if err != nil {
			return err
		}
		if r.Status == requests.Withdrawn {
			return &requests.TransitionError{From: r.Status, Action: "answer"}
		}
		r.Outcome = o
		s.reschedule(r, at, false)
		if err := save(ctx, tx, r, at); err != nil {
			return err
		}
		out = r
		return event(ctx, tx, id, at, "answered", "", string(o))
	})
	return out, err
}

// reschedule sets r's next step after a change at at. keepFollowUp keeps a
// follow-up already planned (an organisation's action does not move the
// person's follow-up).
func (s *Store) reschedule(r *requests.Request, at time.Time, keepFollowUp bool) {
	kind, when := s.Timing.Next(r, at)
	if keepFollowUp && kind == requests.DueFollowUp && r.NextKind == requests.DueFollowUp {
		return
	}
	r.NextKind, r.NextAt = kind, when
}

// ForChat lists a person's requests, newest first.
func (s *Store) ForChat(ctx context.Context, chat int64) ([]requests.Request, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+columns+` FROM requests WHERE chat_id = $1 ORDER BY sent_at DESC, id`, chat)
	if err != nil {
		return nil, fmt.Errorf("listing a person's requests: %w", err)
	}
	out, err := collect(rows)
	if err != nil {
		return nil, fmt.Errorf("listing a person's requests: %w", err)
	}
	return out, nil
}

// ForOrg lists an organisation's requests, newest first.
func (s *Store) ForOrg(ctx context.Context, org string, limit int) ([]requests.Request, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+columns+` FROM requests WHERE org_id = $1 ORDER BY sent_at DESC, id LIMIT $2`, org, limit)
	if err != nil {
		return nil, fmt.Errorf("listing requests of %s: %w", org, err)
	}
	out, err := collect(rows)
	if err != nil {
		return nil, fmt.Errorf("listing requests of %s: %w", org, err)
	}
	return out, nil
}

// Counts are an organisation's requests sent since a time, by status.
func (s *Store) Counts(ctx context.Context, org string, since time.Time) (requests.Counts, error) {
	rows, err := s.pool.Query(ctx, `SELECT status, count(*) FROM requests WHERE org_id = $1 AND sent_at >= $2 GROUP BY status`, org, since)
	if err != nil {
		return nil, fmt.Errorf("counting requests of %s: %w", org, err)
	}
	defer rows.Close()
	c := requests.Counts{}
	for rows.Next() {
		var st requests.Status
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, fmt.Errorf("counting requests of %s: %w", org, err)
		}
		c[st] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("counting requests of %s: %w", org, err)
	}
	return c, nil
}

// Stop turns the person's follow-ups off and drops those planned; it
// returns how many requests had one still to come (each gets a "stopped"
// event).
func (s *Store) Stop(ctx context.Context, chat int64) (int, error) {
	n := 0
	err := s.tx(ctx, "stopping follow-ups", func(tx pgx.Tx) error {
		rs, err := lockChat(ctx, tx, chat)
		if err != nil {
			return err
		}
		now := time.Now()
		for i := range rs {
			r := &rs[i]
			if !r.FollowUp || r.Stopped {
				continue
			}
			pending := followUpToCome(r)
			r.Stopped = true
			if r.NextKind == requests.DueFollowUp {
				r.NextKind, r.NextAt = "", time.Time{}
			}
			if err := save(ctx, tx, r, now); err != nil {
				return err
			}
			if pending {
				n++
				if err := event(ctx, tx, r.ID, now, "stopped", "", ""); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return n, err
}

// followUpToCome says whether r would still ask the person something: one
// planned, or a first one that an organisation's answer would plan.
func followUpToCome(r *requests.Request) bool {
	if r.NextKind == requests.DueFollowUp {
		return true
	}
	switch r.Status {
	case requests.Declined, requests.Withdrawn:
		return false
	}
	return r.FollowUps == 0 && r.Outcome == ""
}

// Forget erases the person's part of every request of chat (the chat
// itself, first name, question, phone, and the organisation's note that
// may speak of them), drops their timed steps, marks the open ones
// Withdrawn and returns every request erased (closed ones keep their
// status), for the organisations' cards to lose the data. Facts and
// language stay, tied to no one.
func (s *Store) Forget(ctx context.Context, chat int64, at time.Time) ([]requests.Request, error) {
	var erased []requests.Request
	err := s.tx(ctx, "forgetting a person's requests", func(tx pgx.Tx) error {
		rs, err := lockChat(ctx, tx, chat)
		if err != nil {
			return err
		}
		for i := range rs {
			r := &rs[i]
			open := r.Status.Open()
			if open {
				r.Status = requests.Withdrawn
			}
			r.Chat, r.Shared.FirstName, r.Shared.Question, r.Shared.Phone, r.Note = 0, "", "", "", ""
			r.NextKind, r.NextAt = "", time.Time{}
			if err := save(ctx, tx, r, at); err != nil {
				return err
			}
			erased = append(erased, *r)
			if open {
				if err := event(ctx, tx, r.ID, at, "withdrawn", "", ""); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return erased, err
}

// Purge erases the person's part of requests with no step to come and no
// change since before (their life has ended; retention kept them for
// /requests and the organisation's inbox until then). It returns how many.
func (s *Store) Purge(ctx context.Context, before time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE requests SET chat_id = NULL, first_name = NULL, question = NULL, phone = NULL, note = NULL
		WHERE chat_id IS NOT NULL AND next_at IS NULL AND changed_at < $1`, before)
	if err != nil {
		return 0, fmt.Errorf("purging ended requests: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// Due hands out up to limit requests whose next step is due at now,
// oldest first, each to one caller: a step handed out is leased to it
// (Lease, doubled for each earlier attempt up to MaxLease) and comes back
// due only if Done has not been called by then.
func (s *Store) Due(ctx context.Context, now time.Time, limit int) ([]requests.Request, error) {
	rows, err := s.pool.Query(ctx, `UPDATE requests r
		SET claimed_until = $1::timestamptz + make_interval(secs => least($3::float8 * power(2, least(r.attempts, 20)), $4::float8)),
			attempts = r.attempts + 1
		FROM (SELECT id AS due_id FROM requests WHERE next_at <= $1 AND (claimed_until IS NULL OR claimed_until <= $1)
			ORDER BY next_at LIMIT $2 FOR UPDATE SKIP LOCKED) d
		WHERE r.id = d.due_id
		RETURNING `+columns, now, limit, s.Lease.Seconds(), s.MaxLease.Seconds())
	if err != nil {
		return nil, fmt.Errorf("taking due requests: %w", err)
	}
	out, err := collect(rows)
	if err != nil {
		return nil, fmt.Errorf("taking due requests: %w", err)
	}
	slices.SortFunc(out, func(a, b requests.Request) int { return a.NextAt.Compare(b.NextAt) })
	return out, nil
}

// Done records that step was carried out at at (requests.Carried) and
// sets the next one. A step no longer r's next (an organisation answered
// meanwhile, or another clock got there first) changes nothing.
func (s *Store) Done(ctx context.Context, id string, step requests.Due, at time.Time, next requests.Due, nextAt time.Time) error {
	return s.tx(ctx, fmt.Sprintf("recording the %s of request %s", step, id), func(tx pgx.Tx) error {
		r, err := lockRow(ctx, tx, id)
		if err != nil {
			return err
		}
		if r.NextKind != step || r.NextAt.After(at) {
			return nil
		}
		requests.Carried(r, step, at)
		r.NextKind, r.NextAt = next, nextAt
		if next == "" {
			r.NextAt = time.Time{}
		}
		if err := save(ctx, tx, r, at); err != nil {
			return err
		}
		kind := map[requests.Due]string{requests.DueReminder: "reminded", requests.DueLapse: "lapsed", requests.DueFollowUp: "followup"}[step]
		return event(ctx, tx, id, at, kind, "", "")
	})
}

// Release ends the lease of step if it is still the request's next and
// undoes the claim's attempt (Due counts one per hand-out), so the lease
// stays what it was before: a stop is not a failure and does not lengthen
// the next one.
func (s *Store) Release(ctx context.Context, id string, step requests.Due) error {
	_, err := s.pool.Exec(ctx, `UPDATE requests SET claimed_until = NULL, attempts = greatest(attempts - 1, 0)
		WHERE id = $1 AND next_kind = $2 AND claimed_until IS NOT NULL`, id, step)
	if err != nil {
		return fmt.Errorf("releasing the %s of request %s: %w", step, id, err)
	}
	return nil
}

// Postpone moves step to until if it is still r's next; save ends the
// lease, so the step comes back due at until.
func (s *Store) Postpone(ctx context.Context, id string, step requests.Due, until time.Time) error {
	return s.tx(ctx, fmt.Sprintf("postponing the %s of request %s", step, id), func(tx pgx.Tx) error {
		r, err := lockRow(ctx, tx, id)
		if err != nil {
			return err
		}
		if r.NextKind != step {
			return nil
		}
		r.NextAt = until
		return save(ctx, tx, r, time.Now())
	})
}

// Event is one step of a request's life.
type Event struct {
	At     time.Time
	Kind   string // sent, accepted, declined, contacted, helped, not_helped, lapsed, withdrawn, reminded, followup, answered, stopped
	By     string // pseudonymous member key or console account; "" for the person or the clock
	Detail string // the decline reason or the person's answer
}

// Events are a request's events, oldest first.
func (s *Store) Events(ctx context.Context, id string) ([]Event, error) {
	rows, err := s.pool.Query(ctx, `SELECT at, kind, coalesce(by_key, ''), coalesce(detail, '') FROM request_events
		WHERE request_id = $1 ORDER BY at, id`, id)
	if err != nil {
		return nil, fmt.Errorf("reading the events of request %s: %w", id, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Event])
	if err != nil {
		return nil, fmt.Errorf("reading the events of request %s: %w", id, err)
	}
	return out, nil
}

// tx runs f in a transaction; what names the work in errors.
func (s *Store) tx(ctx context.Context, what string, f func(pgx.Tx) error) error {
	err := pgx.BeginFunc(ctx, s.pool, f)
	var te *requests.TransitionError
	if err != nil && !errors.As(err, &te) && !errors.Is(err, requests.ErrNotFound) {
		return fmt.Errorf("%s: %w", what, err)
	}
	return err
}

// lockRow reads a request and locks its row until the transaction ends.
func lockRow(ctx context.Context, tx pgx.Tx, id string) (*requests.Request, error) {
	r, err := scan(tx.QueryRow(ctx, `SELECT `+columns+` FROM requests WHERE id = $1 FOR UPDATE`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("request %s: %w", id, requests.ErrNotFound)
	}
	return r, err
}

func lockChat(ctx context.Context, tx pgx.Tx, chat int64) ([]requests.Request, error) {
	rows, err := tx.Query(ctx, `SELECT `+columns+` FROM requests WHERE chat_id = $1 ORDER BY sent_at, id FOR UPDATE`, chat)
	if err != nil {
		return nil, err
	}
	return collect(rows)
}

// save writes what a change may touch. A new next step ends the lease of
// the old one.
func save(ctx context.Context, tx pgx.Tx, r *requests.Request, at time.Time) error {
	_, err := tx.Exec(ctx, `UPDATE requests SET chat_id = $2, first_name = $3, question = $4, phone = $5, stopped = $6,
		status = $7, reason = $8, note = $9, answered_at = $10, contacted_at = $11, done_at = $12, lapsed_at = $13,
		outcome = $14, follow_ups = $15, reminders = $16,
		claimed_until = CASE WHEN next_kind IS NOT DISTINCT FROM $18 AND next_at IS NOT DISTINCT FROM $17 THEN claimed_until END,
		attempts = CASE WHEN next_kind IS NOT DISTINCT FROM $18 AND next_at IS NOT DISTINCT FROM $17 THEN attempts ELSE 0 END,
		next_at = $17, next_kind = $18, changed_at = $19
		WHERE id = $1`,
		r.ID, null(r.Chat), null(r.Shared.FirstName), null(r.Shared.Question), null(r.Shared.Phone), r.Stopped,
		r.Status, null(r.Reason), null(r.Note), nullTime(r.AnsweredAt), nullTime(r.ContactedAt), nullTime(r.DoneAt),
		nullTime(r.LapsedAt), null(r.Outcome), r.FollowUps, r.Reminders, nullTime(r.NextAt), null(r.NextKind), at)
	return err
}

func event(ctx context.Context, tx pgx.Tx, id string, at time.Time, kind, by, detail string) error {
	_, err := tx.Exec(ctx, `INSERT INTO request_events (request_id, at, kind, by_key, detail) VALUES ($1, $2, $3, $4, $5)`,
		id, at, kind, null(by), null(detail))
	return err
}
