// Package postgres keeps requests (package requests) in PostgreSQL: the
// requests with the person's part that can be erased, each request's
// events for the observatory's measures, and the organisations' linked
// Telegram groups with their one-time link codes.
package postgres

import (
	"context"
	"database/sql"
	"embed"

	"github.com/dalil-tt/dalil/internal/pgmigrate"
)

//go:embed migrations/*.sql
var migrations embed.FS

// MigrateDB creates or updates the requests tables on an open database;
// safe from several processes at once (own version table and lock). It
// runs after the staff migrations: Reachable reads partner accounts.
func MigrateDB(ctx context.Context, db *sql.DB) error {
	return pgmigrate.Up(ctx, db, pgmigrate.Schema{Name: "requests", Files: pgmigrate.Sub(migrations, "migrations"), Table: "requests_goose_version", LockID: 4471920385577310017})
}
