package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/catalogue/vocab"
)

// Match finds the services for q with the shared ranking (catalogue.MatchWith)
// and records the referral, or the fact that nothing matched, in the
// referral log (codes only).
//
// A broad query may have tens of thousands of candidates; shipping them all
// to Go would take far longer than a referral may. So the candidates are
// filtered in SQL on match_keys (GIN) and pre-ranked in SQL by scoreSQL, a
// transcription of catalogue.Score over facet_bits; only the best few
// (limit plus a margin) go to MatchWith, which filters and ranks them again
// with the real Filter and Score. TestScoreSQLMatchesScore checks the
// transcription against catalogue.Score, and the shared ranking table
// (catalogtest) checks the resulting order against the in-memory catalogue.
func (s *Store) Match(ctx context.Context, q catalogue.Query) (catalogue.Result, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = catalogue.DefaultLimit
	}
	cache := map[int64][]string{}
	res, err := catalogue.MatchWith(ctx, q, func(ctx context.Context, cur catalogue.Query) ([]*catalogue.Service, error) {
		return s.candidates(ctx, q, cur, limit+candidateMargin, cache)
	})
	if err != nil {
		return catalogue.Result{}, err
	}
	ids := make([]string, len(res.Matches))
	for i, m := range res.Matches {
		ids[i] = m.Service.ID
	}
	relaxed := make([]string, len(res.Relaxed))
	for i, f := range res.Relaxed {
		relaxed[i] = string(f)
	}
	c := q.Codes
	batch := &pgx.Batch{}
	batch.Queue(`INSERT INTO referral (lang, needs, stages, forms, publics, sectors, provinces, areas, relaxed, result_count, service_ids)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		q.Lang, nonNil(c.Needs), nonNil(c.Stages), nonNil(c.Forms), nonNil(c.Publics), nonNil(c.Sectors),
		nonNil(c.Provinces), nonNil(c.Areas), relaxed, len(ids), ids)
	var full []*catalogue.Service
	if len(ids) > 0 {
		batch.Queue(selectServices+` WHERE s.id = ANY($1)`, ids).Query(func(rows pgx.Rows) error {
			var err error
			full, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (*catalogue.Service, error) { return scanService(r) })
			return err
		})
	}
	if err := s.pool.SendBatch(ctx, batch).Close(); err != nil {
		return catalogue.Result{}, fmt.Errorf("recording the referral and reading its services: %w", err)
	}
	byID := make(map[string]*catalogue.Service, len(full))
	for _, sv := range full {
		byID[sv.ID] = sv
	}
	for i, m := range res.Matches {
		sv, ok := byID[m.Service.ID]
		if !ok {
			return catalogue.Result{}, fmt.Errorf("service %s disappeared while matching", m.Service.ID)
		}
		res.Matches[i].Service = sv
	}
	return res, nil
}

// candidateMargin is how many candidates beyond the limit the SQL pre-ranking
// passes on, a safety net should scoreSQL and Score ever differ slightly.
const candidateMargin = 10

// candidates returns the best n active services answering filter, by the
// score of q. The services carry only their id and codes (enough for Filter
// and Score); Match reads the rest of the few it keeps.
func (s *Store) candidates(ctx context.Context, q, filter catalogue.Query, n int, cache map[int64][]string) ([]*catalogue.Service, error) {
	var where []string
	var args []any
	for _, f := range vocab.Facets {
		keys := queryKeys(f, filter.Codes.Get(f))
		if keys == nil {
			continue
		}
		args = append(args, keys)
		where = append(where, "match_keys && $"+strconv.Itoa(len(args)))
	}
	sql := "SELECT id, facet_bits FROM service WHERE active"
	for _, w := range where {
		sql += " AND " + w
	}
	args = append(args, n)
	sql += " ORDER BY " + scoreSQL(q, "facet_bits") + ` DESC, id COLLATE "C" LIMIT $` + strconv.Itoa(len(args))
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("selecting candidate services: %w", err)
	}
	defer rows.Close()
	var out []*catalogue.Service
	for rows.Next() {
		sv := &catalogue.Service{Active: true}
		var bits int64
		if err := rows.Scan(&sv.ID, &bits); err != nil {
			return nil, fmt.Errorf("reading candidate services: %w", err)
		}
		decodeBits(bits, sv, cache)
		out = append(out, sv)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading candidate services: %w", err)
	}
	return out, nil
}

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

// scoreSQL returns a SQL integer expression computing catalogue.Score(q, s)
// from the facet_bits column col. Only constants computed here go into it.
func scoreSQL(q catalogue.Query, col string) string {
	var terms []string
	and := func(m int64) string { return "(" + col + " & " + strconv.FormatInt(m, 10) + ")" }
	count := func(m int64) string { return "bit_count(" + and(m) + "::bit(64))" }
	if want := q.Codes.Needs; len(want) > 0 {
		full := facetMask(vocab.Needs, vocab.Values[vocab.Needs])
		var cover int64
		for _, h := range vocab.Values[vocab.Needs] {
			for _, w := range want {
				if vocab.NeedCovers(w, h) {
					cover |= codeBit(vocab.Needs, h)
				}
			}
		}
		for _, w := range want {
			var narrower, broader int64
			for _, h := range vocab.Values[vocab.Needs] {
				if strings.HasPrefix(h, w+".") {
					narrower |= codeBit(vocab.Needs, h)
				}
				if strings.HasPrefix(w, h+".") {
					broader |= codeBit(vocab.Needs, h)
				}
			}
			var c []string
			for _, x := range []struct {
				m int64
				v int
			}{{codeBit(vocab.Needs, w), scoreNeedExact}, {narrower, scoreNeedNarrower}, {broader, scoreNeedBroader}} {
				if x.m != 0 {
					c = append(c, fmt.Sprintf("WHEN %s <> 0 THEN %d", and(x.m), x.v))
				}
			}
			if len(c) > 0 {
				terms = append(terms, "CASE "+strings.Join(c, " ")+" ELSE 0 END")
			}
		}
		terms = append(terms, fmt.Sprintf("-%d*(%s - %s)", scoreNeedExtra, count(full), count(cover)))
	}
	for _, f := range vocab.Facets {
		wt := scoreWeights[f]
		if wt == 0 {
			continue
		}
		full := facetMask(f, vocab.Values[f])
		want := q.Codes.Get(f)
		if len(want) == 0 {
			if f == vocab.Publics {
				terms = append(terms, fmt.Sprintf("CASE WHEN %s <> 0 THEN -%d ELSE 0 END", and(full), scorePublicOther))
			}
			continue
		}
		all := len(vocab.Values[f])
		miss := wt
		if f == vocab.Publics {
			miss += scorePublicOther
		}
		t := fmt.Sprintf("CASE WHEN %s = 0 OR %s >= %d THEN 0", and(full), count(full), all)
		if m := facetMask(f, want); m != 0 {
			t += fmt.Sprintf(" WHEN %s <> 0 THEN %d - (%d*(%s - 1))/%d", and(m), wt, wt, count(full), all)
		}
		terms = append(terms, t+fmt.Sprintf(" ELSE -%d END", miss))
	}
	if q.Lang != "" {
		m := codeBit(vocab.Languages, q.Lang)
		if q.Lang == "ar" || q.Lang == "ary" {
			m |= codeBit(vocab.Languages, "ar") | codeBit(vocab.Languages, "ary")
		}
		if m != 0 {
			terms = append(terms, fmt.Sprintf("CASE WHEN %s <> 0 THEN %d ELSE 0 END", and(m), scoreLangBonus))
		}
	}
	if len(terms) == 0 {
		return "0"
	}
	return "(" + strings.Join(terms, " + ") + ")"
}
