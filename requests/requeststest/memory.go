// Package requeststest holds a requests.Store in memory for the tests of
// the parts that act on requests (the organisations' groups, the
// console): it follows the Store's contract, not its storage, which
// requests/postgres's own tests check on PostgreSQL.
package requeststest

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"slices"
	"sync"
	"time"

	"github.com/dalil-tt/dalil/internal/lang"
	"github.com/dalil-tt/dalil/requests"
)

// Memory is a requests.Store in memory. Its zero value is ready.
type Memory struct {
	mu     sync.Mutex
	reqs   map[string]*requests.Request
	codes  map[string]code
	groups map[string]requests.Group // by org
	// Partners are the organisations with a console account (Reachable).
	Partners map[string]bool
	// Actions records every Act that changed a request, in order.
	Actions []Action
}

// Action is one recorded Act.
type Action struct {
	ID     string
	Action requests.Action
	Reason requests.Reason
	By     string
}

type code struct {
	org     string
	lang    lang.Lang
	expires time.Time
	used    bool
}

var _ requests.Store = (*Memory)(nil)

func (m *Memory) init() {
	if m.reqs == nil {
		m.reqs, m.codes, m.groups = map[string]*requests.Request{}, map[string]code{}, map[string]requests.Group{}
	}
}

func copyOf(r *requests.Request) *requests.Request { c := *r; return &c }

func (m *Memory) Create(ctx context.Context, r *requests.Request) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.init()
	m.reqs[r.ID] = copyOf(r)
	return nil
}

func (m *Memory) Get(ctx context.Context, id string) (*requests.Request, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.init()
	r, ok := m.reqs[id]
	if !ok {
		return nil, requests.ErrNotFound
	}
	return copyOf(r), nil
}

func (m *Memory) Act(ctx context.Context, id string, a requests.Action, reason requests.Reason, note, by string, at time.Time) (*requests.Request, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.init()
	r, ok := m.reqs[id]
	if !ok {
		return nil, requests.ErrNotFound
	}
	to, err := requests.Next(r.Status, a)
	if err != nil {
		return nil, err
	}
	r.Status = to
	switch to {
	case requests.Accepted:
		r.AnsweredAt = at
	case requests.Declined:
		r.AnsweredAt, r.Reason, r.Note = at, reason, note
	case requests.Contacted:
		r.ContactedAt = at
	case requests.Helped, requests.NotHelped:
		r.DoneAt = at
	}
	m.Actions = append(m.Actions, Action{ID: id, Action: a, Reason: reason, By: by})
	return copyOf(r), nil
}

func (m *Memory) Answer(ctx context.Context, id string, o requests.Outcome, at time.Time) (*requests.Request, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.init()
	r, ok := m.reqs[id]
	if !ok {
		return nil, requests.ErrNotFound
	}
	r.Outcome = o
	return copyOf(r), nil
}

func (m *Memory) list(keep func(*requests.Request) bool) []requests.Request {
	var out []requests.Request
	for _, r := range m.reqs {
		if keep(r) {
			out = append(out, *r)
		}
	}
	slices.SortFunc(out, func(a, b requests.Request) int { return b.SentAt.Compare(a.SentAt) })
	return out
}

func (m *Memory) ForChat(ctx context.Context, chat int64) ([]requests.Request, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.init()
	return m.list(func(r *requests.Request) bool { return r.Chat == chat && chat != 0 }), nil
}

func (m *Memory) Stop(ctx context.Context, chat int64) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.init()
	n := 0
	for _, r := range m.reqs {
		if r.Chat == chat && !r.Stopped {
			r.Stopped = true
			n++
		}
	}
	return n, nil
}

func (m *Memory) Forget(ctx context.Context, chat int64, at time.Time) ([]requests.Request, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.init()
	var out []requests.Request
	for _, r := range m.reqs {
		if r.Chat != chat || chat == 0 {
			continue
		}
		r.Chat, r.Shared = 0, requests.Shared{}
		if r.Status.Open() {
			r.Status = requests.Withdrawn
			out = append(out, *r)
		}
	}
	return out, nil
}

func (m *Memory) Due(ctx context.Context, now time.Time, limit int) ([]requests.Request, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.init()
	out := m.list(func(r *requests.Request) bool { return !r.NextAt.IsZero() && !r.NextAt.After(now) })
	slices.Reverse(out)
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func (m *Memory) Done(ctx context.Context, id string, step, next requests.Due, nextAt time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.init()
	r, ok := m.reqs[id]
	if !ok {
		return requests.ErrNotFound
	}
	r.NextKind, r.NextAt = next, nextAt
	return nil
}

func (m *Memory) ForOrg(ctx context.Context, org string, limit int) ([]requests.Request, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.init()
	out := m.list(func(r *requests.Request) bool { return r.Org == org })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func (m *Memory) Counts(ctx context.Context, org string, since time.Time) (requests.Counts, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.init()
	c := requests.Counts{}
	for _, r := range m.reqs {
		if r.Org == org && !r.SentAt.Before(since) {
			c[r.Status]++
		}
	}
	return c, nil
}

func (m *Memory) NewLinkCode(ctx context.Context, org string, l lang.Lang, expires time.Time) (string, error) {
	b := make([]byte, 10) // 80 bits
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	c := base32.StdEncoding.EncodeToString(b)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.init()
	m.codes[c] = code{org: org, lang: l, expires: expires}
	return c, nil
}

func (m *Memory) Link(ctx context.Context, c string, chat int64, at time.Time) (requests.Group, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.init()
	k, ok := m.codes[c]
	if !ok || k.used || !at.Before(k.expires) {
		return requests.Group{}, requests.ErrNotFound
	}
	k.used = true
	m.codes[c] = k
	for org, g := range m.groups {
		if g.Chat == chat {
			delete(m.groups, org)
		}
	}
	g := requests.Group{Org: k.org, Chat: chat, Lang: k.lang}
	m.groups[k.org] = g
	return g, nil
}

func (m *Memory) GroupOf(ctx context.Context, org string) (requests.Group, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.init()
	g, ok := m.groups[org]
	if !ok {
		return requests.Group{}, requests.ErrNotFound
	}
	return g, nil
}

func (m *Memory) OrgOf(ctx context.Context, chat int64) (requests.Group, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.init()
	for _, g := range m.groups {
		if g.Chat == chat {
			return g, nil
		}
	}
	return requests.Group{}, requests.ErrNotFound
}

func (m *Memory) SetGroupLang(ctx context.Context, org string, l lang.Lang) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.init()
	g, ok := m.groups[org]
	if !ok {
		return requests.ErrNotFound
	}
	g.Lang = l
	m.groups[org] = g
	return nil
}

func (m *Memory) Reachable(ctx context.Context, orgs []string) (map[string]bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.init()
	out := map[string]bool{}
	for _, o := range orgs {
		_, g := m.groups[o]
		out[o] = g || m.Partners[o]
	}
	return out, nil
}
