// Package catalogue holds the support organisations and their services, and
// finds the services that fit a project holder: the domain types, the
// catalogue file format, the shared ranking, and an in-memory catalogue.
// The PostgreSQL catalogue lives in catalogue/postgres.
package catalogue

import (
	"context"
	"time"

	"github.com/dalil-tt/dalil/catalogue/vocab"
)

// Organisation is a support structure (HSDS "organization").
type Organisation struct {
	ID     string
	NameFR string
	NameAR string
	Kind   string // public, association, cooperative, microfinance, bank, chamber, network, private, international
}

// Service is one offer of an organisation: one row of the catalogue file.
type Service struct {
	ID            string
	Org           Organisation
	NameFR        string
	NameAR        string
	DescriptionFR string
	DescriptionAR string

	// Facets. "*" in the file becomes every value of the facet, except for
	// Publics where "*" and empty both mean open to all (stored empty).
	Needs     []string
	Stages    []string
	Forms     []string
	Publics   []string
	Sectors   []string
	Provinces []string
	Areas     []string
	Languages []string

	Cost         string // free, paid, mixed or empty
	ConditionsFR string
	ConditionsAR string
	Address      string
	City         string
	Latitude     *float64
	Longitude    *float64
	Phone        string
	Email        string
	Website      string
	Hours        string
	AddressAR    string    // the address in Arabic, for ar and ary cards; empty when not given
	HoursAR      string    // the opening hours in Arabic; empty when not given
	UpdatedAt    time.Time // zero when unknown
	Active       bool
}

// facet points at the service's codes for facet f, or is nil for a facet
// a service does not hold. Facet and SetFacet share it.
func (s *Service) facet(f vocab.Facet) *[]string {
	switch f {
	case vocab.Needs:
		return &s.Needs
	case vocab.Stages:
		return &s.Stages
	case vocab.Forms:
		return &s.Forms
	case vocab.Publics:
		return &s.Publics
	case vocab.Sectors:
		return &s.Sectors
	case vocab.Provinces:
		return &s.Provinces
	case vocab.Areas:
		return &s.Areas
	case vocab.Languages:
		return &s.Languages
	}
	return nil
}

// Facet returns the service's codes for facet f.
func (s *Service) Facet(f vocab.Facet) []string {
	if p := s.facet(f); p != nil {
		return *p
	}
	return nil
}

// SetFacet replaces the service's codes for facet f.
func (s *Service) SetFacet(f vocab.Facet, codes []string) {
	if p := s.facet(f); p != nil {
		*p = codes
	}
}

// Query is what a referral asks for: the codes collected in a conversation.
type Query struct {
	Codes vocab.Codes
	Lang  string // conversation language, recorded for statistics
	Limit int    // most services wanted; 0 means DefaultLimit
}

// DefaultLimit is how many services a referral shows when the query does not say.
const DefaultLimit = 5

// Match is one service found for a query, with its score (higher first).
type Match struct {
	Service *Service
	Score   int
}

// Result is the answer to a query. Relaxed lists, in the order they were
// dropped, the facets that had to be ignored to find anything; empty when the
// services match every code asked.
type Result struct {
	Matches []Match
	Relaxed []vocab.Facet
}

// Matcher finds services for a referral. The in-memory catalogue and the
// PostgreSQL one implement it with the same filter and the same Rank.
type Matcher interface {
	Match(ctx context.Context, q Query) (Result, error)
}
