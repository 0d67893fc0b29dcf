package bot

import (
	"math"
	"strings"
	"time"

	"github.com/dalil-tt/dalil/bot/telegram"
	"github.com/dalil-tt/dalil/dialog"
	"github.com/dalil-tt/dalil/internal/vocab"
)

// editWindow is how recent an edited message must be to be read again as a
// new message: a quick correction of a typo is; an edit of an old message
// (the conversation has moved on) is ignored.
const editWindow = 2 * time.Minute

// input turns a private chat's update into the engine's input. ok is false
// for updates that call for no answer (service messages, old edits).
func input(up *telegram.Update, botName string, now time.Time) (in dialog.Input, ok bool) {
	if cq := up.CallbackQuery; cq != nil {
		return dialog.Input{Kind: dialog.InButton, Data: cq.Data}, true
	}
	m := up.Message
	if m == nil && up.EditedMessage != nil {
		m = up.EditedMessage
		if m.Text == "" || !recentEdit(m, now) {
			return in, false
		}
	}
	if m == nil || m.Service() {
		return in, false
	}
	switch {
	case m.Contact != nil:
		// A phone number for a request: only the person's own is taken
		// (Telegram's contact button shares theirs; a contact card from
		// the attachment menu may be anyone's).
		in := dialog.Input{Kind: dialog.InContact, Text: m.Contact.PhoneNumber}
		if m.From == nil || m.Contact.UserID != m.From.ID {
			in.What = "other"
		}
		return in, true
	case m.Location != nil || m.Venue != nil:
		loc := m.Location
		if loc == nil {
			loc = &m.Venue.Location
		}
		if p := nearestProvince(loc.Latitude, loc.Longitude); p != "" {
			var c vocab.Codes
			c.Add(vocab.Provinces, p)
			return dialog.Input{Kind: dialog.InCodes, Codes: c}, true
		}
		return dialog.Input{Kind: dialog.InUnsupported, What: "location"}, true
	case m.Media() != "":
		return dialog.Input{Kind: dialog.InUnsupported, What: m.Media()}, true
	case strings.HasPrefix(m.Text, "/"):
		name, arg, _ := strings.Cut(strings.TrimPrefix(m.Text, "/"), " ")
		name, at, _ := strings.Cut(name, "@")
		if at != "" && !strings.EqualFold(at, botName) {
			return in, false // a command for another bot
		}
		return dialog.Input{Kind: dialog.InCommand, Command: strings.ToLower(name), Text: strings.TrimSpace(arg)}, true
	case strings.TrimSpace(m.Text) != "":
		return dialog.Input{Kind: dialog.InText, Text: m.Text}, true
	}
	return dialog.Input{Kind: dialog.InUnsupported, What: "other"}, true
}

// recentEdit reports whether an edit corrects a message just sent (dates
// that are missing count as recent).
func recentEdit(m *telegram.Message, now time.Time) bool {
	if m.EditDate != 0 && now.Sub(time.Unix(m.EditDate, 0)) > editWindow {
		return false
	}
	if m.EditDate != 0 && m.Date != 0 && m.EditDate-m.Date > int64(editWindow/time.Second) {
		return false
	}
	return true
}

// place is a town that stands for its province on the map.
type place struct {
	province string
	lat, lon float64
}

// towns of the region; a shared location gives the province of the nearest.
var towns = []place{
	{"tanger-assilah", 35.7595, -5.8340}, // Tanger
	{"tanger-assilah", 35.4650, -6.0340}, // Asilah
	{"mdiq-fnideq", 35.6858, -5.3253},    // M'diq
	{"mdiq-fnideq", 35.8489, -5.3575},    // Fnideq
	{"mdiq-fnideq", 35.6280, -5.2750},    // Martil
	{"tetouan", 35.5785, -5.3684},        // Tétouan
	{"tetouan", 35.4470, -5.0930},        // Oued Laou
	{"fahs-anjra", 35.7350, -5.5360},     // Anjra
	{"fahs-anjra", 35.8430, -5.5590},     // Ksar Sghir
	{"larache", 35.1932, -6.1557},        // Larache
	{"larache", 35.0017, -5.9053},        // Ksar El Kébir
	{"chefchaouen", 35.1688, -5.2636},    // Chefchaouen
	{"chefchaouen", 35.2100, -4.6700},    // Jebha
	{"chefchaouen", 34.9940, -4.9860},    // Bab Berred
	{"ouezzane", 34.7970, -5.5830},       // Ouezzane
	{"ouezzane", 34.6510, -5.8800},       // Mechra Bel Ksiri side
	{"al-hoceima", 35.2517, -3.9372},     // Al Hoceïma
	{"al-hoceima", 35.1450, -3.8500},     // Imzouren
	{"al-hoceima", 34.9390, -4.3130},     // Targuist
}

// maxKm is how far from every town of the region a point is taken to be
// outside it.
const maxKm = 60

func nearestProvince(lat, lon float64) string {
	best, bestKm := "", math.MaxFloat64
	for _, t := range towns {
		if d := km(lat, lon, t.lat, t.lon); d < bestKm {
			best, bestKm = t.province, d
		}
	}
	if bestKm > maxKm {
		return ""
	}
	return best
}

// km is the great-circle distance (haversine).
func km(lat1, lon1, lat2, lon2 float64) float64 {
	const r = 6371
	rad := math.Pi / 180
	dlat, dlon := (lat2-lat1)*rad, (lon2-lon1)*rad
	a := math.Sin(dlat/2)*math.Sin(dlat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dlon/2)*math.Sin(dlon/2)
	return 2 * r * math.Asin(math.Sqrt(a))
}
