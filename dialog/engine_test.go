package dialog_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"github.com/dalil-tt/dalil/catalogue"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/dalil-tt/dalil/dialog"
	"github.com/dalil-tt/dalil/dialog/nlu"
	"github.com/dalil-tt/dalil/internal/lang"
	"github.com/dalil-tt/dalil/internal/vocab"
)

var update = flag.Bool("update", false, "rewrite the expected replies of testdata/conversations")

// idTranslator shows message ids instead of texts, so scripted conversations
// test the engine's behaviour and not the wording of the locales.
type idTranslator struct{}

func (idTranslator) T(l lang.Lang, id string, data map[string]any) string {
	s := id + "/" + string(l)
	if len(data) > 0 {
		keys := make([]string, 0, len(data))
		for k := range data {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var kv []string
		for _, k := range keys {
			kv = append(kv, fmt.Sprintf("%s=%v", k, data[k]))
		}
		s += "{" + strings.Join(kv, ";") + "}"
	}
	return s
}

func testEngine(t testing.TB, file string) *dialog.Engine {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	tree, err := dialog.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if ps := dialog.Validate(tree); len(ps) > 0 {
		t.Fatalf("%s is not valid: %v", file, ps)
	}
	return &dialog.Engine{Tree: tree, NLU: nlu.Default(), T: idTranslator{}}
}

// script is one scripted conversation: inputs, and after each the replies
// expected and, optionally, the state.
type script struct {
	Tree string `yaml:"tree"`
	// Catalogue, when set, is a catalogue file (testdata) the engine asks
	// its questions by (Engine.Catalogue).
	Catalogue string `yaml:"catalogue,omitempty"`
	Steps     []struct {
		In  string   `yaml:"in"`
		Out []string `yaml:"out"`
		// Effects are the effects the step asks of the caller, in order
		// (EffectKind.String); none when left out.
		Effects []string   `yaml:"effects,omitempty"`
		State   *wantState `yaml:"state,omitempty"`
	} `yaml:"steps"`
}

type wantState struct {
	Lang string `yaml:"lang,omitempty"`
	Node string `yaml:"node,omitempty"`
	// Codes, when given, are all the codes known ({} asserts none).
	Codes *map[string][]string `yaml:"codes,omitempty"`
	// Pending, when given, is State.Pending in its string notation
	// (Pending.String; "" asserts none awaited).
	Pending *string `yaml:"pending,omitempty"`
	// Hist, when given, is the history for /back, oldest first, one frame
	// a line as frameLine writes it ([] asserts none).
	Hist *[]string `yaml:"hist,omitempty"`
	// Referred, when given, are the ids of the services shown, for the
	// adviser ([] asserts none).
	Referred *[]string `yaml:"referred,omitempty"`
	// Shown, when given, is how many services of the last list were shown
	// (-1 asserts no list).
	Shown *int `yaml:"shown,omitempty"`
}

// frameLine writes a frame on one line: its node, then +facet=codes added,
// -facet=codes removed, and the clarification it found awaited.
func frameLine(f dialog.Frame) string {
	s := f.Node
	for _, part := range []struct {
		sign  string
		codes vocab.Codes
	}{{"+", f.Added}, {"-", f.Removed}} {
		for _, fc := range vocab.Facets {
			if v := part.codes.Get(fc); len(v) > 0 {
				s += " " + part.sign + string(fc) + "=" + strings.Join(v, ",")
			}
		}
	}
	if f.Pick != nil {
		s += " " + dialog.Pending{Pick: f.Pick}.String()
	}
	return s
}

// input reads the script's notation: "/cmd arg" a command, "#label" a press
// of the button with that label on the last keyboard, "@data" raw callback
// data ({v} stands for the tree version), "!what" an unsupported message, "=facet:code" codes from the
// transport, ">id,id" the services the caller showed for the last referral
// (">3:id,id" from the 4th), "^id" a card's "send my request" button for
// service id, "&number" the person's own contact shared ("&?number"
// someone else's), anything else free text.
func input(t *testing.T, s string, keyboard []dialog.Button, version string) dialog.Input {
	s = strings.ReplaceAll(s, "{v}", version) // the tree version, in raw callback data
	switch {
	case strings.HasPrefix(s, "/"):
		name, arg, _ := strings.Cut(s[1:], " ")
		return dialog.Input{Kind: dialog.InCommand, Command: name, Text: arg}
	case strings.HasPrefix(s, "#"):
		for _, b := range keyboard {
			if b.Label == s[1:] {
				return dialog.Input{Kind: dialog.InButton, Data: b.Data}
			}
		}
		t.Fatalf("no button %q on the last keyboard %v", s[1:], keyboard)
	case strings.HasPrefix(s, "@"):
		return dialog.Input{Kind: dialog.InButton, Data: s[1:]}
	case strings.HasPrefix(s, "!"):
		return dialog.Input{Kind: dialog.InUnsupported, What: s[1:]}
	case strings.HasPrefix(s, ">"):
		in := dialog.Input{Kind: dialog.InShown}
		ids := s[1:]
		if from, rest, ok := strings.Cut(ids, ":"); ok {
			n, err := strconv.Atoi(from)
			if err != nil {
				t.Fatalf("bad index in %q", s)
			}
			in.From, ids = n, rest
		}
		if ids != "" {
			in.Shown = strings.Split(ids, ",")
		}
		return in
	case strings.HasPrefix(s, "^"):
		// A card's "send my request" button, with what the transport fills.
		svc := s[1:]
		return dialog.Input{Kind: dialog.InButton, Data: dialog.RequestData(svc), Target: &dialog.Target{
			Service: svc, Org: "org-" + svc, ServiceName: "Service " + svc, OrgName: "Org " + svc, FirstName: "Amina"}}
	case strings.HasPrefix(s, "&?"):
		return dialog.Input{Kind: dialog.InContact, Text: s[2:], What: "other"} // someone else's contact
	case strings.HasPrefix(s, "&"):
		return dialog.Input{Kind: dialog.InContact, Text: s[1:]} // the person's own number
	case strings.HasPrefix(s, "="):
		f, code, _ := strings.Cut(s[1:], ":")
		var c vocab.Codes
		c.Add(vocab.Facet(f), code)
		return dialog.Input{Kind: dialog.InCodes, Codes: c}
	}
	return dialog.Input{Kind: dialog.InText, Text: s}
}

// render writes a reply on one line: its text, then its buttons as
// [label] with rows separated by " / "; a referral as REFERRAL{codes}, and
// NOT{codes} when something is known not to hold, FROM n for a page that
// starts at the nth service; a yes/no question says what it asks.
func render(r dialog.Reply) string {
	if r.Referral != nil {
		b, _ := json.Marshal(r.Referral.Codes.Normalized())
		s := "REFERRAL " + strings.ReplaceAll(string(b), `[]`, `-`)
		if !r.Referral.Not.Empty() {
			b, _ := json.Marshal(r.Referral.Not.Normalized())
			s += " NOT " + strings.ReplaceAll(string(b), `[]`, `-`)
		}
		if r.From > 0 {
			s += " FROM " + strconv.Itoa(r.From+1)
		}
		return s
	}

	s := r.Text
	var rows []string
	for _, row := range r.Buttons {
		var labels []string
		for _, b := range row {
			labels = append(labels, "["+b.Label+"]")
		}
		rows = append(rows, strings.Join(labels, " "))
	}
	if len(rows) > 0 {
		s += " :: " + strings.Join(rows, " / ")
	}
	if r.YesNo != nil {
		s += " (yes/no " + string(r.YesNo.Facet) + ":" + r.YesNo.Code + ")"
	}
	if r.Contact != "" {
		s += " (contact button " + r.Contact + ")"
	}
	if r.RemoveKeyboard {
		s += " (keyboard removed)"
	}
	return s
}

// testCatalogue reads a catalogue file of testdata into memory.
func testCatalogue(t testing.TB, file string) *catalogue.Memory {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	services, err := catalogue.ReadCSV(f, file)
	if err != nil {
		t.Fatal(err)
	}
	return catalogue.NewMemory(services)
}

func TestConversations(t *testing.T) {
	files, err := filepath.Glob("testdata/conversations/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts in testdata/conversations: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".yaml"), func(t *testing.T) {
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var sc script
			if err := yaml.Unmarshal(raw, &sc); err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			eng := testEngine(t, filepath.Join("testdata", sc.Tree))
			if sc.Catalogue != "" {
				eng.Catalogue = testCatalogue(t, filepath.Join("testdata", sc.Catalogue))
			}
			st := eng.NewState()
			var keyboard []dialog.Button
			for i := range sc.Steps {
				step := &sc.Steps[i]
				in := input(t, step.In, keyboard, eng.Tree.Version)
				before, _ := json.Marshal(st)
				next, replies, effects := eng.Step(st, in)
				if after, _ := json.Marshal(st); string(after) != string(before) {
					t.Fatalf("step %d (%q): Step modified the state passed in", i+1, step.In)
				}
				// The state must survive its round trip through JSON (Redis).
				b, err := json.Marshal(next)
				if err != nil {
					t.Fatal(err)
				}
				var back dialog.State
				if err := json.Unmarshal(b, &back); err != nil {
					t.Fatal(err)
				}
				st = back
				var got []string
				for _, r := range replies {
					got = append(got, render(r))
					for _, row := range r.Buttons {
						if len(row) > 0 && r.Referral == nil {
							keyboard = nil
							break
						}
					}
				}
				for _, r := range replies {
					for _, row := range r.Buttons {
						keyboard = append(keyboard, row...)
					}
				}
				var gotEffects []string
				for _, e := range effects {
					gotEffects = append(gotEffects, effectLine(e))
				}
				if *update {
					step.Out, step.Effects = got, gotEffects
				} else {
					if !slices.Equal(got, step.Out) {
						t.Errorf("step %d (%q):\n got: %q\nwant: %q", i+1, step.In, got, step.Out)
					}
					if !slices.Equal(gotEffects, step.Effects) {
						t.Errorf("step %d (%q): effects %q, want %q", i+1, step.In, gotEffects, step.Effects)
					}
				}
				if w := step.State; w != nil {
					checkState(t, i+1, step.In, st, *w)
				}
			}
			if *update {
				out, err := rewriteScript(raw, sc)
				if err != nil {
					t.Fatalf("%s: %v", file, err)
				}
				if err := os.WriteFile(file, out, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// effectLine writes an effect on one line: its kind, and for a request
// everything it sends.
func effectLine(e dialog.Effect) string {
	d := e.Request
	if d == nil {
		return e.Kind.String()
	}
	facts, _ := json.Marshal(d.Facts.Normalized())
	return fmt.Sprintf("%s %s to %s: name=%q lang=%s facts=%s question=%q phone=%q followup=%v",
		e.Kind, d.Service, d.Org, d.FirstName, d.Lang, strings.ReplaceAll(string(facts), `[]`, `-`), d.Question, d.Phone, d.FollowUp)
}

// rewriteScript writes sc's expected replies and effects into the script
// raw, leaving everything else as written: the comments that say what a
// script or a step tests, and the state expected.
func rewriteScript(raw []byte, sc script) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	steps := mapValue(doc.Content[0], "steps")
	if steps == nil || len(steps.Content) != len(sc.Steps) {
		return nil, fmt.Errorf("steps not found")
	}
	for i, node := range steps.Content {
		if err := setValue(node, "out", sc.Steps[i].Out, "in"); err != nil {
			return nil, err
		}
		if err := setValue(node, "effects", sc.Steps[i].Effects, "out"); err != nil {
			return nil, err
		}
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(4)
	if err := enc.Encode(&doc); err != nil {
		return nil, err
	}
	return b.Bytes(), enc.Close()
}

// mapValue returns the value of key in mapping m, nil when absent.
func mapValue(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// setValue sets key in mapping m to v, placed after key after when new;
// an empty list of effects is left out.
func setValue(m *yaml.Node, key string, v []string, after string) error {
	var val yaml.Node
	if err := val.Encode(v); err != nil {
		return err
	}
	if v == nil && key == "out" {
		val = yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle}
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value != key {
			continue
		}
		if len(v) == 0 && key != "out" {
			m.Content = append(m.Content[:i], m.Content[i+2:]...)
			return nil
		}
		val.HeadComment, val.LineComment, val.FootComment = m.Content[i+1].HeadComment, m.Content[i+1].LineComment, m.Content[i+1].FootComment
		m.Content[i+1] = &val
		return nil
	}
	if len(v) == 0 && key != "out" {
		return nil
	}
	k := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}
	at := len(m.Content)
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == after {
			at = i + 2
		}
	}
	m.Content = append(m.Content[:at], append([]*yaml.Node{k, &val}, m.Content[at:]...)...)
	return nil
}

func checkState(t *testing.T, step int, in string, st dialog.State, w wantState) {
	t.Helper()
	if w.Lang != "" && string(st.Lang) != w.Lang {
		t.Errorf("step %d (%q): lang %q, want %q", step, in, st.Lang, w.Lang)
	}
	if w.Node != "" && st.Node != w.Node {
		t.Errorf("step %d (%q): node %q, want %q", step, in, st.Node, w.Node)
	}
	if w.Codes != nil {
		got := map[string][]string{}
		for _, f := range vocab.Facets {
			if v := slices.Sorted(slices.Values(st.Codes.Get(f))); len(v) > 0 {
				got[string(f)] = v
			}
		}
		want := map[string][]string{}
		for f, v := range *w.Codes {
			want[f] = slices.Sorted(slices.Values(v))
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("step %d (%q): codes %v, want %v", step, in, got, want)
		}
	}
	if w.Pending != nil && st.Pending.String() != *w.Pending {
		t.Errorf("step %d (%q): pending %q, want %q", step, in, st.Pending, *w.Pending)
	}
	if w.Referred != nil && !slices.Equal(st.Referred, *w.Referred) {
		t.Errorf("step %d (%q): referred %q, want %q", step, in, st.Referred, *w.Referred)
	}
	if w.Shown != nil {
		got := -1
		if st.List != nil {
			got = st.List.Shown
		}
		if got != *w.Shown {
			t.Errorf("step %d (%q): %d services of the list shown, want %d", step, in, got, *w.Shown)
		}
	}
	if w.Hist != nil {
		got := []string{}
		for _, f := range st.Hist {
			got = append(got, frameLine(f))
		}
		if !slices.Equal(got, *w.Hist) {
			t.Errorf("step %d (%q): hist %q, want %q", step, in, got, *w.Hist)
		}
	}
}
