package relevance

import (
	"context"
	"fmt"
	"strings"

	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/dialog"
	"github.com/dalil-tt/dalil/internal/vocab"
)

// Mode is how the persona talks to the bot.
type Mode int

const (
	// FreeText: /start, then the persona's text, then every question
	// answered from the facts.
	FreeText Mode = iota
	// Buttons: /start, the language button, then buttons only.
	Buttons
)

// Modes lists the modes in report order.
var Modes = []Mode{FreeText, Buttons}

func (m Mode) String() string {
	if m == Buttons {
		return "buttons"
	}
	return "free-text"
}

// MaxSteps bounds a run: a conversation that has not shown services after
// this many inputs is going round in circles.
const MaxSteps = 40

// Outcome is what a persona got from one run.
type Outcome struct {
	// Shown are the ids of the services of the first referral, in order.
	Shown []string
	// Relaxed are the facets the matcher dropped to find them.
	Relaxed []vocab.Facet
	// Questions counts the questions answered before the first referral:
	// tree questions, clarifications and yes/no questions, not the
	// language choice.
	Questions int
}

// Callback data prefixes of the engine's buttons (dialog/engine.go) that
// the harness needs to recognise.
const (
	dataLang   = "lang:"
	dataChoice = "c:"
	dataPick   = "k:"
)

// Run plays persona p through eng in the given mode until the first
// referral, answering every question truthfully from p's facts, and looks
// the referral up with m. A conversation that is handed to an adviser,
// gets stuck without a question, or runs past MaxSteps is an error.
func Run(ctx context.Context, eng *dialog.Engine, m catalogue.Matcher, p Persona, mode Mode) (Outcome, error) {
	var out Outcome
	state := eng.NewState()
	in := dialog.Input{Kind: dialog.InCommand, Command: "start"}
	sentText := false
	for step := 0; step < MaxSteps; step++ {
		if err := ctx.Err(); err != nil {
			return out, fmt.Errorf("persona %s: %w", p.ID, err)
		}
		var replies []dialog.Reply
		var effects []dialog.Effect
		state, replies, effects = eng.Step(state, in)
		for _, r := range replies {
			if r.Referral == nil {
				continue
			}
			res, err := m.Match(ctx, *r.Referral)
			if err != nil {
				return out, fmt.Errorf("persona %s: match: %w", p.ID, err)
			}
			for _, mt := range res.Matches {
				out.Shown = append(out.Shown, mt.Service.ID)
			}
			out.Relaxed = res.Relaxed
			return out, nil
		}
		for _, e := range effects {
			if e.Kind == dialog.EffectAdviser {
				return out, fmt.Errorf("persona %s: handed to an adviser after %d questions (%s)", p.ID, out.Questions, lastText(replies))
			}
		}
		q, ok := lastQuestion(replies)
		if !ok {
			return out, fmt.Errorf("persona %s: no question and no referral (%s)", p.ID, lastText(replies))
		}
		if isLanguageChoice(q) {
			// The language menu: the first message in free-text mode, the
			// button otherwise (and whenever the bot asks again).
			if mode == FreeText && !sentText {
				in = dialog.Input{Kind: dialog.InText, Text: p.Text}
				sentText = true
			} else {
				in = dialog.Input{Kind: dialog.InButton, Data: dataLang + string(p.Lang)}
			}
			continue
		}
		data, err := answer(eng, p, q)
		if err != nil {
			return out, fmt.Errorf("persona %s: %w", p.ID, err)
		}
		out.Questions++
		in = dialog.Input{Kind: dialog.InButton, Data: data}
	}
	return out, fmt.Errorf("persona %s: no referral after %d steps (%d questions)", p.ID, MaxSteps, out.Questions)
}

// lastQuestion is the last reply that carries buttons: the one awaiting
// an answer.
func lastQuestion(replies []dialog.Reply) (dialog.Reply, bool) {
	for i := len(replies) - 1; i >= 0; i-- {
		if len(replies[i].Buttons) > 0 {
			return replies[i], true
		}
	}
	return dialog.Reply{}, false
}

func isLanguageChoice(r dialog.Reply) bool {
	return r.Node == "" && len(r.Buttons[0]) > 0 && strings.HasPrefix(r.Buttons[0][0].Data, dataLang)
}

// answer returns the button the persona presses for question r.
func answer(eng *dialog.Engine, p Persona, r dialog.Reply) (string, error) {
	if facet, code, ok := yesNo(r); ok {
		if len(r.Buttons) == 0 || len(r.Buttons[0]) < 2 {
			return "", fmt.Errorf("yes/no question on %s=%s without two buttons", facet, code)
		}
		if p.Has(facet, code) {
			return r.Buttons[0][0].Data, nil
		}
		return r.Buttons[0][1].Data, nil
	}
	if r.Node != "" {
		return choose(eng, p, r)
	}
	// A clarification ("Tanger or Tétouan?"): the value true of them.
	var first string
	for _, row := range r.Buttons {
		for _, b := range row {
			rest, ok := strings.CutPrefix(b.Data, dataPick)
			if !ok {
				continue
			}
			code := rest[strings.LastIndexByte(rest, ':')+1:]
			for _, f := range vocab.SingleValued {
				if p.Has(f, code) {
					return b.Data, nil
				}
			}
			if first == "" {
				first = b.Data
			}
		}
	}
	if first != "" {
		return first, nil // none of the values is theirs: they take the first, as a hurried user would
	}
	return "", fmt.Errorf("cannot answer %q", r.Text)
}

// choose answers a tree question: the choice all of whose codes are true
// of the persona, the one with most codes first; else the choice that sets
// nothing ("other", "not decided", "none of these").
func choose(eng *dialog.Engine, p Persona, r dialog.Reply) (string, error) {
	n := eng.Tree.Node(r.Node)
	if n == nil {
		return "", fmt.Errorf("question %q is not in the tree", r.Node)
	}
	var best, none *dialog.Choice
	bestCodes := 0
	for _, c := range n.Choices {
		if c.Action != "" {
			continue
		}
		codes, all := 0, true
		for f, want := range c.Set {
			for _, code := range want {
				codes++
				all = all && p.Has(f, code)
			}
		}
		switch {
		case codes == 0 && none == nil:
			none = c
		case codes > 0 && all && codes > bestCodes:
			best, bestCodes = c, codes
		}
	}
	if best == nil {
		best = none
	}
	if best == nil {
		return "", fmt.Errorf("no answer to question %q fits the facts", n.ID)
	}
	suffix := ":" + n.ID + ":" + best.ID
	for _, row := range r.Buttons {
		for _, b := range row {
			if strings.HasPrefix(b.Data, dataChoice) && strings.HasSuffix(b.Data, suffix) {
				return b.Data, nil
			}
		}
	}
	return "", fmt.Errorf("question %q shows no button for choice %q", n.ID, best.ID)
}

// yesNo tells a yes/no eligibility question ("are you a woman?") and what
// it asks. Buttons[0][0] is yes, Buttons[0][1] no.
func yesNo(r dialog.Reply) (facet vocab.Facet, code string, ok bool) {
	if r.YesNo == nil {
		return "", "", false
	}
	return r.YesNo.Facet, r.YesNo.Code, true
}

// lastText is the last reply's text, shortened, for error messages.
func lastText(replies []dialog.Reply) string {
	if len(replies) == 0 {
		return "no reply"
	}
	t := []rune(replies[len(replies)-1].Text)
	if len(t) > 80 {
		t = append(t[:80], '…')
	}
	return fmt.Sprintf("last reply %q", string(t))
}
