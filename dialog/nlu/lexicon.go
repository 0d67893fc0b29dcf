package nlu

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/dalil-tt/dalil/dialog/trees"
	"github.com/dalil-tt/dalil/internal/lang"
	"github.com/dalil-tt/dalil/internal/vocab"
)

// Lexicon maps phrases of French, Arabic and Darija to vocabulary codes. It
// is built once from YAML (see dialog/trees/lexicon.yaml for the format) and
// is safe for concurrent use.
type Lexicon struct {
	ids     map[string]int32 // token key → token id
	edges   map[uint64]int32 // node<<32 | token id → child node of the phrase trie
	final   []int32          // node → index in entries of the phrase ending there, or -1
	entries []lexEntry
	// intents, when set, finds what a message says about the conversation
	// itself (Result.Intent); see intents.go.
	intents *Lexicon
}

// lexEntry is one normalised phrase and every code it expresses.
type lexEntry struct {
	phrase string
	codes  []facetCode
	line   int // of its first mention, for conflict reports
	// ignored phrases express nothing but are matched so that their words
	// are not read alone ("Tanger-Tétouan-Al Hoceïma" names the region).
	ignored bool
	// negator phrases ("machi", "je ne veux pas") cancel the phrase that
	// follows them closely.
	negator bool
	// denial phrases ("je ne suis pas", "ma 3ndich", "لست") say the writer
	// is not of the public named right after them (Result.Not); the other
	// codes of that phrase stand ("ma 3ndich lflous" still needs funding).
	denial bool
	// outside phrases name a place of Morocco outside the region
	// (Result.Outside).
	outside bool
}

type facetCode struct {
	facet vocab.Facet
	code  string
	// unless makes the code weak: it gives way when the text also
	// expresses one of these codes (a bare "9ard" is a microcredit unless
	// a bank loan is named).
	unless []string
	// not puts the code in Result.Not: the phrase says the writer is not
	// of it ("je suis un homme": not women).
	not bool
}

// Default returns the built-in lexicon, parsed once from trees.Lexicon. It
// panics if the embedded file is broken, which a test rules out.
func Default() *Lexicon { return defaultLexicon() }

var defaultLexicon = sync.OnceValue(func() *Lexicon { return mustParse("lexicon", ParseLexicon, trees.Lexicon) })

// mustParse parses a file embedded in the binary, which tests keep valid.
func mustParse(what string, parse func([]byte) (*Lexicon, error), data []byte) *Lexicon {
	lx, err := parse(data)
	if err != nil {
		panic(fmt.Sprintf("embedded %s: %v", what, err))
	}
	return lx
}

// newLexicon returns an empty lexicon.
func newLexicon() *Lexicon {
	return &Lexicon{ids: map[string]int32{}, edges: map[uint64]int32{}, final: []int32{-1}}
}

// yamlRoot parses a lexicon-like file (what names it in errors) and returns
// its top mapping, of want; nil for an empty file.
func yamlRoot(data []byte, what, want string) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s line %d: want a mapping of %s", what, root.Line, want)
	}
	return root, nil
}

// ParseLexicon reads a lexicon in the YAML format documented at the top of
// dialog/trees/lexicon.yaml. Every code is checked against the vocabulary;
// errors name the line and the entry, all of them at once.
func ParseLexicon(data []byte) (*Lexicon, error) {
	root, err := yamlRoot(data, "lexicon", "facets (needs, stages, …)")
	if err != nil {
		return nil, err
	}
	lx := newLexicon()
	if root == nil {
		lx.intents = defaultIntents()
		return lx, nil // an empty file is an empty lexicon
	}
	p := &parser{lx: lx}
	p.facets(root, false)
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	// Intents are not staff data: every lexicon, the built-in one or one
	// published later, understands them the same way.
	lx.intents = defaultIntents()
	return lx, nil
}

// parser collects every error of a lexicon file.
type parser struct {
	lx   *Lexicon
	errs []error
	not  bool // inside the "not" section
}

// listSections are the top-level sections that list phrases of one kind,
// with the mark add knows them by.
var listSections = map[string]vocab.Facet{
	"negators": negatorFacet,
	"denials":  denialFacet,
	"outside":  outsideFacet,
}

func (p *parser) bad(line int, format string, args ...any) {
	p.errs = append(p.errs, fmt.Errorf("lexicon line %d: "+format, append([]any{line}, args...)...))
}

// facets reads a mapping of facets to codes to phrases; at the top level
// it also reads the "ignore", "negators", "denials", "outside", "not" and
// "weak" sections.
func (p *parser) facets(m *yaml.Node, weak bool) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		fk, fv := m.Content[i], m.Content[i+1]
		if !weak && !p.not && fk.Value == "ignore" {
			if fv.Kind != yaml.SequenceNode {
				p.bad(fv.Line, "ignore: want a list of phrases")
				continue
			}
			for _, ph := range fv.Content {
				if err := p.lx.addAll(ph, "", "", nil, false); err != nil {
					p.bad(ph.Line, "ignore: phrase %q: %v", ph.Value, err)
				}
			}
			continue
		}
		if mark, ok := listSections[fk.Value]; ok && !weak && !p.not {
			if fv.Kind != yaml.SequenceNode {
				p.bad(fv.Line, "%s: want a list of phrases", fk.Value)
				continue
			}
			for _, ph := range fv.Content {
				if err := p.lx.addAll(ph, mark, "", nil, false); err != nil {
					p.bad(ph.Line, "%s: phrase %q: %v", fk.Value, ph.Value, err)
				}
			}
			continue
		}
		if !weak && !p.not && fk.Value == "not" {
			if fv.Kind != yaml.MappingNode {
				p.bad(fv.Line, "not: want a mapping of facets")
				continue
			}
			p.not = true
			p.facets(fv, false)
			p.not = false
			continue
		}
		if !weak && !p.not && fk.Value == "weak" {
			if fv.Kind != yaml.MappingNode {
				p.bad(fv.Line, "weak: want a mapping of facets")
				continue
			}
			p.facets(fv, true)
			continue
		}
		facet, err := vocab.ParseFacet(fk.Value)
		if err != nil || facet == vocab.Languages {
			p.bad(fk.Line, "unknown facet %q (want one of %s)", fk.Value, facetNames())
			continue
		}
		if fv.Kind == yaml.ScalarNode && fv.Tag == "!!null" {
			continue
		}
		if fv.Kind != yaml.MappingNode {
			p.bad(fv.Line, "%s: want a mapping of codes to lists of phrases", facet)
			continue
		}
		for j := 0; j+1 < len(fv.Content); j += 2 {
			ck, cv := fv.Content[j], fv.Content[j+1]
			code, unless, err := parseCodeKey(ck.Value, facet, weak)
			if err != nil {
				p.bad(ck.Line, "%s: %v", facet, err)
				continue
			}
			var phrases []*yaml.Node
			switch {
			case cv.Kind == yaml.SequenceNode:
				phrases = cv.Content
			case cv.Kind == yaml.ScalarNode && cv.Tag == "!!null":
			default:
				p.bad(cv.Line, "%s.%s: want a list of phrases", facet, code)
				continue
			}
			for _, ph := range phrases {
				if err := p.lx.addAll(ph, facet, code, unless, p.not); err != nil {
					p.bad(ph.Line, "%s.%s: phrase %q: %v", facet, code, ph.Value, err)
				}
			}
		}
	}
}

// parseCodeKey reads a code key: "CODE", or in the weak section
// "CODE unless CODE, CODE…".
func parseCodeKey(key string, facet vocab.Facet, weak bool) (code string, unless []string, err error) {
	code, rest, found := strings.Cut(key, " unless ")
	code = strings.TrimSpace(code)
	if !vocab.Valid(facet, code) {
		return "", nil, fmt.Errorf("unknown code %q", code)
	}
	if !weak {
		if found {
			return "", nil, fmt.Errorf("%q: \"unless\" belongs in the weak section", key)
		}
		return code, nil, nil
	}
	if !found {
		return "", nil, fmt.Errorf("weak code %q: want \"%s unless OTHER_CODE\"", code, code)
	}
	for _, u := range strings.Split(rest, ",") {
		u = strings.TrimSpace(u)
		if !vocab.Valid(facet, u) || u == code {
			return "", nil, fmt.Errorf("weak code %q: unknown code %q after unless", code, u)
		}
		unless = append(unless, u)
	}
	return code, unless, nil
}

func facetNames() string {
	var names []string
	for _, f := range vocab.Facets {
		names = append(names, string(f))
	}
	return strings.Join(names, ", ")
}

// maxExpansions bounds the phrases one (a|b) pattern may stand for.
const maxExpansions = 4096

// addAll indexes every phrase a YAML scalar stands for; facet "" is an
// ignored phrase.
func (lx *Lexicon) addAll(p *yaml.Node, facet vocab.Facet, code string, unless []string, not bool) error {
	if p.Kind != yaml.ScalarNode {
		return errors.New("a phrase must be a plain text")
	}
	phrases, err := expand(p.Value)
	if err != nil {
		return err
	}
	for _, ph := range phrases {
		if err := lx.add(ph, p.Line, facet, code, unless, not); err != nil {
			return err
		}
	}
	return nil
}

// expand turns a phrase with alternatives in parentheses into every phrase
// it stands for: "(9ard|kridi) mn (lbanka|banka)" gives four phrases. An
// empty alternative makes a word optional: "(l|)aide".
func expand(s string) ([]string, error) {
	open := strings.IndexByte(s, '(')
	if open < 0 {
		if strings.ContainsAny(s, ")|") {
			return nil, errors.New("has ')' or '|' outside a group '(a|b)'")
		}
		return []string{s}, nil
	}
	end := strings.IndexByte(s[open:], ')')
	if end < 0 {
		return nil, errors.New("has '(' without ')'")
	}
	end += open
	head, alts, tail := s[:open], strings.Split(s[open+1:end], "|"), s[end+1:]
	if strings.ContainsAny(head, ")|") || strings.Contains(s[open+1:end], "(") {
		return nil, errors.New("has a misplaced parenthesis or '|'")
	}
	rest, err := expand(tail)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(alts)*len(rest))
	for _, a := range alts {
		for _, r := range rest {
			out = append(out, head+a+r)
		}
	}
	if len(out) > maxExpansions {
		return nil, fmt.Errorf("stands for more than %d phrases", maxExpansions)
	}
	return out, nil
}

// negatorFacet, denialFacet and outsideFacet mark phrases of those
// sections in add; facet "" an ignored one.
const (
	negatorFacet vocab.Facet = "!negator"
	denialFacet  vocab.Facet = "!denial"
	outsideFacet vocab.Facet = "!outside"
)

// add indexes one phrase for facet and code (facet "": ignored phrase;
// not: the code goes to Result.Not).
func (lx *Lexicon) add(phrase string, line int, facet vocab.Facet, code string, unless []string, not bool) error {
	toks := strings.Fields(Normalize(phrase))
	if len(toks) == 0 {
		return errors.New("has no letter or digit")
	}
	node := int32(0)
	for _, tok := range toks {
		key := tokenKey(nil, tok)
		id, ok := lx.ids[string(key)]
		if !ok {
			id = int32(len(lx.ids))
			lx.ids[string(key)] = id
		}
		e := uint64(node)<<32 | uint64(uint32(id))
		child, ok := lx.edges[e]
		if !ok {
			child = int32(len(lx.final))
			lx.final = append(lx.final, -1)
			lx.edges[e] = child
		}
		node = child
	}
	if lx.final[node] < 0 {
		lx.final[node] = int32(len(lx.entries))
		lx.entries = append(lx.entries, lexEntry{phrase: strings.Join(toks, " "), line: line})
	}
	en := &lx.entries[lx.final[node]]
	special := facet == "" || facet == negatorFacet || facet == denialFacet || facet == outsideFacet
	switch {
	case special:
		if len(en.codes) > 0 || en.ignored && facet != "" || en.negator && facet != negatorFacet ||
			en.denial && facet != denialFacet || en.outside && facet != outsideFacet {
			return fmt.Errorf("is listed twice with different meanings (line %d)", en.line)
		}
		en.ignored = facet == ""
		en.negator = facet == negatorFacet
		en.denial = facet == denialFacet
		en.outside = facet == outsideFacet
		return nil
	case en.ignored:
		return fmt.Errorf("is listed under ignore (line %d)", en.line)
	case en.negator:
		return fmt.Errorf("is listed under negators (line %d)", en.line)
	case en.denial:
		return fmt.Errorf("is listed under denials (line %d)", en.line)
	case en.outside:
		return fmt.Errorf("is listed under outside (line %d)", en.line)
	}
	for i, fc := range en.codes {
		if fc.facet == facet && fc.code == code && fc.not == not {
			// a spelling variant that folds to a phrase already listed;
			// listed once as a plain phrase, it is not weak
			if fc.unless != nil && unless == nil {
				en.codes[i].unless = nil
			}
			return nil
		}
	}
	// Several codes of one facet are allowed: "jeune fille" is youth and
	// women. The tests lint the shipped lexicon for accidental ones.
	en.codes = append(en.codes, facetCode{facet: facet, code: code, unless: unless, not: not})
	return nil
}

// Len returns the number of distinct phrases.
func (lx *Lexicon) Len() int { return len(lx.entries) }

// negationReach is how many tokens may stand between a negator and the
// phrase it cancels ("machi 9ard", "je ne veux pas de crédit", "ma bghitch
// nakhod 9ard").
const negationReach = 2

// denialReach is how many tokens may stand between a denial and the public
// it denies ("je n'ai pas de handicap", "لست حاصلا على أي شهادة").
const denialReach = 3

// maxCands bounds the forms of one token tried against the lexicon.
const maxCands = 8

// scratch holds per-call buffers, pooled to keep Understand light.
type scratch struct {
	toks  []string
	weak  []facetCode
	buf   []byte
	forms []string
	cands [][maxCands]int32
	ncand []uint8
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

func getScratch() *scratch  { return scratchPool.Get().(*scratch) }
func putScratch(s *scratch) { scratchPool.Put(s) }

// Understand finds the language of text and every vocabulary code it
// expresses. Phrases match on whole normalised tokens, the longest phrase
// first ("9ard mn lbanka" is a bank loan, "9ard" alone a microcredit); a
// token may carry a glued Arabic clitic (والفلاحة) or Darija article
// (lfla7a). Codes are added with vocab.Codes.Add, so a more precise need
// replaces a generic one and nothing is listed twice.
func (lx *Lexicon) Understand(text string) Result {
	sc := getScratch()
	defer func() {
		clear(sc.toks) // keep no piece of a user's message in the pool
		putScratch(sc)
	}()
	norm := Normalize(withoutLinks(text))
	var res Result
	res.Lang = lx.resolve(sc, norm)
	lx.match(sc, 0, len(sc.cands), &res)
	if lx.intents != nil {
		lx.intents.intent(norm, lx, sc, &res)
	}
	return res
}

// resolve splits normalised text into tokens and finds for each the ids of
// its forms this lexicon knows (sc.toks, sc.cands, sc.ncand); it returns
// the language the tokens tell.
func (lx *Lexicon) resolve(sc *scratch, norm string) lang.Lang {
	var ls langScore
	sc.cands = sc.cands[:0]
	sc.ncand = sc.ncand[:0]
	sc.toks = sc.toks[:0]
	for tok := range strings.SplitSeq(norm, " ") {
		if tok == "" {
			continue
		}
		sc.toks = append(sc.toks, tok)
		var ids [maxCands]int32
		n := 0
		sc.forms = sc.forms[:0]
		if isArabicToken(tok) {
			sc.forms = arabicCandidates(sc.forms, tok)
		} else {
			sc.forms = latinCandidates(sc.forms, tok)
		}
		for k, f := range sc.forms {
			sc.buf = tokenKey(sc.buf[:0], f)
			if k == 0 { // the token as written also tells the language
				if isArabicToken(tok) {
					ls.addArabic(tok)
				} else {
					ls.addLatin(tok, sc.buf)
				}
			}
			id, ok := lx.ids[string(sc.buf)]
			if !ok || n == maxCands || contains(ids[:n], id) {
				continue
			}
			ids[n] = id
			n++
		}
		sc.cands = append(sc.cands, ids)
		sc.ncand = append(sc.ncand, uint8(n))
	}
	return ls.lang()
}

// match adds to res the codes the resolved tokens from..to-1 express.
func (lx *Lexicon) match(sc *scratch, from, to int, res *Result) {
	sc.weak = sc.weak[:0]
	// Greedy leftmost-longest phrase matching over the trie. A negator
	// cancels the next phrase if it starts within negationReach tokens.
	negatedUntil, deniedUntil := -1, -1
	for i := from; i < to; {
		end, entry := lx.longest(sc, 0, i, to, -1, -1)
		if end < 0 {
			i++
			continue
		}
		en := &lx.entries[entry]
		switch {
		case en.negator:
			negatedUntil = end + negationReach
			i = end
			continue
		case en.denial:
			// Its words stay readable: "je n'ai pas de statut" is
			// informal work, whatever "je n'ai pas" denies.
			deniedUntil = end + denialReach
			i++
			continue
		case en.outside:
			if res.Outside == "" {
				res.Outside = en.phrase
			}
		}
		if i < negatedUntil && !en.ignored && !en.outside {
			// A refused public is one the writer is not of ("ماشي
			// معاق"); a refused negative fact says nothing.
			for _, fc := range en.codes {
				if isPublic(fc) {
					if keepsGender(en, fc) {
						res.Codes.Add(fc.facet, fc.code)
					} else {
						res.Not.Add(fc.facet, fc.code)
					}
				}
			}
			negatedUntil = -1
			i = end
			continue
		}
		denied := i < deniedUntil && slices.ContainsFunc(en.codes, isPublic)
		if denied {
			deniedUntil = -1
		}
		for _, fc := range en.codes {
			switch {
			case fc.not:
				res.Not.Add(fc.facet, fc.code)
			case denied && isPublic(fc) && !keepsGender(en, fc):
				res.Not.Add(fc.facet, fc.code)
			case fc.unless != nil:
				sc.weak = append(sc.weak, fc)
			default:
				res.Codes.Add(fc.facet, fc.code)
			}
		}
		if !en.ignored {
			res.Matched = append(res.Matched, en.phrase)
		}
		i = end
	}
	for _, fc := range sc.weak {
		have := res.Codes.Get(fc.facet)
		if !slices.ContainsFunc(fc.unless, func(u string) bool { return slices.Contains(have, u) }) {
			res.Codes.Add(fc.facet, fc.code)
		}
	}
	if statesYouthAge(sc.toks[from:to]) {
		res.Codes.Add(vocab.Publics, "youth")
	}
	if statesOlderAge(sc.toks[from:to]) {
		res.Not.Add(vocab.Publics, "youth")
	}
	// A public said both ways ("je suis une femme… pas une femme") stays
	// unknown, to be asked.
	var both vocab.Codes
	for _, c := range res.Codes.Get(vocab.Publics) {
		if slices.Contains(res.Not.Get(vocab.Publics), c) {
			both.Add(vocab.Publics, c)
		}
	}
	if !both.Empty() {
		res.Codes.Remove(both)
		res.Not.Remove(both)
	}
}

// keepsGender reports whether fc is the gender a feminine form tells
// beside another public: denied, "diplômée" is still a woman's word ("je
// ne suis pas diplômée"), only the degree is denied.
func keepsGender(en *lexEntry, fc facetCode) bool {
	if fc.facet != vocab.Publics || fc.code != "women" {
		return false
	}
	return slices.ContainsFunc(en.codes, func(o facetCode) bool { return isPublic(o) && o.code != "women" })
}

// isPublic reports whether a code is a public the writer belongs to.
func isPublic(fc facetCode) bool { return fc.facet == vocab.Publics && !fc.not }

// longest returns the end (exclusive) and entry of the longest phrase from
// node that continues at token pos and ends by token to, or the given best
// if none is longer.
func (lx *Lexicon) longest(sc *scratch, node int32, pos, to, bestEnd int, bestEntry int32) (int, int32) {
	if node != 0 && lx.final[node] >= 0 && pos > bestEnd {
		bestEnd, bestEntry = pos, lx.final[node]
	}
	if pos == to {
		return bestEnd, bestEntry
	}
	for _, id := range sc.cands[pos][:sc.ncand[pos]] {
		if child, ok := lx.edges[uint64(node)<<32|uint64(uint32(id))]; ok {
			bestEnd, bestEntry = lx.longest(sc, child, pos+1, to, bestEnd, bestEntry)
		}
	}
	return bestEnd, bestEntry
}

func contains(ids []int32, id int32) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// JSON encodes the result as the contract of `dalil understand`: one object
// with "lang" and "codes", every facet present as an array, sorted.
func (r Result) JSON() ([]byte, error) {
	l := r.Lang
	if l == "" {
		l = lang.FR
	}
	return json.Marshal(struct {
		Lang  lang.Lang   `json:"lang"`
		Codes vocab.Codes `json:"codes"`
	}{l, r.Codes.Normalized()})
}

// withoutLinks drops web addresses and e-mail addresses, whose words
// ("www.cooperative-tanger.ma") say nothing of the project.
func withoutLinks(text string) string {
	if !strings.Contains(text, "@") && !strings.Contains(text, "://") && !strings.Contains(text, "www.") {
		return text
	}
	fields := strings.Fields(text)
	kept := fields[:0]
	for _, f := range fields {
		if !strings.Contains(f, "@") && !strings.Contains(f, "://") && !strings.HasPrefix(f, "www.") {
			kept = append(kept, f)
		}
	}
	return strings.Join(kept, " ")
}
