// Package postgres keeps the catalogue in PostgreSQL: the schema and its
// migrations, import and export, referral matching with the shared ranking,
// the referral log, and multilingual search.
//
// The map:
//   - migrations/ (goose, embedded; Migrate): HSDS-shaped organization and
//     service tables, HSDS child rows as views, the referral log, the
//     search word dictionary.
//   - Import (import.go): COPY into a staging table, upserts by id, one
//     transaction; derived keys computed in Go (keys.go): packed facet bits,
//     match keys, ASCII search keys that work under any LC_CTYPE.
//   - Match (match.go): an in-memory index of the active services' codes,
//     reloaded when an import bumps the catalogue generation, filters and
//     pre-ranks; catalogue.MatchWith ranks; referrals are logged in the
//     background (referrals.go).
//   - Search (search.go, dictionary.go): an in-memory word index and
//     pg_trgm's trigram similarity for typos.
//   - WriteHSDS (hsds.go): HSDS 3.0 JSON export.
//
// The package's benchmarks (BenchmarkCatalogue100k) give the figures on a
// 100,000-service catalogue; the tests need a PostgreSQL server (see pgtest).
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// Migrations are the versioned SQL files of the schema, embedded so that the
// binary migrates from any working directory.
//
//go:embed migrations/*.sql
var migrations embed.FS

// MigrationResult says what Migrate did.
type MigrationResult struct {
	Applied []string // file names applied now, in order
	Version int64    // schema version after the run
}

// Migrate brings the schema of the database at databaseURL up to date. It is
// safe to run from several processes at once (a PostgreSQL advisory lock
// serialises them) and does nothing when the schema is current.
func Migrate(ctx context.Context, databaseURL string) error {
	_, err := MigrateUp(ctx, databaseURL)
	return err
}

// MigrateUp is Migrate, reporting the migrations applied.
func MigrateUp(ctx context.Context, databaseURL string) (MigrationResult, error) {
	db, err := sql.Open("pgx", databaseURL)
	if err != nil {
		return MigrationResult{}, fmt.Errorf("opening database for migrations: %w", err)
	}
	defer db.Close()
	if err := db.PingContext(ctx); err != nil {
		return MigrationResult{}, fmt.Errorf("connecting to PostgreSQL for migrations: %w", err)
	}
	res, err := MigrateDB(ctx, db)
	for _, f := range res.Applied {
		slog.InfoContext(ctx, "migration applied", "file", f)
	}
	return res, err
}

// MigrateDB is MigrateUp on an open database (stdlib.OpenDBFromPool gives
// one over the process's pool). It logs nothing: the caller says what was
// applied where it fits (a command's output, serve's log).
func MigrateDB(ctx context.Context, db *sql.DB) (MigrationResult, error) {
	p, err := provider(db)
	if err != nil {
		return MigrationResult{}, err
	}
	results, err := p.Up(ctx)
	if err != nil {
		return MigrationResult{}, fmt.Errorf("migrating the schema: %w", err)
	}
	var res MigrationResult
	for _, r := range results {
		res.Applied = append(res.Applied, r.Source.Path)
	}
	if res.Version, err = p.GetDBVersion(ctx); err != nil {
		return res, fmt.Errorf("reading the schema version: %w", err)
	}
	return res, nil
}

// gooseTable records the catalogue's schema version; other packages with
// migrations (trees, staff) keep their own table.
const gooseTable = "catalogue_goose_version"

func provider(db *sql.DB) (*goose.Provider, error) {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, fmt.Errorf("reading embedded migrations: %w", err)
	}
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return nil, fmt.Errorf("creating the migration lock: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, sub,
		goose.WithTableName(gooseTable),
		goose.WithSessionLocker(locker),
		goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return nil, fmt.Errorf("preparing migrations: %w", err)
	}
	return p, nil
}

// The pgx stdlib driver registers "pgx" for database/sql, which goose uses.
var _ = stdlib.GetDefaultDriver
