package nlu

import (
	"slices"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/dalil-tt/dalil/dialog/trees"
	"github.com/dalil-tt/dalil/internal/vocab"
)

// TestUnderstandTreeLabels: a person who types the label of a button of the
// built-in tree, in any language, is understood as pressing it — the text
// expresses at least the codes the button sets.
func TestUnderstandTreeLabels(t *testing.T) {
	var tree struct {
		Nodes []struct {
			ID      string `yaml:"id"`
			Choices []struct {
				ID    string              `yaml:"id"`
				Label map[string]string   `yaml:"label"`
				Set   map[string][]string `yaml:"set"`
			} `yaml:"choices"`
		} `yaml:"nodes"`
	}
	if err := yaml.Unmarshal(trees.Default, &tree); err != nil {
		t.Fatalf("default tree: %v", err)
	}
	lx := Default()
	checked := 0
	for _, n := range tree.Nodes {
		for _, c := range n.Choices {
			for l, label := range c.Label {
				got := lx.Understand(label).Codes
				if len(c.Set) == 0 && !got.Normalized().Empty() {
					// "talk to an adviser", "start again": no project data
					t.Errorf("%s/%s label %s %q sets nothing but is understood as %v", n.ID, c.ID, l, label, got)
				}
				for f, codes := range c.Set {
					for _, code := range codes {
						checked++
						if !slices.Contains(got.Get(vocab.Facet(f)), code) {
							t.Errorf("%s/%s label %s %q: %s = %v, want %s", n.ID, c.ID, l, label, f, got.Get(vocab.Facet(f)), code)
						}
					}
				}
			}
		}
	}
	if checked < 50 {
		t.Errorf("only %d label codes checked: has the tree format changed?", checked)
	}
}
