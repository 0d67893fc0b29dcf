package dialog

import (
	"slices"
	"strconv"
	"strings"

	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/internal/lang"
	"github.com/dalil-tt/dalil/internal/vocab"
)

// Services shown, page by page. The engine does no I/O: at a referral it
// asks the caller to show the services matching a query (Reply.Referral,
// from Reply.From), and the caller tells it which it showed (an InShown
// input). The engine keeps the list (State.List) and the services shown
// (State.Referred, for the adviser's summary); a "more" button (DataMore)
// is an input like any other, answered with the next page to show.

// DataMore prefixes the callback data of a "more services" button: DataMore
// followed by how many services the list had shown when it was drawn, so a
// press on an older list's button shows nothing more.
const DataMore = "pg:"

// MoreData is the callback data of the "more" button of a list whose first
// shown services are on screen.
func MoreData(shown int) string { return DataMore + strconv.Itoa(shown) }

// maxReferred bounds the services remembered as shown, to keep the stored
// conversation small.
const maxReferred = 20

// Listing is the last list of services shown: the query it answers, and
// how many of its services were shown so far.
type Listing struct {
	Codes vocab.Codes
	Not   vocab.Codes
	Lang  lang.Lang
	Shown int
}

func (l *Listing) clone() *Listing {
	if l == nil {
		return nil
	}
	c := *l
	c.Codes, c.Not = l.Codes.Clone(), l.Not.Clone()
	return &c
}

func (l *Listing) query() catalogue.Query {
	return catalogue.Query{Codes: l.Codes.Clone(), Not: l.Not.Clone(), Lang: string(l.Lang)}
}

// refer asks the caller to show the first services matching what is known,
// and starts a new list.
func (st *step) refer() {
	q := st.query()
	st.s.List = &Listing{Codes: q.Codes.Clone(), Not: q.Not.Clone(), Lang: lang.Lang(q.Lang)}
	st.replies = append(st.replies, Reply{Referral: &q})
}

// more answers a press of a "more" button: the next page of the list it
// belongs to, nothing for an older list's button (its keyboard is gone like
// any answered question's). It changes nothing else: a page is no answer.
func (st *step) more(data string) {
	from, err := strconv.Atoi(strings.TrimPrefix(data, DataMore))
	l := st.s.List
	if err != nil || l == nil || from <= 0 || from != l.Shown {
		return
	}
	q := l.query()
	st.replies = append(st.replies, Reply{Referral: &q, From: from})
}

// shown records the services the caller showed from index in.From of the
// last list: remembered for the adviser, and the list moved on. A first
// page with no service ends the list.
func (st *step) shown(in Input) {
	for _, id := range in.Shown {
		st.s.Referred = appendNew(st.s.Referred, id)
	}
	l := st.s.List
	if l == nil || in.From != l.Shown {
		return
	}
	if len(in.Shown) == 0 && in.From == 0 {
		st.s.List = nil
		return
	}
	l.Shown += len(in.Shown)
}

func appendNew(ids []string, id string) []string {
	if slices.Contains(ids, id) {
		return ids
	}
	ids = append(ids, id)
	if len(ids) > maxReferred {
		ids = ids[len(ids)-maxReferred:]
	}
	return ids
}
