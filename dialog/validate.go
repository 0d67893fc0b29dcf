package dialog

import (
	"fmt"
	"regexp"
	"slices"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/dalil-tt/dalil/internal/lang"
	"github.com/dalil-tt/dalil/internal/vocab"
)

// Telegram's limits, and ours for labels that stay readable on a phone.
const (
	MaxCallbackData = 64   // bytes of callback_data
	MaxMessage      = 4096 // UTF-16 code units of a message text
	MaxLabel        = 40   // characters of a button label
)

var idPattern = regexp.MustCompile(`^[a-z0-9_]+$`)

// Problem is one thing wrong with a tree, tied to the node it concerns
// ("" for the tree as a whole).
type Problem struct {
	Node string
	Line int
	Msg  string
}

func (p Problem) String() string {
	switch {
	case p.Node == "":
		return p.Msg
	case p.Line > 0:
		return fmt.Sprintf("node %q (line %d): %s", p.Node, p.Line, p.Msg)
	}
	return fmt.Sprintf("node %q: %s", p.Node, p.Msg)
}

// Validate lists every problem of the tree: unknown or unreachable nodes, a
// path that can never end, missing translations, empty or too long labels,
// codes outside the vocabulary, anything over Telegram's limits.
func Validate(t *Tree) []Problem {
	v := validator{t: t}
	v.tree()
	return v.problems
}

type validator struct {
	t        *Tree
	problems []Problem
}

func (v *validator) add(n *Node, format string, args ...any) {
	p := Problem{Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		p.Node, p.Line = n.ID, n.Line
	}
	v.problems = append(v.problems, p)
}

func (v *validator) tree() {
	t := v.t
	if t.ID == "" {
		v.add(nil, "tree: missing id")
	}
	if len(t.Nodes) == 0 {
		v.add(nil, "tree: no nodes")
		return
	}
	if t.Start == "" {
		v.add(nil, "tree: missing start")
	} else if t.Node(t.Start) == nil {
		v.add(nil, "tree: start %q is not a node", t.Start)
	}
	seen := map[string]bool{}
	for i, n := range t.Nodes {
		if n == nil {
			v.add(nil, "tree: node #%d is empty", i+1)
			continue
		}
		if n.ID == "" {
			v.add(nil, "tree: node #%d (line %d) has no id", i+1, n.Line)
			continue
		}
		if seen[n.ID] {
			v.add(n, "duplicate node id")
		}
		seen[n.ID] = true
		v.node(n)
	}
	v.reachability()
}

func (v *validator) node(n *Node) {
	if !idPattern.MatchString(n.ID) {
		v.add(n, "id must be lower case letters, digits and _")
	}
	known := knownKind(n.Kind)
	switch {
	case n.Kind == "":
		v.add(n, "missing kind")
	case !known:
		v.add(n, "unknown kind %q (want %s)", n.Kind, kindNames())
	}
	if !(known && traitsOf(n).optionalText && len(n.Text) == 0) {
		v.text(n, "text", n.Text)
	}
	if n.Facet != "" && !slices.Contains(vocab.Facets, n.Facet) {
		v.add(n, "unknown facet %q", n.Facet)
	}
	for _, c := range n.When {
		v.condition(n, c)
	}
	if n.Next != "" && v.t.Node(n.Next) == nil {
		v.add(n, "next %q is not a node", n.Next)
	}
	if known {
		kindOf(n).validate(v, n)
	}
	if !(known && traitsOf(n).buttons) && len(n.Choices) > 0 {
		v.add(n, "only a choice node has choices")
	}
	if (len(n.When) > 0 || n.Facet != "") && n.Next == "" && !(known && traitsOf(n).final) {
		v.add(n, "a node that can be skipped (facet or when) needs next")
	}
}

func (v *validator) text(n *Node, what string, t lang.Text) {
	for l := range t {
		if !slices.Contains(lang.All, l) {
			v.add(n, "%s: unknown language %q", what, l)
		}
	}
	for _, l := range lang.All {
		s := t[l]
		switch {
		case s == "":
			v.add(n, "%s: missing translation %q", what, l)
		case !utf8.ValidString(s):
			v.add(n, "%s (%s): not valid UTF-8", what, l)
		case len(utf16.Encode([]rune(s))) > MaxMessage:
			v.add(n, "%s (%s): %d characters, more than Telegram's %d", what, l, len(utf16.Encode([]rune(s))), MaxMessage)
		}
	}
}

func (v *validator) condition(n *Node, c Condition) {
	if !slices.Contains(vocab.Facets, c.Facet) {
		v.add(n, "when: unknown facet %q", c.Facet)
		return
	}
	if len(c.Any) == 0 {
		v.add(n, "when: facet %s lists no codes", c.Facet)
	}
	for _, code := range c.Any {
		if !vocab.Valid(c.Facet, code) {
			v.add(n, "when: code %q is not in the vocabulary of %s", code, c.Facet)
		}
	}
}

func (v *validator) choices(n *Node) {
	if len(n.Choices) == 0 {
		v.add(n, "a choice node needs choices")
		return
	}
	ids := map[string]bool{}
	for i, c := range n.Choices {
		if c == nil {
			v.add(n, "choice #%d is empty", i+1)
			continue
		}
		name := fmt.Sprintf("choice %q", c.ID)
		if c.ID == "" {
			name = fmt.Sprintf("choice #%d", i+1)
			v.add(n, "%s has no id", name)
		} else if !idPattern.MatchString(c.ID) {
			v.add(n, "%s: id must be lower case letters, digits and _", name)
		}
		if ids[c.ID] {
			v.add(n, "%s: duplicate choice id", name)
		}
		ids[c.ID] = true
		if data := callbackData(v.t.versionOrPlaceholder(), n.ID, c.ID); len(data) > MaxCallbackData {
			v.add(n, "%s: callback data %q is %d bytes, more than Telegram's %d (shorten the node or choice id)", name, data, len(data), MaxCallbackData)
		}
		for _, l := range lang.All {
			label := c.Label[l]
			switch {
			case label == "":
				v.add(n, "%s: missing label %q", name, l)
			case utf8.RuneCountInString(label) > MaxLabel:
				v.add(n, "%s: label (%s) is %d characters, more than %d", name, l, utf8.RuneCountInString(label), MaxLabel)
			}
		}
		for f, codes := range c.Set {
			if !slices.Contains(vocab.Facets, f) {
				v.add(n, "%s: set: unknown facet %q", name, f)
				continue
			}
			for _, code := range codes {
				if !vocab.Valid(f, code) {
					v.add(n, "%s: set: code %q is not in the vocabulary of %s", name, code, f)
				}
			}
		}
		for _, f := range c.Clear {
			if !slices.Contains(vocab.Facets, f) {
				v.add(n, "%s: clear: unknown facet %q", name, f)
			}
		}
		switch c.Action {
		case "":
			if c.Next == "" && n.Next == "" {
				v.add(n, "%s: no next (on the choice or the node)", name)
			}
		case ActionRestart:
		default:
			v.add(n, "%s: unknown action %q (want restart)", name, c.Action)
		}
		if c.Next != "" && v.t.Node(c.Next) == nil {
			v.add(n, "%s: next %q is not a node", name, c.Next)
		}
	}
}

// edges lists where a node can lead: its next, its choices' next, and the
// start for a restart.
func (t *Tree) edges(n *Node) []string {
	var out []string
	if n.Next != "" {
		out = append(out, n.Next)
	}
	for _, c := range n.Choices {
		if c == nil {
			continue
		}
		switch {
		case c.Action == ActionRestart:
			out = append(out, t.Start)
		case c.Next != "":
			out = append(out, c.Next)
		}
	}
	return out
}

func (v *validator) reachability() {
	t := v.t
	if t.Node(t.Start) == nil {
		return
	}
	reached := map[string]bool{t.Start: true}
	queue := []string{t.Start}
	for len(queue) > 0 {
		n := t.Node(queue[0])
		queue = queue[1:]
		if n == nil {
			continue
		}
		for _, next := range t.edges(n) {
			if !reached[next] && t.Node(next) != nil {
				reached[next] = true
				queue = append(queue, next)
			}
		}
	}
	for _, n := range t.Nodes {
		if n != nil && n.ID != "" && !reached[n.ID] {
			v.add(n, "unreachable from start %q", t.Start)
		}
	}
	// A node ends a path when it is an end or an adviser; a node can end when
	// one of its edges leads to a node that can. Going backwards from the
	// ends over reversed edges visits each edge once (a fixed point over
	// the node list took a pass per node of a long chain: quadratic).
	into := map[string][]string{} // node id -> ids of the nodes with an edge to it
	canEnd := map[string]bool{}
	var ends []string
	for _, n := range t.Nodes {
		if n == nil {
			continue
		}
		for _, next := range t.edges(n) {
			into[next] = append(into[next], n.ID)
		}
		if knownKind(n.Kind) && traitsOf(n).final && !canEnd[n.ID] {
			canEnd[n.ID] = true
			ends = append(ends, n.ID)
		}
	}
	for len(ends) > 0 {
		id := ends[len(ends)-1]
		ends = ends[:len(ends)-1]
		for _, from := range into[id] {
			if !canEnd[from] {
				canEnd[from] = true
				ends = append(ends, from)
			}
		}
	}
	for _, n := range t.Nodes {
		if n != nil && reached[n.ID] && !canEnd[n.ID] {
			v.add(n, "no path from here ever ends (add a way to an end or adviser node)")
		}
	}
	// Nodes that need no answer (info, referral) must not loop among
	// themselves: the engine would go round without waiting for the user.
	// Each such node has one way on (next), so following it from every
	// node would be quadratic on a long chain; instead each walk stops at a
	// node already settled and settles the whole path it took.
	const (
		walking = 1 + iota
		looping
		settled
	)
	state := map[*Node]int{}
	silent := func(n *Node) bool { return n != nil && knownKind(n.Kind) && traitsOf(n).passes }
	for _, n := range t.Nodes {
		if !silent(n) || state[n] != 0 {
			continue
		}
		var path []*Node
		verdict := settled
		for cur := n; silent(cur); cur = t.Node(cur.Next) {
			if s := state[cur]; s != 0 {
				if s == looping || s == walking {
					verdict = looping
				}
				break
			}
			state[cur] = walking
			path = append(path, cur)
		}
		for _, p := range path {
			state[p] = verdict
		}
	}
	for _, n := range t.Nodes {
		if silent(n) && state[n] == looping {
			v.add(n, "loops back to itself without asking anything")
		}
	}
}

// versionOrPlaceholder gives a version-sized string to measure callback
// data against, even for a tree built in code without Parse.
func (t *Tree) versionOrPlaceholder() string {
	if t.Version != "" {
		return t.Version
	}
	return "00000000"
}
