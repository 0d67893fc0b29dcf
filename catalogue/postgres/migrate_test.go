package postgres_test

import (
	"context"
	"testing"

	"github.com/dalil-tt/dalil/catalogue/postgres"
	"github.com/dalil-tt/dalil/catalogue/postgres/pgtest"
	"github.com/jackc/pgx/v5"
)

func TestMigrateCreatesSchemaAndIsIdempotent(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDB(t)
	first, err := postgres.MigrateUp(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Applied) == 0 || first.Version < 1 {
		t.Fatalf("first run applied %v, version %d", first.Applied, first.Version)
	}
	again, err := postgres.MigrateUp(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Applied) != 0 || again.Version != first.Version {
		t.Errorf("second run applied %v, version %d (want nothing, %d)", again.Applied, again.Version, first.Version)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, table := range []string{"organization", "service", "location", "service_at_location", "address", "phone", "schedule", "service_area", "language", "referral"} {
		var ok bool
		if err := conn.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", table).Scan(&ok); err != nil || !ok {
			t.Errorf("table %s missing after migration (%v)", table, err)
		}
	}
	var ext int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'").Scan(&ext); err != nil || ext != 1 {
		t.Errorf("pg_trgm not created by the migration (%v)", err)
	}
}
