package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/dalil-tt/dalil/catalogue/postgres"
	"github.com/dalil-tt/dalil/dialog/treestore"
	"github.com/dalil-tt/dalil/staff"
)

// runMigrate brings the PostgreSQL schema up to date: the catalogue's, the
// question trees' and the staff accounts' (each package owns its migrations
// and version table; `serve` runs them too at start).
func runMigrate(ctx context.Context, args []string, s stdio) error {
	if len(args) > 0 {
		return fmt.Errorf("usage: dalil migrate (takes no arguments; DATABASE_URL names the database)")
	}
	cfg, err := loadConfig(s.getenv, "DATABASE_URL")
	if err != nil {
		return err
	}
	res, err := postgres.MigrateUp(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	if err := treestore.Migrate(ctx, cfg.DatabaseURL); err != nil {
		return err
	}
	if err := staff.Migrate(ctx, cfg.DatabaseURL); err != nil {
		return err
	}
	applied := "nothing to apply"
	if len(res.Applied) > 0 {
		applied = "applied " + strings.Join(res.Applied, ", ")
	}
	fmt.Fprintf(s.out, "schema up to date (catalogue version %d; %s)\n", res.Version, applied)
	return nil
}
