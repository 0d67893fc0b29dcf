package postgres

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// snapshot holds one in-memory index of the active services (for Match or
// for Search), rebuilt when the catalogue generation moves: each import that
// changes anything bumps it, so another process's import is seen too.
type snapshot[T any] struct {
	cur atomic.Pointer[T]
	mu  sync.Mutex // one rebuild at a time
}

// load returns the index, building it when there is none yet or, with
// reload, when the generation moved. gen reads an index's generation; build
// reads the services in the same repeatable-read transaction as the
// generation it is given, so the two agree.
func (sn *snapshot[T]) load(ctx context.Context, pool *pgxpool.Pool, reload bool, what string,
	gen func(*T) int64, build func(ctx context.Context, tx pgx.Tx, gen int64) (*T, error)) (*T, error) {
	if idx := sn.cur.Load(); idx != nil && !reload {
		return idx, nil
	}
	sn.mu.Lock()
	defer sn.mu.Unlock()
	old := sn.cur.Load()
	tx, err := pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("loading the %s: %w", what, err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // read-only
	var g int64
	if err := tx.QueryRow(ctx, generationSQL).Scan(&g); err != nil {
		return nil, fmt.Errorf("loading the %s: %w", what, err)
	}
	if old != nil && gen(old) == g {
		return old, nil // current, or another caller reloaded it meanwhile
	}
	idx, err := build(ctx, tx, g)
	if err != nil {
		return nil, fmt.Errorf("loading the %s: %w", what, err)
	}
	sn.cur.Store(idx)
	// Once at start and once per catalogue change: more says that some
	// part builds an index of its own.
	slog.InfoContext(ctx, "catalogue index built", "index", what, "generation", g)
	return idx, nil
}
