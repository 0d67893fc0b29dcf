package postgres

import (
	"slices"
	"strings"
)

// dictionary finds the catalogue's words similar to a query word with
// pg_trgm's similarity, computed in memory. The words are search-key words
// (lower-case ASCII letters and digits), so pg_trgm's trigrams are simply
// the three-character substrings of "  word " (two spaces before, one
// after), and similarity is shared trigrams over all distinct trigrams.
type dictionary struct {
	words  []string
	ntrgm  []uint16           // distinct trigrams of each word
	byTrgm map[string][]int32 // trigram -> words having it
}

// minSimilarity is pg_trgm's similarity threshold for a word to count as
// the same as a query word (pg_trgm's default, 0.3, lets unrelated short
// words in).
const minSimilarity = 0.4

// similarWords is the most words a query word is replaced by.
const similarWords = 8

// trigrams returns the distinct trigrams of word as pg_trgm makes them.
func trigrams(word string) []string {
	p := "  " + word + " "
	out := make([]string, 0, len(p)-2)
	for i := 0; i+3 <= len(p); i++ {
		out = append(out, p[i:i+3])
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func newDictionary(post map[string][]uint32) *dictionary {
	d := &dictionary{byTrgm: map[string][]int32{}}
	for w := range post {
		if !isDigits(w) {
			d.words = append(d.words, w)
		}
	}
	slices.Sort(d.words)
	for i, w := range d.words {
		t := trigrams(w)
		d.ntrgm = append(d.ntrgm, uint16(len(t)))
		for _, g := range t {
			d.byTrgm[g] = append(d.byTrgm[g], int32(i))
		}
	}
	return d
}

// similar returns the words at least minSimilarity similar to q (at most
// similarWords, most similar first), as matches of query word i.
func (d *dictionary) similar(i int, q string) []wordMatch {
	if strings.TrimSpace(q) == "" {
		return nil
	}
	tq := trigrams(q)
	shared := map[int32]uint16{}
	for _, g := range tq {
		for _, w := range d.byTrgm[g] {
			shared[w]++
		}
	}
	var out []wordMatch
	for w, c := range shared {
		sim := float32(c) / float32(len(tq)+int(d.ntrgm[w])-int(c))
		if sim >= minSimilarity {
			out = append(out, wordMatch{i, d.words[w], sim})
		}
	}
	slices.SortFunc(out, func(a, b wordMatch) int {
		if a.sim != b.sim {
			if a.sim > b.sim {
				return -1
			}
			return 1
		}
		return strings.Compare(a.word, b.word)
	})
	if len(out) > similarWords {
		out = out[:similarWords]
	}
	return out
}
