package staff

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"
)

// Handoff is one conversation handed to the advisers, as the handoffs page
// shows it: no name, no message text, only what staff need to follow the
// queue.
type Handoff struct {
	ID            string    // the handoff's id (not the chat id)
	Lang          string    // fr, ar or ary
	Needs         []string  // codes collected before the handoff
	OpenedAt      time.Time // when the user asked for an adviser
	FirstAnswerAt time.Time // first adviser message; zero while waiting
	ClosedAt      time.Time // /close; zero while open
}

// Handoffs lists the handoffs opened since a time, in any order. The
// adviser handoff (issue 5) implements it; Options.Handoffs nil shows an
// empty page.
type Handoffs interface {
	Handoffs(ctx context.Context, since time.Time) ([]Handoff, error)
}

type handoffsData struct {
	Connected   bool
	Waiting     []handoffRow
	Open        []handoffRow
	Closed      int
	MedianFirst string // median time to first answer over the period
	Answered    int
	PeriodDays  int
}

type handoffRow struct {
	Handoff
	Wait string // waiting so far, or time to the first answer
}

// handoffPeriod is how far back the page counts.
const handoffPeriod = 30 * 24 * time.Hour

func (s *Server) handoffsPage(w http.ResponseWriter, r *http.Request, sess *session) {
	d := &handoffsData{Connected: s.opts.Handoffs != nil, PeriodDays: int(handoffPeriod.Hours() / 24)}
	if s.opts.Handoffs != nil {
		now := s.now()
		hs, err := s.opts.Handoffs.Handoffs(r.Context(), now.Add(-handoffPeriod))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		var firsts []time.Duration
		for _, h := range hs {
			if !h.FirstAnswerAt.IsZero() {
				firsts = append(firsts, h.FirstAnswerAt.Sub(h.OpenedAt))
			}
			switch {
			case !h.ClosedAt.IsZero():
				d.Closed++
			case h.FirstAnswerAt.IsZero():
				d.Waiting = append(d.Waiting, handoffRow{h, duration(now.Sub(h.OpenedAt))})
			default:
				d.Open = append(d.Open, handoffRow{h, duration(h.FirstAnswerAt.Sub(h.OpenedAt))})
			}
		}
		// Longest waiting first: they need an answer most.
		slices.SortFunc(d.Waiting, func(a, b handoffRow) int { return a.OpenedAt.Compare(b.OpenedAt) })
		slices.SortFunc(d.Open, func(a, b handoffRow) int { return b.OpenedAt.Compare(a.OpenedAt) })
		d.Answered = len(firsts)
		if len(firsts) > 0 {
			slices.Sort(firsts)
			m := firsts[len(firsts)/2]
			if len(firsts)%2 == 0 {
				m = (firsts[len(firsts)/2-1] + m) / 2
			}
			d.MedianFirst = duration(m)
		}
	}
	s.render(w, r, http.StatusOK, "handoffs", sess, page{Data: d})
}

// duration is a short human duration: 45 s, 12 min, 3 h 05, 2 d 4 h.
func duration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 24*time.Hour:
		return fmt.Sprintf("%d h %02d", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%d d %d h", int(d.Hours())/24, int(d.Hours())%24)
}
