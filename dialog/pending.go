package dialog

import (
	"slices"
	"strings"

	"github.com/dalil-tt/dalil/internal/vocab"
)

// Pending is what the conversation awaits besides the tree's question: the
// confirmation of /forget, and which of several values named for a
// single-valued facet is the right one (a clarification). A clarification
// awaited when /forget came is held behind the confirmation (Forget and
// Pick both set), to be asked again if the user keeps their data.
type Pending struct {
	// Forget is true while the confirmation of /forget is awaited.
	Forget bool
	// Pick holds, facet by facet, the values to choose from; while Forget,
	// the clarification held behind the confirmation; nil when none. A
	// pointer: State and Frame are copied on every step, and mostly have none.
	Pick *vocab.Codes
	// Request is a request being prepared ("send my request", request.go):
	// its preview, question or follow-up answer awaited; nil when none.
	// Kept beside the others: /help or a sticker leave it awaited.
	Request *Draft
}

// Empty says whether nothing is awaited.
func (p Pending) Empty() bool { return !p.Forget && codesOf(p.Pick).Empty() && p.Request == nil }

// clone returns a deep copy.
func (p Pending) clone() Pending {
	return Pending{Forget: p.Forget, Pick: clonePick(p.Pick), Request: p.Request.clone()}
}

// codesOf is *c, no codes for nil.
func codesOf(c *vocab.Codes) vocab.Codes {
	if c == nil {
		return vocab.Codes{}
	}
	return *c
}

// clonePick returns a copy of the clarification c, nil when it holds none.
func clonePick(c *vocab.Codes) *vocab.Codes {
	if c == nil || c.Empty() {
		return nil
	}
	x := c.Clone()
	return &x
}

// Notation of the pending answer in states stored before it was typed
// (State.Pending was a string then): "forget", "pick:facet=a|b[;facet=c|d]",
// or "forget pick:…".
const (
	notationForget = "forget"
	notationPick   = "pick:"
)

// String writes p in the notation states stored before it was typed used,
// for test scripts and logs: "forget", "pick:provinces=a|b", "forget pick:…".
func (p Pending) String() string {
	var parts []string
	if p.Forget {
		parts = append(parts, notationForget)
	}
	if pk := codesOf(p.Pick); !pk.Empty() {
		parts = append(parts, pickString(pk))
	}
	if p.Request != nil {
		parts = append(parts, "request:"+p.Request.Service)
	}
	return strings.Join(parts, " ")
}

func pickString(c vocab.Codes) string {
	var b strings.Builder
	b.WriteString(notationPick)
	for _, f := range vocab.SingleValued {
		if v := c.Get(f); len(v) > 0 {
			if b.Len() > len(notationPick) {
				b.WriteByte(';')
			}
			b.WriteString(string(f))
			b.WriteByte('=')
			b.WriteString(strings.Join(v, "|"))
		}
	}
	return b.String()
}

// ParsePending reads the string notation (String): how states stored
// before Pending was typed recorded it. Facets that are not single-valued
// are dropped; codes are kept as written (an older vocabulary's codes are
// told apart when asked, see step.pick).
func ParsePending(s string) Pending {
	var p Pending
	if rest, ok := strings.CutPrefix(s, notationForget); ok && (rest == "" || rest[0] == ' ') {
		p.Forget = true
		s = strings.TrimPrefix(rest, " ")
	}
	rest, ok := strings.CutPrefix(s, notationPick)
	if !ok {
		return p
	}
	var pk vocab.Codes
	for part := range strings.SplitSeq(rest, ";") {
		f, v, _ := strings.Cut(part, "=")
		if slices.Contains(vocab.SingleValued, vocab.Facet(f)) {
			pk.Add(vocab.Facet(f), strings.Split(v, "|")...)
		}
	}
	p.Pick = clonePick(&pk)
	return p
}

// sameCodes says whether a and b hold the same codes in the same order.
func sameCodes(a, b vocab.Codes) bool {
	for _, f := range vocab.Facets {
		if !slices.Equal(a.Get(f), b.Get(f)) {
			return false
		}
	}
	return true
}

// pick returns the values of the clarification awaited (none while the
// confirmation of /forget holds it), without codes the vocabulary no
// longer has. The copy is the caller's.
func (st *step) pick() vocab.Codes {
	var c vocab.Codes
	if st.s.Pending.Forget {
		return c
	}
	for _, f := range vocab.SingleValued {
		for _, code := range codesOf(st.s.Pending.Pick).Get(f) {
			if vocab.Valid(f, code) {
				c.Add(f, code)
			}
		}
	}
	return c
}

// picking says whether a clarification is awaited with a value still to
// ask about: one naming only values the vocabulary no longer has (stored
// by an older version) is none, or a referral would wait for it forever.
func (st *step) picking() bool { return !st.pick().Empty() }

// clearPick drops the clarification awaited, also one held behind the
// confirmation of /forget.
func (st *step) clearPick() { st.s.Pending.Pick = nil }

// forgetting says whether the confirmation of /forget is awaited.
func (st *step) forgetting() bool { return st.s.Pending.Forget }

// resumeAfterForget ends the confirmation of /forget, if awaited, giving
// back the clarification it held, if any.
func (st *step) resumeAfterForget() { st.s.Pending.Forget = false }
