package bot_test

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/dalil-tt/dalil/requests"
)

// memRequests stands in for requests/postgres until that store lands on
// this branch (it is written in parallel): the tests of this package then
// run against it unchanged, through requestStore. It keeps only what the
// person's side uses; the other methods are the embedded nil interface's.
type memRequests struct {
	requests.Store
	mu        sync.Mutex
	rs        map[string]*requests.Request
	reachable map[string]bool
}

func newMemRequests(reachable ...string) *memRequests {
	m := &memRequests{rs: map[string]*requests.Request{}, reachable: map[string]bool{}}
	for _, o := range reachable {
		m.reachable[o] = true
	}
	return m
}

func (m *memRequests) Create(_ context.Context, r *requests.Request) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := *r
	c.Shared.Facts = r.Shared.Facts.Clone()
	m.rs[r.ID] = &c
	return nil
}

func (m *memRequests) Get(_ context.Context, id string) (*requests.Request, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.rs[id]
	if !ok {
		return nil, requests.ErrNotFound
	}
	c := *r
	return &c, nil
}

func (m *memRequests) Act(_ context.Context, id string, a requests.Action, reason requests.Reason, note, _ string, at time.Time) (*requests.Request, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.rs[id]
	if !ok {
		return nil, requests.ErrNotFound
	}
	to, err := requests.Next(r.Status, a)
	if err != nil {
		return nil, err
	}
	r.Status, r.Reason, r.Note = to, reason, note
	c := *r
	return &c, nil
}

func (m *memRequests) Answer(_ context.Context, id string, o requests.Outcome, _ time.Time) (*requests.Request, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.rs[id]
	if !ok {
		return nil, requests.ErrNotFound
	}
	r.Outcome = o
	c := *r
	return &c, nil
}

func (m *memRequests) ForChat(_ context.Context, chat int64) ([]requests.Request, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []requests.Request
	for _, r := range m.rs {
		if r.Chat == chat {
			out = append(out, *r)
		}
	}
	slices.SortFunc(out, func(a, b requests.Request) int { return b.SentAt.Compare(a.SentAt) })
	return out, nil
}

func (m *memRequests) Stop(_ context.Context, chat int64) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, r := range m.rs {
		if r.Chat == chat && r.FollowUp && !r.Stopped {
			r.Stopped = true
			n++
		}
	}
	return n, nil
}

func (m *memRequests) Forget(_ context.Context, chat int64, _ time.Time) ([]requests.Request, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var open []requests.Request
	for _, r := range m.rs {
		if r.Chat != chat {
			continue
		}
		r.Chat, r.Shared = 0, requests.Shared{}
		if r.Status.Open() {
			r.Status = requests.Withdrawn
			open = append(open, *r)
		}
	}
	return open, nil
}

func (m *memRequests) Reachable(_ context.Context, orgs []string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, o := range orgs {
		out[o] = m.reachable[o]
	}
	return out, nil
}

// orgs records what reaches the organisations (bot/partners' side, written
// in parallel): the cards delivered and the requests withdrawn.
type orgs struct {
	mu        sync.Mutex
	delivered []requests.Request
	withdrawn []string
}

func (o *orgs) Deliver(_ context.Context, r *requests.Request) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.delivered = append(o.delivered, *r)
	return nil
}

func (o *orgs) Withdraw(_ context.Context, r *requests.Request) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.withdrawn = append(o.withdrawn, r.ID)
	return nil
}

func (o *orgs) Remind(context.Context, *requests.Request, int) error { return nil }

func (o *orgs) cards() []requests.Request {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.delivered)
}

func (o *orgs) gone() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.withdrawn)
}
