package catalogue

import (
	"context"
	"slices"
)

// Memory is a catalogue held in memory (the terminal chat, tests, the demo).
// It never changes after NewMemory, so it is safe for concurrent use.
type Memory struct {
	services []*Service
}

var _ Matcher = (*Memory)(nil)

// NewMemory returns a catalogue of services. The slice is copied; the
// services themselves are shared and must not be modified afterwards.
func NewMemory(services []*Service) *Memory {
	return &Memory{services: slices.Clone(services)}
}

// Match finds the services for q with the shared ranking (MatchWith).
func (m *Memory) Match(ctx context.Context, q Query) (Result, error) {
	return MatchWith(ctx, q, m.fetch)
}

// fetch returns every service: Filter in MatchWith does the selection.
func (m *Memory) fetch(context.Context, Query) ([]*Service, error) {
	return m.services, nil
}

// Services returns the catalogue's services (a copy of the slice).
func (m *Memory) Services() []*Service {
	return slices.Clone(m.services)
}
