package dialog

// KindEnd is a closing message; the conversation can start again.
const KindEnd Kind = "end"

// endKind implements KindEnd.
type endKind struct {
	noText
	noAnswers
}

func (endKind) name() Kind { return KindEnd }

func (endKind) traits() traits { return traits{final: true} }

func (endKind) enter(st *step, n *Node) (string, bool) {
	st.s.Node, st.s.Ended = n.ID, true
	st.replies = append(st.replies, Reply{Text: n.Text.In(st.s.Lang), Node: n.ID, Buttons: [][]Button{{
		{Label: st.t("ButtonRestart", nil), Data: dataRestart},
	}}})
	return "", true
}

// ask: once ended, the conversation can start again; an end node not
// reached yet (only /back lands there) is asked like a message.
func (endKind) ask(st *step, n *Node) {
	if st.s.Ended {
		askEnded(st, n)
		return
	}
	askText(st, n)
}

func (endKind) validate(v *validator, n *Node) { noChoices(v, n) }
