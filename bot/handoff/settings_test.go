package handoff

import (
	"errors"
	"testing"
	"time"
)

func TestLoadSettings(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	s, err := LoadSettings(env(nil))
	if err != nil || s.Wait != 30*time.Minute || s.HideName || s.Retention != 0 || s.Hours.Loc.String() != "Africa/Casablanca" {
		t.Fatalf("defaults: %+v %v", s, err)
	}
	s, err = LoadSettings(env(map[string]string{"HANDOFF_HOURS": "Mon-Sat 08:30-18:00", "HANDOFF_WAIT": "1h",
		"HANDOFF_HIDE_NAME": "true", "HANDOFF_RETENTION": "720h"}))
	if err != nil || !s.Hours.Days[time.Saturday] || s.Hours.Start != 8*time.Hour+30*time.Minute || s.Wait != time.Hour ||
		!s.HideName || s.Retention != 720*time.Hour {
		t.Fatalf("set: %+v %v", s, err)
	}
	for k, v := range map[string]string{"HANDOFF_HOURS": "weekdays", "HANDOFF_TZ": "Mars/Olympus", "HANDOFF_WAIT": "soon",
		"HANDOFF_HIDE_NAME": "maybe", "HANDOFF_RETENTION": "-1h"} {
		_, err := LoadSettings(env(map[string]string{k: v}))
		var se *SettingError
		if !errors.As(err, &se) || se.Name != k {
			t.Errorf("%s=%s: %v", k, v, err)
		}
	}
}
