// Package pgtest gives each test run a fresh PostgreSQL database of its own,
// so tests can run in parallel (and beside other engineers' tests) on one
// server without seeing each other's rows.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultURL is used when TEST_DATABASE_URL is not set.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// prefix starts the name of every database this package creates; the unix
// time that follows lets a later run drop databases left by a killed one.
const prefix = "dalil_test_"

// staleAfter is how old a leftover test database must be before a new run
// drops it: far longer than any test run, so a running one is never touched.
const staleAfter = 6 * time.Hour

// ServerURL returns TEST_DATABASE_URL or DefaultURL.
func ServerURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultURL
}

// NewDB creates an empty UTF-8 database (the server's default locale) and
// returns its URL. The database is dropped when the test ends. The test fails
// if PostgreSQL cannot be reached.
func NewDB(t testing.TB) string {
	t.Helper()
	return NewDBLocale(t, "")
}

// NewDBLocale is NewDB with the database's LC_COLLATE and LC_CTYPE set to
// locale (for example "C" or "C.UTF-8"); "" keeps the server's default.
func NewDBLocale(t testing.TB, locale string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	server := ServerURL()
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		t.Fatalf("pgtest: cannot connect to PostgreSQL at %s: %v\n"+
			"Start PostgreSQL (e.g. `pg_ctlcluster 15 main start` or `docker run -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust postgres`) "+
			"or point TEST_DATABASE_URL at a server where this user may CREATE DATABASE.", redact(server), err)
	}
	defer conn.Close(ctx)
	dropStale(ctx, conn)

	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := fmt.Sprintf("%s%d_%s", prefix, time.Now().Unix(), hex.EncodeToString(b))
	stmt := "CREATE DATABASE " + pgx.Identifier{name}.Sanitize() + " TEMPLATE template0 ENCODING 'UTF8'"
	if locale != "" {
		lit := "'" + strings.ReplaceAll(locale, "'", "''") + "'"
		stmt += " LC_COLLATE " + lit + " LC_CTYPE " + lit
	}
	if _, err := conn.Exec(ctx, stmt); err != nil {
		t.Fatalf("pgtest: creating test database on PostgreSQL at %s: %v", redact(server), err)
	}
	t.Cleanup(func() { drop(t, server, name) })

	u, err := url.Parse(server)
	if err != nil {
		t.Fatalf("pgtest: TEST_DATABASE_URL %s: %v", redact(server), err)
	}
	u.Path = "/" + name
	return u.String()
}

func drop(t testing.TB, server, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		t.Errorf("pgtest: dropping %s: %v", name, err)
		return
	}
	defer conn.Close(ctx)
	// FORCE ends connections a pool left open (PostgreSQL 13+).
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		t.Errorf("pgtest: dropping %s: %v", name, err)
	}
}

// dropStale removes test databases left behind by runs that were killed
// before their cleanup ran. Errors are ignored: it is housekeeping only.
func dropStale(ctx context.Context, conn *pgx.Conn) {
	rows, err := conn.Query(ctx, "SELECT datname FROM pg_database WHERE datname LIKE 'dalil\\_test\\_%'")
	if err != nil {
		return
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return
	}
	for _, n := range names {
		stamp, _, _ := strings.Cut(strings.TrimPrefix(n, prefix), "_")
		sec, err := strconv.ParseInt(stamp, 10, 64)
		if err != nil || time.Since(time.Unix(sec, 0)) < staleAfter {
			continue
		}
		_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{n}.Sanitize()+" WITH (FORCE)")
	}
}

// redact hides a password in a URL before it is printed.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
