package catalogue

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/dalil-tt/dalil/internal/lang"
	"github.com/dalil-tt/dalil/internal/vocab"
)

// Translator gives the fixed texts of a card (the locales package implements
// it over the go-i18n files). Card uses the ids below, with data {"Value": …}:
// card.conditions, card.cost, card.cost.free, card.cost.paid,
// card.cost.mixed, card.phone, card.email, card.website, card.address,
// card.map, card.hours, card.languages, card.language.CODE (one per
// vocabulary language), card.updated with card.date and card.month.N
// (1–12), card.in_french.
type Translator interface {
	T(l lang.Lang, id string, data map[string]any) string
}

// Unicode directional isolates. In a right-to-left card a phone number, an
// address or a URL is a left-to-right run: isolating it keeps "+212 …" and
// "name@example.org" whole and in order among Arabic words, and keeps its
// digits and punctuation from reordering the Arabic around it.
const (
	lri = "\u2066" // left-to-right isolate: phones, e-mails, URLs, dates
	fsi = "\u2068" // first-strong isolate: free text that may be in either script
	pdi = "\u2069" // pop directional isolate
	rlm = "\u200f" // right-to-left mark
)

// Card renders one service as a plain-text card in l: organisation and
// service names, what it offers, conditions, cost, and how to reach it.
// Names and texts are taken in Arabic for ar and ary, in French otherwise,
// falling back to the other language when missing.
func Card(s *Service, l lang.Lang, tr Translator) string {
	rtl := l.RTL()
	// latin isolates a left-to-right value in an RTL card.
	latin := func(v string) string {
		if rtl && v != "" {
			return lri + v + pdi
		}
		return v
	}
	// either isolates text whose script is not known (addresses, hours, or a
	// French text shown in an Arabic card for want of a translation).
	either := func(v string) string {
		if rtl && v != "" && !isArabicText(v) {
			return fsi + v + pdi
		}
		return v
	}
	pick := func(fr, ar string) string {
		if rtl {
			if ar != "" {
				return ar
			}
			return either(fr)
		}
		if fr != "" {
			return fr
		}
		return ar
	}
	line := func(id, v string) string {
		return tr.T(l, id, map[string]any{"Value": v})
	}

	var b strings.Builder
	add := func(prefix, v string) {
		if v == "" {
			return
		}
		if rtl {
			// Some clients take a line's direction from its first strong
			// character without skipping isolates: set it explicitly.
			b.WriteString(rlm)
		}
		b.WriteString(prefix)
		b.WriteString(v)
		b.WriteByte('\n')
	}
	add("🏢 ", pick(s.Org.NameFR, s.Org.NameAR))
	add("▸ ", pick(s.NameFR, s.NameAR))
	if d := pick(s.DescriptionFR, s.DescriptionAR); d != "" {
		add("", d)
	}
	if len(s.Publics) > 0 {
		// Who it is reserved to, before how to reach it: nobody should
		// call a door that is not theirs.
		var names []string
		for _, code := range s.Publics {
			if vocab.Valid(vocab.Publics, code) {
				names = append(names, tr.T(l, "code.publics."+code, nil))
			}
		}
		add("🔒 ", line("card.reserved", strings.Join(names, sep(l))))
	}
	if c := pick(s.ConditionsFR, s.ConditionsAR); c != "" {
		add("✅ ", line("card.conditions", c))
	}
	if slices.Contains(Costs, s.Cost) {
		add("💰 ", line("card.cost", tr.T(l, "card.cost."+s.Cost, nil)))
	}
	if len(s.Languages) > 0 {
		var names []string
		for _, code := range s.Languages {
			if vocab.Valid(vocab.Languages, code) {
				names = append(names, tr.T(l, "card.language."+code, nil))
			}
		}
		sep := ", "
		if rtl {
			sep = "، "
		}
		add("🗣 ", line("card.languages", strings.Join(names, sep)))
	}
	add("📞 ", valueLine(line, "card.phone", latin(s.Phone)))
	add("✉️ ", valueLine(line, "card.email", latin(s.Email)))
	add("🌐 ", valueLine(line, "card.website", latin(s.Website)))
	addr := s.Address
	if s.City != "" && !strings.Contains(strings.ToLower(addr), strings.ToLower(s.City)) {
		if addr != "" {
			addr += ", "
		}
		addr += s.City
	}
	add("📍 ", valueLine(line, "card.address", localText(l, tr, addr, s.AddressAR, either)))
	if s.Latitude != nil && s.Longitude != nil {
		add("🗺 ", line("card.map", latin(MapURL(*s.Latitude, *s.Longitude))))
	}
	add("🕘 ", valueLine(line, "card.hours", localText(l, tr, s.Hours, s.HoursAR, either)))
	if !s.UpdatedAt.IsZero() {
		add("", line("card.updated", tr.T(l, "card.date", map[string]any{
			"Day": s.UpdatedAt.Day(), "Month": tr.T(l, "card.month."+strconv.Itoa(int(s.UpdatedAt.Month())), nil),
			"Year": s.UpdatedAt.Year()})))
	}
	return strings.TrimRight(b.String(), "\n")
}

// localText is an address or opening hours in l: the Arabic text in an
// Arabic or Darija card when the catalogue has one (it already names the
// town), else the French one, isolated and followed by a short note saying
// it is in French, so the reader knows why it is in Latin letters.
func localText(l lang.Lang, tr Translator, fr, ar string, isolate func(string) string) string {
	if !l.RTL() {
		if fr != "" {
			return fr
		}
		return ar
	}
	if ar != "" {
		return ar
	}
	if fr == "" {
		return ""
	}
	if isArabicText(fr) {
		return fr
	}
	return isolate(fr) + " " + tr.T(l, "card.in_french", nil)
}

// MapURL links to a point on OpenStreetMap, which phones open in a browser
// or a map application.
func MapURL(lat, lon float64) string {
	return fmt.Sprintf("https://www.openstreetmap.org/?mlat=%.5f&mlon=%.5f#map=17/%.5f/%.5f", lat, lon, lat, lon)
}

func valueLine(line func(id, v string) string, id, v string) string {
	if v == "" {
		return ""
	}
	return line(id, v)
}

// isArabicText reports whether the first letter of s is in Arabic script.
func isArabicText(s string) bool {
	for _, r := range s {
		switch {
		case r >= 0x0600 && r <= 0x06FF, r >= 0x0750 && r <= 0x077F, r >= 0x08A0 && r <= 0x08FF,
			r >= 0xFB50 && r <= 0xFDFF, r >= 0xFE70 && r <= 0xFEFF:
			return true
		case r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z', r >= 0xC0 && r <= 0x024F:
			return false
		}
	}
	return false
}
