package catalogue

import (
	"context"
	"fmt"
	"iter"
	"math/bits"
	"slices"

	"github.com/dalil-tt/dalil/internal/vocab"
)

// The ranking below is the one every catalogue uses (the in-memory one and
// the PostgreSQL one both rank through an Index), so that a referral does
// not depend on where the catalogue is kept.
//
// Eligibility, never relaxed: a service is shown only to someone it can
// serve.
//   - provinces: a service that lists some provinces only is shown only
//     when the project's province is known and among them (a region-wide
//     service lists all eight, or none);
//   - publics: a service reserved to publics (women, youth…) is shown only
//     to someone known to belong to one of them. Unknown is not yes: the
//     conversation asks (Undecided) when such a service would be among the
//     first shown. Living in a rural area (areas: rural) says "rural".
//
// Preferences, relaxed when nothing fits: a service that lists stages,
// forms, sectors or areas must share one with the query for each of them
// the query sets; an empty facet on the service means every value.
//
// Need, widened when nothing fits (Result.Widened): first the need asked
// (vocab.NeedCovers), then another need of its family (a loan or a grant
// for a microcredit), then services that help reach it (coaching to prepare
// a funding request). The ladder (below) widens the need before it relaxes
// any preference, and relaxes them one by one (areas, stages, forms,
// sectors), each time with the need exact first: a loan that fits the
// project beats a microcredit reserved to cooperatives, or to businesses
// already running, or to another trade. When the first rung that finds
// anything finds fewer than three services, the next rungs' services
// follow them up to three, as what may help all the same; Result.Widened
// and Result.Relaxed speak of the first.
//
// Score, in points (higher first; ties broken by service id):
//   - needs: the best, over the needs asked, of 100 (same code), 80 (the
//     service is more precise: asked "funding", offers "funding.grant"), 60
//     (the service is broader), 40 (same family), 20 (helps reach it); plus
//     10 for each other need asked that it answers too (a message often
//     names a side need: "a loan to open a shop" is no premises request,
//     so a service for one side need must not outrank one for the main
//     need); minus 5 per other need the service offers, so focused
//     services come before catch-all ones;
//   - every other facet the query sets (provinces, publics, sectors, forms,
//     stages, areas): a service that names the asked code specifically
//     gains the facet's weight, less the more codes it lists (one province
//     of eight: full weight; a region-wide service: 0); one that does not
//     have it (only possible after relaxation) loses the weight. Weights:
//     provinces 30, publics 25, sectors 20, forms 15, stages 10, areas 5.
//     A service restricted to some stages, forms, sectors or areas loses
//     half the weight when the person's is not known: it may not be for
//     them, a service open to all is;
//   - a paid service loses 8 (mixed 4) unless the need asked is paid by
//     nature (a microcredit or a loan): free public services come before
//     paid products of equal fit;
//   - a service whose languages include the conversation's (Arabic and
//     Darija count as one) gains 3, a tie-breaker more than a rule.

// Facet weights of Score, indexed like rankFacets. Needs and languages are
// scored apart.
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
	needFamily   = 40 // another need of the same family
	needHelp     = 20 // a need that helps reach the one asked
	needAlso     = 10 // per other need asked that the service answers too
	needExtra    = 5  // per need offered beyond those asked
	paidPenalty  = 8
	mixedPenalty = 4
	langBonus    = 3
)

// RelaxOrder lists the preferences the ladder drops, least important first.
// Needs are widened, never dropped; provinces and publics are eligibility
// and never relaxed.
var RelaxOrder = []vocab.Facet{vocab.Areas, vocab.Stages, vocab.Forms, vocab.Sectors}

// ladder is the order of attempts: a need level and how many facets of
// RelaxOrder are dropped.
var ladder = []struct {
	level NeedLevel
	drop  int
}{
	{NeedExact, 0}, {NeedFamily, 0}, {NeedHelp, 0},
	{NeedExact, 1}, {NeedFamily, 1}, {NeedHelp, 1},
	{NeedExact, 2}, {NeedFamily, 2}, {NeedHelp, 2},
	{NeedExact, 3}, {NeedFamily, 3}, {NeedHelp, 3},
	{NeedExact, 4}, {NeedFamily, 4}, {NeedHelp, 4},
}

// Filter reports whether the active service s answers q without widening:
// eligible, for the need asked, and fitting every preference q sets.
func Filter(q Query, s *Service) bool {
	if s == nil {
		return false
	}
	c := compile(q, q, NeedExact)
	p := profileOf(s)
	return c.filter(&p)
}

// Eligible reports whether the person q describes may use s: its province
// and the publics it is reserved to (see the top of this file).
func Eligible(q Query, s *Service) bool {
	if s == nil {
		return false
	}
	c := compile(q, q, NeedExact)
	p := profileOf(s)
	return c.eligible(&p)
}

// Score rates how well s fits q; higher is better. It does not filter.
func Score(q Query, s *Service) int {
	c := compile(q, q, NeedExact)
	p := profileOf(s)
	return c.score(&p)
}

// The ranking works on bit sets: a service's codes are turned into a
// profile once (an Index keeps them), a query into a compiled form once per
// attempt, so that filtering and scoring a service is a few machine
// operations.

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

var numProvinces = len(vocab.Values[vocab.Provinces])

var (
	needsIdx     = facetIndex(vocab.Needs)
	publicsIdx   = facetIndex(vocab.Publics)
	provincesIdx = facetIndex(vocab.Provinces)
	areasIdx     = facetIndex(vocab.Areas)
	langsIdx     = facetIndex(vocab.Languages)
	ruralPublic  = codeBits[publicsIdx]["rural"]
)

// profile is a service's codes as bit sets. Codes outside the vocabulary
// have no bit (ReadCSV refuses them) but still count in n, so that a facet
// holding only unknown codes matches nothing rather than everything.
type profile struct {
	bits   [numFacets]uint16 // no facet has more than 16 codes (TestEveryFacetFitsSixteenBits)
	n      [numFacets]uint8  // number of codes listed
	cost   uint8             // 0 free or unknown, 1 mixed, 2 paid
	active bool
}

func profileOf(s *Service) profile {
	p := profile{active: s.Active}
	for i, f := range rankFacets {
		codes := s.Facet(f)
		p.n[i] = uint8(min(len(codes), 255))
		for _, c := range codes {
			p.bits[i] |= uint16(codeBits[i][c])
		}
	}
	switch s.Cost {
	case "mixed":
		p.cost = 1
	case "paid":
		p.cost = 2
	}
	return p
}

// wantNeed is one asked need, as the bit sets of the service needs that
// answer it exactly, more precisely, more broadly, in its family or by
// helping reach it.
type wantNeed struct{ exact, narrower, broader, family, help uint32 }

func needBits(codes []string) uint32 {
	var b uint32
	for _, c := range codes {
		b |= codeBits[needsIdx][c]
	}
	return b
}

func wantOf(w string) wantNeed {
	var wn wantNeed
	for j, h := range vocab.Values[vocab.Needs] {
		switch {
		case w == h:
			wn.exact |= 1 << j
		case vocab.NeedCovers(w, h) && len(h) > len(w):
			wn.narrower |= 1 << j
		case vocab.NeedCovers(w, h):
			wn.broader |= 1 << j
		}
	}
	wn.family = needBits(vocab.NeedFamily(w)) &^ (wn.exact | wn.narrower | wn.broader)
	wn.help = needBits(vocab.NeedHelpers(w)) &^ (wn.exact | wn.narrower | wn.broader | wn.family)
	return wn
}

// compiled is a query ready to test profiles at one rung of the ladder.
type compiled struct {
	set     [numFacets]bool // facets the query sets
	filters [numFacets]bool // preferences that filter at this rung
	want    [numFacets]uint32
	needs   []wantNeed
	covers  uint32 // service needs accepted at this rung
	used    uint32 // service needs that answer the query at any level
	publics uint32 // publics the person is known to belong to
	lang    uint32
	paidOK  bool
	// checks are the preferences that filter at this rung, by index: the
	// filter runs for every candidate and looks at these only.
	checks []int
}

// compile prepares q; filter is the query whose preferences filter (q less
// the relaxed facets), level the need level accepted.
func compile(q, filter Query, level NeedLevel) compiled {
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
		c.filters[i] = filter.Codes.Has(f)
		for _, code := range codes {
			c.want[i] |= codeBits[i][code]
		}
	}
	for i := range numFacets {
		if c.filters[i] && i != needsIdx && i != publicsIdx && i != provincesIdx {
			c.checks = append(c.checks, i)
		}
	}
	c.publics = c.want[publicsIdx]
	if c.want[areasIdx]&codeBits[areasIdx]["rural"] != 0 {
		c.publics |= ruralPublic
	}
	for _, w := range q.Codes.Needs {
		wn := wantOf(w)
		c.needs = append(c.needs, wn)
		c.used |= wn.exact | wn.narrower | wn.broader | wn.family | wn.help
		c.covers |= wn.exact | wn.narrower | wn.broader
		if level >= NeedFamily {
			c.covers |= wn.family
		}
		if level >= NeedHelp {
			c.covers |= wn.help
		}
		if w == "funding.microcredit" || w == "funding.loan" {
			c.paidOK = true
		}
	}
	li := langsIdx
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

// eligible: active, serving the province, and reserved (if at all) to a
// public the person is known to belong to.
func (c *compiled) eligible(p *profile) bool {
	if !p.active {
		return false
	}
	if n := int(p.n[provincesIdx]); n > 0 && n < numProvinces && (!c.set[provincesIdx] || uint32(p.bits[provincesIdx])&c.want[provincesIdx] == 0) {
		// A service of some provinces only is for someone known to be in
		// one of them: unknown is not yes.
		return false
	}
	if p.n[publicsIdx] > 0 && uint32(p.bits[publicsIdx])&c.publics == 0 {
		return false
	}
	return true
}

func (c *compiled) filter(p *profile) bool {
	if !c.eligible(p) {
		return false
	}
	if c.set[needsIdx] && uint32(p.bits[needsIdx])&c.covers == 0 {
		return false
	}
	for _, i := range c.checks {
		if p.n[i] > 0 && uint32(p.bits[i])&c.want[i] == 0 {
			return false
		}
	}
	return true
}

func (c *compiled) score(p *profile) int {
	score := 0
	if c.set[needsIdx] {
		have := uint32(p.bits[needsIdx])
		best, also := 0, 0
		for _, w := range c.needs {
			v := 0
			switch {
			case have&w.exact != 0:
				v = needExact
			case have&w.narrower != 0:
				v = needNarrower
			case have&w.broader != 0:
				v = needBroader
			case have&w.family != 0:
				v = needFamily
			case have&w.help != 0:
				v = needHelp
			}
			if v > best {
				best, v = v, best
			}
			if v >= needBroader {
				also++
			}
		}
		score += best + needAlso*also
		score -= needExtra * (int(p.n[needsIdx]) - bits.OnesCount32(have&c.used))
	}
	for i, f := range rankFacets {
		wt := weights[i]
		if wt == 0 {
			continue
		}
		want := c.want[i]
		if i == publicsIdx {
			want = c.publics
		}
		n := int(p.n[i])
		all := len(vocab.Values[f])
		if want == 0 {
			if n > 0 && n < all && i != publicsIdx && i != provincesIdx {
				// Restricted to some stages, forms, sectors or areas, and
				// the person's is not known: it may not be for them.
				score -= wt / 2
			}
			continue
		}
		switch {
		case n == 0 || n >= all:
			// open to every value: matches, nothing specific
		case uint32(p.bits[i])&want != 0:
			score += wt - wt*(n-1)/all
		default:
			score -= wt
		}
	}
	if !c.paidOK {
		switch p.cost {
		case 1:
			score -= mixedPenalty
		case 2:
			score -= paidPenalty
		}
	}
	if uint32(p.bits[langsIdx])&c.lang != 0 {
		score += langBonus
	}
	return score
}

// reasons lists the codes of the query that p names specifically, in the
// order a person reads them best: who they are, where, what for, then the
// rest.
func (c *compiled) reasons(p *profile) []Reason {
	var out []Reason
	add := func(i int, want uint32) {
		n := int(p.n[i])
		f := rankFacets[i]
		if n == 0 || n >= len(vocab.Values[f]) {
			return
		}
		for j, code := range vocab.Values[f] {
			if want&uint32(p.bits[i])&(1<<j) != 0 {
				out = append(out, Reason{f, code})
			}
		}
	}
	add(publicsIdx, c.publics)
	add(provincesIdx, c.want[provincesIdx])
	if c.set[needsIdx] {
		for j, code := range vocab.Values[vocab.Needs] {
			b := uint32(1) << j
			if uint32(p.bits[needsIdx])&b == 0 {
				continue
			}
			for _, w := range c.needs {
				if (w.exact|w.narrower|w.broader)&b != 0 {
					out = append(out, Reason{vocab.Needs, code})
					break
				}
			}
		}
	}
	for _, f := range []vocab.Facet{vocab.Sectors, vocab.Forms, vocab.Stages, vocab.Areas} {
		i := facetIndex(f)
		add(i, c.want[i])
	}
	return out
}

// candidate is a service with its profile.
type candidate struct {
	s *Service
	p *profile
}

// MatchWith runs a referral over the services fetch returns: fetch gets the
// query of each attempt (its needs widened as the rung allows) and may
// return a superset of what answers it, but must not miss an active
// service that does. See Index.Rank for the ladder.
func MatchWith(ctx context.Context, q Query, fetch func(ctx context.Context, q Query) ([]*Service, error)) (Result, error) {
	return matchWith(ctx, q, func(ctx context.Context, q Query) (iter.Seq[candidate], error) {
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
		return slices.Values(cands), nil
	})
}

// attemptQuery is q as one rung of the ladder filters it: its needs
// widened to the level, the first drop facets of RelaxOrder unset.
func attemptQuery(q Query, level NeedLevel, dropped []vocab.Facet) Query {
	cur := q
	cur.Codes = q.Codes.Clone()
	for _, f := range dropped {
		cur.Codes.Set(f)
	}
	if level > NeedExact {
		var needs []string
		for _, w := range q.Codes.Needs {
			needs = append(needs, w)
			needs = append(needs, vocab.NeedFamily(w)...)
			if level >= NeedHelp {
				needs = append(needs, vocab.NeedHelpers(w)...)
			}
		}
		slices.Sort(needs)
		cur.Codes.Needs = slices.Compact(needs)
	}
	return cur
}

func matchWith(ctx context.Context, q Query, fetch func(ctx context.Context, q Query) (iter.Seq[candidate], error)) (Result, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	// The facets of RelaxOrder that q sets, in order: only those can be
	// dropped, and a rung that drops nothing new is skipped.
	var droppable []vocab.Facet
	for _, f := range RelaxOrder {
		if q.Codes.Has(f) {
			droppable = append(droppable, f)
		}
	}
	type rung struct {
		level NeedLevel
		drop  int
	}
	tried := map[rung]bool{}
	var res Result
	found := false
	for _, r := range ladder {
		drop := 0
		for _, f := range RelaxOrder[:r.drop] {
			if q.Codes.Has(f) {
				drop++
			}
		}
		if !q.Codes.Has(vocab.Needs) && r.level > NeedExact {
			continue // nothing to widen
		}
		if tried[rung{r.level, drop}] {
			continue
		}
		tried[rung{r.level, drop}] = true
		if err := ctx.Err(); err != nil {
			return Result{}, fmt.Errorf("matching services: %w", err)
		}
		dropped := droppable[:drop]
		m, err := attempt(ctx, q, r.level, dropped, limit, fetch)
		if err != nil {
			return Result{}, err
		}
		if len(m) == 0 {
			continue
		}
		if !found {
			found = true
			if res, err = restore(ctx, q, r.level, slices.Clone(dropped), m, limit, fetch); err != nil {
				return Result{}, err
			}
		} else {
			// Fewer than asked fit best: the next rungs' services follow,
			// as what may help all the same.
			for _, x := range m {
				if len(res.Matches) < min(limit, fillTo) && !slices.ContainsFunc(res.Matches, func(y Match) bool { return y.Service.ID == x.Service.ID }) {
					x.Extra = true
					res.Matches = append(res.Matches, x)
				}
			}
		}
		if len(res.Matches) >= min(limit, fillTo) {
			break
		}
	}
	return res, nil
}

// fillTo is how many services a referral fills up to from the next rungs
// when the first finds fewer: a few doors that may help all the same, not a
// long list of poorer fits (and every rung costs a scan of the catalogue).
const fillTo = 3

// attempt ranks the services answering q at one rung.
func attempt(ctx context.Context, q Query, level NeedLevel, dropped []vocab.Facet, limit int,
	fetch func(ctx context.Context, q Query) (iter.Seq[candidate], error)) ([]Match, error) {
	cur := attemptQuery(q, level, dropped)
	cands, err := fetch(ctx, cur)
	if err != nil {
		return nil, fmt.Errorf("fetching candidate services: %w", err)
	}
	noDrop := q
	noDrop.Codes = q.Codes.Clone()
	for _, f := range dropped {
		noDrop.Codes.Set(f)
	}
	c := compile(q, noDrop, level)
	return best(&c, cands, limit), nil
}

// restore takes back the dropped preferences that were not in the way: the
// ladder drops them cumulatively, so a query that only fails on the sector
// should not tell the user its stage was ignored. The most important facet
// is tried first.
func restore(ctx context.Context, q Query, level NeedLevel, dropped []vocab.Facet, m []Match, limit int,
	fetch func(ctx context.Context, q Query) (iter.Seq[candidate], error)) (Result, error) {
	for i := len(dropped) - 1; i >= 0; i-- {
		trial := append(slices.Clone(dropped[:i]), dropped[i+1:]...)
		tm, err := attempt(ctx, q, level, trial, limit, fetch)
		if err != nil {
			return Result{}, err
		}
		if len(tm) > 0 {
			dropped, m = trial, tm
		}
	}
	if len(dropped) == 0 {
		dropped = nil
	}
	return Result{Matches: m, Relaxed: dropped, Widened: level}, nil
}

// before is the order of matches: higher score first, then service id.
func before(a, b Match) bool {
	if a.Score != b.Score {
		return a.Score > b.Score
	}
	return a.Service.ID < b.Service.ID
}

// best keeps the limit best candidates answering c. It keeps a small sorted
// slice instead of sorting every candidate: limit is a handful, candidates
// may be tens of thousands.
func best(c *compiled, cands iter.Seq[candidate], limit int) []Match {
	var top []Match
	for cd := range cands {
		if !c.filter(cd.p) {
			continue
		}
		m := Match{Service: cd.s, Score: c.score(cd.p)}
		if len(top) == limit && !before(m, top[len(top)-1]) {
			continue
		}
		// fetch may return a service twice; top is a handful: a scan beats
		// a map here.
		if slices.ContainsFunc(top, func(t Match) bool { return t.Service == cd.s || t.Service.ID == cd.s.ID }) {
			continue
		}
		i, _ := slices.BinarySearchFunc(top, m, func(a, b Match) int {
			if before(a, b) {
				return -1
			}
			return 1
		})
		top = slices.Insert(top, i, m)
		if len(top) > limit {
			top = top[:limit]
		}
	}
	for i := range top {
		p := profileOf(top[i].Service)
		top[i].Reasons = c.reasons(&p)
	}
	return top
}
