package nlu

import (
	"os"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/dalil-tt/dalil/internal/vocab"
)

// TestUnderstandVocabularyLabels: the bot names every code with the labels
// of locales/vocab.*.yaml (summaries, referrals); a person who writes one
// back is understood as that code.
func TestUnderstandVocabularyLabels(t *testing.T) {
	lx := Default()
	checked := 0
	for _, l := range []string{"fr", "ar", "ary"} {
		path := "../../locales/vocab." + l + ".yaml"
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("read %s: %v", path, err)
		}
		var labels map[string]string
		if err := yaml.Unmarshal(data, &labels); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for key, label := range labels {
			rest, ok := strings.CutPrefix(key, "code.")
			if !ok {
				continue
			}
			f, code, _ := strings.Cut(rest, ".")
			if vocab.Facet(f) == vocab.Languages {
				continue
			}
			checked++
			got := lx.Understand(label).Codes.Get(vocab.Facet(f))
			if code == "funding" && slices.ContainsFunc(got, func(c string) bool { return vocab.NeedCovers(code, c) }) {
				continue // "Financement (tout type)" may name a precise kind too
			}
			if !slices.Contains(got, code) {
				t.Errorf("%s %s %q: %s = %v, want %s", path, key, label, f, got, code)
			}
		}
	}
	if checked < 100 {
		t.Errorf("only %d labels checked: has the locales format changed?", checked)
	}
}
