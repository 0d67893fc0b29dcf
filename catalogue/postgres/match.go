package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/dalil-tt/dalil/catalogue"
)

// Match finds the services for q with the shared ranking (catalogue.Index)
// and records the referral, or the fact that nothing matched, in the
// referral log (codes only; written in the background, see referralLog).
//
// Why the ranking runs in memory and not in SQL: on the 100,000-service
// benchmark catalogue a typical referral has thousands of candidates (most
// services are open to every stage, form or sector), and PostgreSQL takes
// 40-60 ms to intersect the GIN posting lists of match_keys and fetch and
// rank those rows: far from the 5 ms a referral may take. So the store
// keeps a catalogue.Index of the active services (ids and codes only, read
// from facet_bits), loaded from PostgreSQL and reloaded whenever an import
// bumps the catalogue's generation; each referral checks the generation in
// the same round trip that logs it and reads the services shown. There is
// one ranking: the in-memory catalogue ranks on the same Index. The SQL
// filter on match_keys remains for staff queries.
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
	res = idx.idx.Rank(q)
	ids := make([]string, len(res.Matches))
	for i, m := range res.Matches {
		ids[i] = m.Service.ID
	}
	relaxed := make([]string, len(res.Relaxed), len(res.Relaxed)+1)
	for i, f := range res.Relaxed {
		relaxed[i] = string(f)
	}
	// A widened need is an unmet one: the observatory counts them.
	switch res.Widened {
	case catalogue.NeedFamily:
		relaxed = append(relaxed, "needs:family")
	case catalogue.NeedHelp:
		relaxed = append(relaxed, "needs:help")
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

// matchIndex is the ranking index of the active services, at the
// catalogue generation it was read at.
type matchIndex struct {
	gen int64
	idx *catalogue.Index
}

// Ranker returns the ranking of the index loaded last, without I/O: the
// dialog engine uses it to choose which questions are worth asking. Before
// the first Match (or LoadIndex) it ranks an empty catalogue.
func (s *Store) Ranker() catalogue.Ranker { return storeRanker{s} }

type storeRanker struct{ s *Store }

func (r storeRanker) Rank(q catalogue.Query) catalogue.Result {
	if idx := r.s.index.cur.Load(); idx != nil {
		return idx.idx.Rank(q)
	}
	return catalogue.Result{}
}

// LoadIndex loads the ranking index now (serve calls it at start, so that
// the first conversations already ask only the questions that matter), or
// reloads it when the catalogue changed.
func (s *Store) LoadIndex(ctx context.Context) error {
	_, err := s.matchIndex(ctx, true)
	return err
}

// matchIndex returns the current index, loading it if there is none yet or
// if reload is set (the generation moved).
func (s *Store) matchIndex(ctx context.Context, reload bool) (*matchIndex, error) {
	return s.index.load(ctx, s.pool, reload, "match index", func(i *matchIndex) int64 { return i.gen },
		func(ctx context.Context, tx pgx.Tx, gen int64) (*matchIndex, error) {
			rows, err := tx.Query(ctx, `SELECT id, facet_bits, cost FROM service WHERE active ORDER BY id COLLATE "C"`)
			if err != nil {
				return nil, err
			}
			cache := map[int64][]string{}
			var services []*catalogue.Service
			var id, cost string
			var b int64
			if _, err := pgx.ForEachRow(rows, []any{&id, &b, &cost}, func() error {
				sv := &catalogue.Service{ID: id, Cost: cost, Active: true}
				decodeBits(b, sv, cache)
				services = append(services, sv)
				return nil
			}); err != nil {
				return nil, err
			}
			return &matchIndex{gen: gen, idx: catalogue.NewIndex(services)}, nil
		})
}
