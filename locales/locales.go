// Package locales holds Dalil's fixed UI strings (go-i18n v2 message files)
// in French, Modern Standard Arabic and Moroccan Darija, and gives them out
// by language and message id.
//
// Files are named <domain>.<lang>.yaml with lang one of fr, ar, ary; every
// *.yaml file of this folder is embedded, so a new domain file added next to
// the others is loaded without touching this code.
//
// Right-to-left: in ar and ary texts, every run of Latin letters or of
// characters that would otherwise be reordered (/commands, e-mails, phone
// numbers) is wrapped in FSI … PDI (U+2068 … U+2069, written "\u2068" and
// "\u2069" in the YAML so they stay visible when editing). An isolate keeps
// "/start" from being shown as "start/" inside Arabic text, and keeps the
// run from reordering its neighbours. A line that would otherwise begin with
// such a run starts with RLM (U+200F), because some clients guess a line's
// direction from its first strong character without skipping isolates.
// A message that shows a number has plural forms (go-i18n's one, few, many…
// of CLDR) and takes the number as data key "Count"; Darija, loaded as ar-MA,
// uses Arabic's forms, which fit its counting too (جوج ديال…, 3 ديال…).
// Template values ({{.List}}) are inserted as they come: callers that put
// Latin text in an Arabic message should isolate it with Isolate.
package locales

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"go.yaml.in/yaml/v3"
	"golang.org/x/text/language"

	"github.com/dalil-tt/dalil/internal/lang"
	"github.com/dalil-tt/dalil/internal/vocab"
)

//go:embed *.yaml
var files embed.FS

// Tag returns the language tag go-i18n uses for l. go-i18n v2.7.0 knows no
// plural rule for "ary" and refuses to load messages under it, so Darija is
// stored as Moroccan Arabic (ar-MA): a tag go-i18n accepts, whose plural rules
// are Arabic's (the plural rule lookup walks ar-MA up to ar), and which
// golang.org/x/text keeps distinct from plain "ar". This is the only place
// the mapping is made.
func Tag(l lang.Lang) language.Tag {
	switch l {
	case lang.AR:
		return language.Arabic
	case lang.ARY:
		return language.MustParse("ar-MA")
	default:
		return language.French
	}
}

// Catalog is the set of UI messages in every language. It is read-only once
// loaded and safe for concurrent use.
type Catalog struct {
	loc map[lang.Lang]*i18n.Localizer
	// has records which ids each language defines, so a gap falls back
	// deliberately instead of through go-i18n's own default-language logic.
	has map[lang.Lang]map[string]bool
	ids []string
	// plain caches messages without template data, by language and id:
	// the catalogue never changes once loaded, and the bot asks for the
	// same labels on every update.
	plain sync.Map
}

type plainKey struct {
	l  lang.Lang
	id string
}

// Load reads the embedded message files.
func Load() (*Catalog, error) { return LoadFS(files) }

var defaultCatalog = sync.OnceValues(Load)

// Default returns the embedded catalogue, loaded once.
func Default() (*Catalog, error) { return defaultCatalog() }

// MustDefault is Default for callers that cannot go on without their UI
// strings; the embedded files are checked by this package's tests, so it
// does not panic in a built binary.
func MustDefault() *Catalog {
	c, err := Default()
	if err != nil {
		panic(err)
	}
	return c
}

// LoadFS reads every *.yaml message file at the root of fsys.
func LoadFS(fsys fs.FS) (*Catalog, error) {
	names, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return nil, fmt.Errorf("list message files: %w", err)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("load locales: no *.yaml message file")
	}
	b := i18n.NewBundle(Tag(lang.FR))
	b.RegisterUnmarshalFunc("yaml", yaml.Unmarshal)
	c := &Catalog{
		loc: make(map[lang.Lang]*i18n.Localizer, len(lang.All)),
		has: make(map[lang.Lang]map[string]bool, len(lang.All)),
	}
	for _, l := range lang.All {
		c.has[l] = map[string]bool{}
	}
	seen := map[string]string{} // lang/id -> file, to refuse an id defined twice
	for _, name := range names {
		l, err := fileLang(name)
		if err != nil {
			return nil, err
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		// go-i18n takes the tag from the path: hand it a synthetic one
		// carrying Tag(l), so ".ary." files load as ar-MA.
		mf, err := b.ParseMessageFileBytes(data, Tag(l).String()+".yaml")
		if err != nil {
			return nil, fmt.Errorf("load %s: %w", name, err)
		}
		for _, m := range mf.Messages {
			key := string(l) + "/" + m.ID
			if prev, dup := seen[key]; dup {
				return nil, fmt.Errorf("load %s: message %q already defined in %s", name, m.ID, prev)
			}
			seen[key] = name
			c.has[l][m.ID] = true
		}
	}
	all := map[string]bool{}
	for _, l := range lang.All {
		c.loc[l] = i18n.NewLocalizer(b, Tag(l).String())
		for id := range c.has[l] {
			all[id] = true
		}
	}
	for id := range all {
		c.ids = append(c.ids, id)
	}
	slices.Sort(c.ids)
	return c, nil
}

// fileLang returns the language of a file named <domain>.<lang>.yaml.
func fileLang(name string) (lang.Lang, error) {
	parts := strings.Split(strings.TrimSuffix(path.Base(name), ".yaml"), ".")
	if len(parts) != 2 || parts[0] == "" {
		return "", fmt.Errorf("message file %s: name must be <domain>.<lang>.yaml", name)
	}
	l, err := lang.Parse(parts[1])
	if err != nil {
		return "", fmt.Errorf("message file %s: %w", name, err)
	}
	return l, nil
}

// fallbacks is the order in which languages are tried for l: Darija falls
// back to Arabic (same script, closer to the reader than French), then
// everything to French.
func fallbacks(l lang.Lang) []lang.Lang {
	switch l {
	case lang.ARY:
		return []lang.Lang{lang.ARY, lang.AR, lang.FR}
	case lang.AR:
		return []lang.Lang{lang.AR, lang.FR}
	default:
		return []lang.Lang{lang.FR}
	}
}

// T returns message id in l with data filled in. It never panics: a message
// missing in l falls back (ary → ar → fr) and, missing everywhere, the id
// itself is returned so the gap shows without breaking the conversation.
// The package's tests keep every id present in every language.
func (c *Catalog) T(l lang.Lang, id string, data map[string]any) string {
	if c == nil {
		return id
	}
	if data == nil {
		if s, ok := c.plain.Load(plainKey{l, id}); ok {
			return s.(string)
		}
		s := c.localize(l, id, nil)
		c.plain.Store(plainKey{l, id}, s)
		return s
	}
	return c.localize(l, id, data)
}

func (c *Catalog) localize(l lang.Lang, id string, data map[string]any) string {
	for _, fl := range fallbacks(l) {
		if !c.has[fl][id] {
			continue
		}
		cfg := &i18n.LocalizeConfig{MessageID: id}
		if data != nil {
			cfg.TemplateData = data
			cfg.PluralCount = pluralCount(data)
		}
		s, err := c.loc[fl].Localize(cfg)
		if err == nil && s != "" {
			return s
		}
	}
	return id
}

// pluralCount is the number that chooses a message's plural form: the
// integer under the "Count" key, so that one convention serves every message
// that shows a count. Anything else leaves the choice to go-i18n, which then
// uses the "other" form.
func pluralCount(data map[string]any) any {
	switch n := data["Count"].(type) {
	case int, int64, int32:
		return n
	}
	return nil
}

// Has reports whether id is defined in l itself (no fallback).
func (c *Catalog) Has(l lang.Lang, id string) bool { return c != nil && c.has[l][id] }

// Text returns message id in every language, for texts shown in all three
// at once (the language choice).
func (c *Catalog) Text(id string, data map[string]any) lang.Text {
	t := make(lang.Text, len(lang.All))
	for _, l := range lang.All {
		t[l] = c.T(l, id, data)
	}
	return t
}

// CodeID is the message id of the label of a vocabulary code.
func CodeID(f vocab.Facet, code string) string { return "code." + string(f) + "." + code }

// FacetID is the message id of the name of a facet.
func FacetID(f vocab.Facet) string { return "facet." + string(f) }

// Code returns the label of a vocabulary code in l ("microcrédit").
func (c *Catalog) Code(l lang.Lang, f vocab.Facet, code string) string {
	return c.T(l, CodeID(f, code), nil)
}

// Facet returns the name of facet f in l ("secteur").
func (c *Catalog) Facet(l lang.Lang, f vocab.Facet) string { return c.T(l, FacetID(f), nil) }

// IDs returns every message id defined in at least one language, sorted.
func (c *Catalog) IDs() []string {
	if c == nil {
		return nil
	}
	return slices.Clone(c.ids)
}

// Isolate wraps s in FSI … PDI (U+2068 … U+2069) so that a value of unknown
// direction (a name, an e-mail, a phone number) put inside a message keeps
// its own direction and does not reorder the text around it.
func Isolate(s string) string {
	if s == "" {
		return s
	}
	return "\u2068" + s + "\u2069"
}
