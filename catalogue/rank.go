package catalogue

import (
	"context"
	"fmt"
	"math/bits"
	"slices"
	"strings"

	"github.com/dalil-tt/dalil/catalogue/vocab"
)

// The ranking below is the one both the in-memory and the PostgreSQL
// catalogues use (through MatchWith), so that a referral does not depend on
// where the catalogue is kept.
//
// Filter: a service answers a query when, for every facet the query sets, it
// shares at least one code with the query. Needs follow the hierarchy of
// vocab.NeedCovers. An empty facet on the service means "every value" (open
// to all publics, all sectors, all stages…); a region-wide service lists all
// eight provinces and so matches any. A facet the query does not set does not
// filter: in particular a service restricted to, say, women is not hidden
// from a query that states no public (the project holder may well be a
// woman), but it ranks below services open to all (see Score).
//
// Score, in points (higher first; ties broken by service id):
//   - needs: for each need asked, the best of 100 (same code), 80 (the
//     service is more precise: asked "funding", offers "funding.grant") or 60
//     (the service is broader: asked "funding.grant", offers "funding"),
//     summed over the needs asked (a service answering two of them comes
//     first); minus 2 per other need the service offers, so focused services
//     come before catch-all ones;
//   - every other facet the query sets: a service that names the asked code
//     specifically gains the facet's weight, less the more codes it lists
//     (one province of eight: full weight; a region-wide or all-sectors
//     service: 0); a service that does not have it (only possible after
//     relaxation) loses the weight. Weights follow RelaxOrder: provinces 30,
//     publics 25, sectors 20, forms 15, stages 10, areas 5;
//   - a service restricted to publics the query does not state (or states
//     none) loses a further 25: open services come first;
//   - a service whose languages include the conversation's (Arabic and
//     Darija count as one) gains 3, a tie-breaker more than a rule.
//
// The PostgreSQL catalogue pre-ranks in SQL with a transcription of these
// numbers: change them together.

// Facet weights of Score, indexed like rankFacets; they grow with the
// importance RelaxOrder gives. Needs and languages are scored apart.
var weights = func() [numFacets]int {
	var w [numFacets]int
	for f, v := range map[vocab.Facet]int{
		vocab.Areas: 5, vocab.Stages: 10, vocab.Forms: 15, vocab.Sectors: 20, vocab.Publics: 25, vocab.Provinces: 30,
	} {
		w[facetIndex(f)] = v
	}
	return w
}()

const (
	needExact    = 100
	needNarrower = 80 // the service offers a more precise need than asked
	needBroader  = 60 // the service offers the generic need of the one asked
	needExtra    = 2  // per need offered beyond those asked
	publicOther  = 25 // restricted to publics the user did not state
	langBonus    = 3
)

// RelaxOrder lists the facets MatchWith drops, one by one and cumulatively,
// when nothing matches, least important first. Needs are never dropped: a
// service for another need is not an answer, and an empty result sends the
// project holder to an adviser instead. Provinces go last: a service nearby
// for a neighbouring sector is more useful than one far away.
var RelaxOrder = []vocab.Facet{vocab.Areas, vocab.Stages, vocab.Forms, vocab.Publics, vocab.Sectors, vocab.Provinces}

// Filter reports whether the active service s answers every facet q sets.
func Filter(q Query, s *Service) bool {
	if s == nil {
		return false
	}
	c := compile(q)
	p := profileOf(s)
	return c.filter(&p)
}

// Score rates how well s fits q; higher is better. It does not filter: a
// service Filter rejects gets a lower score, which is what ranks the results
// of a relaxed query.
func Score(q Query, s *Service) int {
	c := compile(q)
	p := profileOf(s)
	return c.score(&p)
}

// The ranking works on bit sets: a service's codes are turned into a
// profile once (the in-memory catalogue keeps them), a query into a compiled
// form once per attempt, so that filtering and scoring a service is a few
// machine operations. Filter and Score above are defined through the same
// code, so there is one ranking whatever the caller.

// facetIndex numbers the facets a profile holds.
var rankFacets = []vocab.Facet{vocab.Needs, vocab.Stages, vocab.Forms, vocab.Publics, vocab.Sectors, vocab.Provinces, vocab.Areas, vocab.Languages}

const numFacets = 8

// codeBits maps each facet's codes to a bit; every facet has at most 32 codes.
var codeBits = func() [numFacets]map[string]uint32 {
	var m [numFacets]map[string]uint32
	for i, f := range rankFacets {
		m[i] = make(map[string]uint32, len(vocab.Values[f]))
		for j, c := range vocab.Values[f] {
			m[i][c] = 1 << j
		}
	}
	return m
}()

func facetIndex(f vocab.Facet) int {
	for i, g := range rankFacets {
		if g == f {
			return i
		}
	}
	return -1
}

// profile is a service's codes as bit sets. Codes outside the vocabulary
// have no bit (ReadCSV refuses them) but still count in n, so that a facet
// holding only unknown codes matches nothing rather than everything.
type profile struct {
	bits   [numFacets]uint32
	n      [numFacets]uint8 // number of codes listed
	active bool
}

func profileOf(s *Service) profile {
	p := profile{active: s.Active}
	for i, f := range rankFacets {
		codes := s.Facet(f)
		p.n[i] = uint8(min(len(codes), 255))
		for _, c := range codes {
			p.bits[i] |= codeBits[i][c]
		}
	}
	return p
}

// wantNeed is one asked need, as the bit sets of the service needs that
// answer it exactly, more precisely or more broadly.
type wantNeed struct{ exact, narrower, broader uint32 }

// compiled is a query ready to test profiles.
type compiled struct {
	set    [numFacets]bool
	want   [numFacets]uint32
	needs  []wantNeed
	covers uint32 // service needs that answer at least one asked need
	lang   uint32 // service languages that can talk with the user
}

func compile(q Query) compiled {
	var c compiled
	for i, f := range rankFacets {
		if f == vocab.Languages {
			continue
		}
		codes := q.Codes.Get(f)
		if len(codes) == 0 {
			continue
		}
		c.set[i] = true
		for _, code := range codes {
			c.want[i] |= codeBits[i][code]
		}
	}
	needs := vocab.Values[vocab.Needs]
	for _, w := range q.Codes.Needs {
		var wn wantNeed
		for j, h := range needs {
			switch {
			case w == h:
				wn.exact |= 1 << j
			case strings.HasPrefix(h, w+"."):
				wn.narrower |= 1 << j
			case strings.HasPrefix(w, h+"."):
				wn.broader |= 1 << j
			}
		}
		c.needs = append(c.needs, wn)
		c.covers |= wn.exact | wn.narrower | wn.broader
	}
	li := facetIndex(vocab.Languages)
	switch q.Lang {
	case "":
	case "ar", "ary":
		// Arabic and Darija go together.
		c.lang = codeBits[li]["ar"] | codeBits[li]["ary"]
	default:
		c.lang = codeBits[li][q.Lang]
	}
	return c
}

var (
	needsIdx   = facetIndex(vocab.Needs)
	publicsIdx = facetIndex(vocab.Publics)
	langsIdx   = facetIndex(vocab.Languages)
)

func (c *compiled) filter(p *profile) bool {
	if !p.active {
		return false
	}
	for i := range numFacets {
		if !c.set[i] {
			continue
		}
		if i == needsIdx {
			if p.bits[i]&c.covers == 0 {
				return false
			}
			continue
		}
		if p.n[i] > 0 && p.bits[i]&c.want[i] == 0 {
			return false
		}
	}
	return true
}

func (c *compiled) score(p *profile) int {
	score := 0
	if c.set[needsIdx] {
		for _, w := range c.needs {
			switch have := p.bits[needsIdx]; {
			case have&w.exact != 0:
				score += needExact
			case have&w.narrower != 0:
				score += needNarrower
			case have&w.broader != 0:
				score += needBroader
			}
		}
		used := bits.OnesCount32(p.bits[needsIdx] & c.covers)
		score -= needExtra * (int(p.n[needsIdx]) - used)
	}
	for i, f := range rankFacets {
		wt := weights[i]
		if wt == 0 {
			continue
		}
		n := int(p.n[i])
		if !c.set[i] {
			if i == publicsIdx && n > 0 {
				score -= publicOther
			}
			continue
		}
		all := len(vocab.Values[f])
		switch {
		case n == 0 || n >= all:
			// open to every value: matches, nothing specific
		case p.bits[i]&c.want[i] != 0:
			score += wt - wt*(n-1)/all
		default:
			score -= wt
			if i == publicsIdx {
				score -= publicOther
			}
		}
	}
	if p.bits[langsIdx]&c.lang != 0 {
		score += langBonus
	}
	return score
}

// candidate is a service with its profile.
type candidate struct {
	s *Service
	p *profile
}

// MatchWith runs a referral: it asks fetch for the candidate services of q
// (fetch may return a superset — every candidate is checked with Filter —
// but must not miss an active service that answers its query), keeps those
// that answer, ranks them by Score against the full query and returns the
// best q.Limit (DefaultLimit when 0). When nothing answers, it drops the
// facets of RelaxOrder that q sets, one more at a time, calling fetch again
// with the relaxed query, and reports the facets dropped in Result.Relaxed.
// Nothing found even then is not an error: the Result is empty (and Relaxed
// nil) and the caller offers an adviser.
func MatchWith(ctx context.Context, q Query, fetch func(ctx context.Context, q Query) ([]*Service, error)) (Result, error) {
	return matchWith(ctx, q, func(ctx context.Context, q Query) ([]candidate, error) {
		services, err := fetch(ctx, q)
		if err != nil {
			return nil, err
		}
		profiles := make([]profile, len(services))
		cands := make([]candidate, 0, len(services))
		for i, s := range services {
			if s == nil {
				continue
			}
			profiles[i] = profileOf(s)
			cands = append(cands, candidate{s, &profiles[i]})
		}
		return cands, nil
	})
}

func matchWith(ctx context.Context, q Query, fetch func(ctx context.Context, q Query) ([]candidate, error)) (Result, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	full := compile(q)
	cur := q
	cur.Codes = q.Codes.Clone()
	var relaxed []vocab.Facet
	next := 0
	for {
		if err := ctx.Err(); err != nil {
			return Result{}, fmt.Errorf("matching services: %w", err)
		}
		cands, err := fetch(ctx, cur)
		if err != nil {
			return Result{}, fmt.Errorf("fetching candidate services: %w", err)
		}
		filter := compile(cur)
		if m := best(&full, &filter, cands, limit); len(m) > 0 {
			return restore(ctx, q, cur, relaxed, m, &full, limit, fetch)
		}
		for next < len(RelaxOrder) && !cur.Codes.Has(RelaxOrder[next]) {
			next++
		}
		if next == len(RelaxOrder) {
			return Result{}, nil
		}
		cur.Codes.Set(RelaxOrder[next])
		relaxed = append(relaxed, RelaxOrder[next])
		next++
	}
}

// restore takes back the facets that did not need dropping. Relaxation drops
// facets cumulatively in RelaxOrder until something matches, so when it took
// several, the earlier ones may not have been in the way: a query for an
// agricultural project at the creation stage that only fails on the sector
// should not tell the user its stage was ignored. The most important facet
// is tried first; the last one dropped was needed by construction.
func restore(ctx context.Context, q, cur Query, relaxed []vocab.Facet, m []Match, full *compiled, limit int,
	fetch func(ctx context.Context, q Query) ([]candidate, error)) (Result, error) {
	for i := len(relaxed) - 2; i >= 0; i-- {
		trial := cur
		trial.Codes = cur.Codes.Clone()
		trial.Codes.Set(relaxed[i], q.Codes.Get(relaxed[i])...)
		cands, err := fetch(ctx, trial)
		if err != nil {
			return Result{}, fmt.Errorf("fetching candidate services: %w", err)
		}
		filter := compile(trial)
		if tm := best(full, &filter, cands, limit); len(tm) > 0 {
			cur, m = trial, tm
			relaxed = append(relaxed[:i:i], relaxed[i+1:]...)
		}
	}
	return Result{Matches: m, Relaxed: relaxed}, nil
}

// before is the order of matches: higher score first, then service id.
func before(a, b Match) bool {
	if a.Score != b.Score {
		return a.Score > b.Score
	}
	return a.Service.ID < b.Service.ID
}

// best keeps the limit best candidates answering filter, scored against q.
// It keeps a small sorted slice instead of sorting every candidate: limit is
// a handful, candidates may be tens of thousands.
func best(q, filter *compiled, cands []candidate, limit int) []Match {
	var top []Match
	var seen map[string]bool
	for _, c := range cands {
		if !filter.filter(c.p) {
			continue
		}
		m := Match{Service: c.s, Score: q.score(c.p)}
		if len(top) == limit && !before(m, top[len(top)-1]) {
			continue
		}
		if seen == nil {
			seen = make(map[string]bool)
		}
		if seen[c.s.ID] {
			continue // fetch returned a service twice
		}
		seen[c.s.ID] = true
		i, _ := slices.BinarySearchFunc(top, m, func(a, b Match) int {
			if before(a, b) {
				return -1
			}
			return 1
		})
		top = slices.Insert(top, i, m)
		if len(top) > limit {
			delete(seen, top[limit].Service.ID)
			top = top[:limit]
		}
	}
	return top
}
