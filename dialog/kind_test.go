package dialog

import "testing"

// The kinds table names each kind once, and each kind's traits agree with
// what the walk needs: a node that passes waits for nobody, a final node
// is no question, only a question has a help text.
func TestKindTable(t *testing.T) {
	seen := map[Kind]bool{}
	for _, k := range kindTable() {
		if seen[k.name()] {
			t.Errorf("kind %q registered twice", k.name())
		}
		seen[k.name()] = true
		tr := k.traits()
		if tr.passes && (tr.final || tr.question) || tr.final && tr.question || tr.buttons && !tr.question {
			t.Errorf("kind %q: contradictory traits %+v", k.name(), tr)
		}
		if (tr.help != "") != tr.question {
			t.Errorf("kind %q: help %q, want one exactly for a question", k.name(), tr.help)
		}
		if got := kindOf(&Node{Kind: k.name()}); got.name() != k.name() {
			t.Errorf("kindOf(%q) is %q", k.name(), got.name())
		}
	}
	if got, want := kindNames(), "choice, text, info, referral, adviser or end"; got != want {
		t.Errorf("kinds named %q, want %q", got, want)
	}
	if knownKind("finish") || kindOf(&Node{Kind: "finish"}).name() != KindEnd {
		t.Error("an unknown kind must be unknown to the validator and run as an end")
	}
}
