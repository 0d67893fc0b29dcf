package dialog_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dalil-tt/dalil/dialog"
)

// largeTree is a valid tree of n nodes in the shape that made validation
// quadratic: a long chain (each node's way to the end goes through all the
// later ones), of info nodes (each walked to check for loops), listed so
// that the end comes last.
func largeTree(n int) string {
	var b strings.Builder
	b.WriteString("id: large\nstart: n0\nnodes:\n")
	for i := 0; i < n-1; i++ {
		if i%3 == 2 {
			fmt.Fprintf(&b, "  - id: n%d\n    kind: choice\n    text: {fr: 'Q %d ?', ar: 'س %d؟', ary: 'س %d؟'}\n    choices:\n      - {id: go, label: {fr: 'Suite', ar: 'التالي', ary: 'زيد'}, next: n%d}\n", i, i, i, i, i+1)
			continue
		}
		fmt.Fprintf(&b, "  - id: n%d\n    kind: info\n    text: {fr: 'Étape %d', ar: 'مرحلة %d', ary: 'مرحلة %d'}\n    next: n%d\n", i, i, i, i, i+1)
	}
	fmt.Fprintf(&b, "  - id: n%d\n    kind: end\n    text: {fr: 'Fin', ar: 'نهاية', ary: 'سالينا'}\n", n-1)
	return b.String()
}

// The audit sent a 15,000-node tree to the console: validating it took
// 27 s of CPU. Validation is linear now.
func TestValidateLargeTreeIsFast(t *testing.T) {
	tree, err := dialog.Parse([]byte(largeTree(15000)))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	ps := dialog.Validate(tree)
	took := time.Since(start)
	if len(ps) != 0 {
		t.Fatalf("a valid tree has problems: %v", ps[:min(len(ps), 5)])
	}
	if took > time.Second {
		t.Fatalf("validating 15,000 nodes took %v, want well under a second", took)
	}
	t.Logf("15,000 nodes validated in %v", took)
}

// The linear checks find what the old ones found, in a large tree too: a
// loop of info nodes far down the chain, and a branch that never ends.
func TestValidateLargeTreeFindsDeepProblems(t *testing.T) {
	src := largeTree(3000)
	// n2998 (info) goes back to n2997 (info) instead of the end: a loop
	// without a question, from which nothing ends; n2999 is unreachable.
	src = strings.Replace(src, "next: n2999\n", "next: n2997\n", 1)
	tree, err := dialog.Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, p := range dialog.Validate(tree) {
		got[p.Node] = append(got[p.Node], p.Msg)
	}
	has := func(node, msg string) bool {
		for _, m := range got[node] {
			if strings.Contains(m, msg) {
				return true
			}
		}
		return false
	}
	if !has("n2999", "unreachable") || !has("n0", "no path from here ever ends") || !has("n2998", "loops back") || !has("n2997", "loops back") {
		t.Fatalf("problems: n0 %v, n2997 %v, n2998 %v, n2999 %v", got["n0"], got["n2997"], got["n2998"], got["n2999"])
	}
	// n2995 (info) leads to n2996, a choice: a question stops the walk.
	if has("n2995", "loops back") || has("n2996", "loops back") {
		t.Errorf("reported as looping: n2995 %v, n2996 %v", got["n2995"], got["n2996"])
	}
}

func BenchmarkValidateLargeTree(b *testing.B) {
	tree, err := dialog.Parse([]byte(largeTree(15000)))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		dialog.Validate(tree)
	}
}
