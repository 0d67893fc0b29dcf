package glossary

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"unicode"

	"go.yaml.in/yaml/v3"

	"github.com/dalil-tt/dalil/dialog/trees"
)

// entry is one concept in one language.
type entry struct {
	Use   []string `yaml:"use"`
	Avoid []string `yaml:"avoid"`
}

type glossary struct {
	Concepts map[string]map[string]entry `yaml:"concepts"`
}

// text is one text shown to users, with where it comes from.
type text struct {
	where string
	words []string
}

// words splits s into lower-case words. Arabic diacritics (shadda, vowel
// marks) are dropped so that "ورّك" and "ورك" are one word; apostrophes
// separate words ("d'affaires" is "d affaires").
func words(s string) []string {
	var out []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Mn, r) || r == 'ـ':
			// a mark or tatweel inside a word
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			cur.WriteRune(unicode.ToLower(r))
		default:
			flush()
		}
	}
	flush()
	return out
}

// proclitics may be glued to the first word of an Arabic-script phrase.
var proclitics = []string{"", "و", "ف", "ب", "ل", "ك", "وف", "وب", "ول", "فل"}

// contains reports whether the words of phrase occur in ws, in order, the
// first one possibly with a proclitic.
func contains(ws []string, phrase string) bool {
	p := words(phrase)
	if len(p) == 0 {
		return false
	}
	for i := 0; i+len(p) <= len(ws); i++ {
		first := false
		for _, pre := range proclitics {
			if ws[i] == pre+p[0] {
				first = true
				break
			}
		}
		// "ل" before "ال" is written "لل" (للعيالات: for the women).
		if rest, ok := strings.CutPrefix(p[0], "ال"); ok && (ws[i] == "لل"+rest || ws[i] == "ولل"+rest || ws[i] == "فلل"+rest) {
			first = true
		}
		if first && slices.Equal(ws[i+1:i+len(p)], p[1:]) {
			return true
		}
	}
	return false
}

func TestContains(t *testing.T) {
	for _, tc := range []struct {
		text, phrase string
		want         bool
	}{
		{"ورّك على هاد الزر", "الزر", true},
		{"كتب ليا وفالزر", "الزر", true},
		{"الزرابي ديال شفشاون", "الزر", false},
		{"Un chiffre d'affaires de 10 000", "chiffre d'affaires", true},
		{"من رقم المعاملات ديالك", "رقم المعاملات", true},
		{"رقم ديال المعاملات", "رقم المعاملات", false},
		{"كاينة خدمة غير للعيالات", "العيالات", true},
		{"خدمة للعيالات وللرجال", "العيالات", true},
	} {
		if got := contains(words(tc.text), tc.phrase); got != tc.want {
			t.Errorf("contains(%q, %q) = %v", tc.text, tc.phrase, got)
		}
	}
}

// localeTexts returns every message (every plural form) of locales/, by language.
func localeTexts(t *testing.T) map[string][]text {
	t.Helper()
	files, err := filepath.Glob("../*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no locale files: %v", err)
	}
	out := map[string][]text{}
	for _, f := range files {
		parts := strings.Split(filepath.Base(f), ".")
		l := parts[len(parts)-2]
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var msgs map[string]any
		if err := yaml.Unmarshal(data, &msgs); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for id, v := range msgs {
			switch v := v.(type) {
			case string:
				out[l] = append(out[l], text{filepath.Base(f) + " " + id, words(v)})
			case map[string]any:
				for form, s := range v {
					if s, ok := s.(string); ok {
						out[l] = append(out[l], text{fmt.Sprintf("%s %s (%s)", filepath.Base(f), id, form), words(s)})
					}
				}
			}
		}
	}
	return out
}

// treeTexts returns every text and button label of the built-in tree, by language.
func treeTexts(t *testing.T) map[string][]text {
	t.Helper()
	var tree struct {
		Nodes []struct {
			ID      string            `yaml:"id"`
			Text    map[string]string `yaml:"text"`
			Choices []struct {
				ID    string            `yaml:"id"`
				Label map[string]string `yaml:"label"`
			} `yaml:"choices"`
		} `yaml:"nodes"`
	}
	if err := yaml.Unmarshal(trees.Default, &tree); err != nil {
		t.Fatalf("default tree: %v", err)
	}
	out := map[string][]text{}
	for _, n := range tree.Nodes {
		for l, s := range n.Text {
			out[l] = append(out[l], text{"default.yaml " + n.ID, words(s)})
		}
		for _, c := range n.Choices {
			for l, s := range c.Label {
				out[l] = append(out[l], text{"default.yaml " + n.ID + "/" + c.ID, words(s)})
			}
		}
	}
	return out
}

// Every text shown to users says each thing with the glossary's word: an
// avoided variant fails, and so does a glossary word no text uses.
func TestTextsUseTheGlossary(t *testing.T) {
	data, err := os.ReadFile("glossary.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var g glossary
	if err := yaml.Unmarshal(data, &g); err != nil {
		t.Fatalf("glossary.yaml: %v", err)
	}
	if len(g.Concepts) < 10 {
		t.Fatalf("glossary has %d concepts: has its format changed?", len(g.Concepts))
	}
	all := localeTexts(t)
	for l, ts := range treeTexts(t) {
		all[l] = append(all[l], ts...)
	}
	concepts := make([]string, 0, len(g.Concepts))
	for c := range g.Concepts {
		concepts = append(concepts, c)
	}
	sort.Strings(concepts)
	for _, c := range concepts {
		for l, e := range g.Concepts[c] {
			texts, ok := all[l]
			if !ok {
				t.Errorf("glossary %s: unknown language %q", c, l)
				continue
			}
			used := len(e.Use) == 0
			for _, tx := range texts {
				for _, u := range e.Use {
					used = used || contains(tx.words, u)
				}
				for _, a := range e.Avoid {
					if contains(tx.words, a) {
						t.Errorf("%s: says %q where the glossary (%s, %s) says %q", tx.where, a, c, l, e.Use)
					}
				}
			}
			if !used {
				t.Errorf("glossary %s %s: no text says any of %q (update the glossary or the texts)", c, l, e.Use)
			}
		}
	}
}
