package dialog

import (
	"github.com/dalil-tt/dalil/dialog/nlu"
	"github.com/dalil-tt/dalil/internal/vocab"
)

// KindChoice is a question answered with buttons (free text understood too).
const KindChoice Kind = "choice"

// choiceKind implements KindChoice.
type choiceKind struct{}

func (choiceKind) name() Kind { return KindChoice }

func (choiceKind) traits() traits {
	return traits{question: true, buttons: true, help: "talk.help.choice"}
}

func (choiceKind) enter(st *step, n *Node) (string, bool) { return enterQuestion(st, n) }

// ask shows the question with a button per choice, Columns a row.
func (choiceKind) ask(st *step, n *Node) {
	r := Reply{Text: n.Text.In(st.s.Lang), Node: n.ID}
	cols := max(n.Columns, 1)
	var row []Button
	for _, c := range n.Choices {
		row = append(row, Button{Label: c.Label.In(st.s.Lang), Data: callbackData(st.e.Tree.Version, n.ID, c.ID)})
		if len(row) == cols {
			r.Buttons = append(r.Buttons, row)
			row = nil
		}
	}
	if len(row) > 0 {
		r.Buttons = append(r.Buttons, row)
	}
	st.replies = append(st.replies, st.withBack(r))
}

func (choiceKind) validate(v *validator, n *Node) { v.choices(n) }

// answers are the codes each choice adds ("none of these" and the like
// add nothing; a restart is no answer).
func (choiceKind) answers(n *Node) []vocab.Codes {
	var out []vocab.Codes
	for _, c := range n.Choices {
		if c.Action != "" {
			continue
		}
		out = append(out, choiceCodes(c))
	}
	return out
}

// named takes a button named by its label or number first ("Merci" may be
// one); a message about the conversation selects none by its codes.
func (choiceKind) named(st *step, n *Node, text string, codes vocab.Codes, r nlu.Result) bool {
	c := st.matchChoice(n, text, codes, r.Intent == "")
	if c == nil {
		return false
	}
	// Confirm what the message said beyond the button it named.
	if added := newCodes(st.s.Codes, codes); !newCodes(choiceCodes(c), added).Empty() {
		st.note(text, true)
		st.say(st.t("Understood", map[string]any{"List": st.describe(added)}))
	}
	st.choose(n, c, codes)
	return true
}

func (choiceKind) freeText(*step, *Node, string, vocab.Codes) bool { return false }
