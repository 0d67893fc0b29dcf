// Package postgres keeps requests (package requests) in PostgreSQL: the
// requests with the person's part that can be erased, each request's
// events for the observatory's measures, and the organisations' linked
// Telegram groups with their one-time link codes.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"

	_ "github.com/jackc/pgx/v5/stdlib" // "pgx" driver for goose
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations/*.sql
var migrations embed.FS

// MigrateDB creates or updates the requests tables on an open database;
// safe from several processes at once (own version table and lock). It
// runs after the staff migrations: Reachable reads partner accounts.
func MigrateDB(ctx context.Context, db *sql.DB) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("reading embedded requests migrations: %w", err)
	}
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(4471920385577310017))
	if err != nil {
		return fmt.Errorf("creating the requests migration lock: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, sub,
		goose.WithTableName("requests_goose_version"), goose.WithSessionLocker(locker), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("preparing requests migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrating the requests tables: %w", err)
	}
	return nil
}
