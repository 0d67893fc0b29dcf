package nlu

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/dalil-tt/dalil/dialog/trees"
	"github.com/dalil-tt/dalil/internal/lang"
	"github.com/dalil-tt/dalil/internal/vocab"
)

// Intent is what a message says about the conversation itself rather than
// about the project.
type Intent string

const (
	IntentGreeting Intent = "greeting" // bonjour, مرحبا, slt
	IntentSalam    Intent = "salam"    // a greeting of peace (السلام عليكم), returned in kind
	IntentThanks   Intent = "thanks"   // merci, شكرا, barak llah fik
	IntentConfused Intent = "confused" // je ne comprends pas, mafhamtch, عاوني
	IntentAdviser  Intent = "adviser"  // asking to talk to a person
)

// intentOrder is the precedence among intents one message says together:
// "salam, mafhamtch" is confusion, "merci, je veux parler à quelqu'un" a
// request for a person.
var intentOrder = []Intent{IntentAdviser, IntentConfused, IntentThanks, IntentSalam, IntentGreeting}

// An intent phrase is indexed in its own Lexicon with this pseudo-facet;
// its code is "TIER:INTENT:LANG" (LANG "" for any).
const intentFacet vocab.Facet = "!intent"

const (
	tierAlone    = "alone"    // acts only when the whole message is intent phrases and filler
	tierAnywhere = "anywhere" // acts in a longer message too
)

var defaultIntents = sync.OnceValue(func() *Lexicon { return mustParse("intents", ParseIntents, trees.Intents) })

// ParseIntents reads intent phrases in the YAML format documented at the
// top of dialog/trees/intents.yaml. Errors name the line, all at once.
func ParseIntents(data []byte) (*Lexicon, error) {
	root, err := yamlRoot(data, "intents", "intents")
	if err != nil {
		return nil, err
	}
	il := newLexicon()
	if root == nil {
		return il, nil
	}
	var errs []error
	bad := func(line int, format string, args ...any) {
		errs = append(errs, fmt.Errorf("intents line %d: "+format, append([]any{line}, args...)...))
	}
	list := func(n *yaml.Node, what string, facet vocab.Facet, code string) {
		if n.Kind != yaml.SequenceNode {
			bad(n.Line, "%s: want a list of phrases", what)
			return
		}
		for _, ph := range n.Content {
			if err := il.addAll(ph, facet, code, nil, false); err != nil {
				bad(ph.Line, "%s: phrase %q: %v", what, ph.Value, err)
			}
		}
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch {
		case k.Value == "filler":
			list(v, "filler", "", "")
		case k.Value == "negators":
			list(v, "negators", negatorFacet, "")
		case knownIntent(k.Value):
			if v.Kind != yaml.MappingNode {
				bad(v.Line, "%s: want %q and/or %q lists", k.Value, tierAlone, tierAnywhere)
				continue
			}
			for j := 0; j+1 < len(v.Content); j += 2 {
				tk, tv := v.Content[j], v.Content[j+1]
				if tk.Value != tierAlone && tk.Value != tierAnywhere {
					bad(tk.Line, "%s: unknown list %q (want %q or %q)", k.Value, tk.Value, tierAlone, tierAnywhere)
					continue
				}
				if tv.Kind != yaml.MappingNode {
					bad(tv.Line, "%s.%s: want lists by language (fr, ar, ary, any)", k.Value, tk.Value)
					continue
				}
				for m := 0; m+1 < len(tv.Content); m += 2 {
					lk, lv := tv.Content[m], tv.Content[m+1]
					l := lk.Value
					if l != "any" {
						if _, err := lang.Parse(l); err != nil {
							bad(lk.Line, "%s.%s: unknown language %q (want fr, ar, ary or any)", k.Value, tk.Value, l)
							continue
						}
					} else {
						l = ""
					}
					list(lv, k.Value+"."+tk.Value+"."+lk.Value, intentFacet, tk.Value+":"+k.Value+":"+l)
				}
			}
		default:
			bad(k.Line, "unknown key %q (want an intent, filler or negators)", k.Value)
		}
	}
	// A phrase says one thing: two intents, or both tiers, is a slip.
	for _, en := range il.entries {
		if len(en.codes) > 1 {
			var what []string
			for _, fc := range en.codes {
				what = append(what, fc.code)
			}
			bad(en.line, "phrase %q is listed more than once (%s)", en.phrase, strings.Join(what, ", "))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return il, nil
}

func knownIntent(s string) bool {
	for _, in := range intentOrder {
		if string(in) == s {
			return true
		}
	}
	return false
}

// intent finds the intent of normalised text in il's phrases and sets
// res.Intent and res.Rest. main is the lexicon of the codes, whose
// scratch msc holds the same tokens resolved: the codes outside the intent
// phrases decide whether the message is about the conversation.
func (il *Lexicon) intent(norm string, main *Lexicon, msc *scratch, res *Result) {
	sc := getScratch()
	defer func() {
		clear(sc.toks)
		putScratch(sc)
	}()
	il.resolve(sc, norm)
	if len(sc.toks) != len(msc.toks) {
		return // cannot happen: both split the same text
	}
	type span struct{ from, to int }
	var (
		spans    []span
		covered  int
		alone    = map[Intent]bool{}
		anywhere = map[Intent]bool{}
		langs    = map[lang.Lang]bool{} // of the intent phrases found
	)
	negatedUntil := -1
	for i := 0; i < len(sc.cands); {
		end, entry := il.longest(sc, 0, i, len(sc.cands), -1, -1)
		if end < 0 {
			i++
			continue
		}
		en := &il.entries[entry]
		covered += end - i
		switch {
		case en.negator:
			negatedUntil = end + negationReach
		case en.ignored: // filler
		case i < negatedUntil:
			// "ma bghitch nhder m3a chi wa7ed": about the conversation,
			// but no request; its words are no project code either.
			negatedUntil = -1
			spans = append(spans, span{i, end})
		default:
			spans = append(spans, span{i, end})
			for _, fc := range en.codes {
				parts := strings.SplitN(fc.code, ":", 3)
				tier, name := parts[0], parts[1]
				if l := lang.Lang(parts[2]); l != "" {
					langs[l] = true
				}
				if tier == tierAlone {
					alone[Intent(name)] = true
				} else {
					anywhere[Intent(name)] = true
				}
			}
		}
		i = end
	}
	if len(alone) == 0 && len(anywhere) == 0 {
		return
	}
	var rest Result
	prev := 0
	for _, sp := range spans {
		main.match(msc, prev, sp.from, &rest)
		prev = sp.to
	}
	main.match(msc, prev, len(msc.cands), &rest)
	whole := covered == len(sc.toks)
	for _, in := range intentOrder {
		// Only a request for a person outweighs what the message says of
		// the project; a greeting beside a need is just politeness.
		if anywhere[in] && (in == IntentAdviser || rest.Codes.Empty()) ||
			alone[in] && whole && rest.Codes.Empty() {
			res.Intent = in
			res.Rest = rest.Codes
			if whole && len(langs) == 1 {
				for l := range langs {
					res.IntentLang = l
				}
			}
			return
		}
	}
}
