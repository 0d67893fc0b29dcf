package pgtest

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestNewDBIsFreshAndLocaleApplies(t *testing.T) {
	ctx := context.Background()
	for _, loc := range []string{"", "C"} {
		u := NewDBLocale(t, loc)
		conn, err := pgx.Connect(ctx, u)
		if err != nil {
			t.Fatalf("connect to fresh database: %v", err)
		}
		var n int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("fresh database has %d tables", n)
		}
		var ctype, enc string
		if err := conn.QueryRow(ctx, "SELECT datctype, pg_encoding_to_char(encoding) FROM pg_database WHERE datname = current_database()").Scan(&ctype, &enc); err != nil {
			t.Fatal(err)
		}
		if enc != "UTF8" || (loc != "" && ctype != loc) {
			t.Errorf("locale %q: got ctype %q encoding %q", loc, ctype, enc)
		}
		conn.Close(ctx)
	}
}
