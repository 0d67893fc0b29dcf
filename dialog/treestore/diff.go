package treestore

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/dalil-tt/dalil/dialog"
)

// DiffLine is one line of a diff: Op is ' ' (in both), '-' (only in A) or
// '+' (only in B); ALine and BLine are 1-based line numbers (0 when absent).
type DiffLine struct {
	Op    byte
	Text  string
	ALine int
	BLine int
}

// LineDiff compares two texts line by line (longest common subsequence) and
// returns every line of both, in order. Trees and lexicons are a few hundred
// lines, so the quadratic table is small; the common head and tail are
// trimmed first, which leaves only the edited region for a typical change.
func LineDiff(a, b string) []DiffLine {
	al, bl := splitLines(a), splitLines(b)
	pre := 0
	for pre < len(al) && pre < len(bl) && al[pre] == bl[pre] {
		pre++
	}
	suf := 0
	for suf < len(al)-pre && suf < len(bl)-pre && al[len(al)-1-suf] == bl[len(bl)-1-suf] {
		suf++
	}
	am, bm := al[pre:len(al)-suf], bl[pre:len(bl)-suf]
	var out []DiffLine
	for i := 0; i < pre; i++ {
		out = append(out, DiffLine{' ', al[i], i + 1, i + 1})
	}
	// lcs[i][j] is the LCS length of am[i:] and bm[j:].
	n, m := len(am), len(bm)
	lcs := make([][]int32, n+1)
	for i := range lcs {
		lcs[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if am[i] == bm[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && am[i] == bm[j]:
			out = append(out, DiffLine{' ', am[i], pre + i + 1, pre + j + 1})
			i++
			j++
		case j < m && (i == n || lcs[i][j+1] > lcs[i+1][j]):
			out = append(out, DiffLine{'+', bm[j], 0, pre + j + 1})
			j++
		default:
			out = append(out, DiffLine{'-', am[i], pre + i + 1, 0})
			i++
		}
	}
	for k := 0; k < suf; k++ {
		out = append(out, DiffLine{' ', al[len(al)-suf+k], len(al) - suf + k + 1, len(bl) - suf + k + 1})
	}
	return out
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// Hunks keeps the changed lines of a diff with context lines around them,
// dropping the long unchanged stretches; nil when nothing changed.
func Hunks(d []DiffLine, context int) [][]DiffLine {
	keep := make([]bool, len(d))
	for i, l := range d {
		if l.Op == ' ' {
			continue
		}
		for k := max(i-context, 0); k <= min(i+context, len(d)-1); k++ {
			keep[k] = true
		}
	}
	var hunks [][]DiffLine
	var cur []DiffLine
	for i, l := range d {
		if keep[i] {
			cur = append(cur, l)
			continue
		}
		if cur != nil {
			hunks = append(hunks, cur)
			cur = nil
		}
	}
	if cur != nil {
		hunks = append(hunks, cur)
	}
	return hunks
}

// Unified renders a diff as unified-diff text with the given headers.
func Unified(d []DiffLine, nameA, nameB string, context int) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "--- %s\n+++ %s\n", nameA, nameB)
	for _, h := range Hunks(d, context) {
		a0, b0, an, bn := 0, 0, 0, 0
		for _, l := range h {
			if a0 == 0 && l.ALine > 0 {
				a0 = l.ALine
			}
			if b0 == 0 && l.BLine > 0 {
				b0 = l.BLine
			}
			if l.Op != '+' {
				an++
			}
			if l.Op != '-' {
				bn++
			}
		}
		fmt.Fprintf(&sb, "@@ -%d,%d +%d,%d @@\n", a0, an, b0, bn)
		for _, l := range h {
			sb.WriteByte(l.Op)
			sb.WriteString(l.Text)
			sb.WriteByte('\n')
		}
	}
	return sb.String()
}

// NodeChanges compares two trees node by node: the ids of the nodes only in
// b (added), only in a (removed), and in both with a different content
// (changed), each in file order. It reads what a line diff scatters: which
// questions an edit touched.
func NodeChanges(a, b []byte) (added, removed, changed []string, err error) {
	ta, err := dialog.Parse(a)
	if err != nil {
		return nil, nil, nil, err
	}
	tb, err := dialog.Parse(b)
	if err != nil {
		return nil, nil, nil, err
	}
	for _, n := range tb.Nodes {
		if n == nil {
			continue
		}
		old := ta.Node(n.ID)
		switch {
		case old == nil:
			added = append(added, n.ID)
		case !sameNode(old, n):
			changed = append(changed, n.ID)
		}
	}
	for _, n := range ta.Nodes {
		if n != nil && tb.Node(n.ID) == nil {
			removed = append(removed, n.ID)
		}
	}
	return added, removed, changed, nil
}

// sameNode compares two nodes' content, not their place in the file.
func sameNode(x, y *dialog.Node) bool {
	cx, cy := *x, *y
	cx.Line, cy.Line = 0, 0
	bx, errx := yaml.Marshal(&cx)
	by, erry := yaml.Marshal(&cy)
	return errx == nil && erry == nil && string(bx) == string(by)
}
