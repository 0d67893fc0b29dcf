// Package textnorm holds the one text normalisation of Dalil (Normalize):
// what the understanding of free text, the button labels and the catalogue
// search all compare texts by.
package textnorm

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Normalize brings a text in French, Arabic or Darija (either script) to the
// one form every comparison in Dalil uses:
//
//   - lower case; Latin accents and ligatures folded (é→e, ç→c, œ→oe);
//   - Arabic: harakat, Quranic marks, tatweel and lone hamza removed; alef
//     forms unified (أ إ آ ٱ → ا), ؤ→و, ئ→ي, ى→ي, ة→ه; Persian/Urdu
//     look-alikes mapped (ی→ي, ک→ك, گ/ڭ→ك, ڤ→ف, پ→ب); presentation forms
//     and full-width letters unfolded;
//   - Arabic-Indic and Eastern Arabic-Indic digits → ASCII digits;
//   - punctuation and symbols (incl. ، ؛ ؟ and apostrophes) → space; a space
//     is put between an Arabic letter and a Latin letter or digit that
//     touch; runs of spaces collapsed, no leading or trailing space.
//
// Arabizi is kept as written: digits inside a Latin word ("9ard", "fla7a")
// stay digits, which is their canonical spelling as letters, and numbers
// standing alone ("35 ans", "2024") stay numbers. Spelling variants of
// Arabizi (sh/ch, ou/u/w…) are only merged by the lexicon matcher, not here,
// so that French text keeps its words.
//
// Normalize is idempotent and always returns valid UTF-8. It is the function
// to use on both sides of any text comparison: the catalogue search
// normalises catalogue text and queries with it, the engine compares button
// labels with it.
func Normalize(s string) string {
	var n normalizer
	n.b.Grow(len(s))
	for _, r := range s {
		n.rune(r)
	}
	return n.b.String()
}

// normalizer writes normalised runes, tracking what was last written to
// place single spaces.
type normalizer struct {
	b     strings.Builder
	last  class // class of the last rune written; clsNone at the start
	space bool  // a space is owed before the next word rune
}

type class uint8

const (
	clsNone   class = iota
	clsArabic       // Arabic-script letter
	clsOther        // Latin or other letter, or a digit
)

func (n *normalizer) rune(r rune) {
	if r < utf8.RuneSelf { // ASCII fast path
		n.ascii(r)
		return
	}
	if r >= 0x0600 && r <= 0x06FF { // the Arabic block, from a table
		a := arabicTable[r-0x0600]
		switch a.kind {
		case arLetter:
			n.emit(a.r, clsArabic)
		case arDigit:
			n.emit(a.r, clsOther)
		case arSpace:
			n.space = true
		}
		return
	}
	if r >= 0xFB00 {
		if s, ok := compat[r]; ok { // presentation forms, ligatures, full width
			for _, c := range s {
				n.basic(c)
			}
			return
		}
	}
	n.basic(r)
}

func (n *normalizer) ascii(r rune) {
	switch {
	case 'a' <= r && r <= 'z', '0' <= r && r <= '9':
		n.emit(r, clsOther)
	case 'A' <= r && r <= 'Z':
		n.emit(r+'a'-'A', clsOther)
	default:
		n.space = true
	}
}

// basic is rune without the compatibility blocks and the Arabic table.
func (n *normalizer) basic(r rune) {
	if r < utf8.RuneSelf {
		n.ascii(r)
		return
	}
	if r >= 0x0600 && r <= 0x08FF {
		n.arabic(r)
		return
	}
	r = unicode.ToLower(r)
	if s, ok := latinFold[r]; ok {
		for _, c := range s {
			n.emit(c, clsOther)
		}
		return
	}
	switch {
	case unicode.IsMark(r), unicode.Is(unicode.Cf, r):
		// combining accents of decomposed text: dropped, as é → e; format
		// characters (ZWNJ, RLM, soft hyphen) are invisible inside words
	case unicode.IsLetter(r) || unicode.IsDigit(r):
		n.emit(r, clsOther)
	default:
		n.space = true
	}
}

// arabicEntry is what Normalize does with one rune of the Arabic block.
type arabicEntry struct {
	kind uint8
	r    rune
}

const (
	arDrop uint8 = iota
	arLetter
	arDigit
	arSpace
)

// arabicTable caches arabic for U+0600–U+06FF, the hot path of Arabic text.
var arabicTable = buildArabicTable()

// arabic handles the Arabic blocks (U+0600–U+08FF).
func (n *normalizer) arabic(r rune) {
	switch {
	case r >= 0x064B && r <= 0x065F, r == 0x0670, r >= 0x06D6 && r <= 0x06ED,
		r == 0x0640, r == 0x0621, r >= 0x08D3 && r <= 0x08FF:
		return // harakat, dagger alef, Quranic marks, tatweel, lone hamza
	case r >= 0x0660 && r <= 0x0669:
		n.emit('0'+r-0x0660, clsOther)
		return
	case r >= 0x06F0 && r <= 0x06F9:
		n.emit('0'+r-0x06F0, clsOther)
		return
	}
	if m, ok := arabicFold[r]; ok {
		r = m
	}
	if unicode.IsLetter(r) {
		n.emit(r, clsArabic)
		return
	}
	if unicode.IsMark(r) || unicode.Is(unicode.Cf, r) {
		return // e.g. U+061C ARABIC LETTER MARK
	}
	n.space = true
}

func (n *normalizer) emit(r rune, c class) {
	if n.last != clsNone && (n.space || (c == clsArabic) != (n.last == clsArabic)) {
		n.b.WriteByte(' ')
	}
	n.space = false
	n.last = c
	if r < utf8.RuneSelf {
		n.b.WriteByte(byte(r))
		return
	}
	n.b.WriteRune(r)
}

var arabicFold = map[rune]rune{
	'آ': 'ا', 'أ': 'ا', 'إ': 'ا', 'ٱ': 'ا', 'ٲ': 'ا', 'ٳ': 'ا', 'ٵ': 'ا',
	'ؤ': 'و', 'ٶ': 'و', 'ۄ': 'و', 'ۆ': 'و', 'ۇ': 'و', 'ۈ': 'و', 'ۉ': 'و', 'ۋ': 'و',
	'ئ': 'ي', 'ى': 'ي', 'ی': 'ي', 'ې': 'ي', 'ے': 'ي', 'ۓ': 'ي', 'ٸ': 'ي', 'ێ': 'ي',
	'ة': 'ه', 'ۀ': 'ه', 'ہ': 'ه', 'ە': 'ه', 'ۃ': 'ه', 'ھ': 'ه',
	'ک': 'ك', 'ڪ': 'ك', 'گ': 'ك', 'ڭ': 'ك', 'ګ': 'ك', 'ڬ': 'ك',
	'ڤ': 'ف', 'ڢ': 'ف', 'ڥ': 'ف', 'ڨ': 'ق', 'ڧ': 'ق',
	'پ': 'ب', 'چ': 'ج', 'ژ': 'ز', 'ڜ': 'ش',
}

// The tables are built by variable initialisers, not init(), so that
// package variables built with Normalize (the language markers) see them.

// latinFold maps lower-case Latin letters with diacritics to ASCII.
var latinFold = buildLatinFold()

// compat unfolds compatibility characters (Arabic presentation forms, Latin
// ligatures, full-width forms) to their normalised text.
var compat = buildCompat()

func buildArabicTable() (t [0x100]arabicEntry) {
	for i := range t {
		var n normalizer
		n.arabic(rune(0x0600 + i))
		out := n.b.String()
		switch {
		case out == "" && n.space:
			t[i] = arabicEntry{kind: arSpace}
		case out == "":
			t[i] = arabicEntry{kind: arDrop}
		case out[0] >= '0' && out[0] <= '9':
			t[i] = arabicEntry{kind: arDigit, r: rune(out[0])}
		default:
			r, _ := utf8.DecodeRuneInString(out)
			t[i] = arabicEntry{kind: arLetter, r: r}
		}
	}
	return t
}

func buildLatinFold() map[rune]string {
	m := map[rune]string{
		'œ': "oe", 'æ': "ae", 'ß': "ss", 'ø': "o", 'đ': "d", 'ħ': "h", 'ł': "l",
		'ı': "i", 'ŀ': "l", 'þ': "th", 'ð': "d",
	}
	// Precomposed Latin letters: drop the accents of the decomposition.
	for _, rg := range [][2]rune{{0x00C0, 0x024F}, {0x1E00, 0x1EFF}} {
		for r := rg[0]; r <= rg[1]; r++ {
			lr := unicode.ToLower(r)
			if _, ok := m[lr]; ok {
				continue
			}
			d := norm.NFD.String(string(lr))
			if base, _ := utf8.DecodeRuneInString(d); base != lr && 'a' <= base && base <= 'z' {
				m[lr] = string(base)
			}
		}
	}
	return m
}

// buildCompat runs NFKC on the compatibility blocks. The normalizer used
// here must not consult compat itself: NFKC output holds no compat runes.
func buildCompat() map[rune]string {
	m := map[rune]string{}
	for _, rg := range [][2]rune{{0xFB00, 0xFDFF}, {0xFE70, 0xFEFF}, {0xFF00, 0xFFEF}} {
		for r := rg[0]; r <= rg[1]; r++ {
			k := norm.NFKC.String(string(r))
			if k == string(r) {
				continue
			}
			var n normalizer
			for _, c := range k {
				n.basic(c)
			}
			m[r] = n.b.String()
		}
	}
	return m
}
