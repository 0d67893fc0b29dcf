package postgres

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// referral is one row of the referral log: codes only, nothing personal.
type referral struct {
	at                                                       time.Time
	lang                                                     string
	needs, stages, forms, publics, sectors, provinces, areas []string
	relaxed                                                  []string
	ids                                                      []string
	flushed                                                  chan struct{} // set for a flush request only
}

// referralLog writes referrals in the background, in batches (COPY), so
// that a referral never waits for a commit (and its disk flush): a
// referral shown is at most a moment away from being counted. Close and
// Flush write what is pending; a crash loses at most that moment.
type referralLog struct {
	pool   *pgxpool.Pool
	ch     chan referral
	done   chan struct{}
	mu     sync.RWMutex // closed and sends on ch
	closed bool
}

// referralQueue is how many referrals may wait to be written; beyond it
// (the database is down or far too slow) new ones are dropped and counted
// in the log rather than slowing referrals down.
const referralQueue = 10000

func newReferralLog(pool *pgxpool.Pool) *referralLog {
	l := &referralLog{pool: pool, ch: make(chan referral, referralQueue), done: make(chan struct{})}
	go l.run()
	return l
}

func (l *referralLog) add(r referral) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		slog.Warn("referral log closed: a referral was not recorded")
		return
	}
	select {
	case l.ch <- r:
	default:
		slog.Warn("referral log queue full: a referral was not recorded")
	}
}

// flush returns once every referral added before it is written (or failed).
func (l *referralLog) flush(ctx context.Context) error {
	done := make(chan struct{})
	l.mu.RLock()
	if l.closed {
		l.mu.RUnlock()
		return nil // close wrote everything
	}
	select {
	case l.ch <- referral{flushed: done}:
		l.mu.RUnlock()
	case <-ctx.Done():
		l.mu.RUnlock()
		return ctx.Err()
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// close writes what is pending and stops the writer.
func (l *referralLog) close() {
	l.mu.Lock()
	l.closed = true
	close(l.ch)
	l.mu.Unlock()
	select {
	case <-l.done:
	case <-time.After(10 * time.Second):
		slog.Warn("referral log: pending referrals not written at close")
	}
}

var referralColumns = []string{"at", "lang", "needs", "stages", "forms", "publics", "sectors", "provinces", "areas", "relaxed", "result_count", "service_ids"}

func (l *referralLog) run() {
	defer close(l.done)
	var batch []referral
	var waiting []chan struct{}
	for r := range l.ch {
		batch, waiting = batch[:0], waiting[:0]
		add := func(r referral) {
			if r.flushed != nil {
				waiting = append(waiting, r.flushed)
			} else {
				batch = append(batch, r)
			}
		}
		add(r)
	more:
		for len(batch) < 1000 {
			select {
			case r, ok := <-l.ch:
				if !ok {
					break more
				}
				add(r)
			default:
				break more
			}
		}
		if len(batch) > 0 {
			l.write(batch)
		}
		for _, w := range waiting {
			close(w)
		}
	}
}

func (l *referralLog) write(batch []referral) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := l.pool.CopyFrom(ctx, pgx.Identifier{"referral"}, referralColumns, pgx.CopyFromSlice(len(batch), func(i int) ([]any, error) {
		r := batch[i]
		return []any{r.at, r.lang, nonNil(r.needs), nonNil(r.stages), nonNil(r.forms), nonNil(r.publics), nonNil(r.sectors),
			nonNil(r.provinces), nonNil(r.areas), nonNil(r.relaxed), len(r.ids), nonNil(r.ids)}, nil
	}))
	if err != nil {
		slog.Error("referral log: writing referrals failed", "referrals", len(batch), "err", err)
	}
}

// FlushReferrals waits until every referral made so far is in the
// referral log (tests, and before reading the log for statistics).
func (s *Store) FlushReferrals(ctx context.Context) error { return s.referrals.flush(ctx) }
