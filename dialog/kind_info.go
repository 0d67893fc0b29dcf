package dialog

// KindInfo is a message, then straight on to next.
const KindInfo Kind = "info"

// infoKind implements KindInfo.
type infoKind struct {
	noText
	noAnswers
}

func (infoKind) name() Kind { return KindInfo }

func (infoKind) traits() traits { return traits{passes: true} }

// enter says the message. The start's introduction invites people to write
// what they look for: someone who just did is not asked to again.
func (infoKind) enter(st *step, n *Node) (string, bool) {
	if n.ID != st.e.Tree.Start || st.s.Codes.Empty() {
		st.say(n.Text.In(st.s.Lang))
	}
	return n.Next, false
}

func (infoKind) ask(st *step, n *Node) { askText(st, n) }

func (infoKind) validate(v *validator, n *Node) { needsNext(v, n) }
