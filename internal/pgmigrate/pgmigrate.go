// Package pgmigrate runs one package's embedded goose migrations on an open
// database. Each package that owns tables keeps its own version table and
// its own advisory lock, so that their migrations run side by side, and
// from several processes at once, without waiting on or misreading each
// other's versions.
package pgmigrate

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"

	_ "github.com/jackc/pgx/v5/stdlib" // "pgx" driver for goose
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// Schema is one package's migrations.
type Schema struct {
	Name   string // for errors: "requests", "staff"…
	Files  fs.FS  // the .sql files, at the root
	Table  string // goose's version table of this schema
	LockID int64  // the advisory lock of this schema, unique among them
}

// Up brings s up to date on db.
func Up(ctx context.Context, db *sql.DB, s Schema) error {
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(s.LockID))
	if err != nil {
		return fmt.Errorf("creating the %s migration lock: %w", s.Name, err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, s.Files,
		goose.WithTableName(s.Table), goose.WithSessionLocker(locker), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("preparing %s migrations: %w", s.Name, err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrating the %s tables: %w", s.Name, err)
	}
	return nil
}

// Sub is the folder dir of an embedded file system, for Schema.Files.
func Sub(fsys fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		// fs.Sub fails only on an invalid path: a programming error.
		panic(fmt.Sprintf("pgmigrate: %s: %v", dir, err))
	}
	return sub
}
