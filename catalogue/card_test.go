package catalogue_test

import (
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"text/template"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/internal/lang"
	"github.com/dalil-tt/dalil/internal/vocab"
	"github.com/dalil-tt/dalil/locales"
)

// fileTranslator renders the card messages straight from this package's
// locale files, and records the ids asked for.
type fileTranslator struct {
	t    testing.TB
	msgs map[lang.Lang]map[string]string
	used map[string]bool
}

func loadCardLocales(t testing.TB) *fileTranslator {
	t.Helper()
	ft := &fileTranslator{t: t, msgs: map[lang.Lang]map[string]string{}, used: map[string]bool{}}
	for _, l := range lang.All {
		m := map[string]string{}
		// A card names publics and codes with the vocabulary's labels.
		for _, domain := range []string{"card", "vocab", "referral", "ui"} {
			data, err := os.ReadFile("../locales/" + domain + "." + string(l) + ".yaml")
			if err != nil {
				t.Fatal(err)
			}
			if err := yaml.Unmarshal(data, &m); err != nil {
				t.Fatalf("%s.%s.yaml: %v", domain, l, err)
			}
		}
		ft.msgs[l] = m
	}
	return ft
}

func (ft *fileTranslator) T(l lang.Lang, id string, data map[string]any) string {
	ft.used[id] = true
	src, ok := ft.msgs[l][id]
	if !ok {
		ft.t.Errorf("card.%s.yaml has no message %q", l, id)
		return id
	}
	tpl, err := template.New(id).Parse(src)
	if err != nil {
		ft.t.Fatalf("%s %s: %v", l, id, err)
	}
	var b strings.Builder
	if err := tpl.Execute(&b, data); err != nil {
		ft.t.Fatalf("%s %s: %v", l, id, err)
	}
	return b.String()
}

func fullService() *catalogue.Service {
	lat, lon := 35.57, -5.37
	return &catalogue.Service{
		ID:     "svc",
		Org:    catalogue.Organisation{ID: "org", NameFR: "Association Exemple", NameAR: "جمعية مثال", Kind: "association"},
		NameFR: "Microcrédit", NameAR: "قرض صغير",
		DescriptionFR: "Prêts de 5 000 dirhams.", DescriptionAR: "قروض بقيمة 5000 درهم.",
		Publics:      []string{"women", "rural"},
		ConditionsFR: "Avoir 18 ans", ConditionsAR: "السن 18 سنة",
		Needs: []string{"funding.microcredit"}, Provinces: []string{"tetouan"},
		Languages: []string{"ar", "ary", "fr", "es", "en", "rif"},
		Cost:      "free", Address: "12, avenue Exemple", City: "Tétouan", Latitude: &lat, Longitude: &lon,
		Phone: "+212539000001", Email: "contact@example.org", Website: "https://example.org/mc",
		Hours: "lun.-ven. 9h-16h", UpdatedAt: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Active: true,
	}
}

func TestCardFrench(t *testing.T) {
	tr := loadCardLocales(t)
	card := catalogue.Card(fullService(), lang.FR, tr)
	for _, want := range []string{
		"Association Exemple", "Microcrédit", "Prêts de 5 000 dirhams.", "Conditions : Avoir 18 ans", "Coût : gratuit",
		"Téléphone : +212539000001", "E-mail : contact@example.org", "Site web : https://example.org/mc",
		"Adresse : 12, avenue Exemple, Tétouan", "Horaires : lun.-ven. 9h-16h", "espagnol", "vérifiées le 1 novembre 2026",
		"Plan : https://www.openstreetmap.org/?mlat=35.57000&mlon=-5.37000#map=17/35.57000/-5.37000",
	} {
		if !strings.Contains(card, want) {
			t.Errorf("French card lacks %q:\n%s", want, card)
		}
	}
	if strings.ContainsAny(card, "\u2066\u2068\u2069\u200f") || strings.Contains(card, "جمعية") {
		t.Errorf("French card has Arabic text or directional marks:\n%s", card)
	}
}

func TestCardRTLIsolatesLatinRuns(t *testing.T) {
	tr := loadCardLocales(t)
	for _, l := range []lang.Lang{lang.AR, lang.ARY} {
		card := catalogue.Card(fullService(), l, tr)
		for _, want := range []string{
			"جمعية مثال", "قرض صغير", "قروض بقيمة 5000 درهم.", "السن 18 سنة",
			"\u2066+212539000001\u2069", "\u2066contact@example.org\u2069", "\u2066https://example.org/mc\u2069",
			"\u206812, avenue Exemple, Tétouan\u2069 (بالفرنسية)", "\u2068lun.-ven. 9h-16h\u2069 (بالفرنسية)", "1 نونبر 2026",
			"\u2066https://www.openstreetmap.org/?mlat=35.57000&mlon=-5.37000#map=17/35.57000/-5.37000\u2069",
		} {
			if !strings.Contains(card, want) {
				t.Errorf("%s card lacks %q:\n%s", l, want, card)
			}
		}
		for i, line := range strings.Split(card, "\n") {
			if !strings.HasPrefix(line, "\u200f") {
				t.Errorf("%s card line %d does not start with RLM: %q", l, i, line)
			}
		}
		if strings.Contains(card, "Association Exemple") || strings.Contains(card, "Téléphone") {
			t.Errorf("%s card shows French where Arabic exists:\n%s", l, card)
		}
		// Every isolate is closed.
		if strings.Count(card, "\u2066")+strings.Count(card, "\u2068") != strings.Count(card, "\u2069") {
			t.Errorf("%s card has unbalanced isolates", l)
		}
	}
	if catalogue.Card(fullService(), lang.AR, tr) == catalogue.Card(fullService(), lang.ARY, tr) {
		t.Error("Arabic and Darija cards use the same labels")
	}
}

func TestCardFallsBackToOtherLanguage(t *testing.T) {
	tr := loadCardLocales(t)
	s := fullService()
	s.Org.NameAR, s.NameAR, s.DescriptionAR = "", "", ""
	card := catalogue.Card(s, lang.ARY, tr)
	if !strings.Contains(card, "\u2068Association Exemple\u2069") || !strings.Contains(card, "\u2068Microcrédit\u2069") {
		t.Errorf("Darija card should show the isolated French names when Arabic is missing:\n%s", card)
	}
	s = fullService()
	s.Org.NameFR, s.NameFR = "", ""
	if card := catalogue.Card(s, lang.FR, tr); !strings.Contains(card, "جمعية مثال") {
		t.Errorf("French card should fall back to the Arabic name:\n%s", card)
	}
}

// Arabic and Darija cards show the Arabic address and hours when the
// catalogue has them, and French ones say they are in French; French cards
// keep the French ones.
func TestCardArabicAddressAndHours(t *testing.T) {
	tr := loadCardLocales(t)
	s := fullService()
	s.AddressAR, s.HoursAR = "12، شارع المثال، تطوان", "من الاثنين إلى الجمعة، 9:00–16:00"
	for _, l := range []lang.Lang{lang.AR, lang.ARY} {
		card := catalogue.Card(s, l, tr)
		for _, want := range []string{"12، شارع المثال، تطوان", "من الاثنين إلى الجمعة، 9:00–16:00"} {
			if !strings.Contains(card, want) {
				t.Errorf("%s card lacks %q:\n%s", l, want, card)
			}
		}
		if strings.Contains(card, "avenue Exemple") || strings.Contains(card, "lun.-ven.") || strings.Contains(card, "بالفرنسية") {
			t.Errorf("%s card shows the French address or hours beside the Arabic ones:\n%s", l, card)
		}
	}
	card := catalogue.Card(s, lang.FR, tr)
	if !strings.Contains(card, "Adresse : 12, avenue Exemple, Tétouan") || !strings.Contains(card, "Horaires : lun.-ven. 9h-16h") || strings.Contains(card, "شارع") {
		t.Errorf("French card should keep the French address and hours:\n%s", card)
	}
	// Only an Arabic address: a French card still shows it rather than nothing.
	s.Address, s.City, s.Hours = "", "", ""
	if card := catalogue.Card(s, lang.FR, tr); !strings.Contains(card, "12، شارع المثال، تطوان") {
		t.Errorf("French card without a French address:\n%s", card)
	}
}

// Dates are written with the month's name in every language, never as ISO.
func TestCardDates(t *testing.T) {
	tr := loadCardLocales(t)
	want := map[lang.Lang]string{lang.FR: "12 mars 2027", lang.AR: "12 مارس 2027", lang.ARY: "12 مارس 2027"}
	s := fullService()
	s.UpdatedAt = time.Date(2027, 3, 12, 0, 0, 0, 0, time.UTC)
	for l, w := range want {
		if card := catalogue.Card(s, l, tr); !strings.Contains(card, w) || strings.Contains(card, "2027-03-12") {
			t.Errorf("%s card date, want %q:\n%s", l, w, card)
		}
	}
}

func TestCardSkipsUnknownValues(t *testing.T) {
	tr := loadCardLocales(t)
	s := fullService()
	s.Cost, s.Languages = "cheap", []string{"xx", "fr"}
	card := catalogue.Card(s, lang.FR, tr)
	if strings.Contains(card, "Coût") || strings.Contains(card, "xx") || !strings.Contains(card, "Langues parlées : français") {
		t.Errorf("card with unknown cost and language:\n%s", card)
	}
}

func TestCardMinimal(t *testing.T) {
	tr := loadCardLocales(t)
	s := &catalogue.Service{ID: "s", Org: catalogue.Organisation{NameFR: "Org"}, NameFR: "Svc", Email: "a@example.org"}
	card := catalogue.Card(s, lang.FR, tr)
	if card != "🏢 Org\n▸ Svc\n✉️ E-mail : a@example.org" {
		t.Errorf("minimal card = %q", card)
	}
}

// The three card locale files define the same ids, and they are exactly the
// ids Card uses (every cost and language value included).
func TestCardLocaleIDs(t *testing.T) {
	tr := loadCardLocales(t)
	for _, cost := range catalogue.Costs {
		s := fullService()
		s.Cost = cost
		for _, l := range lang.All {
			catalogue.Card(s, l, tr)
		}
	}
	for m := time.January; m <= time.December; m++ {
		s := fullService()
		s.UpdatedAt = time.Date(2026, m, 1, 0, 0, 0, 0, time.UTC)
		for _, l := range lang.All {
			catalogue.Card(s, l, tr)
		}
	}
	for _, code := range vocab.Values[vocab.Languages] {
		if !tr.used["card.language."+code] {
			t.Errorf("language %s not rendered", code)
		}
	}
	used := slices.Sorted(maps.Keys(tr.used))
	for _, l := range lang.All {
		var have []string
		for id := range tr.msgs[l] {
			if strings.HasPrefix(id, "card.") {
				have = append(have, id)
			}
		}
		slices.Sort(have)
		used := slices.DeleteFunc(slices.Clone(used), func(id string) bool { return !strings.HasPrefix(id, "card.") })
		if !slices.Equal(have, used) {
			t.Errorf("card.%s.yaml ids %v, Card uses %v", l, have, used)
		}
	}
}

// Through the real locales package (which embeds the card files), no id is
// left untranslated.
func TestCardWithLocalesPackage(t *testing.T) {
	cat, err := locales.Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lang.All {
		card := catalogue.Card(fullService(), l, cat)
		if strings.Contains(card, "card.") {
			t.Errorf("%s card shows a message id:\n%s", l, card)
		}
	}
}

// A match's card says why it is shown, and who the service is reserved to
// comes before how to reach it.
func TestMatchCardReasonsAndReserved(t *testing.T) {
	tr := loadCardLocales(t)
	s := fullService()
	m := catalogue.Match{Service: s, Reasons: []catalogue.Reason{
		{Facet: vocab.Publics, Code: "women"}, {Facet: vocab.Provinces, Code: "chefchaouen"}, {Facet: vocab.Needs, Code: "funding.microcredit"},
	}}
	card := catalogue.MatchCard(m, lang.FR, tr)
	first, _, _ := strings.Cut(card, "\n")
	if first != "🎯 Pour vous : femmes · Chefchaouen · microcrédit" {
		t.Errorf("reasons line = %q", first)
	}
	reserved, phone := strings.Index(card, "Réservé à : femmes, population rurale"), strings.Index(card, "Téléphone")
	if reserved < 0 || phone < 0 || reserved > phone {
		t.Errorf("the reserved line should come before the contacts:\n%s", card)
	}
	for _, l := range []lang.Lang{lang.AR, lang.ARY} {
		if c := catalogue.MatchCard(m, l, tr); !strings.HasPrefix(c, "🎯 \u200f") || strings.Contains(c, "Pour vous") {
			t.Errorf("%s reasons line not in %s or not marked right-to-left:\n%s", l, l, c)
		}
	}
}

func TestNoteSaysWhatWasNotFound(t *testing.T) {
	tr := loadCardLocales(t)
	var c vocab.Codes
	c.Set(vocab.Needs, "funding.microcredit")
	c.Set(vocab.Provinces, "ouezzane")
	q := catalogue.Query{Codes: c}
	one := []catalogue.Match{{Service: fullService()}}
	for _, tc := range []struct {
		res  catalogue.Result
		want string
	}{
		{catalogue.Result{Matches: one}, ""},
		{catalogue.Result{Matches: one, Widened: catalogue.NeedFamily}, "aucun service qui réponde à votre besoin (microcrédit) pour un projet à Ouezzane. Voici ce qui peut vous aider quand même"},
		{catalogue.Result{}, "aucun service qui réponde à votre besoin (microcrédit), ni rien d'approchant, pour un projet à Ouezzane"},
		{catalogue.Result{Matches: one, Relaxed: []vocab.Facet{vocab.Sectors}}, "secteur"},
	} {
		got := catalogue.Note(q, tc.res, lang.FR, tr)
		if tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
			t.Errorf("Note(%+v) = %q, want it to contain %q", tc.res, got, tc.want)
		}
	}
}
