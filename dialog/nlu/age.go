package nlu

import (
	"strconv"
	"strings"
)

// Youth programmes in Morocco take people up to 35; an age said in the
// message ("j'ai 25 ans", "3ndi 22 3am", "عمري 30 سنة") makes a young
// project holder.
const youthMinAge, youthMaxAge = 15, 35

// agePrefixes are the words that put an age just before a number; a unit
// after it is then optional only for bareAgePrefixes.
var agePrefixes = map[string]bool{
	"ai": true, "3ndi": true, "3andi": true, "3endi": true, "عندي": true, "عمري": true,
	"3mri": true, "3omri": true, "3oumri": true, "age": true, "agee": true,
	// "j'ai" without its apostrophe, "3andi" without its 3, "من العمر"
	"jai": true, "andi": true, "aandi": true, "العمر": true,
}

// workWords, after an age ("j'ai 20 ans d'expérience", "3ndi 15 3am f
// lkhedma", "عندي 20 عام ديال الخبرة"), make it years of work, not of life;
// linkWords may come between.
var workWords = map[string]bool{
	"experience": true, "experiences": true, "anciennete": true, "metier": true,
	"tajriba": true, "tajrba": true, "khibra": true, "khebra": true, "lkhibra": true, "lkhebra": true,
	"khedma": true, "lkhedma": true, "khdma": true, "lkhdma": true, "mihna": true, "lmihna": true,
	"خبره": true, "الخبره": true, "تجربه": true, "التجربه": true, "المهنه": true, "مهنه": true,
	"الخدمه": true, "خدمه": true, "فالخدمه": true, "فالمهنه": true,
}

var linkWords = map[string]bool{
	"d": true, "de": true, "dans": true, "du": true, "dyal": true, "dial": true, "f": true, "fi": true,
	"ديال": true, "من": true, "في": true, "ف": true,
}

// ofWork reports whether the words from toks[i] on say what the years
// were of: work.
func ofWork(toks []string, i int) bool {
	for n := 0; n < 2 && i < len(toks) && linkWords[toks[i]]; n++ {
		i++
	}
	return i < len(toks) && workWords[toks[i]]
}

var ageUnits = map[string]bool{
	"ans": true, "an": true, "3am": true, "3em": true, "sna": true, "sana": true,
	"عام": true, "سنه": true, "سنين": true, "سنوات": true, "years": true,
}

// personWords, before "de N ans" ("une femme de 28 ans", "un homme de 52
// ans", "âgé de 30 ans"), make N the writer's age.
var personWords = map[string]bool{
	"age": true, "agee": true, "homme": true, "femme": true, "dame": true, "monsieur": true,
	"mere": true, "pere": true, "veuve": true, "veuf": true, "jeune": true,
}

// bareAgePrefixes need no unit after the number ("عمري 25", "âgé de 30").
var bareAgePrefixes = map[string]bool{
	"عمري": true, "3mri": true, "3omri": true, "3oumri": true, "age": true, "agee": true,
}

// Ages outside these bounds are taken for counts of something else.
const minStatedAge, maxStatedAge = 10, 99

// statedAge returns the writer's age said in normalised tokens, ok false
// when none is: PREFIX N UNIT ("j'ai 25 ans", "25ans" glued too, "3ndi 45
// 3am"), "عمري"/"âgé de" N, "من العمر" N UNIT, or a person "de N ans"
// ("une femme de 60 ans"). Years of work are no age ("j'ai 20 ans
// d'expérience").
func statedAge(toks []string) (age int, ok bool) {
	for i := 1; i < len(toks); i++ {
		prev := toks[i-1]
		if rest, ok := strings.CutPrefix(prev, "و"); ok && agePrefixes[rest] {
			prev = rest // وعمري، وعندي: "and my age"
		}
		if prev == "de" && i >= 2 && personWords[toks[i-2]] {
			prev = toks[i-2]
		}
		if !agePrefixes[prev] && !personWords[prev] {
			continue
		}
		num, glued := splitNumber(toks[i]) // "25" or "25ans"
		n, err := strconv.Atoi(num)
		if err != nil || n < minStatedAge || n > maxStatedAge || glued != "" && !ageUnits[glued] {
			continue
		}
		unit := glued != "" || i+1 < len(toks) && ageUnits[toks[i+1]]
		after := i + 1
		if glued == "" && unit {
			after = i + 2
		}
		if ofWork(toks, after) {
			continue
		}
		if unit || bareAgePrefixes[prev] {
			return n, true
		}
	}
	return 0, false
}

// statesYouthAge reports whether normalised tokens state the age of a
// young person (youthMinAge to youthMaxAge).
func statesYouthAge(toks []string) bool {
	n, ok := statedAge(toks)
	return ok && n >= youthMinAge && n <= youthMaxAge
}

// statesOlderAge reports whether normalised tokens state an age above the
// youth programmes' ("j'ai 50 ans", "3andi 45 3am", "عمري 52 سنة").
func statesOlderAge(toks []string) bool {
	n, ok := statedAge(toks)
	return ok && n > youthMaxAge
}

// splitNumber splits a token into its leading ASCII digits and the rest.
func splitNumber(tok string) (num, rest string) {
	i := 0
	for i < len(tok) && '0' <= tok[i] && tok[i] <= '9' {
		i++
	}
	return tok[:i], tok[i:]
}
