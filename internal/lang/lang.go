// Package lang names the three languages Dalil speaks with project holders.
package lang

import "fmt"

// Lang is a conversation language: French, Modern Standard Arabic or Moroccan
// Darija. Darija's ISO 639-3 code "ary" is used everywhere inside Dalil; only
// the locales package maps it to what go-i18n and Telegram accept.
type Lang string

const (
	FR  Lang = "fr"
	AR  Lang = "ar"
	ARY Lang = "ary"
)

// All lists the languages in the order they are offered.
var All = []Lang{FR, AR, ARY}

// Parse accepts "fr", "ar" or "ary".
func Parse(s string) (Lang, error) {
	switch Lang(s) {
	case FR, AR, ARY:
		return Lang(s), nil
	}
	return "", fmt.Errorf("unknown language %q (want fr, ar or ary)", s)
}

// RTL reports whether the language is written right to left. Darija is
// written in Arabic script in Dalil's replies.
func (l Lang) RTL() bool { return l == AR || l == ARY }

// Text is one user-visible text in each language.
type Text map[Lang]string

// In returns the text in l, falling back to French then Arabic so that a
// missing translation degrades instead of printing nothing (the validator
// reports it).
func (t Text) In(l Lang) string {
	if s := t[l]; s != "" {
		return s
	}
	if l == ARY && t[AR] != "" {
		return t[AR]
	}
	return t[FR]
}
