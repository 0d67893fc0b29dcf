package catalogue_test

import (
	"bytes"
	"context"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/internal/lang"
	"github.com/dalil-tt/dalil/internal/vocab"
)

func TestDemoCatalogue(t *testing.T) {
	// Parse the file directly too, so a broken file fails here with its
	// problems instead of as a panic.
	data, err := os.ReadFile("demo.csv")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := catalogue.ReadCSV(bytes.NewReader(data), "demo.csv"); err != nil {
		t.Fatalf("demo.csv:\n%v", err)
	}
	demo := catalogue.Demo()
	if len(demo) < 45 || len(demo) > 70 {
		t.Fatalf("demo has %d services, want 45 to 70", len(demo))
	}
	needs, provinces, publics, sectors := map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}
	costs, kinds := map[string]bool{}, map[string]bool{}
	broad := 0
	for _, s := range demo {
		if !strings.HasSuffix(s.Org.NameFR, "(fictif)") || !strings.HasSuffix(s.Org.NameAR, "(مثال خيالي)") {
			t.Errorf("%s: organisation not marked as fictional: %q / %q", s.ID, s.Org.NameFR, s.Org.NameAR)
		}
		for _, text := range []string{s.Org.NameAR, s.NameAR, s.DescriptionAR, s.ConditionsAR} {
			// تجريبي reads as "pilot"; المضيق is the town of M'diq, not the Strait (البوغاز).
			if strings.Contains(text, "تجريبي") || strings.Contains(text, "المضيق") && !strings.Contains(text, "المضيق الفنيدق") {
				t.Errorf("%s: ambiguous Arabic %q", s.ID, text)
			}
		}
		if s.Email != "" && !strings.HasSuffix(s.Email, "@example.org") {
			t.Errorf("%s: e-mail %q outside example.org", s.ID, s.Email)
		}
		if s.Website != "" && !strings.HasPrefix(s.Website, "https://example.org/") {
			t.Errorf("%s: website %q outside example.org", s.ID, s.Website)
		}
		if s.Phone != "" || s.Latitude != nil || s.Longitude != nil {
			t.Errorf("%s: a dialable phone %q or a real map point: demo data must have neither", s.ID, s.Phone)
		}
		if !s.UpdatedAt.IsZero() {
			t.Errorf("%s: invented data claims a check date %s", s.ID, s.UpdatedAt)
		}
		if s.Address != "" && (s.Address != "adresse fictive" || !strings.HasPrefix(s.AddressAR, "عنوان خيالي")) {
			t.Errorf("%s: address %q / %q not marked fictional, or no Arabic address", s.ID, s.Address, s.AddressAR)
		}
		if (s.Hours == "") != (s.HoursAR == "") {
			t.Errorf("%s: opening hours in one language only: %q / %q", s.ID, s.Hours, s.HoursAR)
		}
		costs[s.Cost], kinds[s.Org.Kind] = true, true
		if len(s.Needs) >= 4 && slices.Equal(s.Provinces, vocab.Values[vocab.Provinces]) && len(s.Publics) == 0 {
			broad++
		}
		if s.NameAR == "" || s.DescriptionFR == "" || s.DescriptionAR == "" {
			t.Errorf("%s: missing Arabic name or a description", s.ID)
		}
		if (s.ConditionsFR == "") != (s.ConditionsAR == "") {
			t.Errorf("%s: conditions in one language only", s.ID)
		}
		for _, n := range s.Needs {
			needs[n] = true
		}
		for _, p := range s.Provinces {
			provinces[p] = true
		}
		for _, p := range s.Publics {
			publics[p] = true
		}
		for _, p := range s.Sectors {
			sectors[p] = true
		}
	}
	for _, n := range vocab.Values[vocab.Needs] {
		if n != "funding" && !needs[n] {
			t.Errorf("no demo service offers %s", n)
		}
	}
	for f, seen := range map[vocab.Facet]map[string]bool{vocab.Provinces: provinces, vocab.Publics: publics, vocab.Sectors: sectors} {
		for _, c := range vocab.Values[f] {
			if !seen[c] {
				t.Errorf("no demo service for %s %s", f, c)
			}
		}
	}
	if !costs["free"] || !costs["paid"] || !kinds["public"] || !kinds["bank"] || !kinds["microfinance"] {
		t.Errorf("demo lacks free public services or paid products: costs %v, kinds %v", costs, kinds)
	}
	if broad < 1 || broad > 3 {
		t.Errorf("%d broad catch-all services (four needs or more, everywhere, for everyone), want one to three", broad)
	}
	if !reflect.DeepEqual(roundTrip(t, demo), demo) {
		t.Error("demo catalogue does not round trip")
	}
	// Demo hands out a fresh slice each time.
	d2 := catalogue.Demo()
	d2[0] = nil
	if catalogue.Demo()[0] == nil {
		t.Error("Demo returned a shared slice")
	}
}

// Every need in every province finds something in the demo catalogue,
// without relaxing the province: a demonstration never ends empty.
func TestDemoAnswersEveryNeedEverywhere(t *testing.T) {
	m := catalogue.NewMemory(catalogue.Demo())
	for _, n := range vocab.Values[vocab.Needs] {
		for _, p := range vocab.Values[vocab.Provinces] {
			var c vocab.Codes
			c.Set(vocab.Needs, n)
			c.Set(vocab.Provinces, p)
			r, err := m.Match(context.Background(), catalogue.Query{Codes: c})
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Matches) == 0 || slices.Contains(r.Relaxed, vocab.Provinces) {
				t.Errorf("need %s in %s: %d matches, relaxed %v", n, p, len(r.Matches), r.Relaxed)
			}
		}
	}
}

// Every province has, among the services it may use (its own and the
// region-wide ones), at least one of each family of need, and one focused
// on it or on a few provinces for most families.
func TestDemoCoversEveryProvinceAndFamily(t *testing.T) {
	demo := catalogue.Demo()
	for _, p := range vocab.Values[vocab.Provinces] {
		for fam, needs := range catalogue.DemoFamilies {
			any := 0
			for _, s := range demo {
				if slices.Contains(s.Provinces, p) && slices.ContainsFunc(s.Needs, func(n string) bool { return slices.Contains(needs, n) }) {
					any++
				}
			}
			if any == 0 {
				t.Errorf("%s: no demo service for %s", p, fam)
			}
		}
	}
	for _, pub := range vocab.Values[vocab.Publics] {
		n := 0
		for _, s := range demo {
			if slices.Contains(s.Publics, pub) {
				n++
			}
		}
		if n == 0 {
			t.Errorf("no service reserved to %s", pub)
		}
	}
}

// Cards of demo services say they are fictional in every language, in
// Arabic script for ar and ary, and claim no check date.
func TestDemoCardsRender(t *testing.T) {
	tr := loadCardLocales(t)
	label := map[lang.Lang]string{lang.FR: "(fictif)", lang.AR: "(مثال خيالي)", lang.ARY: "(مثال خيالي)"}
	for _, s := range catalogue.Demo() {
		for _, l := range lang.All {
			card := catalogue.Card(s, l, tr)
			if strings.Count(card, "\n") < 4 {
				t.Errorf("%s %s card too short:\n%s", s.ID, l, card)
			}
			if !strings.Contains(card, label[l]) || strings.Contains(card, "vérifiées le") || strings.Contains(card, "تم التحقق من هذه المعلومات") || strings.Contains(card, "تأكدنا من هاد المعلومات") {
				t.Errorf("%s %s card not labelled fictional, or claims a check:\n%s", s.ID, l, card)
			}
			if l.RTL() && (strings.Contains(card, "adresse fictive") || strings.Contains(card, " au ")) {
				t.Errorf("%s %s card shows the French address or hours:\n%s", s.ID, l, card)
			}
		}
	}
}
