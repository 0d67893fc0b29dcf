package dialog

import (
	"strings"

	"github.com/dalil-tt/dalil/dialog/nlu"
	"github.com/dalil-tt/dalil/internal/vocab"
)

// Node kinds. What a kind does lives in one file (kind_choice.go,
// kind_text.go…) implementing nodeKind; the engine and the validator ask the
// kind, never switch on it. Adding a kind is its file, a line in kindTable
// and its nodes in the tree data.

// nodeKind is what the engine and the validator need of a kind.
type nodeKind interface {
	// name is the kind as written in the tree file.
	name() Kind
	// traits says how the rest of the engine treats the kind's nodes.
	traits() traits
	// enter runs node n, whose conditions hold, when the walk reaches it:
	// it says where the walk goes on, or wait when the conversation now
	// waits at n for the person.
	enter(st *step, n *Node) (next string, wait bool)
	// ask asks node n again: the conversation stands there.
	ask(st *step, n *Node)
	// validate adds the problems of n that are particular to its kind.
	validate(v *validator, n *Node)
	// answers are the codes each answer to n would add, for the
	// eligibility questions (eligibility.go); nil for a node asking nothing.
	answers(n *Node) []vocab.Codes
	// named handles a free text at n before its intent is read (a button
	// named by its label); handled false lets the text be read as usual.
	named(st *step, n *Node, text string, codes vocab.Codes, r nlu.Result) (handled bool)
	// freeText handles a free text at n that carries no intent (an open
	// question takes it as its answer); handled false: read as codes.
	freeText(st *step, n *Node, text string, codes vocab.Codes) (handled bool)
}

// traits are what the engine needs to know of a kind beyond its methods.
type traits struct {
	// question: the node asks the person (choice, text); skipped when its
	// facet is known, and ordered by how well it tells services apart.
	question bool
	// buttons: the question is answered with the node's choices; one with
	// no facet is a menu ("another need", "adviser"), which starts a new
	// run of questions.
	buttons bool
	// final: a path ends at the node (end, adviser); the conversation is
	// then between two.
	final bool
	// passes: the node needs nobody, the walk goes through it (info,
	// referral); a loop of such nodes would spin.
	passes bool
	// refers: the node shows services.
	refers bool
	// optionalText: the node may have no text (a referral shows the
	// services without an introduction).
	optionalText bool
	// help is the message id saying how to answer the question.
	help string
}

// kindTable lists the kinds, in the order the validator names them. A
// function rather than a variable: no package state anyone could change.
func kindTable() []nodeKind {
	return []nodeKind{choiceKind{}, textKind{}, infoKind{}, referralKind{}, adviserKind{}, endKind{}}
}

// kindOf returns the kind of n. A kind the validator would refuse (only
// a tree built in code without Validate has one) is run as an end.
func kindOf(n *Node) nodeKind {
	for _, k := range kindTable() {
		if k.name() == n.Kind {
			return k
		}
	}
	return endKind{}
}

// knownKind says whether k is a kind of kindTable.
func knownKind(k Kind) bool {
	for _, nk := range kindTable() {
		if nk.name() == k {
			return true
		}
	}
	return false
}

// kindNames lists the kinds for a message: "choice, text … or end".
func kindNames() string {
	table := kindTable()
	names := make([]string, len(table))
	for i, k := range table {
		names[i] = string(k.name())
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

func traitsOf(n *Node) traits { return kindOf(n).traits() }

// noText is the part of nodeKind a kind that reads no free text of its
// own embeds.
type noText struct{}

func (noText) named(*step, *Node, string, vocab.Codes, nlu.Result) bool { return false }
func (noText) freeText(*step, *Node, string, vocab.Codes) bool          { return false }

// noAnswers is the part of nodeKind a kind that asks nothing embeds.
type noAnswers struct{}

func (noAnswers) answers(*Node) []vocab.Codes { return nil }

// needsNext checks that a node the walk leaves by its next has one.
func needsNext(v *validator, n *Node) {
	if n.Next == "" {
		v.add(n, "a %s node needs next", n.Kind)
	}
}

// askText asks a node shown as its text alone, with a back button.
func askText(st *step, n *Node) {
	st.replies = append(st.replies, st.withBack(Reply{Text: n.Text.In(st.s.Lang), Node: n.ID}))
}

// enterQuestion is the walk reaching a question: skipped when its answer is
// known or would change nothing shown, else asked, or a later question
// that tells the services apart better is asked first (State.Resume).
func enterQuestion(st *step, n *Node) (string, bool) {
	if n.Facet != "" && st.s.Codes.Has(n.Facet) || !st.worthAsking(n) || st.e.Catalogue != nil && st.answered(n) {
		return n.Next, false
	}
	if m := st.ahead(n); m != n {
		st.s.Resume = n.ID
		n = m
	}
	st.s.Node = n.ID
	st.ask()
	return "", true
}

// askEnded says the conversation is over, with a button to start again.
func askEnded(st *step, n *Node) {
	st.replies = append(st.replies, Reply{Text: st.t("Ended", nil), Node: n.ID,
		Buttons: [][]Button{{{Label: st.t("ButtonRestart", nil), Data: dataRestart}}}})
}
