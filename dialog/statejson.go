package dialog

import (
	"encoding/json"
	"slices"
	"strconv"

	"github.com/dalil-tt/dalil/internal/jsonenc"
	"github.com/dalil-tt/dalil/internal/lang"
	"github.com/dalil-tt/dalil/internal/vocab"
)

// A state is encoded on every update of every conversation, so it is
// written by hand, without reflection: the bytes are exactly what
// encoding/json would write for stateJSON (a test checks it), and it is
// read back with encoding/json.

// packed is Codes as stored: only the facets that hold codes, so a state
// stays a few hundred bytes (it lives in Redis for every conversation).
type packed map[vocab.Facet][]string

// facetsByName are the facets in the order encoding/json writes a packed
// map's keys: sorted.
var facetsByName = func() []vocab.Facet {
	fs := slices.Clone(vocab.Facets)
	slices.Sort(fs)
	return fs
}()

func (p packed) unpack() vocab.Codes {
	var c vocab.Codes
	for f, v := range p {
		c.Set(f, v...)
	}
	return c
}

// appendCodes writes c as its packed map; ok is false when c holds no code
// (the field is then left out).
func appendCodes(b []byte, key string, c vocab.Codes) []byte {
	first := true
	for _, f := range facetsByName {
		v := c.Get(f)
		if len(v) == 0 {
			continue
		}
		if first {
			b = append(b, ',', '"')
			b = append(b, key...)
			b = append(b, `":{`...)
			first = false
		} else {
			b = append(b, ',')
		}
		b = jsonenc.AppendString(b, string(f))
		b = append(b, ':')
		b = jsonenc.AppendStrings(b, v)
	}
	if !first {
		b = append(b, '}')
	}
	return b
}

type frameJSON struct {
	Node    string     `json:"n"`
	Added   packed     `json:"a,omitempty"`
	Removed packed     `json:"r,omitempty"`
	Pick    pickPacked `json:"k,omitempty"`
	YesNo   string     `json:"y,omitempty"`
}

// pickPacked is a clarification as stored: packed codes, or, in states
// stored before Pending was typed, its string notation ("pick:…").
type pickPacked packed

// UnmarshalJSON reads the packed codes or the older string notation.
func (p *pickPacked) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*p = pickPacked(pack(codesOf(ParsePending(s).Pick)))
		return nil
	}
	return json.Unmarshal(b, (*packed)(p))
}

// unpackPick reads a stored clarification, nil when none.
func unpackPick(p pickPacked) *vocab.Codes {
	c := packed(p).unpack()
	return clonePick(&c)
}

// pendingJSON is Pending as stored: {"f":true,"k":{facet:[codes]}}, left
// out when nothing is awaited.
type pendingJSON struct {
	Forget  bool       `json:"f,omitempty"`
	Pick    pickPacked `json:"k,omitempty"`
	Request *Draft     `json:"r,omitempty"`
}

// UnmarshalJSON reads the object, or the string notation of states stored
// before Pending was typed ("forget pick:provinces=a|b").
func (p *pendingJSON) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		old := ParsePending(s)
		*p = pendingJSON{Forget: old.Forget, Pick: pickPacked(pack(codesOf(old.Pick)))}
		return nil
	}
	type plain pendingJSON // without this method
	return json.Unmarshal(b, (*plain)(p))
}

func (p *pendingJSON) pending() Pending {
	if p == nil {
		return Pending{}
	}
	return Pending{Forget: p.Forget, Pick: unpackPick(p.Pick), Request: p.Request}
}

// listJSON is a Listing as stored.
type listJSON struct {
	Codes packed `json:"c,omitempty"`
	Not   packed `json:"o,omitempty"`
	Lang  string `json:"l,omitempty"`
	Shown int    `json:"n,omitempty"`
}

func (l *listJSON) listing() *Listing {
	if l == nil {
		return nil
	}
	return &Listing{Codes: l.Codes.unpack(), Not: l.Not.unpack(), Lang: lang.Lang(l.Lang), Shown: l.Shown}
}

// appendList writes the last list of services shown, left out when none.
func appendList(b []byte, l *Listing) []byte {
	if l == nil {
		return b
	}
	b = append(b, `,"w":{`...)
	n := len(b)
	b = appendCodes(b, "c", l.Codes)
	b = appendCodes(b, "o", l.Not)
	b = appendField(b, "l", string(l.Lang))
	if l.Shown != 0 {
		b = append(b, `,"n":`...)
		b = strconv.AppendInt(b, int64(l.Shown), 10)
	}
	if len(b) > n && b[n] == ',' {
		b = append(b[:n], b[n+1:]...) // no field before the first: drop its comma
	}
	return append(b, '}')
}

// pack is c as stored, nil when it holds no code.
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

// appendPending writes the pending answer, left out when none.
func appendPending(b []byte, p Pending) []byte {
	if p.Empty() {
		return b
	}
	b = append(b, `,"p":{`...)
	n := len(b)
	if p.Forget {
		b = append(b, `"f":true`...)
	}
	b = appendCodes(b, "k", codesOf(p.Pick))
	if p.Request != nil {
		raw, _ := json.Marshal(p.Request) // plain strings and codes: always encodes
		b = append(append(b, `,"r":`...), raw...)
	}
	if len(b) > n && b[n] == ',' {
		b = append(b[:n], b[n+1:]...) // no field before the first: drop its comma
	}
	return append(b, '}')
}

func (f *Frame) appendJSON(b []byte) []byte {
	b = append(b, `{"n":`...)
	b = jsonenc.AppendString(b, f.Node)
	b = appendCodes(b, "a", f.Added)
	b = appendCodes(b, "r", f.Removed)
	b = appendCodes(b, "k", codesOf(f.Pick))
	b = appendField(b, "y", f.YesNo)
	return append(b, '}')
}

// MarshalJSON stores only the facets that hold codes.
func (f Frame) MarshalJSON() ([]byte, error) {
	return f.appendJSON(make([]byte, 0, 64)), nil
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (f *Frame) UnmarshalJSON(b []byte) error {
	var j frameJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*f = Frame{Node: j.Node, Added: j.Added.unpack(), Removed: j.Removed.unpack(), Pick: unpackPick(j.Pick), YesNo: j.YesNo}
	return nil
}

type stateAlias State

type stateJSON struct {
	*stateAlias
	Pending *pendingJSON `json:"p,omitempty"`
	List    *listJSON    `json:"w,omitempty"`
	Codes   packed       `json:"c,omitempty"`
	Not     packed       `json:"o,omitempty"`
}

// AppendJSON appends the state's JSON form to b.
func (s *State) AppendJSON(b []byte) []byte {
	b = append(b, `{"v":`...)
	b = strconv.AppendInt(b, int64(s.V), 10)
	b = appendField(b, "t", s.Tree)
	b = appendField(b, "l", string(s.Lang))
	b = appendField(b, "n", s.Node)
	if len(s.Hist) > 0 {
		b = append(b, `,"h":[`...)
		for i := range s.Hist {
			if i > 0 {
				b = append(b, ',')
			}
			b = s.Hist[i].appendJSON(b)
		}
		b = append(b, ']')
	}
	b = appendField(b, "s", s.Source)
	if s.Misses != 0 {
		b = append(b, `,"m":`...)
		b = strconv.AppendInt(b, int64(s.Misses), 10)
	}
	if len(s.Notes) > 0 {
		b = append(b, `,"x":`...)
		b = jsonenc.AppendStrings(b, s.Notes)
	}
	if s.Ended {
		b = append(b, `,"e":true`...)
	}
	if len(s.Referred) > 0 {
		b = append(b, `,"r":`...)
		b = jsonenc.AppendStrings(b, s.Referred)
	}
	b = appendField(b, "q", s.Asking)
	b = appendField(b, "u", s.Resume)
	if s.YesNos != 0 {
		b = append(b, `,"y":`...)
		b = strconv.AppendInt(b, int64(s.YesNos), 10)
	}
	b = appendPending(b, s.Pending) // after State's own fields, as encoding/json writes stateJSON
	b = appendList(b, s.List)
	b = appendCodes(b, "c", s.Codes)
	b = appendCodes(b, "o", s.Not)
	return append(b, '}')
}

// MarshalJSON stores only the facets that hold codes.
func (s State) MarshalJSON() ([]byte, error) {
	return s.AppendJSON(make([]byte, 0, 256)), nil
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (s *State) UnmarshalJSON(b []byte) error {
	j := stateJSON{stateAlias: (*stateAlias)(s)}
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	s.Pending = j.Pending.pending()
	s.List = j.List.listing()
	s.Codes = j.Codes.unpack()
	s.Not = j.Not.unpack()
	return nil
}

// appendField writes a string field left out when empty (omitempty).
func appendField(b []byte, key, v string) []byte {
	if v == "" {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	return jsonenc.AppendString(b, v)
}
