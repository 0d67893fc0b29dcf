// Package catalogue holds the support organisations and their services, and
// finds the services that fit a project holder: the domain types, the
// catalogue file format, the shared ranking, and an in-memory catalogue.
// The PostgreSQL catalogue lives in catalogue/postgres.
package catalogue

import (
	"context"
	"time"

	"github.com/dalil-tt/dalil/internal/vocab"
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
	// Not holds the codes known NOT to hold of the project holder: a man is
	// not "women", a 50-year-old not "youth", someone who answered "no" to
	// "are you a graduate?" not "graduates". A service reserved to publics
	// is shown only to someone known to belong to one of them (Codes), and
	// Not is what lets the conversation stop asking.
	Not   vocab.Codes
	Lang  string // conversation language, recorded for statistics
	Limit int    // most services wanted; 0 means DefaultLimit
}

// DefaultLimit is how many services a referral shows when the query does not say.
const DefaultLimit = 5

// Match is one service found for a query, with its score (higher first)
// and why it is shown.
type Match struct {
	Service *Service
	Score   int
	// Reasons are the project holder's facts the service names
	// specifically ("women", "chefchaouen", "funding.microcredit"), most
	// telling first: the card's "for you" line.
	Reasons []Reason
	// Extra marks a service shown after those that fit best, because they
	// were fewer than asked: it answers less (another need of the family,
	// a preference relaxed) but may help all the same.
	Extra bool
}

// Reason is one code of the query a service answers specifically.
type Reason struct {
	Facet vocab.Facet
	Code  string
}

// NeedLevel says how far a referral had to widen the need asked.
type NeedLevel int

const (
	// NeedExact: services for the need asked (a query for "funding" takes
	// every funding.* need, a service offering generic "funding" answers
	// "funding.grant").
	NeedExact NeedLevel = iota
	// NeedFamily: another need of its family (vocab.NeedFamily): a loan or a
	// grant when no microcredit serves the person.
	NeedFamily
	// NeedHelp: services that help reach it (vocab.NeedHelpers): coaching
	// to prepare a funding request.
	NeedHelp
)

// Result is the answer to a query. Relaxed lists, in the order they were
// dropped, the preferences (areas, stages, forms, sectors) that had to be
// ignored to find anything, and Widened how far the need was widened; both
// empty when the services match every code asked. Eligibility (province,
// reserved publics) is never relaxed: an empty Result means nothing the
// person may use answers the need, and the caller offers an adviser.
type Result struct {
	Matches []Match
	Relaxed []vocab.Facet
	Widened NeedLevel
}

// Ranker ranks services for a query without any I/O: a catalogue held in
// memory. The dialog engine uses one to decide which questions are worth
// asking (dialog is pure); transports use a Matcher to show services.
type Ranker interface {
	Rank(q Query) Result
}

// Matcher finds services for a referral. The in-memory catalogue and the
// PostgreSQL one implement it with the same filter and the same Rank.
type Matcher interface {
	Match(ctx context.Context, q Query) (Result, error)
}

// Finder reads services by id, inactive ones too: the names a request's
// news and /requests show long after the referral.
type Finder interface {
	// Find returns the services of ids it knows, by id; an unknown id is
	// left out, not an error.
	Find(ctx context.Context, ids []string) (map[string]*Service, error)
}
