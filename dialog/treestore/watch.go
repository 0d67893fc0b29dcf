package treestore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dalil-tt/dalil/dialog"
	"github.com/dalil-tt/dalil/dialog/nlu"
	"github.com/dalil-tt/dalil/dialog/trees"
)

// Live is what a bot should run on now: the live tree and lexicon, parsed,
// with the versions they come from (N == 0: the binary's built-in file).
type Live struct {
	Tree           *dialog.Tree
	TreeVersion    Version
	Lexicon        *nlu.Lexicon
	LexiconVersion Version
}

// Current reads the live tree and lexicon, falling back to the built-in
// files for a kind nothing was published for.
func (s *Store) Current(ctx context.Context) (Live, error) {
	var l Live
	tv, ok, err := s.Live(ctx, KindTree)
	if err != nil {
		return Live{}, err
	}
	if !ok {
		tv = Version{Kind: KindTree, Hash: hashOf(trees.Default), Author: "built-in", Content: trees.Default, Live: true}
	}
	if l.Tree, err = dialog.Parse(tv.Content); err != nil {
		return Live{}, fmt.Errorf("tree version %d: %w", tv.N, err)
	}
	if ps := dialog.Validate(l.Tree); len(ps) > 0 {
		return Live{}, fmt.Errorf("tree version %d: %w", tv.N, &InvalidError{Kind: KindTree, Problems: ps})
	}
	lv, ok, err := s.Live(ctx, KindLexicon)
	if err != nil {
		return Live{}, err
	}
	if ok {
		if l.Lexicon, err = nlu.ParseLexicon(lv.Content); err != nil {
			return Live{}, fmt.Errorf("lexicon version %d: %w", lv.N, err)
		}
	} else {
		lv = Version{Kind: KindLexicon, Hash: hashOf(trees.Lexicon), Author: "built-in", Content: trees.Lexicon, Live: true}
		l.Lexicon = nlu.Default()
	}
	l.TreeVersion, l.LexiconVersion = tv, lv
	return l, nil
}

// WatchOptions tune Watch; the zero value is fine.
type WatchOptions struct {
	// Recheck is how long Watch waits for a notification before reading the
	// live versions anyway (a safety net; default 30 s).
	Recheck time.Duration
	// Retry is the first wait before reconnecting after an error; it doubles
	// up to 30 s (default 500 ms).
	Retry time.Duration
}

// Watch calls fn with the live tree and lexicon once at start and again
// each time either changes (a publish or a rollback, from any process),
// within moments of the commit. It listens on one of the pool's connections,
// held while it runs (so end ctx, and wait for Watch to return, before
// closing the pool: pgxpool's Close waits for it), and reconnects after a
// failure, re-reading the live versions then so a change made meanwhile is
// not missed. fn runs on Watch's goroutine, one call at a time. Watch
// returns when ctx ends.
func (s *Store) Watch(ctx context.Context, fn func(Live), opts WatchOptions) error {
	if opts.Recheck <= 0 {
		opts.Recheck = 30 * time.Second
	}
	if opts.Retry <= 0 {
		opts.Retry = 500 * time.Millisecond
	}
	var last [2]string // hashes delivered last: tree, lexicon
	deliver := func() error {
		l, err := s.Current(ctx)
		if err != nil {
			return err
		}
		key := [2]string{l.TreeVersion.Hash + fmt.Sprint(l.TreeVersion.N), l.LexiconVersion.Hash + fmt.Sprint(l.LexiconVersion.N)}
		if key != last {
			last = key
			fn(l)
		}
		return nil
	}
	wait := opts.Retry
	for ctx.Err() == nil {
		err := s.listen(ctx, deliver, opts.Recheck, func() { wait = opts.Retry })
		if ctx.Err() != nil {
			break
		}
		slog.WarnContext(ctx, "tree watcher: reconnecting", "err", err, "in", wait)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
		}
		wait = min(wait*2, 30*time.Second)
	}
	return nil
}

// listen runs one connection's life: LISTEN, deliver, then deliver after
// each notification (or each Recheck without one) until an error.
func (s *Store) listen(ctx context.Context, deliver func() error, recheck time.Duration, connected func()) error {
	// A connection of the store's pool, held while listening: the process
	// opens no connection beyond the pool's MaxConns. It goes back without
	// its LISTEN (a broken one is dropped by the pool).
	pc, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("connecting: %w", err)
	}
	conn := pc.Conn()
	defer func() {
		if !conn.IsClosed() {
			if _, err := conn.Exec(context.WithoutCancel(ctx), "UNLISTEN *"); err != nil {
				conn.Close(context.WithoutCancel(ctx))
			}
		}
		pc.Release()
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{Channel}.Sanitize()); err != nil {
		return fmt.Errorf("listening: %w", err)
	}
	connected()
	// Read after LISTEN: a publish committed in between is then seen either
	// here or as a notification. A version this binary cannot load (or a
	// failed read) keeps the previous one and is tried again at the next
	// notification or recheck; only the listening connection's failure
	// reconnects.
	try := func() {
		if err := deliver(); err != nil && ctx.Err() == nil {
			slog.WarnContext(ctx, "tree watcher: cannot load the live versions; keeping the previous ones", "err", err)
		}
	}
	try()
	for {
		wctx, cancel := context.WithTimeout(ctx, recheck)
		_, err := conn.WaitForNotification(wctx)
		cancel()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil && !errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("waiting for a notification: %w", err)
		}
		if err != nil && conn.IsClosed() {
			return errors.New("connection closed")
		}
		try()
	}
}

// BuiltIn is the binary's own tree and lexicon, as Current gives them when
// nothing was published (for a bot that cannot read the database at start).
func BuiltIn() (Live, error) {
	t, err := dialog.Parse(trees.Default)
	if err != nil {
		return Live{}, fmt.Errorf("built-in tree: %w", err)
	}
	return Live{
		Tree:           t,
		TreeVersion:    Version{Kind: KindTree, Hash: hashOf(trees.Default), Author: "built-in", Content: trees.Default, Live: true},
		Lexicon:        nlu.Default(),
		LexiconVersion: Version{Kind: KindLexicon, Hash: hashOf(trees.Lexicon), Author: "built-in", Content: trees.Lexicon, Live: true},
	}, nil
}
