package bot_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/dalil-tt/dalil/catalogue/postgres/pgtest"
	"github.com/dalil-tt/dalil/internal/lang"
	"github.com/dalil-tt/dalil/requests"
	rpg "github.com/dalil-tt/dalil/requests/postgres"
	"github.com/dalil-tt/dalil/staff"
)

// requestStore is the requests' store on a fresh PostgreSQL database
// (staff's tables too: Reachable reads partner accounts), with a linked
// Telegram group for each of orgs, so that they can receive requests.
func requestStore(t *testing.T, orgs ...string) *rpg.Store {
	t.Helper()
	url := pgtest.NewDB(t)
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	if err := staff.MigrateDB(ctx, db); err != nil {
		t.Fatal(err)
	}
	if err := rpg.MigrateDB(ctx, db); err != nil {
		t.Fatal(err)
	}
	s := rpg.New(pool)
	for i, org := range slices.Compact(slices.Sorted(slices.Values(orgs))) {
		code, err := s.NewLinkCode(ctx, org, lang.FR, time.Now().Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Link(ctx, code, -1001000000000-int64(i), time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// orgs records what reaches the organisations (bot/partners' side, written
// in parallel): the cards delivered and the requests withdrawn.
type orgs struct {
	mu        sync.Mutex
	delivered []requests.Request
	withdrawn []string
	hold      chan struct{} // when set, Deliver waits for it to close
	failing   int           // Deliver fails this many times first
	refusing  int           // Withdraw fails this many times first
	calls     int           // Deliver's calls
}

func (o *orgs) Deliver(ctx context.Context, r *requests.Request) error {
	o.mu.Lock()
	hold := o.hold
	o.calls++
	o.mu.Unlock()
	if hold != nil {
		select {
		case <-hold:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.failing > 0 {
		o.failing--
		return errors.New("redis: connection refused")
	}
	o.delivered = append(o.delivered, *r)
	return nil
}

func (o *orgs) Withdraw(_ context.Context, r *requests.Request) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.refusing > 0 {
		o.refusing--
		return errors.New("redis: connection refused")
	}
	if r.Chat != 0 || r.Shared.FirstName != "" || r.Shared.Phone != "" || r.Shared.Question != "" {
		return errors.New("withdrawn with the person's data")
	}
	o.withdrawn = append(o.withdrawn, r.ID)
	return nil
}

func (o *orgs) Remind(context.Context, *requests.Request, int) error { return nil }
func (o *orgs) Lapsed(context.Context, *requests.Request) error      { return nil }

func (o *orgs) cards() []requests.Request {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.delivered)
}

func (o *orgs) delivering() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.calls
}

func (o *orgs) gone() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.withdrawn)
}
