package postgres

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/internal/lang"
)

// Store is the catalogue in PostgreSQL. It is safe for concurrent use.
type Store struct {
	pool     *pgxpool.Pool
	keywords map[string]string // search keys of the vocabulary labels, by "facet:code"
	now      func() time.Time

	index  snapshot[matchIndex]  // codes of the active services, for Match
	search snapshot[searchIndex] // words of the active services, for Search

	referrals *referralLog
	ownsPool  bool // Open made the pool: Close closes it
	closeOnce sync.Once
}

// generationSQL reads the catalogue generation, which each import that
// changes anything bumps: the in-memory indexes reload when it moves.
const generationSQL = `SELECT coalesce((SELECT value::bigint FROM catalogue_meta WHERE key = 'generation'), 0)`

var _ catalogue.Matcher = (*Store)(nil)

// Labels are the vocabulary's labels in each language (the locales
// package): searching "microcrédit" finds the services for that need.
type Labels interface {
	Has(l lang.Lang, id string) bool
	T(l lang.Lang, id string, data map[string]any) string
}

// Open connects to the database at databaseURL, whose schema must be
// current (see Migrate), with a pool of its own that Close closes (the
// commands and tests that work on the catalogue alone; serve uses New).
func Open(ctx context.Context, databaseURL string, labels Labels) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("parsing DATABASE_URL: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connecting to PostgreSQL: %w", err)
	}
	s, err := New(ctx, pool, labels)
	if err != nil {
		pool.Close()
		return nil, err
	}
	s.ownsPool = true
	return s, nil
}

// New returns the catalogue over pool, whose schema must be current (see
// MigrateDB). The pool stays the caller's: Close does not close it.
func New(ctx context.Context, pool *pgxpool.Pool, labels Labels) (*Store, error) {
	if err := pool.Ping(ctx); err != nil {
		return nil, fmt.Errorf("connecting to PostgreSQL: %w", err)
	}
	s := &Store{pool: pool, keywords: keywordKeys(labels), now: time.Now}
	s.referrals = newReferralLog(pool)
	if err := s.checkVocabulary(ctx); err != nil {
		s.referrals.close()
		return nil, err
	}
	return s, nil
}

// Close writes the pending referrals and, when Open made the pool,
// releases its connections. Calls after the first do nothing.
func (s *Store) Close() {
	s.closeOnce.Do(func() {
		s.referrals.close()
		if s.ownsPool {
			s.pool.Close()
		}
	})
}

// Ping checks the database answers (for /readyz).
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

// checkVocabulary recomputes facet_bits and match_keys when the vocabulary
// of the binary differs from the one they were computed with (a new code
// shifts the bits): it re-imports the stored services as they are.
func (s *Store) checkVocabulary(ctx context.Context) error {
	var stored string
	err := s.pool.QueryRow(ctx, "SELECT value FROM catalogue_meta WHERE key = 'vocabulary'").Scan(&stored)
	switch {
	case err == pgx.ErrNoRows:
		// nothing imported yet
		return nil
	case err != nil:
		return fmt.Errorf("reading the catalogue's vocabulary (is the schema migrated?): %w", err)
	case stored == vocabFingerprint:
		return nil
	}
	slog.InfoContext(ctx, "vocabulary changed: recomputing the catalogue's match keys")
	// Cleared hashes make the import below rewrite every row.
	if _, err := s.pool.Exec(ctx, "UPDATE service SET row_hash = ''"); err != nil {
		return fmt.Errorf("recomputing match keys for the new vocabulary: %w", err)
	}
	all, err := s.Services(ctx)
	if err != nil {
		return err
	}
	if _, err := s.importServices(ctx, all, ImportOptions{}); err != nil {
		return fmt.Errorf("recomputing match keys for the new vocabulary: %w", err)
	}
	return nil
}
