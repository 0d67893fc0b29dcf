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
	"github.com/dalil-tt/dalil/catalogue/vocab"
	"github.com/dalil-tt/dalil/dialog/lang"
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
	if len(demo) < 35 {
		t.Fatalf("demo has %d services, want about 40", len(demo))
	}
	needs, provinces, publics, sectors := map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, s := range demo {
		if !strings.Contains(s.Org.NameFR, "(démo)") || !strings.Contains(s.Org.NameAR, "(تجريبي)") {
			t.Errorf("%s: organisation not marked as demonstration data: %q / %q", s.ID, s.Org.NameFR, s.Org.NameAR)
		}
		if s.Email != "" && !strings.HasSuffix(s.Email, "@example.org") {
			t.Errorf("%s: e-mail %q outside example.org", s.ID, s.Email)
		}
		if s.Website != "" && !strings.HasPrefix(s.Website, "https://example.org/") {
			t.Errorf("%s: website %q outside example.org", s.ID, s.Website)
		}
		if s.Phone != "" && !strings.HasPrefix(s.Phone, "+2125390000") {
			t.Errorf("%s: phone %q not a demonstration number", s.ID, s.Phone)
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

func TestDemoCardsRender(t *testing.T) {
	tr := loadCardLocales(t)
	for _, s := range catalogue.Demo() {
		for _, l := range lang.All {
			if card := catalogue.Card(s, l, tr); strings.Count(card, "\n") < 4 {
				t.Errorf("%s %s card too short:\n%s", s.ID, l, card)
			}
		}
	}
}
