package postgres

import (
	"fmt"
	"slices"
	"strings"

	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/internal/lang"
	"github.com/dalil-tt/dalil/internal/textnorm"
	"github.com/dalil-tt/dalil/internal/vocab"
)

// bitFacets are the facets packed into service.facet_bits, in bit order.
var bitFacets = []vocab.Facet{vocab.Needs, vocab.Stages, vocab.Forms, vocab.Publics, vocab.Sectors, vocab.Provinces, vocab.Areas, vocab.Languages}

// bitOffset[f] is the position of facet f's first code in facet_bits.
var bitOffset = func() map[vocab.Facet]uint {
	m := map[vocab.Facet]uint{}
	var off uint
	for _, f := range bitFacets {
		m[f] = off
		off += uint(len(vocab.Values[f]))
	}
	if off > 63 {
		panic(fmt.Sprintf("postgres: the vocabulary has %d codes, more than facet_bits holds", off))
	}
	return m
}()

// vocabFingerprint identifies the vocabulary the stored facet_bits and
// match_keys were computed with.
var vocabFingerprint = func() string {
	var b strings.Builder
	for _, f := range bitFacets {
		b.WriteString(string(f))
		b.WriteByte(':')
		b.WriteString(strings.Join(vocab.Values[f], ","))
		b.WriteByte(';')
	}
	return b.String()
}()

// codeBit returns the bit of code in facet f, 0 when unknown.
func codeBit(f vocab.Facet, code string) int64 {
	i := slices.Index(vocab.Values[f], code)
	if i < 0 {
		return 0
	}
	return 1 << (bitOffset[f] + uint(i))
}

// facetMask returns the bits of the codes of f.
func facetMask(f vocab.Facet, codes []string) int64 {
	var m int64
	for _, c := range codes {
		m |= codeBit(f, c)
	}
	return m
}

// encodeBits packs the facets and languages of s.
func encodeBits(s *catalogue.Service) int64 {
	var m int64
	for _, f := range bitFacets {
		m |= facetMask(f, s.Facet(f))
	}
	return m
}

// decodeBits fills the facets and languages of s from m. The slices are
// shared between services with the same codes: they must not be modified.
func decodeBits(m int64, s *catalogue.Service, cache map[int64][]string) {
	for i, f := range bitFacets {
		n := uint(len(vocab.Values[f]))
		part := (m >> bitOffset[f]) & (1<<n - 1)
		key := part<<8 | int64(i) // facet index in the low bits keeps facets apart
		codes, ok := cache[key]
		if !ok {
			for j, c := range vocab.Values[f] {
				if part&(1<<uint(j)) != 0 {
					codes = append(codes, c)
				}
			}
			cache[key] = codes
		}
		s.SetFacet(f, codes)
	}
}

// matchKeys lists what the referral filter looks up for s: "facet:code" for
// each code of the facets a query sets, plus, for needs, the codes of the
// queries the service answers under the need hierarchy (a service offering
// "funding.grant" answers "funding"; one offering "funding" answers
// "funding.grant"), and "facet:*" for an empty facet, which answers any code.
func matchKeys(s *catalogue.Service) []string {
	var keys []string
	for _, f := range vocab.Facets {
		have := s.Facet(f)
		if f == vocab.Needs {
			for _, q := range vocab.Values[vocab.Needs] {
				if slices.ContainsFunc(have, func(h string) bool { return vocab.NeedCovers(q, h) }) {
					keys = append(keys, "needs:"+q)
				}
			}
			continue
		}
		if len(have) == 0 {
			keys = append(keys, string(f)+":*")
			continue
		}
		for _, c := range have {
			keys = append(keys, string(f)+":"+c)
		}
	}
	return keys
}

// queryKeys returns, for facet f of a query, the keys a service must hold one
// of (nil when the query does not set f).
func queryKeys(f vocab.Facet, want []string) []string {
	if len(want) == 0 {
		return nil
	}
	keys := make([]string, 0, len(want)+1)
	for _, w := range want {
		keys = append(keys, string(f)+":"+w)
	}
	if f != vocab.Needs {
		keys = append(keys, string(f)+":*")
	}
	return keys
}

// Search keys.
//
// pg_trgm only makes trigrams of characters the database's LC_CTYPE calls
// alphanumeric: in a database created with LC_CTYPE C no Arabic letter is,
// so show_trgm('تمويل') is empty and Arabic text would never be found (see
// TestSearchUnderCLocale). Rather than depend on the locale, the
// search keys are ASCII: the text is normalised with textnorm.Normalize (case,
// accents, Arabic diacritics and letter variants), Latin words are kept, and
// each Arabic word is written as its consonant skeleton in the Latin letters
// and digits Moroccans use in Arabizi (ق→9, ع→3, ح→7, ش→ch…), without the
// long vowels ا و ي, the article ال and a final ه (ة), which Arabizi writes
// as vowels or not at all. An Arabizi query ("tamwil", "9ard") is reduced to
// the same skeleton (vowels dropped), so it finds the Arabic text "تمويل",
// "قرض". pg_trgm's similarity between these keys' words (the search_word
// dictionary) then tolerates typos in both scripts.

var arabicSkeleton = map[rune]string{
	'ب': "b", 'ت': "t", 'ث': "t", 'ج': "j", 'ح': "7", 'خ': "kh", 'د': "d", 'ذ': "d",
	'ر': "r", 'ز': "z", 'س': "s", 'ش': "ch", 'ص': "s", 'ض': "d", 'ط': "t", 'ظ': "d",
	'ع': "3", 'غ': "gh", 'ف': "f", 'ق': "9", 'ك': "k", 'ل': "l", 'م': "m", 'ن': "n",
	'ه': "h", 'ا': "", 'و': "", 'ي': "",
}

func isArabic(r rune) bool { return r >= 0x0600 && r <= 0x08FF }

// arabicWord returns the ASCII skeleton of a normalised Arabic word.
func arabicWord(w string) string {
	for _, p := range []string{"وال", "بال", "فال", "كال", "لل", "ال"} {
		if strings.HasPrefix(w, p) && len([]rune(w))-len([]rune(p)) >= 2 {
			w = strings.TrimPrefix(w, p)
			break
		}
	}
	w = strings.TrimSuffix(w, "ه")
	var b strings.Builder
	for _, r := range w {
		if s, ok := arabicSkeleton[r]; ok {
			b.WriteString(s)
		} else if r < 0x80 {
			b.WriteRune(r)
		}
		// other Arabic letters (rare) are dropped
	}
	return b.String()
}

// latinSkeleton reads a Latin word as Arabizi: vowels (and w, y, which
// Arabizi uses for و and ي) dropped, digraphs brought to the skeleton's
// spelling.
func latinSkeleton(w string) string {
	w = strings.NewReplacer("sh", "ch", "5", "kh", "2", "", "q", "9").Replace(w)
	w = strings.TrimPrefix(w, "el")
	if len(w) > 3 && w[0] == 'l' && !strings.ContainsRune("aeiouwy", rune(w[1])) {
		w = w[1:] // "ltamwil", "l9ard": the article
	}
	var b strings.Builder
	for _, r := range w {
		if !strings.ContainsRune("aeiouwy", r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// SearchKey returns the ASCII search key of a text (see above).
func SearchKey(text string) string {
	words := strings.Fields(textnorm.Normalize(text))
	out := words[:0]
	for _, w := range words {
		r := []rune(w)
		if len(r) > 0 && isArabic(r[0]) {
			w = arabicWord(w)
		} else {
			// Letters of other scripts would not be searchable under
			// LC_CTYPE C: dropped (the catalogue is French and Arabic).
			w = strings.Map(func(r rune) rune {
				if r < 0x80 {
					return r
				}
				return -1
			}, w)
		}
		if w != "" {
			out = append(out, w)
		}
	}
	return strings.Join(out, " ")
}

// keywordLangs are the languages whose vocabulary labels become keywords.
var keywordLangs = []lang.Lang{lang.FR, lang.AR, lang.ARY}

// keywordFacets are the facets whose codes' labels become keywords.
var keywordFacets = []vocab.Facet{vocab.Needs, vocab.Sectors}

// keywordKeys maps "facet:code" to the search key of the code's labels in
// French, Arabic and Darija (computed once: go-i18n lookups are slow).
func keywordKeys(labels Labels) map[string]string {
	m := map[string]string{}
	if labels == nil {
		return m
	}
	for _, f := range keywordFacets {
		for _, c := range vocab.Values[f] {
			id := "code." + string(f) + "." + c
			var parts []string
			for _, l := range keywordLangs {
				if labels.Has(l, id) {
					parts = append(parts, labels.T(l, id, nil))
				}
			}
			m[string(f)+":"+c] = SearchKey(strings.Join(parts, " "))
		}
	}
	return m
}

// searchTexts returns the search keys of a service: names (weighted more)
// and the rest (descriptions, conditions, city, and the labels of its needs
// and sectors in French, Arabic and Darija as keywords).
func searchTexts(s *catalogue.Service, keywords map[string]string) (names, text string) {
	names = SearchKey(strings.Join([]string{s.Org.NameFR, s.Org.NameAR, s.NameFR, s.NameAR}, " "))
	parts := []string{SearchKey(strings.Join([]string{s.DescriptionFR, s.DescriptionAR, s.ConditionsFR, s.ConditionsAR, s.City}, " "))}
	for _, f := range keywordFacets {
		have := s.Facet(f)
		if len(have) == len(vocab.Values[f]) {
			continue // every sector: no keyword says anything
		}
		for _, c := range have {
			if k := keywords[string(f)+":"+c]; k != "" {
				parts = append(parts, k)
			}
		}
	}
	return names, strings.TrimSpace(strings.Join(parts, " "))
}
