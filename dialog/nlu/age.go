package nlu

import "strconv"

// Youth programmes in Morocco take people up to 35; an age said in the
// message ("j'ai 25 ans", "3ndi 22 3am", "عمري 30 سنة") makes a young
// project holder.
const youthMinAge, youthMaxAge = 15, 35

// agePrefixes are the words that put an age just before a number; a unit
// after it is then optional only for "عمري"/"age" ("عمري 25").
var agePrefixes = map[string]bool{
	"ai": true, "3ndi": true, "3andi": true, "3endi": true, "عندي": true, "عمري": true,
	"3mri": true, "3omri": true, "3oumri": true, "age": true, "agee": true,
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

// statesYouthAge reports whether normalised tokens state an age of a young
// person: PREFIX N UNIT ("j'ai 25 ans", "25ans" glued too), or "عمري"/"age"/
// "âgé de" N.
func statesYouthAge(toks []string) bool {
	for i := 1; i < len(toks); i++ {
		prev := toks[i-1]
		if prev == "de" && i >= 2 && (toks[i-2] == "age" || toks[i-2] == "agee") {
			prev = toks[i-2] // "âgé de 30 ans"
		}
		if !agePrefixes[prev] {
			continue
		}
		num, glued := splitNumber(toks[i]) // "25" or "25ans"
		n, err := strconv.Atoi(num)
		if err != nil || n < youthMinAge || n > youthMaxAge || glued != "" && !ageUnits[glued] {
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
		switch prev {
		case "عمري", "3mri", "3omri", "3oumri", "age", "agee":
			return true
		}
		if unit {
			return true
		}
	}
	return false
}

// splitNumber splits a token into its leading ASCII digits and the rest.
func splitNumber(tok string) (num, rest string) {
	i := 0
	for i < len(tok) && '0' <= tok[i] && tok[i] <= '9' {
		i++
	}
	return tok[:i], tok[i:]
}
