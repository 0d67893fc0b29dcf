package nlu

import (
	"strings"
	"unicode/utf8"
)

// The lexicon matcher compares tokens of normalised text through a key that
// also merges spelling variants. Arabic tokens lose their article (الفلاحة
// and فلاحة are one key); Latin tokens get foldLatin. The text side also
// tries the token without a leading clitic (والفلاحة, lfla7a), see
// candidates.

// isArabicToken reports whether a normalised token is in Arabic script
// (Normalize never mixes scripts inside one token).
func isArabicToken(tok string) bool {
	r, _ := utf8.DecodeRuneInString(tok)
	return r >= 0x0600 && r <= 0x08FF
}

// hasASCIILetter reports whether tok holds a Latin letter, which makes its
// digits Arabizi letters rather than a number.
func hasASCIILetter(tok string) bool {
	for i := 0; i < len(tok); i++ {
		if c := tok[i]; 'a' <= c && c <= 'z' {
			return true
		}
	}
	return false
}

// foldLatin appends the matching key of a normalised Latin token: the common
// Arabizi spelling variants merged (sh→ch, o/ou/w→u, y→i, q→9, 5→kh) and
// doubled letters collapsed, so "mouwakaba", "mowakaba" and "mwakaba", or
// "dyal", "dial" and "diyal", give one key. A final "ee" (or "ees") stays:
// it is French, where it makes a word feminine ("diplômée", "réfugiées").
// Tokens without a letter (numbers) are copied unchanged.
func foldLatin(dst []byte, tok string) []byte {
	if !hasASCIILetter(tok) {
		return append(dst, tok...)
	}
	var last byte // last byte written, 0 after a non-ASCII byte
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		switch c {
		case 's':
			if i+1 < len(tok) && tok[i+1] == 'h' {
				if last != 'c' {
					dst = append(dst, 'c')
				}
				c = 'h'
				last = 'c'
				i++
			}
		case 'o', 'w':
			c = 'u'
		case 'y':
			c = 'i'
		case 'q':
			c = '9'
		case '5':
			if last != 'k' {
				dst = append(dst, 'k')
			}
			c = 'h'
			last = 'k'
		}
		if c >= utf8.RuneSelf {
			dst = append(dst, c)
			last = 0
			continue
		}
		if c != last || c == 'e' && feminineEnd(tok, i) {
			dst = append(dst, c)
			last = c
		}
	}
	return dst
}

// feminineEnd reports whether tok[i], an "e" after an "e", ends the token
// or comes before its final "s".
func feminineEnd(tok string, i int) bool {
	return i == len(tok)-1 || i == len(tok)-2 && tok[len(tok)-1] == 's'
}

// stripArticle removes the Arabic article ال when a word of at least two
// letters remains.
func stripArticle(tok string) string {
	if rest, ok := strings.CutPrefix(tok, "ال"); ok && utf8.RuneCountInString(rest) >= 2 {
		return rest
	}
	return tok
}

// tokenKey appends the lexicon key of a normalised token.
func tokenKey(dst []byte, tok string) []byte {
	if isArabicToken(tok) {
		return append(dst, arabicKey(tok)...)
	}
	return foldLatin(dst, tok)
}

// arabicKey is the lexicon key of an Arabic token.
func arabicKey(tok string) string { return stripArticle(tok) }

// arabicClitic reports whether r is a one-letter proclitic of Arabic or
// Darija: و and, ف in/so, ب with, ل to, ك like, د of (Darija).
func arabicClitic(r rune) bool {
	switch r {
	case 'و', 'ف', 'ب', 'ل', 'ك', 'د':
		return true
	}
	return false
}

// arabicSuffixes are pronoun suffixes and the accusative alef that end
// Arabic and Darija words: مشروعي, تعاونيتنا, قرضا.
var arabicSuffixes = []string{"هم", "كم", "نا", "ها", "ي", "ك", "ه", "و", "ا"}

// arabicCandidates appends the forms of an Arabic token without its leading
// clitics (at most two, a word of at least three letters remaining), e.g.
// وبالفلاحة → بالفلاحة → الفلاحة, and للفلاحة → فلاحة; then the forms of
// the whole token without a pronoun suffix (تعاونيتي → تعاونيه).
func arabicCandidates(dst []string, tok string) []string {
	dst = arabicPrefixCandidates(dst, tok)
	for _, suf := range arabicSuffixes {
		stem, ok := strings.CutSuffix(tok, suf)
		if !ok {
			continue
		}
		// A three-letter stem only for the accusative alef (قرضا): نشري
		// is a verb, not النشر with a suffix.
		if n := utf8.RuneCountInString(stem); n < 3 || n == 3 && suf != "ا" {
			continue
		}
		if t, ok := strings.CutSuffix(stem, "ت"); ok {
			dst = arabicPrefixCandidates(dst, t+"ه") // taa marbuta before a suffix
		}
		// Every suffix that fits is tried: تكوينا is تكوين with the
		// accusative alef, not تكوي with نا.
		dst = arabicPrefixCandidates(dst, stem)
	}
	return dst
}

func arabicPrefixCandidates(dst []string, tok string) []string {
	dst = append(dst, tok)
	cur := tok
	for range 2 {
		if rest, ok := strings.CutPrefix(cur, "لل"); ok && utf8.RuneCountInString(rest) >= 2 {
			dst = append(dst, rest)
		}
		r, size := utf8.DecodeRuneInString(cur)
		if !arabicClitic(r) || utf8.RuneCountInString(cur[size:]) < 3 {
			break
		}
		cur = cur[size:]
		dst = append(dst, cur)
	}
	return dst
}

// latinPrefixes are Darija prepositions and articles glued to a word in
// Arabizi: "lfla7a", "ftanja", "elbanka", "blflous", "wlfla7a". A lone
// b, d or w is not stripped: too many words start so ("business").
var latinPrefixes = []string{"el", "al", "fl", "fel", "bl", "dl", "wl", "l", "f"}

// latinCandidates appends the forms of a normalised Latin token without a
// glued Darija prefix (a word of at least three characters remaining).
func latinCandidates(dst []string, tok string) []string {
	dst = append(dst, tok)
	if len(tok) < 4 {
		return dst
	}
	if c := tok[len(tok)-1]; c == 's' || c == 'x' { // French plural
		dst = append(dst, tok[:len(tok)-1])
	}
	switch tok[0] {
	case 'e', 'a', 'f', 'b', 'd', 'w', 'l': // the first letters of latinPrefixes
	default:
		return dst
	}
	for _, p := range latinPrefixes {
		if rest, ok := strings.CutPrefix(tok, p); ok && len(rest) >= 3 {
			dst = append(dst, rest)
		}
	}
	return dst
}

// Fold returns the lossy matching key of a text: Normalize, then each word
// as the lexicon compares it — Arabizi spelling variants merged (sh/ch,
// o/ou/w/u, y/i, q/9, 5/kh, doubled letters) and the Arabic article ال
// dropped. Spellings such as "mouwakaba"/"mowakaba" or "الفلاحة"/"فلاحة"
// get one key; other vowel changes ("machrou3"/"mochro3") still differ. For
// fuzzy search on top of Normalize: store Fold(text) beside the text and
// compare Fold(query) with it. Not meant for display.
func Fold(s string) string {
	n := Normalize(s)
	out := make([]byte, 0, len(n))
	for tok := range strings.SplitSeq(n, " ") {
		if tok == "" {
			continue
		}
		if len(out) > 0 {
			out = append(out, ' ')
		}
		out = tokenKey(out, tok)
	}
	return string(out)
}
