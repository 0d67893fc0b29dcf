package catalogue

import (
	"context"
	"slices"
)

// Memory is a catalogue held in memory (the terminal chat, tests, the demo).
// It never changes after NewMemory, so it is safe for concurrent use.
type Memory struct {
	services []*Service
	cands    []candidate // services with their ranking profiles, computed once
}

var _ Matcher = (*Memory)(nil)

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
	profiles := make([]profile, len(m.services))
	m.cands = make([]candidate, len(m.services))
	for i, s := range m.services {
		profiles[i] = profileOf(s)
		m.cands[i] = candidate{s, &profiles[i]}
	}
	return m
}

// Match finds the services for q with the shared ranking (see MatchWith).
func (m *Memory) Match(ctx context.Context, q Query) (Result, error) {
	return matchWith(ctx, q, func(context.Context, Query) ([]candidate, error) {
		return m.cands, nil // the filter in matchWith does the selection
	})
}

// Services returns the catalogue's services (a copy of the slice).
func (m *Memory) Services() []*Service {
	return slices.Clone(m.services)
}
