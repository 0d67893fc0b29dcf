package handoff

import (
	"fmt"
	"strconv"
	"time"
)

// Settings are the handoff's optional environment settings.
type Settings struct {
	Hours     Hours
	Wait      time.Duration
	HideName  bool
	Retention time.Duration
}

// SettingError names the setting that is wrong.
type SettingError struct {
	Name, Problem string
}

func (e *SettingError) Error() string { return e.Name + " " + e.Problem }

// LoadSettings reads HANDOFF_HOURS ("Mon-Fri 09:00-17:00"), HANDOFF_TZ
// (Africa/Casablanca), HANDOFF_WAIT (30m), HANDOFF_HIDE_NAME (false) and
// HANDOFF_RETENTION (0: no text kept) from getenv.
func LoadSettings(getenv func(string) string) (Settings, error) {
	s := Settings{Hours: DefaultHours(), Wait: 30 * time.Minute}
	spec, tz := getenv("HANDOFF_HOURS"), getenv("HANDOFF_TZ")
	if spec != "" || tz != "" {
		if spec == "" {
			spec = "Mon-Fri 09:00-17:00"
		}
		if tz == "" {
			tz = "Africa/Casablanca"
		}
		h, err := ParseHours(spec, tz)
		if err != nil {
			name := "HANDOFF_HOURS"
			if _, zerr := time.LoadLocation(tz); zerr != nil {
				name = "HANDOFF_TZ"
			}
			return s, &SettingError{name, fmt.Sprintf("is not valid: %v", err)}
		}
		s.Hours = h
	}
	if v := getenv("HANDOFF_WAIT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return s, &SettingError{"HANDOFF_WAIT", fmt.Sprintf("%q is not a positive duration such as 30m", v)}
		}
		s.Wait = d
	}
	if v := getenv("HANDOFF_HIDE_NAME"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return s, &SettingError{"HANDOFF_HIDE_NAME", fmt.Sprintf("%q is not true or false", v)}
		}
		s.HideName = b
	}
	if v := getenv("HANDOFF_RETENTION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return s, &SettingError{"HANDOFF_RETENTION", fmt.Sprintf("%q is not a duration such as 720h (0 keeps no text)", v)}
		}
		s.Retention = d
	}
	return s, nil
}
