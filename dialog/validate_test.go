package dialog_test

import (
	"os"
	"strings"
	"testing"

	"github.com/dalil-tt/dalil/dialog"
	"github.com/dalil-tt/dalil/dialog/trees"
)

const validTree = `
id: v
start: ask
nodes:
  - id: ask
    kind: choice
    facet: needs
    text: {fr: "Q ?", ar: "س؟", ary: "شنو؟"}
    next: show
    choices:
      - {id: a, label: {fr: "A", ar: "أ", ary: "أ"}, set: {needs: [training]}}
  - id: show
    kind: referral
    next: bye
  - id: bye
    kind: end
    text: {fr: "Fin", ar: "نهاية", ary: "سالينا"}
`

func TestValidTreeHasNoProblem(t *testing.T) {
	tree, err := dialog.Parse([]byte(validTree))
	if err != nil {
		t.Fatal(err)
	}
	if ps := dialog.Validate(tree); len(ps) != 0 {
		t.Fatalf("problems in a valid tree: %v", ps)
	}
}

// Each broken tree is the valid one with one change; the validator must
// name the node and the problem.
func TestValidatorReportsEachProblemWithItsNode(t *testing.T) {
	cases := []struct {
		name, from, to string
		node, want     string
	}{
		{"unknown next", "next: bye", "next: nowhere", "show", `next "nowhere" is not a node`},
		{"unknown start", "start: ask", "start: nope", "", `start "nope" is not a node`},
		{"unreachable", "    next: bye\n", "    next: show\n  - id: lost\n    kind: end\n    text: {fr: a, ar: b, ary: c}\n", "lost", "unreachable"},
		{"never ends", "    next: bye\n", "    next: ask\n", "ask", "no path from here ever ends"},
		{"missing translation", `{fr: "Fin", ar: "نهاية", ary: "سالينا"}`, `{fr: "Fin", ar: "نهاية"}`, "bye", `missing translation "ary"`},
		{"empty label", `label: {fr: "A", ar: "أ", ary: "أ"}`, `label: {fr: "", ar: "أ", ary: "أ"}`, "ask", `missing label "fr"`},
		{"long label", `label: {fr: "A",`, `label: {fr: "Un libellé de bouton beaucoup trop long pour un téléphone",`, "ask", "more than 40"},
		{"code outside vocabulary", "needs: [training]", "needs: [money]", "ask", `code "money" is not in the vocabulary of needs`},
		{"unknown facet", "facet: needs", "facet: wishes", "ask", `unknown facet "wishes"`},
		{"callback data too long", "- {id: a,", "- {id: a_choice_id_that_is_far_too_long_for_telegram_callback_data,", "ask", "more than Telegram's 64"},
		{"message too long", `text: {fr: "Fin"`, `text: {fr: "` + strings.Repeat("é", 4100) + `"`, "bye", "more than Telegram's 4096"},
		{"unknown kind", "kind: end", "kind: finish", "bye", `unknown kind "finish"`},
		{"duplicate id", "  - id: bye\n", "  - id: show\n", "show", "duplicate node id"},
		{"condition code", "    facet: needs\n", "    facet: needs\n    when: [{facet: stages, any: [someday]}]\n", "ask", `when: code "someday"`},
		{"choice without next", "    next: show\n", "", "ask", "no next"},
		{"unknown action", "set: {needs: [training]}}", "action: explode}", "ask", `unknown action "explode"`},
		{"info loop", "    kind: referral\n    next: bye\n", "    kind: info\n    text: {fr: a, ar: b, ary: c}\n    next: show\n", "show", "loops back"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := strings.Replace(validTree, c.from, c.to, 1)
			if src == validTree {
				t.Fatalf("the case does not change the tree (no %q)", c.from)
			}
			tree, err := dialog.Parse([]byte(src))
			if err != nil {
				t.Fatal(err)
			}
			ps := dialog.Validate(tree)
			for _, p := range ps {
				if p.Node == c.node && strings.Contains(p.Msg, c.want) {
					return
				}
			}
			t.Fatalf("no problem %q on node %q; got %v", c.want, c.node, ps)
		})
	}
}

func TestParseRejectsUnknownFields(t *testing.T) {
	_, err := dialog.Parse([]byte(strings.Replace(validTree, "kind: end", "kind: end\n    colour: blue", 1)))
	if err == nil || !strings.Contains(err.Error(), "colour") {
		t.Fatalf("want an error naming the unknown field, got %v", err)
	}
}

func TestDefaultTreeIsValid(t *testing.T) {
	tree, err := dialog.Parse(trees.Default)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range dialog.Validate(tree) {
		t.Error(p)
	}
}

// The default tree asks at most six questions before the first referral,
// on any path (issue: "keep it short for the user").
func TestDefaultTreeIsShort(t *testing.T) {
	tree, err := dialog.Parse(trees.Default)
	if err != nil {
		t.Fatal(err)
	}
	var longest func(id string, seen map[string]bool) int
	longest = func(id string, seen map[string]bool) int {
		n := tree.Node(id)
		if n == nil || seen[id] || n.Kind == dialog.KindReferral || n.Kind == dialog.KindAdviser || n.Kind == dialog.KindEnd {
			return 0
		}
		seen[id] = true
		defer delete(seen, id)
		cost := 0
		if n.Kind == dialog.KindChoice || n.Kind == dialog.KindText {
			cost = 1
		}
		best := 0
		nexts := []string{n.Next}
		for _, c := range n.Choices {
			nexts = append(nexts, c.Next)
		}
		for _, next := range nexts {
			if next != "" {
				best = max(best, longest(next, seen))
			}
		}
		return cost + best
	}
	if got := longest(tree.Start, map[string]bool{}); got > 6 || got == 0 {
		t.Fatalf("the longest path asks %d questions before a referral, want 1 to 6", got)
	}
}

func FuzzParseTree(f *testing.F) {
	f.Add([]byte(validTree))
	f.Add(trees.Default)
	if b, err := os.ReadFile("testdata/tree.yaml"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("nodes: [{id: a, kind: choice, choices: [{}]}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tree, err := dialog.Parse(data)
		if err != nil {
			return
		}
		ps := dialog.Validate(tree) // must not panic, whatever the input
		if len(ps) == 0 && tree.Node(tree.Start) == nil {
			t.Fatalf("a tree without its start node passed validation")
		}
	})
}
