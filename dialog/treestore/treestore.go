// Package treestore keeps the versions of the question tree and of the
// free-text lexicon in PostgreSQL — content, hash, author, comment, time —
// publishes and rolls them back, tells every running process when the live
// version changes (LISTEN/NOTIFY), and keeps the audit log of the changes
// staff make from the console or the command line.
package treestore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib" // "pgx" driver for sql.Open

	"github.com/dalil-tt/dalil/dialog"
	"github.com/dalil-tt/dalil/dialog/nlu"
	"github.com/dalil-tt/dalil/internal/pgmigrate"
)

// Kind is what a version holds.
type Kind string

const (
	KindTree    Kind = "tree"
	KindLexicon Kind = "lexicon"
)

// ParseKind accepts "tree" and "lexicon".
func ParseKind(s string) (Kind, error) {
	switch Kind(s) {
	case KindTree, KindLexicon:
		return Kind(s), nil
	}
	return "", fmt.Errorf("unknown kind %q (want tree or lexicon)", s)
}

// Channel is the PostgreSQL notification channel a publish or rollback
// signals on; the payload is "KIND:N".
const Channel = "dalil_versions"

// Version is one stored version. N counts from 1 within its kind; N == 0
// means the binary's built-in file (nothing published yet).
type Version struct {
	Kind      Kind
	N         int
	Hash      string // sha256 of Content, hex
	Author    string
	Comment   string
	CreatedAt time.Time
	Restores  int  // on a rollback, the version number whose content it restores
	Live      bool // the version in use now (List only)
	Content   []byte
}

// ShortHash is the first 12 hex digits of the hash, for lists.
func (v Version) ShortHash() string {
	if len(v.Hash) > 12 {
		return v.Hash[:12]
	}
	return v.Hash
}

// Errors callers may test for.
var (
	ErrNotFound   = errors.New("no such version")
	ErrUnchanged  = errors.New("identical to the live version")
	ErrNoPrevious = errors.New("no earlier version to roll back to")
)

// InvalidError is a tree or lexicon refused by the validator; Problems are
// the validator's messages (node id and line for a tree).
type InvalidError struct {
	Kind     Kind
	Problems []dialog.Problem
}

func (e *InvalidError) Error() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = p.String()
	}
	return fmt.Sprintf("%s refused, %d problem(s):\n%s", e.Kind, len(e.Problems), strings.Join(msgs, "\n"))
}

// Check parses and validates content of kind: the problems, none when it
// may be published.
func Check(kind Kind, content []byte) []dialog.Problem {
	switch kind {
	case KindTree:
		t, err := dialog.Parse(content)
		if err != nil {
			return []dialog.Problem{{Msg: err.Error()}}
		}
		return dialog.Validate(t)
	case KindLexicon:
		if _, err := nlu.ParseLexicon(content); err != nil {
			var ps []dialog.Problem
			for _, line := range strings.Split(err.Error(), "\n") {
				if strings.TrimSpace(line) != "" {
					ps = append(ps, dialog.Problem{Msg: line})
				}
			}
			return ps
		}
		return nil
	}
	return []dialog.Problem{{Msg: fmt.Sprintf("unknown kind %q", kind)}}
}

//go:embed migrations/*.sql
var migrations embed.FS

// gooseTable is this package's own goose version table: the catalogue's
// migrations (catalogue/postgres) number theirs independently.
const gooseTable = "treestore_goose_version"

// Migrate creates or updates this package's tables. Like the catalogue's
// Migrate it is safe to run from several processes at once.
func Migrate(ctx context.Context, databaseURL string) error {
	db, err := sql.Open("pgx", databaseURL)
	if err != nil {
		return fmt.Errorf("opening database for tree migrations: %w", err)
	}
	defer db.Close()
	return MigrateDB(ctx, db)
}

// MigrateDB is Migrate on an open database.
func MigrateDB(ctx context.Context, db *sql.DB) error {
	// A lock id of its own: the catalogue's migrations may run at the same time.
	return pgmigrate.Up(ctx, db, pgmigrate.Schema{Name: "tree", Files: pgmigrate.Sub(migrations, "migrations"), Table: gooseTable, LockID: 5887940537704921959})
}

// Store is the versions and the audit log. Safe for concurrent use.
type Store struct {
	pool *pgxpool.Pool
}

// New returns a store over pool, whose database is migrated (Migrate).
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// Pool is the pool the store uses.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

func hashOf(content []byte) string {
	sum := sha256.Sum256(content)
	return hex.EncodeToString(sum[:])
}

// Publish validates content and stores it as the new live version of kind,
// records it in the audit log and notifies the watchers, in one
// transaction. A content with problems is refused with an *InvalidError;
// one identical to the live version with ErrUnchanged.
func (s *Store) Publish(ctx context.Context, kind Kind, content []byte, author, comment string) (Version, error) {
	if ps := Check(kind, content); len(ps) > 0 {
		return Version{}, &InvalidError{Kind: kind, Problems: ps}
	}
	return s.store(ctx, kind, content, author, comment, 0, "publish")
}

// store writes a new version (restores != 0 for a rollback) and makes it live.
func (s *Store) store(ctx context.Context, kind Kind, content []byte, author, comment string, restores int, action string) (Version, error) {
	if strings.TrimSpace(author) == "" {
		return Version{}, errors.New("an author is required")
	}
	v := Version{Kind: kind, Hash: hashOf(content), Author: author, Comment: comment, Restores: restores, Content: content}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// Serialise publishers of a kind: version numbers stay dense.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('treestore:' || $1))`, string(kind)); err != nil {
			return err
		}
		var liveHash string
		err := tx.QueryRow(ctx, `SELECT c.hash FROM live_version l JOIN content_version c USING (kind, n) WHERE l.kind = $1`, string(kind)).Scan(&liveHash)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if liveHash == v.Hash {
			return ErrUnchanged
		}
		var rest any
		if restores != 0 {
			rest = restores
		}
		err = tx.QueryRow(ctx, `INSERT INTO content_version (kind, n, content, hash, author, comment, restores)
			SELECT $1, coalesce(max(n), 0) + 1, $2, $3, $4, $5, $6 FROM content_version WHERE kind = $1
			RETURNING n, created_at`, string(kind), content, v.Hash, author, comment, rest).Scan(&v.N, &v.CreatedAt)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO live_version (kind, n) VALUES ($1, $2)
			ON CONFLICT (kind) DO UPDATE SET n = EXCLUDED.n`, string(kind), v.N); err != nil {
			return err
		}
		detail := fmt.Sprintf("%s version %d (%s)", kind, v.N, v.ShortHash())
		if restores != 0 {
			detail += fmt.Sprintf(", content of version %d", restores)
		}
		if comment != "" {
			detail += ": " + comment
		}
		if err := audit(ctx, tx, author, string(kind)+"."+action, detail); err != nil {
			return err
		}
		// Delivered at commit, to every session listening, on every replica.
		_, err = tx.Exec(ctx, `SELECT pg_notify($1, $2)`, Channel, fmt.Sprintf("%s:%d", kind, v.N))
		return err
	})
	if err != nil {
		if errors.Is(err, ErrUnchanged) {
			return Version{}, err
		}
		return Version{}, fmt.Errorf("storing the %s version: %w", kind, err)
	}
	v.Live = true
	return v, nil
}

// Rollback makes the content of version n of kind live again, as a new
// version that records which one it restores (so the rollback itself shows
// in the list). n == 0 means the version before the live one. The content is
// validated again: the binary's vocabulary may have changed since.
func (s *Store) Rollback(ctx context.Context, kind Kind, n int, author, comment string) (Version, error) {
	if n == 0 {
		live, ok, err := s.Live(ctx, kind)
		if err != nil {
			return Version{}, err
		}
		if !ok || live.N <= 1 {
			return Version{}, ErrNoPrevious
		}
		n = live.N - 1
	}
	target, err := s.Get(ctx, kind, n)
	if err != nil {
		return Version{}, err
	}
	if ps := Check(kind, target.Content); len(ps) > 0 {
		return Version{}, &InvalidError{Kind: kind, Problems: ps}
	}
	if comment == "" {
		comment = fmt.Sprintf("rollback to version %d", n)
	}
	return s.store(ctx, kind, target.Content, author, comment, n, "rollback")
}

const versionColumns = `kind, n, hash, author, comment, created_at, coalesce(restores, 0)`

func scanVersion(row pgx.Row, withContent bool) (Version, error) {
	var v Version
	var kind string
	dest := []any{&kind, &v.N, &v.Hash, &v.Author, &v.Comment, &v.CreatedAt, &v.Restores}
	if withContent {
		dest = append(dest, &v.Content)
	}
	err := row.Scan(dest...)
	v.Kind = Kind(kind)
	return v, err
}

// List returns the versions of kind, newest first, without their content.
func (s *Store) List(ctx context.Context, kind Kind) ([]Version, error) {
	rows, err := s.pool.Query(ctx, `SELECT c.kind, c.n, c.hash, c.author, c.comment, c.created_at, coalesce(c.restores, 0), coalesce(l.n = c.n, false)
		FROM content_version c LEFT JOIN live_version l ON l.kind = c.kind WHERE c.kind = $1 ORDER BY c.n DESC`, string(kind))
	if err != nil {
		return nil, fmt.Errorf("listing %s versions: %w", kind, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Version, error) {
		var v Version
		var k string
		err := r.Scan(&k, &v.N, &v.Hash, &v.Author, &v.Comment, &v.CreatedAt, &v.Restores, &v.Live)
		v.Kind = Kind(k)
		return v, err
	})
	if err != nil {
		return nil, fmt.Errorf("listing %s versions: %w", kind, err)
	}
	return out, nil
}

// Get returns version n of kind with its content.
func (s *Store) Get(ctx context.Context, kind Kind, n int) (Version, error) {
	v, err := scanVersion(s.pool.QueryRow(ctx, `SELECT `+versionColumns+`, content FROM content_version WHERE kind = $1 AND n = $2`, string(kind), n), true)
	if errors.Is(err, pgx.ErrNoRows) {
		return Version{}, fmt.Errorf("%s version %d: %w", kind, n, ErrNotFound)
	}
	if err != nil {
		return Version{}, fmt.Errorf("reading %s version %d: %w", kind, n, err)
	}
	return v, nil
}

// Live returns the live version of kind with its content; ok is false when
// nothing was published (the built-in file is in use).
func (s *Store) Live(ctx context.Context, kind Kind) (v Version, ok bool, err error) {
	v, err = scanVersion(s.pool.QueryRow(ctx, `SELECT `+versionColumns+`, content
		FROM live_version l JOIN content_version c USING (kind, n) WHERE kind = $1`, string(kind)), true)
	if errors.Is(err, pgx.ErrNoRows) {
		return Version{}, false, nil
	}
	if err != nil {
		return Version{}, false, fmt.Errorf("reading the live %s version: %w", kind, err)
	}
	v.Live = true
	return v, true, nil
}

// Diff is a unified line diff of the YAML of versions a and b of kind.
func (s *Store) Diff(ctx context.Context, kind Kind, a, b int) (string, error) {
	va, err := s.Get(ctx, kind, a)
	if err != nil {
		return "", err
	}
	vb, err := s.Get(ctx, kind, b)
	if err != nil {
		return "", err
	}
	return Unified(LineDiff(string(va.Content), string(vb.Content)),
		fmt.Sprintf("%s version %d (%s)", kind, a, va.ShortHash()),
		fmt.Sprintf("%s version %d (%s)", kind, b, vb.ShortHash()), 3), nil
}
