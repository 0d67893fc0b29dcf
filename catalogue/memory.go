package catalogue

import (
	"context"
	"slices"
)

// Memory is a catalogue held in memory (the terminal chat, tests, the demo).
// It never changes after NewMemory, so it is safe for concurrent use.
type Memory struct {
	services []*Service
	idx      *Index
}

var (
	_ Matcher = (*Memory)(nil)
	_ Ranker  = (*Memory)(nil)
)

// NewMemory returns a catalogue of services (nil entries are skipped). The
// slice is copied; the services themselves are shared and must not be
// modified afterwards.
func NewMemory(services []*Service) *Memory {
	m := &Memory{services: make([]*Service, 0, len(services))}
	for _, s := range services {
		if s != nil {
			m.services = append(m.services, s)
		}
	}
	m.idx = NewIndex(m.services)
	return m
}

// Match finds the services for q with the shared ranking (see rank.go).
func (m *Memory) Match(ctx context.Context, q Query) (Result, error) {
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	return m.idx.Rank(q), nil
}

// Rank is Match without a context: the memory catalogue does no I/O.
func (m *Memory) Rank(q Query) Result { return m.idx.Rank(q) }

// Services returns the catalogue's services (a copy of the slice).
func (m *Memory) Services() []*Service {
	return slices.Clone(m.services)
}

// Find returns the services of ids the catalogue holds, by id.
func (m *Memory) Find(ctx context.Context, ids []string) (map[string]*Service, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make(map[string]*Service, len(ids))
	for _, s := range m.services {
		if slices.Contains(ids, s.ID) {
			out[s.ID] = s
		}
	}
	return out, nil
}
