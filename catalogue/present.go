package catalogue

import (
	"strings"

	"github.com/dalil-tt/dalil/internal/lang"
	"github.com/dalil-tt/dalil/internal/vocab"
)

// A referral reads the same wherever it is shown (Telegram, the terminal
// chat, the staff console's simulator): Note says what could not be found
// and what is shown instead, MatchCard renders one service with why it is
// shown. The ids are those of locales/referral.*.yaml and ui.*.yaml.

// Note is the line shown before the services of res, "" when they answer
// everything asked. With no match it says so (and the caller offers an
// adviser).
func Note(q Query, res Result, l lang.Lang, tr Translator) string {
	data := map[string]any{
		"Need":     list(l, tr, vocab.Needs, q.Codes.Needs),
		"Province": list(l, tr, vocab.Provinces, q.Codes.Provinces),
	}
	place := len(q.Codes.Provinces) > 0
	switch {
	case len(res.Matches) == 0 && len(q.Codes.Needs) > 0 && place:
		return tr.T(l, "referral.none.place", data)
	case len(res.Matches) == 0:
		return tr.T(l, "ReferralNone", nil)
	case res.Widened > NeedExact && place:
		return tr.T(l, "referral.widened.place", data)
	case res.Widened > NeedExact:
		return tr.T(l, "referral.widened", data)
	case len(res.Relaxed) > 0:
		names := make([]string, 0, len(res.Relaxed))
		for _, f := range res.Relaxed {
			names = append(names, tr.T(l, "facet."+string(f), nil))
		}
		return tr.T(l, "ReferralRelaxed", map[string]any{"Facets": strings.Join(names, sep(l))})
	}
	return ""
}

// MatchCard renders a match: the facts it answers for this person ("Pour
// vous : femmes · Chefchaouen · microcrédit"), then the service's card.
func MatchCard(m Match, l lang.Lang, tr Translator) string {
	card := Card(m.Service, l, tr)
	if len(m.Reasons) == 0 {
		return card
	}
	parts := make([]string, 0, len(m.Reasons))
	for _, r := range m.Reasons {
		parts = append(parts, tr.T(l, "code."+string(r.Facet)+"."+r.Code, nil))
	}
	line := tr.T(l, "referral.reasons", map[string]any{"List": strings.Join(parts, " · ")})
	if l.RTL() {
		line = rlm + line
	}
	return "🎯 " + line + "\n" + card
}

func list(l lang.Lang, tr Translator, f vocab.Facet, codes []string) string {
	names := make([]string, 0, len(codes))
	for _, c := range codes {
		names = append(names, tr.T(l, "code."+string(f)+"."+c, nil))
	}
	return strings.Join(names, sep(l))
}

func sep(l lang.Lang) string {
	if l.RTL() {
		return "، "
	}
	return ", "
}
