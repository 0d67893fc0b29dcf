package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/dalil-tt/dalil/catalogue"
)

// SearchHit is one service found by Search, best first.
type SearchHit struct {
	Service *catalogue.Service
	Score   float64 // 0..1, word similarity of the query to the service's texts
}

// searchSQL ranks active services by the trigram word similarity of the
// query key ($1) and its Arabizi reading ($2) to the names (full weight) and
// to the other texts (descriptions, conditions, city, keywords; weighed
// less). The <% conditions use the GIN trigram indexes with the threshold
// set on the connection (pg_trgm.word_similarity_threshold).
const searchSQL = `SELECT id, score FROM (
	SELECT id, greatest(word_similarity($1, search_names), 0.8 * word_similarity($1, search_text),
		word_similarity($2, search_names), 0.8 * word_similarity($2, search_text)) AS score
	FROM service
	WHERE active AND ($1 <% search_names OR $1 <% search_text OR $2 <% search_names OR $2 <% search_text)
) hits ORDER BY score DESC, id COLLATE "C" LIMIT $3`

// Search finds the active services whose names, descriptions, conditions,
// town or need and sector keywords (French, Arabic and Darija) resemble text,
// best first, at most limit (10 when limit <= 0). It is insensitive to case,
// accents, Arabic diacritics and letter variants, tolerates typos, and reads
// Latin words also as Arabizi (see SearchKey).
func (s *Store) Search(ctx context.Context, text string, limit int) ([]SearchHit, error) {
	if limit <= 0 {
		limit = 10
	}
	plain, arabizi := queryKeysForSearch(text)
	if plain == "" {
		return nil, nil
	}
	if arabizi == "" {
		arabizi = plain
	}
	rows, err := s.pool.Query(ctx, searchSQL, plain, arabizi, limit)
	if err != nil {
		return nil, fmt.Errorf("searching the catalogue: %w", err)
	}
	type hit struct {
		id    string
		score float64
	}
	hits, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (hit, error) {
		var h hit
		err := r.Scan(&h.id, &h.score)
		return h, err
	})
	if err != nil {
		return nil, fmt.Errorf("searching the catalogue: %w", err)
	}
	if len(hits) == 0 {
		return nil, nil
	}
	ids := make([]string, len(hits))
	for i, h := range hits {
		ids[i] = h.id
	}
	byID, err := s.servicesByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]SearchHit, 0, len(hits))
	for _, h := range hits {
		if sv, ok := byID[h.id]; ok {
			out = append(out, SearchHit{Service: sv, Score: h.score})
		}
	}
	return out, nil
}
