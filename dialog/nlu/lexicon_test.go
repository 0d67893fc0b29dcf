package nlu

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/dalil-tt/dalil/dialog/trees"
	"github.com/dalil-tt/dalil/internal/lang"
	"github.com/dalil-tt/dalil/internal/vocab"
)

// want lists expected codes as "facet:code" strings.
type understandCase struct {
	text string
	lang lang.Lang
	want []string // every code expected, as facet:code; nothing else may be found
}

func codesOf(t *testing.T, items []string) vocab.Codes {
	t.Helper()
	var c vocab.Codes
	for _, it := range items {
		f, code, ok := strings.Cut(it, ":")
		if !ok {
			t.Fatalf("bad expectation %q", it)
		}
		c.Add(vocab.Facet(f), code)
	}
	return c.Normalized()
}

func checkUnderstand(t *testing.T, cases []understandCase) {
	t.Helper()
	lx := Default()
	for _, tc := range cases {
		got := lx.Understand(tc.text)
		if d := DetectLang(tc.text); d != got.Lang {
			t.Errorf("%q: Understand says %s, DetectLang %s", tc.text, got.Lang, d)
		}
		if tc.lang != "" && got.Lang != tc.lang {
			t.Errorf("%q: lang %s, want %s", tc.text, got.Lang, tc.lang)
		}
		want := codesOf(t, tc.want)
		if g := got.Codes.Normalized(); !equalCodes(g, want) {
			gj, _ := json.Marshal(g)
			wj, _ := json.Marshal(want)
			t.Errorf("%q:\n got  %s\n want %s\n matched %q", tc.text, gj, wj, got.Matched)
		}
	}
}

func equalCodes(a, b vocab.Codes) bool {
	for _, f := range vocab.Facets {
		if !slices.Equal(a.Get(f), b.Get(f)) {
			return false
		}
	}
	return true
}

func TestUnderstandBrief(t *testing.T) {
	checkUnderstand(t, []understandCase{
		{"bghit nakhod 9ard bach nbda mochro3 dyal lfla7a f chefchaouen", lang.ARY,
			[]string{"needs:funding.microcredit", "stages:creation", "sectors:agriculture", "provinces:chefchaouen"}},
		{"9ard mn lbanka", lang.ARY, []string{"needs:funding.loan"}},
	})
}

func TestUnderstandFundingPrecision(t *testing.T) {
	checkUnderstand(t, []understandCase{
		// a precise need replaces the generic one
		{"financement microcrédit", lang.FR, []string{"needs:funding.microcredit"}},
		{"bghit flous, chi da3m", lang.ARY, []string{"needs:funding.grant"}},
		// a bare loan word is a microcredit, unless a bank is named anywhere
		{"bghit 9ard", lang.ARY, []string{"needs:funding.microcredit"}},
		{"bghit 9ard, wach n9der nmchi l lbanka?", lang.ARY, []string{"needs:funding.loan"}},
		{"un crédit auprès de ma banque", lang.FR, []string{"needs:funding.loan"}},
		{"بغيت قرض ولكن البنك ماقبلش", lang.ARY, []string{"needs:funding.loan"}},
		// named explicitly, both stay
		{"microcrédit ou prêt bancaire ?", lang.FR, []string{"needs:funding.microcredit", "needs:funding.loan"}},
		// a grant and a bare loan word are two needs
		{"subvention ou crédit", lang.FR, []string{"needs:funding.grant", "needs:funding.microcredit"}},
	})
}

func TestUnderstandNegation(t *testing.T) {
	checkUnderstand(t, []understandCase{
		{"machi 9ard, bghit da3m", lang.ARY, []string{"needs:funding.grant"}},
		{"ma bghitch nakhod 9ard mn lbanka", lang.ARY, nil},
		{"je ne veux pas de crédit, je cherche une subvention", lang.FR, []string{"needs:funding.grant"}},
		{"pas besoin de formation", lang.FR, nil},
		{"ماشي قرض، بغيت منحة", lang.ARY, []string{"needs:funding.grant"}},
		{"لا أريد قرضا بنكيا بل منحة", lang.AR, []string{"needs:funding.grant"}},
		// not refusals
		{"bghit 9ard bla fayda", lang.ARY, []string{"needs:funding.microcredit"}},
		{"ma3ndich lflous", lang.ARY, []string{"needs:funding"}},
		{"je n'ai pas d'argent", lang.FR, []string{"needs:funding"}},
		{"machi mochkil, bghit formation", lang.ARY, []string{"needs:training"}},
		{"ana machi msjjel", lang.ARY, []string{"forms:informal"}},
		// a negator cancels only what follows it closely
		{"machi daba, walakin bghit 9ard", lang.ARY, []string{"needs:funding.microcredit"}},
	})
}

func TestWeakSection(t *testing.T) {
	lx, err := ParseLexicon([]byte(`needs:
  funding.loan: [banque]
  funding.grant: [subvention]
weak:
  needs:
    funding.microcredit unless funding.loan: [crédit]
    funding.grant unless funding.loan, funding.microcredit: [aide]
  sectors:
    agriculture unless tourism: [terre]
`))
	if err != nil {
		t.Fatal(err)
	}
	for text, want := range map[string][]string{
		"crédit":                   {"funding.microcredit"},
		"crédit banque":            {"funding.loan"},
		"aide":                     {"funding.grant"},
		"aide crédit":              {"funding.grant", "funding.microcredit"},
		"subvention crédit banque": {"funding.grant", "funding.loan"},
	} {
		got := lx.Understand(text).Codes.Normalized().Needs
		if !slices.Equal(got, want) {
			t.Errorf("%q: needs %v, want %v", text, got, want)
		}
	}
	if got := lx.Understand("terre").Codes.Sectors; !slices.Equal(got, []string{"agriculture"}) {
		t.Errorf("weak sector alone: %v", got)
	}
	for _, bad := range []string{
		"weak:\n  needs:\n    nope unless funding: [x]\n",
		"weak:\n  needs:\n    funding.grant: [x]\n",
		"weak:\n  needs:\n    funding.grant unless nope: [x]\n",
		"weak:\n  needs:\n    funding.grant unless funding.grant: [x]\n",
		"needs:\n  funding.grant unless funding.loan: [x]\n",
	} {
		if _, err := ParseLexicon([]byte(bad)); err == nil || !strings.Contains(err.Error(), "line 3") && !strings.Contains(err.Error(), "line 2") {
			t.Errorf("%q: error %v, want one naming the line", bad, err)
		}
	}
}

func TestDefaultLexiconParses(t *testing.T) {
	lx, err := ParseLexicon(trees.Lexicon)
	if err != nil {
		t.Fatalf("embedded lexicon: %v", err)
	}
	if lx.Len() < 50 {
		t.Errorf("embedded lexicon has %d phrases, want a real lexicon", lx.Len())
	}
	for _, en := range lx.entries {
		if len(en.codes) == 0 && !en.ignored && !en.negator && !en.denial && !en.outside {
			t.Errorf("phrase %q has no code", en.phrase)
		}
		seen := map[vocab.Facet]string{}
		for _, fc := range en.codes {
			// Only publics may take two codes from one phrase ("jeune
			// fille"); elsewhere two codes mean a phrase listed twice.
			if prev, ok := seen[fc.facet]; ok && fc.facet != vocab.Publics {
				t.Errorf("phrase %q (line %d) means both %s %q and %q", en.phrase, en.line, fc.facet, prev, fc.code)
			}
			seen[fc.facet] = fc.code
			if !vocab.Valid(fc.facet, fc.code) {
				t.Errorf("phrase %q: %s %q not in the vocabulary", en.phrase, fc.facet, fc.code)
			}
		}
	}
	// a rural public lives in a rural area: the two lists go together
	for _, en := range lx.entries {
		var pub, area bool
		for _, fc := range en.codes {
			pub = pub || fc.facet == vocab.Publics && fc.code == "rural"
			area = area || fc.facet == vocab.Areas && fc.code == "rural"
		}
		if pub && !area && !slices.Contains([]string{"paysan", "paysanne", "ruraux", "rurales"}, en.phrase) {
			t.Errorf("phrase %q (line %d) is publics rural but not areas rural", en.phrase, en.line)
		}
	}
	if Default() == nil || Default() != Default() {
		t.Error("Default must return one parsed lexicon")
	}
}

func TestParseLexiconErrors(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string // substrings of the error
	}{
		{"unknown code", "needs:\n  funding.micro:\n    - micro\n", []string{"line 2", "funding.micro"}},
		{"unknown facet", "colours:\n  red: [rouge]\n", []string{"line 1", "colours"}},
		{"ignored and coded", "sectors:\n  agriculture:\n    - ferme\nignore:\n  - Fermé\n",
			[]string{"line 5", "Fermé", "line 3"}},
		{"bad group", "needs:\n  training:\n    - (formation|cours\n", []string{"line 3", "("}},
		{"empty phrase", "needs:\n  training:\n    - \"?!\"\n", []string{"line 3", "training"}},
		{"not a list", "needs:\n  training: formation\n", []string{"line 2", "needs.training"}},
		{"yaml", "needs: [\n", []string{"lexicon"}},
		{"negators not a list", "negators: machi\n", []string{"line 1", "negators"}},
		{"negator and code", "negators: [machi]\nneeds:\n  training: [machi]\n", []string{"line 3", "negators"}},
		{"two errors", "needs:\n  nope: [a]\nstages:\n  never: [b]\n", []string{"nope", "never"}},
		{"denials not a list", "denials: je ne suis pas\n", []string{"line 1", "denials"}},
		{"denial and outside", "denials: [fes]\noutside: [Fès]\n", []string{"line 2", "Fès", "line 1"}},
		{"outside and code", "outside: [casa]\nprovinces:\n  tetouan: [casa]\n", []string{"line 3", "outside"}},
		{"not: unknown code", "not:\n  publics:\n    men: [homme]\n", []string{"line 3", "men"}},
		{"not: not a mapping", "not: [homme]\n", []string{"line 1", "not"}},
	}
	for _, tt := range tests {
		_, err := ParseLexicon([]byte(tt.yaml))
		if err == nil {
			t.Errorf("%s: no error", tt.name)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not name %q", tt.name, err, w)
			}
		}
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("mustParse of a broken lexicon did not panic")
			}
		}()
		mustParse("lexicon", ParseLexicon, []byte("needs:\n  nope: [a]\n"))
	}()
}

func TestParseLexiconVariantsMerge(t *testing.T) {
	lx, err := ParseLexicon([]byte("needs:\n  coaching:\n    - mouwakaba\n    - mowakaba\n    - mwakaba\n"))
	if err != nil {
		t.Fatal(err)
	}
	if lx.Len() != 1 {
		t.Errorf("spelling variants gave %d phrases, want 1", lx.Len())
	}
	if got := lx.Understand("bghit muwakaba").Codes.Needs; !slices.Equal(got, []string{"coaching"}) {
		t.Errorf("needs = %v", got)
	}
}

func TestResultJSON(t *testing.T) {
	for _, text := range []string{"", "bonjour", "bghit 9ard f tanja"} {
		out, err := Default().Understand(text).JSON()
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(out, &m); err != nil {
			t.Fatal(err)
		}
		if len(m) != 2 {
			t.Errorf("%q: keys %v, want lang and codes", text, m)
		}
		var l string
		if err := json.Unmarshal(m["lang"], &l); err != nil || (l != "fr" && l != "ar" && l != "ary") {
			t.Errorf("%q: lang %s", text, m["lang"])
		}
		var codes map[string][]string
		if err := json.Unmarshal(m["codes"], &codes); err != nil {
			t.Fatal(err)
		}
		if len(codes) != len(vocab.Facets) {
			t.Errorf("%q: codes %s, want every facet", text, m["codes"])
		}
		for _, f := range vocab.Facets {
			if raw := string(m["codes"]); !strings.Contains(raw, `"`+string(f)+`":[`) {
				t.Errorf("%q: facet %s is not an array in %s", text, f, raw)
			}
		}
	}
	out, _ := Result{}.JSON()
	if !strings.Contains(string(out), `"lang":"fr"`) {
		t.Errorf("zero Result JSON %s: want a valid lang", out)
	}
}

func FuzzUnderstand(f *testing.F) {
	for _, s := range []string{"", "bghit nakhod 9ard bach nbda mochro3 dyal lfla7a f chefchaouen",
		"أريد الحصول على تمويل", "وللفلاحة", "f f f l l", "9ard mn lbanka mn mn", "ب ب ب"} {
		f.Add(s)
	}
	lx := Default()
	f.Fuzz(func(t *testing.T, s string) {
		r := lx.Understand(s)
		if _, err := lang.Parse(string(r.Lang)); err != nil {
			t.Fatalf("Understand(%q): %v", s, err)
		}
		if d := DetectLang(s); d != r.Lang {
			t.Fatalf("Understand(%q).Lang = %s but DetectLang = %s", s, r.Lang, d)
		}
		if err := r.Codes.Validate(); err != nil {
			t.Fatalf("Understand(%q): %v", s, err)
		}
		for _, fc := range vocab.Facets {
			v := r.Codes.Get(fc)
			for i := range v {
				if slices.Contains(v[i+1:], v[i]) {
					t.Fatalf("Understand(%q): %s %q twice", s, fc, v[i])
				}
			}
		}
	})
}

// benchMessage is a realistic 300-character message mixing Darija in both
// scripts with French words.
var benchMessage = func() string {
	s := "Salam 3alikom, ana mra men douar 9rib l chefchaouen, bghit nbda mochro3 dyal fromage w l3ssel m3a " +
		"t3awniya dyal nsa. 3ndi fikra mzyana walakin ma3ndich lflous. Wach kayn chi da3m ola 9ard bla fayda? " +
		"Bghit ta chi formation f tasyir w mouwakaba. شكرا بزاف على المساعدة ديالكم، الله يخليكم"
	return s
}()

func BenchmarkUnderstand300(b *testing.B) {
	if n := utf8.RuneCountInString(benchMessage); n < 280 || n > 320 {
		b.Fatalf("benchMessage has %d characters, want about 300", n)
	}
	lx := Default()
	b.ReportAllocs()
	b.SetBytes(int64(len(benchMessage)))
	for b.Loop() {
		lx.Understand(benchMessage)
	}
}

func BenchmarkParseLexicon(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseLexicon(trees.Lexicon); err != nil {
			b.Fatal(err)
		}
	}
}
