// Package dialog holds the question tree (model, loader, validator) and the
// engine that walks it. The engine is a pure function: it does no I/O, so
// transports and stores are plugged around it. Each node kind lives in its
// own file (kind.go, kind_<kind>.go); pending.go holds the answers awaited
// besides the question, paging.go the services shown page by page.
package dialog

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"go.yaml.in/yaml/v3"

	"github.com/dalil-tt/dalil/internal/lang"
	"github.com/dalil-tt/dalil/internal/vocab"
)

// Kind is what a node does. Each kind is one file, kind_<name>.go, which
// declares its constant and implements it (kind.go).
type Kind string

// Tree is one question tree, loaded from YAML.
type Tree struct {
	ID    string  `yaml:"id"`
	Label string  `yaml:"version,omitempty"` // a human label; Version below is what state records
	Start string  `yaml:"start"`
	Nodes []*Node `yaml:"nodes"`

	// Version is a short hash of the file's content: two different trees
	// never share it, and state and callback data record it.
	Version string `yaml:"-"`
	byID    map[string]*Node
}

// Node is one step of the tree.
type Node struct {
	ID   string    `yaml:"id"`
	Kind Kind      `yaml:"kind"`
	Text lang.Text `yaml:"text"`
	// Facet, on a choice or text question, is the facet the question asks:
	// the question is skipped when that facet is already known (from free
	// text), and a free-text answer must express it.
	Facet vocab.Facet `yaml:"facet,omitempty"`
	// When lists conditions that must all hold for the node to be shown;
	// otherwise the conversation goes straight to Next.
	When    []Condition `yaml:"when,omitempty"`
	Choices []*Choice   `yaml:"choices,omitempty"`
	Columns int         `yaml:"columns,omitempty"` // buttons per row, default 1
	Next    string      `yaml:"next,omitempty"`
	Line    int         `yaml:"-"` // line in the YAML file, for messages
}

// Choice is one button of a choice node.
type Choice struct {
	ID    string    `yaml:"id"`
	Label lang.Text `yaml:"label"`
	// Set adds these codes to what is known; Clear first empties facets
	// (a "another need" button clears the needs).
	Set   map[vocab.Facet][]string `yaml:"set,omitempty"`
	Clear []vocab.Facet            `yaml:"clear,omitempty"`
	// Next overrides the node's Next. Action "restart" starts over instead.
	Next   string `yaml:"next,omitempty"`
	Action string `yaml:"action,omitempty"`
}

// Condition holds when facet contains one of Any (need hierarchy applies:
// "funding" matches "funding.grant"), or, with Not, when it contains none.
type Condition struct {
	Facet vocab.Facet `yaml:"facet"`
	Any   []string    `yaml:"any"`
	Not   bool        `yaml:"not,omitempty"`
	// Exact turns the need hierarchy off: {needs, any: [funding], exact}
	// holds only while the kind of funding is still unknown.
	Exact bool `yaml:"exact,omitempty"`
}

// Holds reports whether the condition holds for codes.
func (c Condition) Holds(codes vocab.Codes) bool {
	have := codes.Get(c.Facet)
	found := false
	for _, want := range c.Any {
		for _, h := range have {
			if h == want || (!c.Exact && c.Facet == vocab.Needs && vocab.NeedCovers(want, h)) {
				found = true
			}
		}
	}
	return found != c.Not
}

// Node returns the node with id, or nil.
func (t *Tree) Node(id string) *Node { return t.byID[id] }

// Parse reads a tree from YAML. It reports syntax errors and the shape of
// the file; Validate reports everything else.
func Parse(data []byte) (*Tree, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var t Tree
	if err := dec.Decode(&t); err != nil {
		return nil, fmt.Errorf("parse tree: %w", err)
	}
	// A second pass over the raw nodes gives each tree node its line.
	if err := yaml.Unmarshal(data, &doc); err == nil {
		annotateLines(&doc, t.Nodes)
	}
	sum := sha256.Sum256(data)
	t.Version = hex.EncodeToString(sum[:])[:8]
	t.byID = make(map[string]*Node, len(t.Nodes))
	for _, n := range t.Nodes {
		if n == nil {
			continue
		}
		if _, dup := t.byID[n.ID]; !dup {
			t.byID[n.ID] = n
		}
	}
	return &t, nil
}

func annotateLines(doc *yaml.Node, nodes []*Node) {
	if len(doc.Content) == 0 {
		return
	}
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value != "nodes" {
			continue
		}
		seq := root.Content[i+1]
		for j, item := range seq.Content {
			if j < len(nodes) && nodes[j] != nil {
				nodes[j].Line = item.Line
			}
		}
	}
}
