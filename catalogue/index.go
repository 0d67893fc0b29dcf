package catalogue

import (
	"context"
	"iter"
	"slices"

	"github.com/dalil-tt/dalil/internal/vocab"
)

// Index is the ranking's view of a set of services: each one's codes as bit
// sets, and the services answering each need, and each need in each
// province, so that a referral visits only those. The in-memory catalogue
// ranks on one; the PostgreSQL catalogue keeps one of its active services
// (ids and codes only) and reads the rows of the few it shows. An Index
// never changes once built and is safe for concurrent use.
type Index struct {
	services []*Service
	profiles []profile
	lists    map[string][]int32
}

// NewIndex indexes services (nil entries are skipped). The services are
// shared, not copied: they must not be modified afterwards.
func NewIndex(services []*Service) *Index {
	idx := &Index{lists: map[string][]int32{}}
	for _, s := range services {
		if s != nil {
			idx.services = append(idx.services, s)
			idx.profiles = append(idx.profiles, profileOf(s))
		}
	}
	for _, need := range vocab.Values[vocab.Needs] {
		wn := wantOf(need)
		ans := wn.exact | wn.narrower | wn.broader
		for i := range idx.profiles {
			if uint32(idx.profiles[i].bits[needsIdx])&ans != 0 {
				idx.lists[need] = append(idx.lists[need], int32(i))
			}
		}
		for j, p := range vocab.Values[vocab.Provinces] {
			for _, i := range idx.lists[need] {
				pr := &idx.profiles[i]
				if pr.n[provincesIdx] == 0 || uint32(pr.bits[provincesIdx])&(1<<j) != 0 {
					idx.lists[need+"|"+p] = append(idx.lists[need+"|"+p], i)
				}
			}
		}
	}
	return idx
}

// Len is the number of services indexed.
func (idx *Index) Len() int { return len(idx.services) }

// Rank finds the services for q (see rank.go): it never fails and does no
// I/O.
func (idx *Index) Rank(q Query) Result {
	seen := make([]uint64, (len(idx.services)+63)/64) // one scratch set for every attempt
	res, _ := matchWith(context.Background(), q, func(_ context.Context, cur Query) (iter.Seq[candidate], error) {
		return idx.candidates(cur, seen), nil
	})
	return res
}

// candidates visits the services of one attempt: those on the lists of its
// needs (in its province when it sets one), or every service when it asks
// no need or a code outside the vocabulary. seen is scratch space, cleared
// here, so that a service on several lists is visited once.
func (idx *Index) candidates(q Query, seen []uint64) iter.Seq[candidate] {
	var lists [][]int32
	for _, w := range q.Codes.Needs {
		keys := []string{w}
		if len(q.Codes.Provinces) > 0 {
			keys = keys[:0]
			for _, p := range q.Codes.Provinces {
				keys = append(keys, w+"|"+p)
			}
		}
		for _, k := range keys {
			l, ok := idx.lists[k]
			if !ok {
				if vocab.Valid(vocab.Needs, w) && (len(q.Codes.Provinces) == 0 || vocab.Valid(vocab.Provinces, k[len(w)+1:])) {
					continue // nothing answers this pair
				}
				return idx.all()
			}
			lists = append(lists, l)
		}
	}
	if len(q.Codes.Needs) == 0 {
		return idx.all()
	}
	return func(yield func(candidate) bool) {
		if len(lists) == 1 {
			for _, i := range lists[0] {
				if !yield(candidate{idx.services[i], &idx.profiles[i]}) {
					return
				}
			}
			return
		}
		clear(seen)
		for _, l := range lists {
			for _, i := range l {
				if seen[i/64]&(1<<(i%64)) != 0 {
					continue
				}
				seen[i/64] |= 1 << (i % 64)
				if !yield(candidate{idx.services[i], &idx.profiles[i]}) {
					return
				}
			}
		}
	}
}

func (idx *Index) all() iter.Seq[candidate] {
	return func(yield func(candidate) bool) {
		for i := range idx.services {
			if !yield(candidate{idx.services[i], &idx.profiles[i]}) {
				return
			}
		}
	}
}

// ShownFirst is how many services of a referral count as "the first shown"
// when deciding whether a question is worth asking.
const ShownFirst = 3

// Undecided returns the public (a code of vocab.Publics) worth asking the
// person about before a referral: a service reserved to it would be among
// the first n shown if they belonged to it, and they have said neither that
// they do nor that they do not. "" when no answer would change what is
// shown. The most telling service decides which public is asked first.
func Undecided(r Ranker, q Query, n int) string {
	known := func(p string) bool {
		return slices.Contains(q.Codes.Publics, p) || slices.Contains(q.Not.Publics, p) ||
			p == "rural" && len(q.Codes.Areas) > 0
	}
	var unknown []string
	for _, p := range vocab.Values[vocab.Publics] {
		if !known(p) {
			unknown = append(unknown, p)
		}
	}
	if len(unknown) == 0 {
		return ""
	}
	hopeful := q
	hopeful.Codes = q.Codes.Clone()
	hopeful.Codes.Add(vocab.Publics, unknown...)
	hopeful.Limit = n
	for _, m := range r.Rank(hopeful).Matches {
		if m.Extra {
			break // only what would fit best is worth a question about oneself
		}
		if Eligible(q, m.Service) {
			continue
		}
		for _, p := range unknown {
			if slices.Contains(m.Service.Publics, p) {
				return p
			}
		}
	}
	return ""
}

// Split tells how the answers to a question divide the services. Changed
// is how many answers lead to another first service than q without the
// answer; First the number of different first services they lead to; Sets
// the number of different sets of the first n (order aside). Each answer's
// codes are added to q (replacing a single-valued facet's).
func Split(r Ranker, q Query, answers []vocab.Codes, n int) (changed, first, sets int) {
	head := func(q Query) ([]string, string) {
		q.Limit = n
		var ids []string
		for _, m := range r.Rank(q).Matches {
			ids = append(ids, m.Service.ID)
		}
		if len(ids) == 0 {
			return nil, ""
		}
		return ids, ids[0]
	}
	_, base := head(q)
	var firsts []string
	var seen [][]string
	for _, a := range answers {
		trial := q
		trial.Codes = q.Codes.Clone()
		for _, f := range vocab.Facets {
			if codes := a.Get(f); len(codes) > 0 {
				if slices.Contains(vocab.SingleValued, f) {
					trial.Codes.Set(f, codes...)
				} else {
					trial.Codes.Add(f, codes...)
				}
			}
		}
		ids, h := head(trial)
		if h != base {
			changed++
		}
		if !slices.Contains(firsts, h) {
			firsts = append(firsts, h)
		}
		slices.Sort(ids)
		if !slices.ContainsFunc(seen, func(s []string) bool { return slices.Equal(s, ids) }) {
			seen = append(seen, ids)
		}
	}
	return changed, len(firsts), len(seen)
}
