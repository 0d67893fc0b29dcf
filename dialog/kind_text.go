package dialog

import (
	"github.com/dalil-tt/dalil/dialog/nlu"
	"github.com/dalil-tt/dalil/internal/vocab"
)

// KindText is a question answered in the user's own words.
const KindText Kind = "text"

// textKind implements KindText.
type textKind struct{}

func (textKind) name() Kind { return KindText }

func (textKind) traits() traits { return traits{question: true, help: "talk.help.text"} }

func (textKind) enter(st *step, n *Node) (string, bool) { return enterQuestion(st, n) }

func (textKind) ask(st *step, n *Node) { askText(st, n) }

func (textKind) validate(v *validator, n *Node) { needsNext(v, n) }

// answers are each code of the facet asked.
func (textKind) answers(n *Node) []vocab.Codes {
	var out []vocab.Codes
	for _, code := range vocab.Values[n.Facet] {
		var c vocab.Codes
		c.Set(n.Facet, code)
		out = append(out, c)
	}
	return out
}

func (textKind) named(*step, *Node, string, vocab.Codes, nlu.Result) bool { return false }

// freeText takes the message as the answer. An open question asking a
// facet gets one more try when the answer does not express it; then the
// conversation goes on regardless, so nobody is stuck on a question the
// lexicon cannot understand.
func (textKind) freeText(st *step, n *Node, text string, codes vocab.Codes) bool {
	if n.Facet != "" && !codes.Has(n.Facet) && st.s.Misses == 0 {
		if st.picking() {
			// Several values named: understood, and asked which one.
			st.codes(codes, text)
			return true
		}
		if !codes.Empty() && newCodes(st.s.Codes, codes).Empty() {
			// Only what is known again ("je suis à Tétouan"): understood,
			// so acknowledged rather than "not understood", but the one
			// more try is used all the same, or a description naming the
			// known province would be asked for again and again.
			st.known(codes)
			st.s.Misses = 1
			return true
		}
		if !codes.Empty() {
			// Something new, though not the answer ("je suis une
			// femme" asked for an activity): kept and acknowledged, then
			// the question again, with the one more try used.
			st.codes(codes, text)
			if st.s.Node == n.ID {
				st.s.Misses = 1
			}
			return true
		}
		st.miss()
		return true
	}
	st.note(text, !codes.Empty())
	st.advanceWith(n, codes, st.after(n))
	return true
}
