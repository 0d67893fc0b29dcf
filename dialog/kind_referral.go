package dialog

// KindReferral shows the services matching the codes collected so far, then goes on to next.
const KindReferral Kind = "referral"

// referralKind implements KindReferral; the caller looks the services up
// (paging.go).
type referralKind struct {
	noText
	noAnswers
}

func (referralKind) name() Kind { return KindReferral }

func (referralKind) traits() traits { return traits{passes: true, refers: true, optionalText: true} }

func (referralKind) enter(st *step, n *Node) (string, bool) {
	if st.picking() {
		// Services are not looked up with a value still to pick: the
		// clarification first, then the referral.
		st.s.Node = n.ID
		st.ask()
		return "", true
	}
	if code := st.undecided(); code != "" {
		// A service reserved to a public the person has not spoken of
		// would be among the first shown: ask, then show.
		st.s.Node = n.ID
		st.askYesNo(code)
		return "", true
	}
	st.s.Asking, st.s.Resume, st.s.YesNos = "", "", 0
	if s := n.Text.In(st.s.Lang); s != "" {
		st.say(s)
	}
	st.refer()
	return n.Next, false
}

// ask, at a referral the conversation was held at by a clarification now
// settled or by a yes/no question: show the services, or ask what still
// decides them.
func (referralKind) ask(st *step, n *Node) { st.enter(n.ID) }

func (referralKind) validate(v *validator, n *Node) { needsNext(v, n) }
