package bot_test

import (
	"strings"
	"testing"

	"github.com/dalil-tt/dalil/bot"
	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/dialog"
)

// eligibilityCatalogue: a microcredit reserved to women in Tétouan, and an
// open one region-wide.
func eligibilityCatalogue() *catalogue.Memory {
	svc := func(id, name string, provinces, publics []string) *catalogue.Service {
		return &catalogue.Service{ID: id, Org: catalogue.Organisation{ID: "o-" + id, NameFR: "Organisation " + name + " (fictif)", Kind: "microfinance"},
			NameFR: name, Needs: []string{"funding.microcredit"}, Provinces: provinces, Publics: publics,
			Email: id + "@example.org", Active: true}
	}
	return catalogue.NewMemory([]*catalogue.Service{
		svc("women-mc", "Microcrédit Amal pour les femmes", []string{"tetouan"}, []string{"women"}),
		svc("open-mc", "Microcrédit Jisr", nil, nil),
	})
}

// Through Telegram: the yes/no question that decides a service reserved to
// women, with Oui and Non buttons, answered by a press; and a man who said
// so is neither asked nor shown it. Chat ids above 2^32.
func TestEligibilityQuestionThroughTelegram(t *testing.T) {
	cat := eligibilityCatalogue()
	h := start(t, nil, func(o *bot.Options) {
		o.Matcher = cat
		o.Engine.(*dialog.Engine).Catalogue = cat
	})
	const woman, man = int64(1)<<33 + 11, int64(1)<<33 + 12

	got := h.say(woman, "je veux un microcrédit à Tétouan")
	q := h.lastButtons(woman)
	if !strings.Contains(q.Text, "femmes") || len(q.Buttons) == 0 || len(q.Buttons[0]) != 2 ||
		!strings.HasPrefix(q.Buttons[0][0].Text, "Oui") || !strings.HasPrefix(q.Buttons[0][1].Text, "Non") {
		t.Fatalf("no yes/no question about women: %s", texts(got))
	}
	if hasCard(got) {
		t.Fatalf("services shown before the question that decides them: %s", texts(got))
	}
	got = h.press(woman, "Oui")
	if !hasCard(got) || !strings.Contains(texts(got), "1) 🎯 Pour vous : femmes") || !strings.Contains(texts(got), "Microcrédit Amal") ||
		!strings.Contains(texts(got), "Réservé à : femmes") {
		t.Fatalf("after yes, the service reserved to women should come first, with why: %s", texts(got))
	}

	got = h.say(man, "bonjour, je suis un homme et je cherche un microcrédit à Tétouan")
	all := texts(h.srv.Received(man))
	if strings.Contains(all, "Êtes-vous une femme") || strings.Contains(all, "Amal") || !hasCard(got) || !strings.Contains(all, "Microcrédit Jisr") {
		t.Fatalf("a man who said so: %s", all)
	}
	// The old yes pressed again: the question is answered, no service is
	// shown twice.
	n := len(h.srv.Received(woman))
	h.srv.Press(q, q.Buttons[0][0].Data)
	h.wait(woman, n+1)
	if later := h.settle(woman)[n:]; hasCard(later) {
		t.Fatalf("a stale yes showed the services again: %s", texts(later))
	}
}
