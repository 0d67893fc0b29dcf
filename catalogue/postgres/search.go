package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"

	"github.com/dalil-tt/dalil/catalogue"
)

// SearchHit is one service found by Search, best first.
type SearchHit struct {
	Service *catalogue.Service
	Score   float64 // 0..1: 1 when every query word is in the service's names
}

// Search finds the active services whose names, descriptions, conditions,
// town or need and sector keywords (French, Arabic and Darija) resemble text,
// best first, at most limit (10 when limit <= 0). It is insensitive to case,
// accents, Arabic diacritics and letter variants, tolerates typos, and reads
// Latin words also as Arabizi (see SearchKey).
//
// How: the services' search keys are split into words; an in-memory index
// (reloaded when the catalogue generation moves) maps each word to the
// services having it. Each query word (and its Arabizi skeleton) stands for
// the catalogue's words most similar to it by pg_trgm's similarity (shared
// trigrams over all trigrams, at least 0.4; see dictionary): the word
// itself, its inflections, its misspellings. Each service scores the sum, over the query words, of the
// best similarity of a matching word, full in the names and half elsewhere.
//
// Why in memory: on the 100,000-service benchmark a query for a word that
// thousands of services share (a need's keyword) took seconds with trigram
// indexes over whole texts (similarity rechecked on 20,000 descriptions),
// and even looking words up in a pg_trgm-indexed dictionary table cost
// 2-10 ms a query word (similarity() costs microseconds a row) where the
// in-memory lookup costs microseconds. The search_word table (pg_trgm GIN)
// stays for SQL users, and TestDictionarySimilarityIsPgTrgm checks that
// the in-memory similarity is pg_trgm's.
func (s *Store) Search(ctx context.Context, text string, limit int) ([]SearchHit, error) {
	if limit <= 0 {
		limit = 10
	}
	words := queryWords(text)
	if len(words) == 0 {
		return nil, nil
	}
	for attempt := 0; ; attempt++ {
		idx, err := s.searchIndex(ctx, attempt > 0)
		if err != nil {
			return nil, err
		}
		// Each spelling of each query word stands for the catalogue's words
		// similar to it (itself included, with similarity 1): inflections
		// (coopérative, coopératives) and typos alike.
		var matches []wordMatch
		for i, v := range words {
			for _, w := range v {
				if isDigits(w) { // numbers only match exactly
					matches = append(matches, wordMatch{i, w, 1})
					continue
				}
				matches = append(matches, idx.dict.similar(i, w)...)
			}
		}
		hits := idx.rank(words, matches, limit)
		out, stale, err := s.hydrate(ctx, idx, hits)
		if err != nil {
			return nil, err
		}
		if !stale {
			return out, nil
		}
		if attempt >= 2 {
			return nil, fmt.Errorf("searching: the catalogue kept changing during the search")
		}
	}
}

// queryWords returns, for each word of the query, its search-key spellings:
// the word itself and, for a Latin word, its Arabizi skeleton.
func queryWords(text string) [][]string {
	var out [][]string
	for _, w := range strings.Fields(SearchKey(text)) {
		v := []string{w}
		if sk := latinSkeleton(w); sk != w && len(sk) >= 2 && !isDigits(w) {
			v = append(v, sk)
		}
		out = append(out, v)
	}
	return out
}

func isDigits(w string) bool {
	return w != "" && strings.Trim(w, "0123456789") == ""
}

// wordMatch is a dictionary word resembling query word i.
type wordMatch struct {
	i    int
	word string
	sim  float32
}

// searchIndex maps the words of the active services' search keys to them.
type searchIndex struct {
	dict *dictionary // the words, for similarity lookups
	gen  int64
	ids  []string
	post map[string][]uint32 // word -> service index<<1 | 1 when in the names
	pool sync.Pool           // *scratch, sized for ids
}

type scratch struct {
	total, cur []float32
	stamp      []int32
	touched    []int32
}

// textWeight is the weight of a word found outside the names.
const textWeight = 0.5

func (s *Store) searchIndex(ctx context.Context, reload bool) (*searchIndex, error) {
	return s.search.load(ctx, s.pool, reload, "search index", func(i *searchIndex) int64 { return i.gen },
		func(ctx context.Context, tx pgx.Tx, gen int64) (*searchIndex, error) {
			rows, err := tx.Query(ctx, `SELECT id, search_names, search_text FROM service WHERE active ORDER BY id COLLATE "C"`)
			if err != nil {
				return nil, err
			}
			idx := &searchIndex{gen: gen, post: map[string][]uint32{}}
			var id, names, text string
			seen := map[string]uint32{}
			if _, err := pgx.ForEachRow(rows, []any{&id, &names, &text}, func() error {
				n := uint32(len(idx.ids))
				idx.ids = append(idx.ids, id)
				clear(seen)
				for _, w := range strings.Fields(names) {
					seen[w] = n<<1 | 1
				}
				for _, w := range strings.Fields(text) {
					if _, ok := seen[w]; !ok {
						seen[w] = n << 1
					}
				}
				for w, p := range seen {
					idx.post[w] = append(idx.post[w], p)
				}
				return nil
			}); err != nil {
				return nil, err
			}
			idx.dict = newDictionary(idx.post)
			n := len(idx.ids)
			idx.pool.New = func() any {
				return &scratch{total: make([]float32, n), cur: make([]float32, n), stamp: make([]int32, n)}
			}
			return idx, nil
		})
}

type searchHit struct {
	i     int
	score float32
}

// rank scores the services for the query words (see Search) and returns
// the best limit, by score then id.
func (idx *searchIndex) rank(words [][]string, matches []wordMatch, limit int) []searchHit {
	if len(idx.ids) == 0 {
		return nil
	}
	sc := idx.pool.Get().(*scratch)
	defer idx.pool.Put(sc)
	sc.touched = sc.touched[:0]
	clear(sc.stamp)
	for i := range words {
		var cur []int32
		for _, m := range matches {
			if m.i != i {
				continue
			}
			for _, p := range idx.post[m.word] {
				svc := int32(p >> 1)
				v := m.sim
				if p&1 == 0 {
					v *= textWeight
				}
				if sc.stamp[svc] != int32(i+1) {
					sc.stamp[svc] = int32(i + 1)
					sc.cur[svc] = 0
					cur = append(cur, svc)
				}
				if v > sc.cur[svc] {
					sc.cur[svc] = v
				}
			}
		}
		for _, svc := range cur {
			if sc.total[svc] == 0 {
				sc.touched = append(sc.touched, svc)
			}
			sc.total[svc] += sc.cur[svc]
		}
	}
	top := make([]searchHit, 0, limit+1)
	better := func(a, b searchHit) bool {
		if a.score != b.score {
			return a.score > b.score
		}
		return a.i < b.i // ids are sorted (byte order)
	}
	for _, svc := range sc.touched {
		h := searchHit{int(svc), sc.total[svc] / float32(len(words))}
		sc.total[svc] = 0
		if len(top) == limit && !better(h, top[limit-1]) {
			continue
		}
		j, _ := slices.BinarySearchFunc(top, h, func(a, b searchHit) int {
			if better(a, b) {
				return -1
			}
			return 1
		})
		top = slices.Insert(top, j, h)
		if len(top) > limit {
			top = top[:limit]
		}
	}
	return top
}

// hydrate reads the services of hits and checks the generation they were
// ranked on is still current.
func (s *Store) hydrate(ctx context.Context, idx *searchIndex, hits []searchHit) ([]SearchHit, bool, error) {
	ids := make([]string, len(hits))
	for i, h := range hits {
		ids[i] = idx.ids[h.i]
	}
	var cur int64
	var full []*catalogue.Service
	batch := &pgx.Batch{}
	batch.Queue(generationSQL).QueryRow(func(r pgx.Row) error { return r.Scan(&cur) })
	if len(ids) > 0 {
		batch.Queue(selectServices+` WHERE s.id = ANY($1)`, ids).Query(func(rows pgx.Rows) error {
			var err error
			full, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (*catalogue.Service, error) { return scanService(r) })
			return err
		})
	}
	if err := s.pool.SendBatch(ctx, batch).Close(); err != nil {
		return nil, false, fmt.Errorf("reading the services found: %w", err)
	}
	if cur != idx.gen {
		return nil, true, nil
	}
	byID := make(map[string]*catalogue.Service, len(full))
	for _, sv := range full {
		byID[sv.ID] = sv
	}
	out := make([]SearchHit, 0, len(hits))
	for i, h := range hits {
		sv, ok := byID[ids[i]]
		if !ok || !sv.Active {
			return nil, true, nil
		}
		out = append(out, SearchHit{Service: sv, Score: float64(h.score)})
	}
	return out, false, nil
}
