package treestore

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// AuditEntry is one recorded change: who did what, when.
type AuditEntry struct {
	ID     int64
	At     time.Time
	Actor  string
	Action string // e.g. tree.publish, lexicon.rollback, catalogue.edit, catalogue.import, staff.add, staff.login
	Detail string
}

func audit(ctx context.Context, tx pgx.Tx, actor, action, detail string) error {
	_, err := tx.Exec(ctx, `INSERT INTO audit (actor, action, detail) VALUES ($1, $2, $3)`, actor, action, detail)
	if err != nil {
		return fmt.Errorf("recording %s in the audit log: %w", action, err)
	}
	return nil
}

// Audit records a change made outside this package (catalogue edits, staff
// accounts). Detail must say what changed without personal data of project
// holders.
func (s *Store) Audit(ctx context.Context, actor, action, detail string) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO audit (actor, action, detail) VALUES ($1, $2, $3)`, actor, action, detail)
	if err != nil {
		return fmt.Errorf("recording %s in the audit log: %w", action, err)
	}
	return nil
}

// AuditLog returns the latest entries, newest first, at most limit (100 when <= 0).
func (s *Store) AuditLog(ctx context.Context, limit int) ([]AuditEntry, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.pool.Query(ctx, `SELECT id, at, actor, action, detail FROM audit ORDER BY id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("reading the audit log: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[AuditEntry])
	if err != nil {
		return nil, fmt.Errorf("reading the audit log: %w", err)
	}
	return out, nil
}
