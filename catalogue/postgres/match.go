package postgres

import (
	"context"
	"fmt"
	"math/bits"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/catalogue/vocab"
)

// Weights of catalogue.Score (catalogue/rank.go), transcribed for scoreSQL.
var scoreWeights = map[vocab.Facet]int{
	vocab.Areas: 5, vocab.Stages: 10, vocab.Forms: 15, vocab.Sectors: 20, vocab.Publics: 25, vocab.Provinces: 30,
}

const (
	scoreNeedExact    = 100
	scoreNeedNarrower = 80
	scoreNeedBroader  = 60
	scoreNeedExtra    = 2
	scorePublicOther  = 25
	scoreLangBonus    = 3
)

// Match finds the services for q with the shared ranking (catalogue.MatchWith)
// and records the referral, or the fact that nothing matched, in the
// referral log (codes only; written in the background, see referralLog).
//
// Why the codes are filtered in memory and not in SQL: on the 100,000-service
// benchmark catalogue a typical referral has thousands of candidates (most
// services are open to every stage, form or sector), and PostgreSQL takes
// 40-60 ms to intersect the GIN posting lists of match_keys and fetch and
// rank those rows, 20 ms with a bit-mask filter on a narrow table: far from
// the 5 ms a referral may take. So the store keeps a compact index of the
// active services (id and facet_bits: 8 bytes of codes a service, about 4 MB
// for 100,000), loaded from PostgreSQL and reloaded whenever an import bumps
// the catalogue's generation; each referral checks the generation in the
// same round trip that logs it and reads the services shown. The index
// filters with bit masks (exactly catalogue.Filter) and pre-ranks with a
// transcription of catalogue.Score; the best few candidates then go through
// catalogue.MatchWith, which filters and ranks them with the real Filter
// and Score. TestScoreBitsMatchesScore checks the transcription and the
// shared ranking table (catalogtest) checks the order against the
// in-memory catalogue. The SQL filter on match_keys remains for staff
// queries and as the definition the index must agree with
// (TestIndexFilterAgreesWithSQL).
func (s *Store) Match(ctx context.Context, q catalogue.Query) (catalogue.Result, error) {
	for attempt := 0; ; attempt++ {
		idx, err := s.matchIndex(ctx, attempt > 0)
		if err != nil {
			return catalogue.Result{}, err
		}
		res, stale, err := s.matchWith(ctx, idx, q)
		if err != nil {
			return catalogue.Result{}, err
		}
		if !stale {
			return res, nil
		}
		if attempt >= 2 {
			return catalogue.Result{}, fmt.Errorf("matching services: the catalogue kept changing during the referral")
		}
		// An import changed the catalogue while ranking: rank again on it.
	}
}

func (s *Store) matchWith(ctx context.Context, idx *matchIndex, q catalogue.Query) (res catalogue.Result, stale bool, err error) {
	limit := q.Limit
	if limit <= 0 {
		limit = catalogue.DefaultLimit
	}
	cache := map[int64][]string{}
	res, err = catalogue.MatchWith(ctx, q, func(ctx context.Context, cur catalogue.Query) ([]*catalogue.Service, error) {
		return idx.candidates(q, cur, limit+candidateMargin, cache), nil
	})
	if err != nil {
		return catalogue.Result{}, false, err
	}
	ids := make([]string, len(res.Matches))
	for i, m := range res.Matches {
		ids[i] = m.Service.ID
	}
	relaxed := make([]string, len(res.Relaxed))
	for i, f := range res.Relaxed {
		relaxed[i] = string(f)
	}
	var gen int64
	var full []*catalogue.Service
	batch := &pgx.Batch{}
	batch.Queue(generationSQL).QueryRow(func(r pgx.Row) error {
		return r.Scan(&gen)
	})
	if len(ids) > 0 {
		batch.Queue(selectServices+` WHERE s.id = ANY($1)`, ids).Query(func(rows pgx.Rows) error {
			var err error
			full, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (*catalogue.Service, error) { return scanService(r) })
			return err
		})
	}
	if err := s.pool.SendBatch(ctx, batch).Close(); err != nil {
		return catalogue.Result{}, false, fmt.Errorf("reading the services of a referral: %w", err)
	}
	if gen != idx.gen {
		return catalogue.Result{}, true, nil
	}
	byID := make(map[string]*catalogue.Service, len(full))
	for _, sv := range full {
		byID[sv.ID] = sv
	}
	for i, m := range res.Matches {
		sv, ok := byID[m.Service.ID]
		if !ok || !sv.Active {
			return catalogue.Result{}, true, nil
		}
		res.Matches[i].Service = sv
	}
	c := q.Codes
	s.referrals.add(referral{at: s.now(), lang: q.Lang, needs: c.Needs, stages: c.Stages, forms: c.Forms, publics: c.Publics,
		sectors: c.Sectors, provinces: c.Provinces, areas: c.Areas, relaxed: relaxed, ids: ids})
	return res, false, nil
}

// candidateMargin is how many candidates beyond the limit the pre-ranking
// passes on, a safety net should scoreBits and Score ever differ slightly.
const candidateMargin = 10

// matchIndex is the compact copy of the active services' codes.
type matchIndex struct {
	gen  int64
	ids  []string
	bits []int64
	// lists holds, in index order, the services answering a need a query
	// may ask (NeedCovers), under "need", and those answering it in a
	// province, under "need|province": a referral always asks a need and
	// nearly always a province, and scanning only those lists skips most
	// of the catalogue.
	lists map[string][]int32
}

// matchIndex returns the current index, loading it if there is none yet or
// if reload is set (the generation moved).
func (s *Store) matchIndex(ctx context.Context, reload bool) (*matchIndex, error) {
	return s.index.load(ctx, s.pool, reload, "match index", func(i *matchIndex) int64 { return i.gen },
		func(ctx context.Context, tx pgx.Tx, gen int64) (*matchIndex, error) {
			rows, err := tx.Query(ctx, `SELECT id, facet_bits FROM service WHERE active ORDER BY id COLLATE "C"`)
			if err != nil {
				return nil, err
			}
			idx := &matchIndex{gen: gen}
			var id string
			var b int64
			if _, err := pgx.ForEachRow(rows, []any{&id, &b}, func() error {
				idx.ids = append(idx.ids, id)
				idx.bits = append(idx.bits, b)
				return nil
			}); err != nil {
				return nil, err
			}
			idx.buildLists()
			return idx, nil
		})
}

// buildLists fills idx.lists from idx.bits.
func (idx *matchIndex) buildLists() {
	idx.lists = map[string][]int32{}
	for _, need := range vocab.Values[vocab.Needs] {
		m := newBitFilter(catalogue.Query{Codes: vocab.Codes{Needs: []string{need}}})
		for i, b := range idx.bits {
			if m.match(b) {
				idx.lists[need] = append(idx.lists[need], int32(i))
			}
		}
		for _, p := range vocab.Values[vocab.Provinces] {
			m := newBitFilter(catalogue.Query{Codes: vocab.Codes{Needs: []string{need}, Provinces: []string{p}}})
			for _, i := range idx.lists[need] {
				if m.match(idx.bits[i]) {
					idx.lists[need+"|"+p] = append(idx.lists[need+"|"+p], i)
				}
			}
		}
	}
}

// scan returns the lists to visit for the query: one per need asked, or
// per need and province when it asks provinces; nil (every service) when it
// asks no need, or a code outside the vocabulary (the filter decides then).
func (idx *matchIndex) scan(c vocab.Codes) [][]int32 {
	var lists [][]int32
	for _, w := range c.Needs {
		keys := []string{w}
		if len(c.Provinces) > 0 {
			keys = keys[:0]
			for _, p := range c.Provinces {
				keys = append(keys, w+"|"+p)
			}
		}
		for _, k := range keys {
			l, ok := idx.lists[k]
			if !ok {
				if slices.Contains(vocab.Values[vocab.Needs], w) && (len(c.Provinces) == 0 || vocab.Valid(vocab.Provinces, k[len(w)+1:])) {
					continue // no service answers this pair
				}
				return nil
			}
			lists = append(lists, l)
		}
	}
	if len(lists) == 0 && len(c.Needs) > 0 {
		return [][]int32{} // nothing answers: visit nothing
	}
	return lists
}

// candidates returns the best n services of the index answering filter,
// pre-ranked by the score of q. The services carry only their id and codes
// (enough for Filter and Score); Match reads the rest of the few it keeps.
func (idx *matchIndex) candidates(q, filter catalogue.Query, n int, cache map[int64][]string) []*catalogue.Service {
	f := newBitFilter(filter)
	sc := newBitScorer(q)
	type cand struct {
		i     int
		score int
	}
	better := func(a, b cand) bool {
		if a.score != b.score {
			return a.score > b.score
		}
		return a.i < b.i // ids are sorted (byte order, as Go compares them)
	}
	top := make([]cand, 0, n+1)
	visit := func(i int, b int64) {
		if !f.match(b) {
			return
		}
		c := cand{i, sc.score(b)}
		if len(top) == n && !better(c, top[n-1]) {
			return
		}
		j := len(top)
		top = append(top, c)
		for j > 0 && better(c, top[j-1]) {
			top[j] = top[j-1]
			j--
		}
		top[j] = c
		if len(top) > n {
			top = top[:n]
		}
	}
	switch lists := idx.scan(filter.Codes); {
	case lists != nil && len(lists) == 0:
	case len(lists) == 1:
		for _, i := range lists[0] {
			visit(int(i), idx.bits[i])
		}
	case len(lists) > 1:
		// A service answering several of the needs is visited once (the
		// order of visits does not matter: ties are broken by position).
		seen := make([]uint64, (len(idx.bits)+63)/64)
		for _, l := range lists {
			for _, i := range l {
				if seen[i/64]&(1<<(i%64)) == 0 {
					seen[i/64] |= 1 << (i % 64)
					visit(int(i), idx.bits[i])
				}
			}
		}
	default:
		for i, b := range idx.bits {
			visit(i, b)
		}
	}
	out := make([]*catalogue.Service, len(top))
	for k, c := range top {
		sv := &catalogue.Service{ID: idx.ids[c.i], Active: true}
		decodeBits(idx.bits[c.i], sv, cache)
		out[k] = sv
	}
	return out
}

// bitFilter is catalogue.Filter over facet_bits.
type bitFilter struct {
	terms []struct {
		want, full int64
		open       bool // an empty facet answers (every facet but needs)
	}
}

func newBitFilter(q catalogue.Query) bitFilter {
	var f bitFilter
	for _, fc := range vocab.Facets {
		want := q.Codes.Get(fc)
		if len(want) == 0 {
			continue
		}
		var m int64
		if fc == vocab.Needs {
			for _, h := range vocab.Values[vocab.Needs] {
				if slices.ContainsFunc(want, func(w string) bool { return vocab.NeedCovers(w, h) }) {
					m |= codeBit(vocab.Needs, h)
				}
			}
		} else {
			m = facetMask(fc, want)
		}
		f.terms = append(f.terms, struct {
			want, full int64
			open       bool
		}{m, facetMask(fc, vocab.Values[fc]), fc != vocab.Needs})
	}
	return f
}

func (f bitFilter) match(b int64) bool {
	for k := range f.terms {
		t := &f.terms[k]
		if b&t.want == 0 && !(t.open && b&t.full == 0) {
			return false
		}
	}
	return true
}

// bitScorer is catalogue.Score over facet_bits, precomputed for one query.
type bitScorer struct {
	needs     []struct{ exact, narrower, broader int64 }
	needsFull int64
	cover     int64
	facets    []struct {
		full, want    int64
		all, wt, miss int
		unsetPenalty  int // publics not stated: penalty if the service is restricted
		set           bool
	}
	lang int64
}

func newBitScorer(q catalogue.Query) *bitScorer {
	sc := &bitScorer{}
	if want := q.Codes.Needs; len(want) > 0 {
		sc.needsFull = facetMask(vocab.Needs, vocab.Values[vocab.Needs])
		for _, h := range vocab.Values[vocab.Needs] {
			if slices.ContainsFunc(want, func(w string) bool { return vocab.NeedCovers(w, h) }) {
				sc.cover |= codeBit(vocab.Needs, h)
			}
		}
		for _, w := range want {
			var t struct{ exact, narrower, broader int64 }
			t.exact = codeBit(vocab.Needs, w)
			for _, h := range vocab.Values[vocab.Needs] {
				if strings.HasPrefix(h, w+".") {
					t.narrower |= codeBit(vocab.Needs, h)
				}
				if strings.HasPrefix(w, h+".") {
					t.broader |= codeBit(vocab.Needs, h)
				}
			}
			sc.needs = append(sc.needs, t)
		}
	}
	for _, f := range vocab.Facets {
		wt := scoreWeights[f]
		if wt == 0 {
			continue
		}
		want := q.Codes.Get(f)
		t := struct {
			full, want    int64
			all, wt, miss int
			unsetPenalty  int
			set           bool
		}{full: facetMask(f, vocab.Values[f]), all: len(vocab.Values[f]), wt: wt, miss: wt, set: len(want) > 0}
		if f == vocab.Publics {
			t.unsetPenalty = scorePublicOther
			t.miss += scorePublicOther
		}
		t.want = facetMask(f, want)
		if !t.set && t.unsetPenalty == 0 {
			continue // adds nothing to any score
		}
		sc.facets = append(sc.facets, t)
	}
	if q.Lang != "" {
		sc.lang = codeBit(vocab.Languages, q.Lang)
		if q.Lang == "ar" || q.Lang == "ary" {
			sc.lang |= codeBit(vocab.Languages, "ar") | codeBit(vocab.Languages, "ary")
		}
	}
	return sc
}

func (sc *bitScorer) score(b int64) int {
	score := 0
	if sc.needsFull != 0 {
		for k := range sc.needs {
			t := &sc.needs[k]
			switch {
			case b&t.exact != 0:
				score += scoreNeedExact
			case b&t.narrower != 0:
				score += scoreNeedNarrower
			case b&t.broader != 0:
				score += scoreNeedBroader
			}
		}
		score -= scoreNeedExtra * (bits.OnesCount64(uint64(b&sc.needsFull)) - bits.OnesCount64(uint64(b&sc.cover)))
	}
	for k := range sc.facets {
		t := &sc.facets[k] // by pointer: this loop runs for every candidate
		have := b & t.full
		if !t.set {
			if have != 0 {
				score -= t.unsetPenalty
			}
			continue
		}
		n := bits.OnesCount64(uint64(have))
		switch {
		case have == 0 || n >= t.all:
		case have&t.want != 0:
			score += t.wt - t.wt*(n-1)/t.all
		default:
			score -= t.miss
		}
	}
	if b&sc.lang != 0 {
		score += scoreLangBonus
	}
	return score
}
