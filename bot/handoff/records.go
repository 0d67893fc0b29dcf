package handoff

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib" // "pgx" driver for sql.Open

	"github.com/dalil-tt/dalil/internal/pgmigrate"
)

//go:embed migrations/*.sql
var migrations embed.FS

// gooseTable is this package's own goose version table.
const gooseTable = "handoff_goose_version"

// Migrate creates or updates the handoff tables; safe from several
// processes at once.
func Migrate(ctx context.Context, databaseURL string) error {
	db, err := sql.Open("pgx", databaseURL)
	if err != nil {
		return fmt.Errorf("opening database for handoff migrations: %w", err)
	}
	defer db.Close()
	return MigrateDB(ctx, db)
}

// MigrateDB is Migrate on an open database.
func MigrateDB(ctx context.Context, db *sql.DB) error {
	return pgmigrate.Up(ctx, db, pgmigrate.Schema{Name: "handoff", Files: pgmigrate.Sub(migrations, "migrations"), Table: gooseTable, LockID: 7310493115840257311})
}

// Records is the handoffs' history in PostgreSQL. A nil *Records records
// nothing (a bot run without DATABASE_URL still hands conversations over).
type Records struct {
	pool *pgxpool.Pool
}

// NewRecords returns the records over a migrated database (Migrate).
func NewRecords(pool *pgxpool.Pool) *Records { return &Records{pool: pool} }

// Record is one handoff as stored.
type Record struct {
	ID, UserKey, Lang, Source string
	Needs                     []string
	OffHours                  bool
	OpenedAt                  time.Time
	TakenAt, FirstAnswerAt    *time.Time
	ClosedAt                  *time.Time
	AdviserID                 *int64
	Outcome                   *string
	UserMessages              int
	AdviserMessages           int
	Phone                     *string
}

func (r *Records) open(ctx context.Context, rec Record) error {
	if r == nil {
		return nil // no database: handoffs work, unrecorded
	}
	if rec.Needs == nil {
		rec.Needs = []string{}
	}
	_, err := r.pool.Exec(ctx, `INSERT INTO handoffs (id, user_key, lang, needs, source, off_hours, opened_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, rec.ID, rec.UserKey, rec.Lang, rec.Needs, rec.Source, rec.OffHours, rec.OpenedAt)
	if err != nil {
		return fmt.Errorf("recording a handoff: %w", err)
	}
	return nil
}

// answered notes an adviser's message: the first one sets taken and
// first-answer times.
func (r *Records) answered(ctx context.Context, id string, adviser int64, at time.Time) error {
	if r == nil {
		return nil // no database: handoffs work, unrecorded
	}
	_, err := r.pool.Exec(ctx, `UPDATE handoffs SET adviser_messages = adviser_messages + 1,
		first_answer_at = COALESCE(first_answer_at, $2), taken_at = COALESCE(taken_at, $2),
		adviser_id = COALESCE(adviser_id, $3) WHERE id = $1`, id, at, adviser)
	if err != nil {
		return fmt.Errorf("recording an adviser's answer: %w", err)
	}
	return nil
}

func (r *Records) taken(ctx context.Context, id string, adviser int64, at time.Time) error {
	if r == nil {
		return nil // no database: handoffs work, unrecorded
	}
	_, err := r.pool.Exec(ctx, `UPDATE handoffs SET taken_at = COALESCE(taken_at, $2), adviser_id = $3 WHERE id = $1`, id, at, adviser)
	if err != nil {
		return fmt.Errorf("recording a take: %w", err)
	}
	return nil
}

func (r *Records) userMessage(ctx context.Context, id string) error {
	if r == nil {
		return nil // no database: handoffs work, unrecorded
	}
	_, err := r.pool.Exec(ctx, `UPDATE handoffs SET user_messages = user_messages + 1 WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("counting a user's message: %w", err)
	}
	return nil
}

func (r *Records) text(ctx context.Context, id string, fromAdviser bool, body string, at time.Time) error {
	if r == nil {
		return nil // no database: handoffs work, unrecorded
	}
	_, err := r.pool.Exec(ctx, `INSERT INTO handoff_messages (handoff_id, at, from_adviser, body) VALUES ($1, $2, $3, $4)`,
		id, at, fromAdviser, body)
	if err != nil {
		return fmt.Errorf("keeping a message text: %w", err)
	}
	return nil
}

func (r *Records) phone(ctx context.Context, id, phone string) error {
	if r == nil {
		return nil // no database: handoffs work, unrecorded
	}
	_, err := r.pool.Exec(ctx, `UPDATE handoffs SET phone = NULLIF($2, '') WHERE id = $1`, id, phone)
	if err != nil {
		return fmt.Errorf("keeping a call-back number: %w", err)
	}
	return nil
}

func (r *Records) close(ctx context.Context, id string, adviser int64, outcome string, at time.Time) error {
	if r == nil {
		return nil // no database: handoffs work, unrecorded
	}
	// $4 is cast: beside the literal 0 PostgreSQL would type it int4, and
	// Telegram ids go past 2^31.
	_, err := r.pool.Exec(ctx, `UPDATE handoffs SET closed_at = COALESCE(closed_at, $2), outcome = COALESCE(outcome, $3),
		adviser_id = COALESCE(adviser_id, NULLIF($4::bigint, 0)) WHERE id = $1`, id, at, outcome, adviser)
	if err != nil {
		return fmt.Errorf("recording a close: %w", err)
	}
	return nil
}

// Get returns one record.
func (r *Records) Get(ctx context.Context, id string) (Record, error) {
	var rec Record
	if r == nil {
		return rec, errors.New("no handoff records (no database)")
	}
	err := r.pool.QueryRow(ctx, `SELECT id, user_key, lang, source, needs, off_hours, opened_at, taken_at, first_answer_at,
		closed_at, adviser_id, outcome, user_messages, adviser_messages, phone FROM handoffs WHERE id = $1`, id).Scan(
		&rec.ID, &rec.UserKey, &rec.Lang, &rec.Source, &rec.Needs, &rec.OffHours, &rec.OpenedAt, &rec.TakenAt,
		&rec.FirstAnswerAt, &rec.ClosedAt, &rec.AdviserID, &rec.Outcome, &rec.UserMessages, &rec.AdviserMessages, &rec.Phone)
	if err != nil {
		return rec, fmt.Errorf("reading handoff %s: %w", id, err)
	}
	return rec, nil
}

// Texts returns the kept message texts of a handoff, oldest first.
func (r *Records) Texts(ctx context.Context, id string) ([]string, error) {
	if r == nil {
		return nil, nil
	}
	rows, err := r.pool.Query(ctx, `SELECT body FROM handoff_messages WHERE handoff_id = $1 ORDER BY at`, id)
	if err != nil {
		return nil, fmt.Errorf("reading kept texts: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, fmt.Errorf("reading kept texts: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// forget deletes every handoff of a user, under any of their keys (the
// current pseudonym key's and the old ones'); texts go with them.
func (r *Records) forget(ctx context.Context, userKeys []string) error {
	if r == nil {
		return nil // no database: handoffs work, unrecorded
	}
	if _, err := r.pool.Exec(ctx, `DELETE FROM handoffs WHERE user_key = ANY($1)`, userKeys); err != nil {
		return fmt.Errorf("erasing a user's handoffs: %w", err)
	}
	return nil
}

// rekey moves a user's handoffs stored under old keys to the current one.
func (r *Records) rekey(ctx context.Context, current string, old []string) error {
	if r == nil || len(old) == 0 {
		return nil
	}
	if _, err := r.pool.Exec(ctx, `UPDATE handoffs SET user_key = $1 WHERE user_key = ANY($2)`, current, old); err != nil {
		return fmt.Errorf("moving a user's handoffs to the current pseudonym key: %w", err)
	}
	return nil
}

// Purge drops message texts older than retention and call-back numbers of
// handoffs closed longer ago than retention, and ends handoffs left open
// past the longest life of their Redis state (STATE_TTL's default).
func (r *Records) Purge(ctx context.Context, now time.Time, retention time.Duration) error {
	return r.purge(ctx, now, retention, defaultStateTTL)
}

// purge is Purge with the life of the desk's Redis state.
func (r *Records) purge(ctx context.Context, now time.Time, retention, stateTTL time.Duration) error {
	if r == nil {
		return nil // no database: handoffs work, unrecorded
	}
	cut := now.Add(-retention)
	if _, err := r.pool.Exec(ctx, `DELETE FROM handoff_messages WHERE at < $1`, cut); err != nil {
		return fmt.Errorf("purging handoff texts: %w", err)
	}
	if _, err := r.pool.Exec(ctx, `UPDATE handoffs SET phone = NULL WHERE phone IS NOT NULL AND closed_at < $1`, cut); err != nil {
		return fmt.Errorf("purging call-back numbers: %w", err)
	}
	// A handoff nobody closed ends when its Redis state expires.
	if _, err := r.pool.Exec(ctx, `UPDATE handoffs SET closed_at = $1, outcome = 'expired', phone = NULL
		WHERE closed_at IS NULL AND opened_at < $2`, now, now.Add(-stateTTL)); err != nil {
		return fmt.Errorf("ending abandoned handoffs: %w", err)
	}
	return nil
}

// Summary is what the records say of one handoff, for the staff console's
// page (cmd/dalil hands these to the console): nothing about the person.
type Summary struct {
	ID            string    // the handoff's id (not the chat id)
	Lang          string    // fr, ar or ary
	Needs         []string  // codes collected before the handoff
	OpenedAt      time.Time // when the user asked for an adviser
	FirstAnswerAt time.Time // first adviser message; zero while waiting
	ClosedAt      time.Time // /close; zero while open
}

// Handoffs lists the handoffs opened since a time.
func (r *Records) Handoffs(ctx context.Context, since time.Time) ([]Summary, error) {
	if r == nil {
		return nil, nil
	}
	rows, err := r.pool.Query(ctx, `SELECT id, lang, needs, opened_at, first_answer_at, closed_at
		FROM handoffs WHERE opened_at >= $1 ORDER BY opened_at`, since)
	if err != nil {
		return nil, fmt.Errorf("listing handoffs: %w", err)
	}
	defer rows.Close()
	var out []Summary
	for rows.Next() {
		var h Summary
		var first, closed *time.Time
		if err := rows.Scan(&h.ID, &h.Lang, &h.Needs, &h.OpenedAt, &first, &closed); err != nil {
			return nil, fmt.Errorf("listing handoffs: %w", err)
		}
		if first != nil {
			h.FirstAnswerAt = *first
		}
		if closed != nil {
			h.ClosedAt = *closed
		}
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing handoffs: %w", err)
	}
	return out, nil
}
