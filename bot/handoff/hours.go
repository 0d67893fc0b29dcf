package handoff

import "github.com/dalil-tt/dalil/internal/officehours"

// Hours are the advisers' office hours (internal/officehours, shared with
// the requests' deadlines).
type Hours = officehours.Hours

// DefaultHours is Monday to Friday, 09:00 to 17:00, Casablanca time.
func DefaultHours() Hours { return officehours.Default() }

// ParseHours reads "Mon-Fri 09:00-17:00" in the IANA zone tz ("" = UTC).
func ParseHours(spec, tz string) (Hours, error) { return officehours.Parse(spec, tz) }
