package officehours

import (
	"testing"
	"time"
)

func TestHours(t *testing.T) {
	h := Default()
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
	if _, err := Parse("Mon-Fri 17:00-09:00", "UTC"); err == nil {
		t.Error("a span ending before it starts was accepted")
	}
	w, err := Parse("Sat,Sun 10:00-12:00", "UTC")
	if err != nil || !w.Days[time.Saturday] || !w.Days[time.Sunday] || w.Days[time.Monday] {
		t.Errorf("day list: %+v %v", w.Days, err)
	}
}

func TestAddWorking(t *testing.T) {
	h := Default()
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, h.Loc)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	// 2026-11-27 is a Friday.
	for _, c := range []struct {
		from string
		days int
		want string
	}{
		{"2026-11-27 16:00", 1, "2026-11-30 16:00"}, // over the weekend
		{"2026-11-27 16:00", 3, "2026-12-02 16:00"},
		{"2026-11-28 10:00", 1, "2026-12-01 09:00"}, // Saturday: Monday's whole day
		{"2026-11-30 07:00", 1, "2026-12-01 09:00"}, // before opening: the day itself
		{"2026-11-30 17:30", 1, "2026-12-02 09:00"}, // after closing: the next day
		{"2026-11-30 12:00", 0, "2026-11-30 12:00"},
	} {
		if got := h.AddWorking(at(c.from), c.days); !got.Equal(at(c.want)) {
			t.Errorf("AddWorking(%s, %d) = %s, want %s", c.from, c.days, got.In(h.Loc).Format("2006-01-02 15:04"), c.want)
		}
	}
	never := Hours{Loc: time.UTC, Start: 9 * time.Hour, End: 17 * time.Hour}
	if got := never.AddWorking(at("2026-11-30 12:00"), 2); !got.Equal(at("2026-12-02 12:00")) {
		t.Errorf("without open days: %s", got)
	}
}
