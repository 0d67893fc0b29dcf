package dialog

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/dalil-tt/dalil/internal/lang"
	"github.com/dalil-tt/dalil/internal/vocab"
)

// refPending is the pending answer as encoding/json would store it.
func refPending(p Pending) *pendingJSON {
	if !p.Forget && codesOf(p.Pick).Empty() {
		return nil
	}
	return &pendingJSON{Forget: p.Forget, Pick: pickPacked(pack(codesOf(p.Pick)))}
}

// refList is the last list shown as encoding/json would store it.
func refList(l *Listing) *listJSON {
	if l == nil {
		return nil
	}
	return &listJSON{Codes: pack(l.Codes), Not: pack(l.Not), Lang: string(l.Lang), Shown: l.Shown}
}

// refState encodes s with encoding/json: stateAlias carries every field of
// State with its tag, so a field added to State and forgotten by the hand
// written encoder makes this test fail.
func refState(t *testing.T, s State) []byte {
	a := stateAlias(s)
	hist := a.Hist
	a.Hist = nil
	b, err := json.Marshal(stateJSON{&a, refPending(s.Pending), refList(s.List), pack(s.Codes), pack(s.Not)})
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) == 0 {
		return b
	}
	// Frames by reflection too, spliced where encoding/json puts "h".
	type ref struct {
		*stateAlias
		Hist  []frameJSON `json:"h,omitempty"`
		Codes packed      `json:"c,omitempty"`
	}
	frames := make([]frameJSON, len(hist))
	for i, f := range hist {
		frames[i] = frameJSON{f.Node, pack(f.Added), pack(f.Removed), pickPacked(pack(codesOf(f.Pick))), f.YesNo}
	}
	// A shadowing field keeps encoding/json's field order of State only if
	// "h" sits where it does in State; rebuild the object key by key.
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	hb, _ := json.Marshal(frames)
	m["h"] = hb
	var out bytes.Buffer
	out.WriteByte('{')
	first := true
	for _, k := range []string{"v", "t", "l", "n", "h", "s", "m", "x", "e", "r", "q", "u", "y", "p", "w", "c", "o"} {
		v, ok := m[k]
		if !ok {
			continue
		}
		delete(m, k)
		if !first {
			out.WriteByte(',')
		}
		first = false
		kb, _ := json.Marshal(k)
		out.Write(kb)
		out.WriteByte(':')
		out.Write(v)
	}
	if len(m) > 0 {
		t.Fatalf("State has fields this test does not place: %v", m)
	}
	out.WriteByte('}')
	return out.Bytes()
}

var oddStrings = []string{"", "a", "création", "تمويل التعاونية", "bghit n7al", `quote " and \ back`,
	"<b>&amp;</b>", "line\nbreak\ttab\r\b\f\x00\x1f", "\u2028\u2029", "bad \xff\xfe utf8", "emoji 🙂", "\u200f\u2067rtl\u2069"}

func randomCodes(r *rand.Rand) vocab.Codes {
	var c vocab.Codes
	for _, f := range vocab.Facets {
		if r.IntN(3) == 0 {
			continue
		}
		vals := vocab.Values[f]
		n := r.IntN(3) + 1
		codes := make([]string, 0, n)
		for range n {
			codes = append(codes, vals[r.IntN(len(vals))])
		}
		if r.IntN(10) == 0 {
			codes = append(codes, oddStrings[r.IntN(len(oddStrings))])
		}
		c.Set(f, codes...)
	}
	return c
}

// randomPending is nothing awaited a quarter of the time, else a
// confirmation, a clarification or both.
func randomPending(r *rand.Rand) Pending {
	switch r.IntN(4) {
	case 0:
		return Pending{}
	case 1:
		return Pending{Forget: true}
	case 2:
		return Pending{Pick: randomPick(r)}
	}
	return Pending{Forget: true, Pick: randomPick(r)}
}

func randomPick(r *rand.Rand) *vocab.Codes {
	c := randomCodes(r)
	return clonePick(&c)
}

func randomState(r *rand.Rand) State {
	pick := func() string { return oddStrings[r.IntN(len(oddStrings))] }
	picks := func() []string {
		var v []string
		for range r.IntN(3) {
			v = append(v, pick())
		}
		return v
	}
	s := State{V: r.IntN(3), Tree: pick(), Lang: lang.Lang(pick()), Node: pick(), Source: pick(),
		Misses: r.IntN(3) - 1, Notes: picks(), Pending: randomPending(r), Ended: r.IntN(2) == 0, Referred: picks(),
		Codes: randomCodes(r), Not: randomCodes(r), Asking: pick(), Resume: pick(), YesNos: r.IntN(3)}
	if r.IntN(2) == 0 {
		s.List = &Listing{Codes: randomCodes(r), Not: randomCodes(r), Lang: lang.Lang(pick()), Shown: r.IntN(4)}
	}
	for range r.IntN(4) {
		s.Hist = append(s.Hist, Frame{Node: pick(), Added: randomCodes(r), Removed: randomCodes(r), Pick: randomPending(r).Pick, YesNo: pick()})
	}
	return s
}

// TestStateJSONMatchesEncodingJSON checks that the hand-written encoder
// writes byte for byte what encoding/json writes, and that it reads back.
func TestStateJSONMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 3000 {
		s := randomState(r)
		got, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		want := refState(t, s)
		if !bytes.Equal(got, want) {
			t.Fatalf("state %d:\n got %s\nwant %s", i, got, want)
		}
		if direct := s.AppendJSON(nil); !bytes.Equal(direct, want) {
			t.Fatalf("AppendJSON differs from MarshalJSON:\n got %s\nwant %s", direct, want)
		}
		var back State
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatal(err)
		}
		again, _ := json.Marshal(back)
		// Invalid UTF-8 comes back as U+FFFD, written as itself the second
		// time: the decoded state must encode as encoding/json would.
		if !bytes.Equal(again, refState(t, back)) || (!bytes.Contains(got, []byte(`\ufffd`)) && !bytes.Equal(again, got)) {
			t.Fatalf("round trip changed the state:\n got %s\nwant %s", again, got)
		}
	}
}

func TestFrameJSONMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 1000 {
		f := Frame{Node: oddStrings[r.IntN(len(oddStrings))], Added: randomCodes(r), Removed: randomCodes(r),
			Pick: randomPending(r).Pick}
		got, _ := json.Marshal(f)
		want, _ := json.Marshal(frameJSON{f.Node, pack(f.Added), pack(f.Removed), pickPacked(pack(codesOf(f.Pick))), f.YesNo})
		if !bytes.Equal(got, want) {
			t.Fatalf("got %s\nwant %s", got, want)
		}
	}
}

func BenchmarkStateJSON(b *testing.B) {
	s := randomState(rand.New(rand.NewPCG(5, 6)))
	b.ReportAllocs()
	buf := make([]byte, 0, 1024)
	for b.Loop() {
		buf = s.AppendJSON(buf[:0])
	}
}

// TestPendingStoredAsString reads states stored before Pending was typed,
// when it was a string ("forget pick:provinces=a|b") in the state and in
// its frames: they come back typed, and are written the new way.
func TestPendingStoredAsString(t *testing.T) {
	old := `{"v":1,"t":"abcd1234","l":"fr","n":"describe","h":[{"n":"stage","a":{"stages":["idea"]},"k":"pick:provinces=tanger-assilah|tetouan"}],` +
		`"p":"forget pick:provinces=tanger-assilah|tetouan;stages=idea|creation","c":{"stages":["idea"]}}`
	var s State
	if err := json.Unmarshal([]byte(old), &s); err != nil {
		t.Fatal(err)
	}
	want := vocab.Codes{Provinces: []string{"tanger-assilah", "tetouan"}, Stages: []string{"idea", "creation"}}
	if !s.Pending.Forget || !sameCodes(codesOf(s.Pending.Pick), want) {
		t.Errorf("pending %+v, want the confirmation of /forget holding %+v", s.Pending, want)
	}
	if len(s.Hist) != 1 || !sameCodes(codesOf(s.Hist[0].Pick), vocab.Codes{Provinces: []string{"tanger-assilah", "tetouan"}}) {
		t.Errorf("frames %+v, want the clarification kept in the frame", s.Hist)
	}
	b, _ := json.Marshal(s)
	const newPending = `"p":{"f":true,"k":{"provinces":["tanger-assilah","tetouan"],"stages":["idea","creation"]}}`
	if !bytes.Contains(b, []byte(newPending)) || !bytes.Contains(b, []byte(`"k":{"provinces":["tanger-assilah","tetouan"]}`)) {
		t.Errorf("written back as %s, want %s and the frame's clarification packed", b, newPending)
	}
	for _, c := range []struct {
		old  string
		want Pending
	}{
		{"", Pending{}},
		{"forget", Pending{Forget: true}},
		{"pick:forms=cooperative|company", Pending{Pick: &vocab.Codes{Forms: []string{"cooperative", "company"}}}},
		{"pick:needs=coaching;areas=rural|urban", Pending{Pick: &vocab.Codes{Areas: []string{"rural", "urban"}}}}, // needs is not single-valued
		{"forgotten", Pending{}},
	} {
		var s State
		raw, _ := json.Marshal(c.old)
		if err := json.Unmarshal([]byte(`{"v":1,"p":`+string(raw)+`}`), &s); err != nil {
			t.Fatal(err)
		}
		if s.Pending.Forget != c.want.Forget || !sameCodes(codesOf(s.Pending.Pick), codesOf(c.want.Pick)) {
			t.Errorf("%q read as %+v, want %+v", c.old, s.Pending, c.want)
		}
		if c.old != "forgotten" && s.Pending.String() != c.old && c.old != "pick:needs=coaching;areas=rural|urban" {
			t.Errorf("%q written in the old notation as %q", c.old, s.Pending.String())
		}
	}
}
