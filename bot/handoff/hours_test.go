package handoff

import (
	"testing"
	"time"
)

func TestHours(t *testing.T) {
	h := DefaultHours()
	if h.Loc.String() != "Africa/Casablanca" {
		t.Fatalf("zone %s", h.Loc)
	}
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, h.Loc)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	// 2026-11-27 is a Friday.
	for s, want := range map[string]bool{
		"2026-11-27 08:59": false, "2026-11-27 09:00": true, "2026-11-27 16:59": true,
		"2026-11-27 17:00": false, "2026-11-28 10:00": false, "2026-11-30 10:00": true,
	} {
		if got := h.Open(at(s)); got != want {
			t.Errorf("Open(%s) = %v", s, got)
		}
	}
	if got := h.Next(at("2026-11-27 18:00")); !got.Equal(at("2026-11-30 09:00")) {
		t.Errorf("Next(Friday evening) = %v", got)
	}
	if got := h.Next(at("2026-11-30 07:00")); !got.Equal(at("2026-11-30 09:00")) {
		t.Errorf("Next(Monday early) = %v", got)
	}
	if got := h.WorkingSince(at("2026-11-27 16:30"), at("2026-11-30 09:45")); got != 75*time.Minute {
		t.Errorf("WorkingSince over a weekend = %v", got)
	}
	if _, err := ParseHours("Mon-Fri 17:00-09:00", "UTC"); err == nil {
		t.Error("a span ending before it starts was accepted")
	}
	w, err := ParseHours("Sat,Sun 10:00-12:00", "UTC")
	if err != nil || !w.Days[time.Saturday] || !w.Days[time.Sunday] || w.Days[time.Monday] {
		t.Errorf("day list: %+v %v", w.Days, err)
	}
}
