package dialog

// KindAdviser hands the conversation to a person (the caller carries it out).
const KindAdviser Kind = "adviser"

// adviserKind implements KindAdviser: the handoff itself is the caller's
// (EffectAdviser).
type adviserKind struct {
	noText
	noAnswers
}

func (adviserKind) name() Kind { return KindAdviser }

func (adviserKind) traits() traits { return traits{final: true} }

func (adviserKind) enter(st *step, n *Node) (string, bool) {
	st.s.Node = n.ID
	st.say(n.Text.In(st.s.Lang))
	st.effects = append(st.effects, Effect{Kind: EffectAdviser})
	return "", true
}

// ask: the conversation went to an adviser; it can start again.
func (adviserKind) ask(st *step, n *Node) { askEnded(st, n) }

func (adviserKind) validate(v *validator, n *Node) { noChoices(v, n) }

// noChoices checks that a node that ends a path has no buttons.
func noChoices(v *validator, n *Node) {
	if len(n.Choices) > 0 {
		v.add(n, "a %s node has no choices", n.Kind)
	}
}
