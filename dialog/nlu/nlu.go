// Package nlu understands free text: it normalises French, Arabic and Darija
// (both scripts), recognises the language, and finds vocabulary codes with a
// lexicon shipped as data.
//
//   - Normalize is the one text normalisation of Dalil. Anything that compares
//     texts uses it on both sides: the catalogue search normalises catalogue
//     names and descriptions when it indexes them and the user's query when it
//     searches, the engine compares button labels with it. Fold is a lossier
//     key on top of it (Arabizi spelling variants, Arabic article) for fuzzy
//     search.
//   - DetectLang tells fr, ar (Modern Standard Arabic) and ary (Darija, in
//     Arabic script or in Arabizi).
//   - Lexicon.Understand finds the codes a message expresses; Default is the
//     lexicon embedded from dialog/trees/lexicon.yaml, whose header documents
//     the format staff edit. It also finds the Intent of a message about the
//     conversation itself (greeting, thanks, confusion, asking for a
//     person), from the phrases of dialog/trees/intents.yaml.
//
// Understanding is pure and fast (a 300-character message in a few tens of
// microseconds, see BenchmarkUnderstand300) and safe for concurrent use.
package nlu

import (
	"github.com/dalil-tt/dalil/internal/lang"
	"github.com/dalil-tt/dalil/internal/textnorm"
	"github.com/dalil-tt/dalil/internal/vocab"
)

// Result is what one message expresses.
type Result struct {
	Lang  lang.Lang   `json:"lang"`
	Codes vocab.Codes `json:"codes"`
	// Matched lists the lexicon entries found, normalised, for debugging.
	Matched []string `json:"-"`
	// Intent is what the message says about the conversation itself
	// (a greeting, thanks, not understanding, asking for a person), ""
	// when nothing or when it is about the project (see intents.go).
	// Not part of `dalil understand`'s output.
	Intent Intent `json:"-"`
	// Rest, with an Intent, holds the codes the text expresses outside its
	// intent phrases: what a request for a person also says of the
	// project ("parler à un conseiller pour un crédit"). Codes is still
	// everything the text expresses.
	Rest vocab.Codes `json:"-"`
	// IntentLang, for a message made only of intent phrases of one
	// language, is that language ("ahlan", "mafhamtch" are Darija though
	// nothing in them tells Lang so); "" otherwise.
	IntentLang lang.Lang `json:"-"`
	// Not holds the codes the text says do NOT hold of the writer: today
	// publics only ("je suis un homme": women; "j'ai 50 ans": youth; "je
	// ne suis pas diplômé", "ماشي معاق"). A public found both ways is in
	// neither. Not part of `dalil understand`'s output.
	Not vocab.Codes `json:"-"`
	// Outside is the first place of Morocco outside the region the text
	// names ("un café à Fès", "فكازا"), normalised, "" if none; the text
	// may name a province of the region too. Not part of `dalil
	// understand`'s output.
	Outside string `json:"-"`
}

// Normalize is the one text normalisation of Dalil (textnorm.Normalize):
// the catalogue's search uses it too, without depending on understanding.
func Normalize(s string) string { return textnorm.Normalize(s) }
