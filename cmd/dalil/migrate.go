package main

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/dalil-tt/dalil/bot/handoff"
	"github.com/dalil-tt/dalil/catalogue/postgres"
	"github.com/dalil-tt/dalil/dialog/treestore"
	requests "github.com/dalil-tt/dalil/requests/postgres"
	"github.com/dalil-tt/dalil/staff"
)

// runMigrate brings the PostgreSQL schema up to date with the same step
// `serve` runs at start (migrateAll).
func runMigrate(ctx context.Context, args []string, s stdio) error {
	if len(args) > 0 {
		return fmt.Errorf("usage: dalil migrate (takes no arguments; DATABASE_URL names the database)")
	}
	cfg, err := loadConfig(s.getenv, "DATABASE_URL")
	if err != nil {
		return err
	}
	pool, err := openPool(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	res, err := migrateAll(ctx, pool)
	if err != nil {
		return err
	}
	applied := "nothing to apply"
	if len(res.Applied) > 0 {
		applied = "applied " + strings.Join(res.Applied, ", ")
	}
	fmt.Fprintf(s.out, "schema up to date (catalogue version %d; %s)\n", res.Version, applied)
	return nil
}

// schemas are the other packages' migrations, in the order they run after
// the catalogue's: each package keeps its own version table and lock, and a
// later one may rely on an earlier one's tables (the console reads the tree
// versions and lists the handoff records).
var schemas = [...]struct {
	name    string
	migrate func(ctx context.Context, db *sql.DB) error
}{
	{"trees", treestore.MigrateDB},
	{"staff", staff.MigrateDB},
	{"handoff", handoff.MigrateDB},
	{"requests", requests.MigrateDB}, // after staff: reads partner accounts
}

// migrateAll is the one migration step of serve, migrate and the commands
// that need the database: the catalogue first (its result is what `dalil
// migrate` reports), then schemas. It runs over the pool: the migrations
// take their connections from it.
func migrateAll(ctx context.Context, pool *pgxpool.Pool) (postgres.MigrationResult, error) {
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close() // leaves the pool open
	res, err := postgres.MigrateDB(ctx, db)
	if err != nil {
		return res, fmt.Errorf("catalogue schema: %w", err)
	}
	for _, s := range schemas {
		if err := s.migrate(ctx, db); err != nil {
			return res, fmt.Errorf("%s schema: %w", s.name, err)
		}
	}
	return res, nil
}

// openDB opens DATABASE_URL's pool and migrates it, for the commands that
// work on the database (the caller closes the pool).
func openDB(ctx context.Context, s stdio) (*pgxpool.Pool, error) {
	cfg, err := loadConfig(s.getenv, "DATABASE_URL")
	if err != nil {
		return nil, err
	}
	pool, err := openPool(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	if _, err := migrateAll(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	return pool, nil
}
