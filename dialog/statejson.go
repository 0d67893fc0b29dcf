package dialog

import (
	"encoding/json"

	"github.com/dalil-tt/dalil/catalogue/vocab"
)

// packed is Codes as stored: only the facets that hold codes, so a state
// stays a few hundred bytes (it lives in Redis for every conversation).
type packed map[vocab.Facet][]string

func pack(c vocab.Codes) packed {
	var p packed
	for _, f := range vocab.Facets {
		if v := c.Get(f); len(v) > 0 {
			if p == nil {
				p = packed{}
			}
			p[f] = v
		}
	}
	return p
}

func (p packed) unpack() vocab.Codes {
	var c vocab.Codes
	for f, v := range p {
		c.Set(f, v...)
	}
	return c
}

type frameJSON struct {
	Node    string `json:"n"`
	Added   packed `json:"a,omitempty"`
	Removed packed `json:"r,omitempty"`
}

// MarshalJSON stores only the facets that hold codes.
func (f Frame) MarshalJSON() ([]byte, error) {
	return json.Marshal(frameJSON{f.Node, pack(f.Added), pack(f.Removed)})
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (f *Frame) UnmarshalJSON(b []byte) error {
	var j frameJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*f = Frame{Node: j.Node, Added: j.Added.unpack(), Removed: j.Removed.unpack()}
	return nil
}

type stateAlias State

type stateJSON struct {
	*stateAlias
	Codes packed `json:"c,omitempty"`
}

// MarshalJSON stores only the facets that hold codes.
func (s State) MarshalJSON() ([]byte, error) {
	a := stateAlias(s)
	return json.Marshal(stateJSON{&a, pack(s.Codes)})
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (s *State) UnmarshalJSON(b []byte) error {
	j := stateJSON{stateAlias: (*stateAlias)(s)}
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	s.Codes = j.Codes.unpack()
	return nil
}
