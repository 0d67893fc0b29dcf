package catalogue

import (
	"context"
	"fmt"
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
//     (the service is broader: asked "funding.grant", offers "funding"); minus
//     2 per other need the service offers, so focused services come first;
//   - every other facet the query sets: a service that names the asked code
//     specifically gains the facet's weight, less the more codes it lists
//     (one province of eight: full weight; a region-wide or all-sectors
//     service: 0); a service that does not have it (only possible after
//     relaxation) loses the weight. Weights follow RelaxOrder: provinces 30,
//     publics 25, sectors 20, forms 15, stages 10, areas 5;
//   - a service restricted to publics the query does not state loses 25;
//   - a service whose languages include the conversation's gains 3.

// Facet weights of Score; they grow with the importance RelaxOrder gives.
var weights = map[vocab.Facet]int{
	vocab.Areas:     5,
	vocab.Stages:    10,
	vocab.Forms:     15,
	vocab.Sectors:   20,
	vocab.Publics:   25,
	vocab.Provinces: 30,
}

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
	if s == nil || !s.Active {
		return false
	}
	for _, f := range vocab.Facets {
		want := q.Codes.Get(f)
		if len(want) == 0 {
			continue
		}
		if !facetMatches(f, want, s.Facet(f)) {
			return false
		}
	}
	return true
}

func facetMatches(f vocab.Facet, want, have []string) bool {
	if f == vocab.Needs {
		for _, w := range want {
			for _, h := range have {
				if vocab.NeedCovers(w, h) {
					return true
				}
			}
		}
		return false
	}
	if len(have) == 0 {
		return true
	}
	for _, w := range want {
		if slices.Contains(have, w) {
			return true
		}
	}
	return false
}

// Score rates how well s fits q; higher is better. It does not filter: a
// service Filter rejects gets a lower score, which is what ranks the results
// of a relaxed query.
func Score(q Query, s *Service) int {
	score := 0
	if want := q.Codes.Needs; len(want) > 0 {
		used := 0
		for _, h := range s.Needs {
			if slices.ContainsFunc(want, func(w string) bool { return vocab.NeedCovers(w, h) }) {
				used++
			}
		}
		for _, w := range want {
			best := 0
			for _, h := range s.Needs {
				switch {
				case w == h:
					best = max(best, needExact)
				case strings.HasPrefix(h, w+"."):
					best = max(best, needNarrower)
				case strings.HasPrefix(w, h+"."):
					best = max(best, needBroader)
				}
			}
			score += best
		}
		score -= needExtra * (len(s.Needs) - used)
	}
	for _, f := range vocab.Facets {
		wt := weights[f]
		if wt == 0 {
			continue
		}
		want, have := q.Codes.Get(f), s.Facet(f)
		if len(want) == 0 {
			if f == vocab.Publics && len(have) > 0 {
				score -= publicOther
			}
			continue
		}
		all := len(vocab.Values[f])
		switch {
		case len(have) == 0 || len(have) >= all:
			// open to every value: matches, nothing specific
		case facetMatches(f, want, have):
			score += wt - wt*(len(have)-1)/all
		default:
			score -= wt
			if f == vocab.Publics {
				score -= publicOther
			}
		}
	}
	if q.Lang != "" && len(s.Languages) > 0 && speaks(s.Languages, q.Lang) {
		score += langBonus
	}
	return score
}

// speaks reports whether a service speaking langs can talk with a user in l;
// Arabic and Darija go together.
func speaks(langs []string, l string) bool {
	if slices.Contains(langs, l) {
		return true
	}
	if l == "ar" || l == "ary" {
		return slices.Contains(langs, "ar") || slices.Contains(langs, "ary")
	}
	return false
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
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
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
		if m := best(q, cur, cands, limit); len(m) > 0 {
			return Result{Matches: m, Relaxed: relaxed}, nil
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
func best(q, filter Query, cands []*Service, limit int) []Match {
	var top []Match
	var seen map[string]bool
	for _, s := range cands {
		if !Filter(filter, s) {
			continue
		}
		m := Match{Service: s, Score: Score(q, s)}
		if len(top) == limit && !before(m, top[len(top)-1]) {
			continue
		}
		if seen == nil {
			seen = make(map[string]bool)
		}
		if seen[s.ID] {
			continue // fetch returned a service twice
		}
		seen[s.ID] = true
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
