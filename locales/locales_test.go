package locales

import (
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"unicode"
	"unicode/utf8"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"go.yaml.in/yaml/v3"
	"golang.org/x/text/language"
	"golang.org/x/text/unicode/bidi"

	"github.com/dalil-tt/dalil/internal/lang"
	"github.com/dalil-tt/dalil/internal/vocab"
)

// engineIDs are the ids the dialog engine and the transports rely on.
var engineIDs = []string{
	"ChooseLanguage", "LanguageChosen", "Help",
	"ButtonBack", "ButtonRestart", "ButtonAdviser", "ButtonYes", "ButtonNo", "ButtonChangeLanguage",
	"BackAtStart", "Restarted", "NotUnderstood", "NotUnderstoodAgain", "Understood",
	"Unsupported", "LocationOutsideRegion", "TextOutsideRegion", "TooLong", "StaleButton", "ForgetConfirm", "Forgotten", "ForgetCancelled",
	"AdviserRequested", "ReferralIntro", "ReferralRelaxed", "ReferralNone",
	"UnknownCommand", "TechnicalError", "Ended",
	"pick.stages", "pick.forms", "pick.provinces", "pick.areas", // one per vocab.SingleValued facet
	"cmd.start", "cmd.help", "cmd.language", "cmd.back", "cmd.restart", "cmd.adviser", "cmd.forget",
}

// message is one message of one file, as go-i18n parsed it.
type message struct {
	file  string
	forms map[string]string // plural form -> text
}

// parseAll parses every embedded file the way Load does, keeping the file
// name and every plural form, for checks that name the culprit.
func parseAll(t *testing.T) map[lang.Lang]map[string]message {
	t.Helper()
	names, err := fs.Glob(files, "*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out := map[lang.Lang]map[string]message{}
	for _, l := range lang.All {
		out[l] = map[string]message{}
	}
	for _, name := range names {
		l, err := fileLang(name)
		if err != nil {
			t.Fatal(err)
		}
		data, err := fs.ReadFile(files, name)
		if err != nil {
			t.Fatal(err)
		}
		mf, err := i18n.ParseMessageFileBytes(data, Tag(l).String()+".yaml",
			map[string]i18n.UnmarshalFunc{"yaml": yaml.Unmarshal})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, m := range mf.Messages {
			forms := map[string]string{}
			for k, v := range map[string]string{"zero": m.Zero, "one": m.One, "two": m.Two,
				"few": m.Few, "many": m.Many, "other": m.Other} {
				if v != "" {
					forms[k] = v
				}
			}
			out[l][m.ID] = message{file: name, forms: forms}
		}
	}
	return out
}

func TestDefaultLoads(t *testing.T) {
	c, err := Default()
	if err != nil {
		t.Fatalf("Default: %v", err)
	}
	if c != MustDefault() {
		t.Fatal("MustDefault does not return the cached catalogue")
	}
	if len(c.IDs()) < len(engineIDs) {
		t.Fatalf("only %d ids loaded", len(c.IDs()))
	}
}

func TestRequiredIDs(t *testing.T) {
	c := MustDefault()
	want := slices.Clone(engineIDs)
	for _, f := range vocab.Facets {
		want = append(want, FacetID(f))
		for _, code := range vocab.Values[f] {
			want = append(want, CodeID(f, code))
		}
	}
	for _, id := range want {
		for _, l := range lang.All {
			if !c.Has(l, id) {
				t.Errorf("message %q missing in %s", id, l)
			}
		}
	}
}

// Every id defined in one language is defined in all three, whichever file
// (ui, vocab, card, bot…) defines it.
func TestSameIDsInEveryLanguage(t *testing.T) {
	all := parseAll(t)
	for _, l := range lang.All {
		for id, m := range all[l] {
			for _, o := range lang.All {
				if o == lang.ARY && strings.HasPrefix(id, "partners.") {
					continue // organisations read French or Arabic (the partners files)
				}
				if _, ok := all[o][id]; !ok {
					t.Errorf("message %q is in %s (%s) but missing in %s", id, l, m.file, o)
				}
			}
		}
	}
}

func TestNoEmptyMessage(t *testing.T) {
	for l, msgs := range parseAll(t) {
		for id, m := range msgs {
			if strings.TrimSpace(m.forms["other"]) == "" {
				t.Errorf("%s: message %q (%s) has an empty or missing \"other\" text", m.file, id, l)
			}
		}
	}
}

var placeholderRE = regexp.MustCompile(`\{\{[^}]*\}\}`)

func placeholders(m message) []string {
	var ps []string
	for _, s := range m.forms {
		for _, p := range placeholderRE.FindAllString(s, -1) {
			p = strings.Join(strings.Fields(p), " ")
			if !slices.Contains(ps, p) {
				ps = append(ps, p)
			}
		}
	}
	slices.Sort(ps)
	return ps
}

func TestSamePlaceholdersInEveryLanguage(t *testing.T) {
	all := parseAll(t)
	for id, fr := range all[lang.FR] {
		want := placeholders(fr)
		for _, l := range []lang.Lang{lang.AR, lang.ARY} {
			m, ok := all[l][id]
			if !ok {
				continue // reported by TestSameIDsInEveryLanguage
			}
			if got := placeholders(m); !slices.Equal(got, want) {
				t.Errorf("message %q: placeholders %v in %s (%s), %v in fr (%s)", id, got, l, m.file, want, fr.file)
			}
		}
	}
}

var dataKeyRE = regexp.MustCompile(`\.([A-Za-z_][A-Za-z0-9_]*)`)

// Every message renders in every language with the data its placeholders
// name, leaving no template syntax or missing value behind.
func TestEveryMessageRenders(t *testing.T) {
	c := MustDefault()
	all := parseAll(t)
	for _, l := range lang.All {
		for id, m := range all[l] {
			data := map[string]any{}
			for _, p := range placeholders(m) {
				for _, k := range dataKeyRE.FindAllStringSubmatch(p, -1) {
					data[k[1]] = "«" + k[1] + "»"
				}
			}
			got := c.T(l, id, data)
			if got == id || strings.Contains(got, "{{") || strings.Contains(got, "<no value>") {
				t.Errorf("%s %q renders as %q", l, id, got)
			}
			for k := range data {
				if !strings.Contains(got, "«"+k+"»") {
					t.Errorf("%s %q does not show .%s: %q", l, id, k, got)
				}
			}
			if n := utf8.RuneCountInString(got); n > 4096 {
				t.Errorf("%s %q is %d characters, over Telegram's 4096", l, id, n)
			}
		}
	}
}

func TestTemplateData(t *testing.T) {
	c := MustDefault()
	got := c.T(lang.FR, "Understood", map[string]any{"List": "microcrédit, Tétouan"})
	if got != "J'ai compris : microcrédit, Tétouan." {
		t.Fatalf("Understood = %q", got)
	}
	got = c.T(lang.ARY, "ReferralRelaxed", map[string]any{"Facets": "القطاع"})
	if !strings.HasSuffix(got, ": القطاع.") {
		t.Fatalf("ReferralRelaxed ary = %q", got)
	}
}

func TestDottedIDs(t *testing.T) {
	c := MustDefault()
	for _, tc := range []struct {
		l        lang.Lang
		id, want string
	}{
		{lang.FR, "code.needs.funding.grant", "subvention"},
		{lang.FR, "code.needs.funding", "financement"},
		{lang.AR, "code.provinces.tanger-assilah", "طنجة أصيلة"},
		{lang.FR, "code.provinces.tanger-assilah", "Tanger-Assilah"},
		{lang.FR, "code.forms.auto_entrepreneur", "auto-entrepreneur"},
		{lang.ARY, "cmd.adviser", "تهضر مع مستشار"},
	} {
		if got := c.T(tc.l, tc.id, nil); got != tc.want {
			t.Errorf("T(%s, %q) = %q, want %q", tc.l, tc.id, got, tc.want)
		}
	}
	if got := c.Code(lang.FR, vocab.Needs, "funding.microcredit"); got != "microcrédit" {
		t.Errorf("Code = %q", got)
	}
	if got := c.Facet(lang.AR, vocab.Sectors); got != "القطاع" {
		t.Errorf("Facet = %q", got)
	}
}

func TestTagForDarija(t *testing.T) {
	if got := Tag(lang.ARY); got.String() != "ar-MA" {
		t.Fatalf("Tag(ary) = %s", got)
	}
	if Tag(lang.AR) == Tag(lang.ARY) || Tag(lang.FR) == Tag(lang.ARY) {
		t.Fatal("Darija must have a tag of its own")
	}
	// Why the mapping exists: go-i18n refuses "ary" itself.
	b := i18n.NewBundle(language.French)
	if err := b.AddMessages(language.Make("ary"), &i18n.Message{ID: "x", Other: "x"}); err == nil {
		t.Log("go-i18n now accepts the tag ary: the ar-MA mapping may be dropped")
	}
	// ar-MA loads and gets Arabic plural rules (zero/one/two/few/many/other).
	plural := &i18n.Message{ID: "n", Zero: "zero", One: "one", Two: "two", Few: "few", Many: "many", Other: "other"}
	if err := b.AddMessages(Tag(lang.ARY), plural); err != nil {
		t.Fatalf("adding messages under %s: %v", Tag(lang.ARY), err)
	}
	loc := i18n.NewLocalizer(b, Tag(lang.ARY).String())
	for n, want := range map[int]string{0: "zero", 1: "one", 2: "two", 3: "few", 11: "many", 100: "other"} {
		got, err := loc.Localize(&i18n.LocalizeConfig{MessageID: "n", PluralCount: n})
		if err != nil || got != want {
			t.Errorf("plural form of %d under ar-MA = %q (%v), want %q (Arabic rules)", n, got, err, want)
		}
	}
	// The embedded .ary. files load under ar-MA and stay apart from .ar.
	c := MustDefault()
	ar, ary := c.T(lang.AR, "LanguageChosen", nil), c.T(lang.ARY, "LanguageChosen", nil)
	if ar == ary || !strings.Contains(ary, "الدارجة") || !strings.Contains(ar, "العربية") {
		t.Fatalf("LanguageChosen: ar %q, ary %q", ar, ary)
	}
}

func TestFallbackAndUnknownID(t *testing.T) {
	fsys := fstest.MapFS{
		"ui.fr.yaml":  {Data: []byte("A: fa\nB: fb\nC: \"fc {{.X}}\"\n")},
		"ui.ar.yaml":  {Data: []byte("A: aa\n")},
		"ui.ary.yaml": {Data: []byte("D: \"dd\"\n")},
	}
	c, err := LoadFS(fsys)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		l        lang.Lang
		id, want string
	}{
		{lang.ARY, "A", "aa"}, // Darija falls back to Arabic first
		{lang.ARY, "B", "fb"}, // then French
		{lang.AR, "B", "fb"},
		{lang.ARY, "D", "dd"},
		{lang.FR, "D", "D"}, // never to another language than French
		{lang.AR, "nope", "nope"},
		{lang.ARY, "C", "fc 1"},
	} {
		if got := c.T(tc.l, tc.id, map[string]any{"X": 1}); got != tc.want {
			t.Errorf("T(%s, %q) = %q, want %q", tc.l, tc.id, got, tc.want)
		}
	}
	if got := c.IDs(); !slices.Equal(got, []string{"A", "B", "C", "D"}) {
		t.Errorf("IDs = %v", got)
	}
	// Unknown language, nil data and a nil catalogue never panic.
	if got := c.T(lang.Lang("xx"), "A", nil); got != "fa" {
		t.Errorf("unknown language: %q", got)
	}
	var nilCat *Catalog
	if got := nilCat.T(lang.FR, "A", nil); got != "A" {
		t.Errorf("nil catalogue: %q", got)
	}
}

func TestBadFiles(t *testing.T) {
	for name, fsys := range map[string]fstest.MapFS{
		"unknown language": {"ui.fr.yaml": {Data: []byte("A: a\n")}, "ui.es.yaml": {Data: []byte("A: a\n")}},
		"no domain":        {"fr.yaml": {Data: []byte("A: a\n")}},
		"duplicate id":     {"ui.fr.yaml": {Data: []byte("A: a\n")}, "card.fr.yaml": {Data: []byte("A: b\n")}},
		"bad yaml":         {"ui.fr.yaml": {Data: []byte("A: [\n")}},
		"no file":          {},
	} {
		if _, err := LoadFS(fsys); err == nil {
			t.Errorf("%s: LoadFS succeeded", name)
		}
	}
}

// checkRTL returns the problems of an Arabic-script text: characters of
// left-to-right bidi class (Latin letters, but also signs such as ℹ)
// outside an FSI…PDI isolate, unbalanced isolates, and lines whose first
// strong character is left-to-right without a leading RLM (see the package
// comment).
func checkRTL(s string) []string {
	var probs []string
	s = placeholderRE.ReplaceAllString(s, "")
	depth := 0
	for _, r := range s {
		switch {
		case r == '\u2068' || r == '\u2066' || r == '\u2067':
			depth++
		case r == '\u2069':
			depth--
			if depth < 0 {
				probs = append(probs, "PDI without isolate")
				depth = 0
			}
		case depth == 0 && bidiClass(r) == bidi.L:
			probs = append(probs, fmt.Sprintf("left-to-right character %q outside an isolate", r))
		}
	}
	if depth != 0 {
		probs = append(probs, "isolate not closed")
	}
	for _, line := range strings.Split(s, "\n") {
		for _, r := range line {
			if c := bidiClass(r); c == bidi.L || c == bidi.R || c == bidi.AL {
				if c == bidi.L {
					probs = append(probs, fmt.Sprintf("line %q starts left-to-right but not with RLM", line))
				}
				break // RLM (class R) or an Arabic letter: right-to-left
			}
		}
	}
	return probs
}

func bidiClass(r rune) bidi.Class {
	p, _ := bidi.LookupRune(r)
	return p.Class()
}

func TestRightToLeft(t *testing.T) {
	all := parseAll(t)
	for _, l := range []lang.Lang{lang.AR, lang.ARY} {
		for id, m := range all[l] {
			for _, s := range m.forms {
				for _, p := range checkRTL(s) {
					t.Errorf("%s %q: %s", m.file, id, p)
				}
			}
		}
	}
	// The checker itself catches what it is meant to.
	if len(checkRTL("أرسل /start الآن")) == 0 || len(checkRTL("ℹ️ دليل")) == 0 || len(checkRTL("\u2068/start\u2069 — ابدأ")) == 0 {
		t.Fatal("checkRTL misses a bare Latin run or a line without RLM")
	}
	if p := checkRTL("أرسل \u2068/start\u2069\n\u200F\u2068/help\u2069 — مساعدة"); len(p) != 0 {
		t.Fatalf("checkRTL flags correct text: %v", p)
	}
	// French texts carry no bidi controls.
	for id, m := range all[lang.FR] {
		if strings.ContainsAny(m.forms["other"], "\u2066\u2067\u2068\u2069\u200F") {
			t.Errorf("fr %q contains bidi controls", id)
		}
	}
}

// Commands are shown in every language's help, so users can find them.
func TestHelpListsCommands(t *testing.T) {
	c := MustDefault()
	for _, l := range lang.All {
		help := c.T(l, "Help", nil)
		for _, cmd := range []string{"start", "language", "back", "restart", "adviser", "forget", "help"} {
			if !strings.Contains(help, "/"+cmd) {
				t.Errorf("%s Help does not mention /%s", l, cmd)
			}
		}
	}
}

func TestButtonsAreShort(t *testing.T) {
	c := MustDefault()
	for _, id := range c.IDs() {
		if !strings.HasPrefix(id, "Button") {
			continue
		}
		for _, l := range lang.All {
			if n := utf8.RuneCountInString(c.T(l, id, nil)); n > 30 {
				t.Errorf("%s %q is %d characters (a button should stay under 30)", l, id, n)
			}
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	c := MustDefault()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := lang.All[i%3]
			for range 200 {
				if got := c.T(l, "Understood", map[string]any{"List": "x"}); !strings.Contains(got, "x") {
					t.Errorf("concurrent T = %q", got)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func BenchmarkT(b *testing.B) {
	c := MustDefault()
	b.Run("plain", func(b *testing.B) {
		for b.Loop() {
			c.T(lang.ARY, "NotUnderstood", nil)
		}
	})
	b.Run("template", func(b *testing.B) {
		data := map[string]any{"List": "microcrédit, Tétouan"}
		for b.Loop() {
			c.T(lang.FR, "Understood", data)
		}
	})
}

// TestPlainMessagesCached: a message asked without data comes from the
// cache the second time, identical, and a message with data is still
// rendered with it.
func TestPlainMessagesCached(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lang.All {
		first := c.T(l, "Help", nil)
		if _, ok := c.plain.Load(plainKey{l, "Help"}); !ok {
			t.Fatalf("%s: Help not cached", l)
		}
		if again := c.T(l, "Help", nil); again != first || first == "Help" {
			t.Fatalf("%s: %q then %q", l, first, again)
		}
	}
	a := c.T(lang.FR, "bot.more", map[string]any{"Count": 2})
	b := c.T(lang.FR, "bot.more", map[string]any{"Count": 7})
	if a == b || !strings.Contains(b, "7") {
		t.Fatalf("templated message: %q and %q", a, b)
	}
}

// Counts take the plural form of their language: Arabic's dual and its
// 3–10 plural, French's singular, Darija's "جوج ديال".
func TestPluralForms(t *testing.T) {
	c := MustDefault()
	for _, tc := range []struct {
		l     lang.Lang
		id    string
		n     int
		want  string
		wrong string
	}{
		{lang.FR, "bot.more", 1, "encore 1 service qui peut", "services"},
		{lang.FR, "bot.more", 7, "encore 7 services qui peuvent", "(s)"},
		{lang.AR, "bot.more", 1, "هناك خدمة أخرى", "1"},
		{lang.AR, "bot.more", 2, "خدمتان أخريان", "2"},
		{lang.AR, "bot.more", 5, "5 خدمات أخرى", "خدمة"},
		{lang.AR, "bot.more", 12, "12 خدمة أخرى", "خدمات"},
		{lang.ARY, "bot.more", 2, "جوج ديال الخدمات", "2"},
		{lang.ARY, "bot.more", 4, "4 ديال الخدمات", "خدمة"},
		{lang.ARY, "bot.more", 1, "خدمة وحدة", "1"},
		{lang.FR, "handoff.user.waiting", 30, "moins de 30 minutes", "minute "},
		{lang.AR, "handoff.user.waiting", 30, "أقل من 30 دقيقة", "دقائق"},
		{lang.AR, "handoff.user.waiting", 5, "أقل من 5 دقائق", "دقيقة"},
		{lang.ARY, "handoff.user.waiting", 10, "أقل من 10 دقايق", "دقيقة"},
	} {
		got := c.T(tc.l, tc.id, map[string]any{"Count": tc.n, "Hours": "H"})
		if !strings.Contains(got, tc.want) || strings.Contains(got, tc.wrong) {
			t.Errorf("%s %s %d = %q, want %q without %q", tc.l, tc.id, tc.n, got, tc.want, tc.wrong)
		}
	}
}

// DESIGN.md (contract): yes/no buttons start with Oui/Non, نعم/لا, ايه/لا
// once their emoji is set aside ("ايه" without hamza, as Darija writes it).
func TestYesNoLabels(t *testing.T) {
	c := MustDefault()
	want := map[lang.Lang][2]string{lang.FR: {"Oui", "Non"}, lang.AR: {"نعم", "لا"}, lang.ARY: {"ايه", "لا"}}
	for l, w := range want {
		for i, id := range []string{"ButtonYes", "ButtonNo"} {
			label := strings.TrimLeftFunc(c.T(l, id, nil), func(r rune) bool { return !unicode.IsLetter(r) })
			if !strings.HasPrefix(label, w[i]) {
				t.Errorf("%s %s = %q, want it to start with %q", l, id, c.T(l, id, nil), w[i])
			}
		}
	}
}
