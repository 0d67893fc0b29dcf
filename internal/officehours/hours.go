// Package officehours is the working time of the region's organisations:
// the same opening hours on some days of the week, in one time zone
// (Africa/Casablanca by default). The handoff desk tells users when
// advisers are back with it; requests count their deadlines in its working
// days.
package officehours

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // office hours in Africa/Casablanca on hosts without zone files
)

// Hours are office hours: the same opening time on some
// days of the week, in one time zone.
type Hours struct {
	Loc        *time.Location
	Days       [7]bool       // by time.Weekday
	Start, End time.Duration // since midnight
}

// Default is Monday to Friday, 09:00 to 17:00, Casablanca time.
func Default() Hours {
	h, err := Parse("Mon-Fri 09:00-17:00", "Africa/Casablanca")
	if err != nil {
		// The embedded zone data (time/tzdata) may be missing: keep UTC+1,
		// Morocco's usual offset, rather than fail.
		h, _ = Parse("Mon-Fri 09:00-17:00", "")
		h.Loc = time.FixedZone("+01", 3600)
	}
	return h
}

var dayNames = map[string]time.Weekday{"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}

// Parse reads "Mon-Fri 09:00-17:00" (days: a range or a comma list of
// Mon…Sun) in the IANA zone tz ("" = UTC).
func Parse(spec, tz string) (Hours, error) {
	var h Hours
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return h, fmt.Errorf("office hours time zone %q: %w", tz, err)
	}
	h.Loc = loc
	days, span, ok := strings.Cut(strings.TrimSpace(spec), " ")
	if !ok {
		return h, fmt.Errorf("office hours %q: want like \"Mon-Fri 09:00-17:00\"", spec)
	}
	for _, part := range strings.Split(strings.ToLower(days), ",") {
		a, b, isRange := strings.Cut(part, "-")
		da, okA := dayNames[a]
		db, okB := dayNames[b]
		if !okA || (isRange && !okB) {
			return h, fmt.Errorf("office hours %q: unknown day in %q", spec, part)
		}
		if !isRange {
			db = da
		}
		for d := da; ; d = (d + 1) % 7 {
			h.Days[d] = true
			if d == db {
				break
			}
		}
	}
	from, to, ok := strings.Cut(strings.TrimSpace(span), "-")
	if !ok {
		return h, fmt.Errorf("office hours %q: want a time span like 09:00-17:00", spec)
	}
	if h.Start, err = clock(from); err != nil {
		return h, fmt.Errorf("office hours %q: %w", spec, err)
	}
	if h.End, err = clock(to); err != nil {
		return h, fmt.Errorf("office hours %q: %w", spec, err)
	}
	if h.End <= h.Start {
		return h, fmt.Errorf("office hours %q: the end is not after the start", spec)
	}
	return h, nil
}

func clock(s string) (time.Duration, error) {
	hh, mm, ok := strings.Cut(s, ":")
	H, err1 := strconv.Atoi(hh)
	M, err2 := strconv.Atoi(mm)
	if !ok || err1 != nil || err2 != nil || H < 0 || H > 24 || M < 0 || M > 59 {
		return 0, fmt.Errorf("bad time %q (want HH:MM)", s)
	}
	return time.Duration(H)*time.Hour + time.Duration(M)*time.Minute, nil
}

// Midnight is the start of t's day in the hours' zone.
func (h Hours) Midnight(t time.Time) time.Time {
	t = t.In(h.Loc)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, h.Loc)
}

// Open reports whether t is within the hours.
func (h Hours) Open(t time.Time) bool {
	t = t.In(h.Loc)
	if !h.Days[t.Weekday()] {
		return false
	}
	since := t.Sub(h.Midnight(t))
	return since >= h.Start && since < h.End
}

// Next returns t when open, else the next opening after t.
func (h Hours) Next(t time.Time) time.Time {
	if h.Open(t) {
		return t
	}
	day := h.Midnight(t)
	for i := 0; i < 8; i++ {
		d := day.AddDate(0, 0, i)
		start := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, h.Loc).Add(h.Start)
		if h.Days[d.Weekday()] && start.After(t) {
			return start
		}
	}
	return t // no open day at all: nobody is expected, do not wait for ever
}

// WorkingSince is how much office time passed between from and to.
func (h Hours) WorkingSince(from, to time.Time) time.Duration {
	var total time.Duration
	day := h.Midnight(from)
	for i := 0; !day.After(to) && i < 400; i++ {
		if h.Days[day.Weekday()] {
			s, e := day.Add(h.Start), day.Add(h.End)
			if s.Before(from) {
				s = from
			}
			if e.After(to) {
				e = to
			}
			if e.After(s) {
				total += e.Sub(s)
			}
		}
		d := day.AddDate(0, 0, 1)
		day = time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, h.Loc)
	}
	return total
}

// AddWorking is t plus days working days: the same working time later,
// counted only within the hours, so it always falls within them. Sent on
// Friday at 16:00 with 09:00–17:00 on weekdays, one working day later is
// Monday at 16:00; from a Saturday it is Tuesday at 09:00 (Monday's whole
// day). Without any open day it is plain calendar days.
func (h Hours) AddWorking(t time.Time, days int) time.Time {
	if days <= 0 {
		return t
	}
	left := time.Duration(days) * (h.End - h.Start)
	t = h.Next(t)
	for i := 0; i < 400*days && h.Open(t); i++ {
		end := h.Midnight(t).Add(h.End)
		if left < end.Sub(t) {
			return t.Add(left)
		}
		left -= end.Sub(t)
		t = h.Next(end)
	}
	return t.Add(time.Duration(days) * 24 * time.Hour)
}
