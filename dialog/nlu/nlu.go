// Package nlu understands free text: it normalises French, Arabic and Darija
// (both scripts), recognises the language, and finds vocabulary codes with a
// lexicon shipped as data.
package nlu

import (
	"github.com/dalil-tt/dalil/catalogue/vocab"
	"github.com/dalil-tt/dalil/dialog/lang"
)

// Result is what one message expresses.
type Result struct {
	Lang  lang.Lang   `json:"lang"`
	Codes vocab.Codes `json:"codes"`
	// Matched lists the lexicon entries found, normalised, for debugging.
	Matched []string `json:"-"`
}
