package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/dialog"
	"github.com/dalil-tt/dalil/dialog/nlu"
	"github.com/dalil-tt/dalil/dialog/trees"
	"github.com/dalil-tt/dalil/internal/lang"
	"github.com/dalil-tt/dalil/locales"
)

// runChat talks to the bot in the terminal, on the built-in tree and demo
// catalogue, with no service at all: buttons become numbered choices.
func runChat(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("chat", flag.ContinueOnError)
	fs.SetOutput(s.err)
	langFlag := fs.String("lang", "", "start in this language: fr, ar or ary")
	if err := fs.Parse(args); err != nil {
		return exitError{2}
	}
	var start lang.Lang
	if *langFlag != "" {
		l, err := lang.Parse(*langFlag)
		if err != nil {
			return err
		}
		start = l
	}
	demo := catalogue.NewMemory(catalogue.Demo())
	eng, err := engineOn(demo)
	if err != nil {
		return err
	}
	c := &terminalChat{
		eng:     eng,
		matcher: demo,
		out:     s.out,
		state:   eng.NewState(),
		prompt:  isTerminal(s.in),
	}
	fmt.Fprintln(s.out, "Dalil — fictional demo catalogue, no real organisation (catalogue fictif / دليل خيالي للتجربة). Ctrl-D to quit.")
	c.send(ctx, dialog.Input{Kind: dialog.InCommand, Command: "start"})
	if start != "" {
		c.send(ctx, dialog.Input{Kind: dialog.InButton, Data: "lang:" + string(start)})
	}
	sc := bufio.NewScanner(s.in)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for {
		if c.prompt {
			fmt.Fprint(s.out, "> ")
		}
		if !sc.Scan() {
			break
		}
		if ctx.Err() != nil {
			break
		}
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		c.send(ctx, c.input(line))
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read input: %w", err)
	}
	return nil
}

// defaultEngine is the engine on the built-in tree, lexicon and locales.
// engineOn is the engine on the built-in tree that asks its questions by
// catalogue cat (nil: the tree as written).
func engineOn(cat catalogue.Ranker) (*dialog.Engine, error) {
	e, err := defaultEngine()
	if err != nil {
		return nil, err
	}
	e.Catalogue = cat
	return e, nil
}

func defaultEngine() (*dialog.Engine, error) {
	tree, err := dialog.Parse(trees.Default)
	if err != nil {
		return nil, fmt.Errorf("built-in tree: %w", err)
	}
	tr, err := locales.Load()
	if err != nil {
		return nil, fmt.Errorf("locales: %w", err)
	}
	return &dialog.Engine{Tree: tree, NLU: nlu.Default(), T: tr}, nil
}

type terminalChat struct {
	eng     *dialog.Engine
	matcher catalogue.Matcher
	out     io.Writer
	state   dialog.State
	buttons []dialog.Button // the numbered choices on screen
	prompt  bool
}

// input turns a typed line into what a Telegram user would have done: a
// number or a label presses the button, a slash sends a command.
func (c *terminalChat) input(line string) dialog.Input {
	if strings.HasPrefix(line, "/") {
		name, arg, _ := strings.Cut(strings.TrimPrefix(line, "/"), " ")
		return dialog.Input{Kind: dialog.InCommand, Command: strings.ToLower(name), Text: strings.TrimSpace(arg)}
	}
	if i, err := strconv.Atoi(line); err == nil && i >= 1 && i <= len(c.buttons) {
		return dialog.Input{Kind: dialog.InButton, Data: c.buttons[i-1].Data}
	}
	norm := nlu.Normalize(line)
	for _, b := range c.buttons {
		if norm != "" && nlu.Normalize(b.Label) == norm {
			return dialog.Input{Kind: dialog.InButton, Data: b.Data}
		}
	}
	return dialog.Input{Kind: dialog.InText, Text: line}
}

func (c *terminalChat) send(ctx context.Context, in dialog.Input) {
	state, replies, effects := c.eng.Step(c.state, in)
	c.state = state
	for _, r := range replies {
		if r.Referral != nil {
			c.referral(ctx, *r.Referral)
			continue
		}
		c.show(r)
	}
	for _, e := range effects {
		switch e.Kind {
		case dialog.EffectAdviser:
			fmt.Fprintln(c.out, "   (terminal demo: in Telegram, your conversation would now go to an adviser)")
		case dialog.EffectForget:
			c.state = c.eng.NewState()
		case dialog.EffectRequests:
			// The terminal sends no requests (no "send my request" button).
			c.show(dialog.Reply{Text: c.eng.T.T(orFR(c.state.Lang), "request.list.none", nil)})
		case dialog.EffectStop:
			c.show(dialog.Reply{Text: c.eng.T.T(orFR(c.state.Lang), "request.stop.none", nil)})
		}
	}
}

func (c *terminalChat) show(r dialog.Reply) {
	fmt.Fprintf(c.out, "\nDalil: %s\n", r.Text)
	if len(r.Buttons) == 0 {
		return
	}
	c.buttons = c.buttons[:0]
	for _, row := range r.Buttons {
		for _, b := range row {
			c.buttons = append(c.buttons, b)
			fmt.Fprintf(c.out, "  %2d. %s\n", len(c.buttons), b.Label)
		}
	}
}

func (c *terminalChat) referral(ctx context.Context, q catalogue.Query) {
	l := lang.Lang(q.Lang)
	res, err := c.matcher.Match(ctx, q)
	if err != nil {
		fmt.Fprintf(c.out, "\nDalil: %s\n", c.eng.T.T(l, "TechnicalError", nil))
		return
	}
	for _, text := range presentReferral(q, res, l, c.eng.T) {
		fmt.Fprintf(c.out, "\n%s\n", text)
	}
}

// presentReferral turns a match result into messages, as every transport
// shows it: a note when the search was widened or found nothing, then one
// card per service with why it is shown.
func presentReferral(q catalogue.Query, res catalogue.Result, l lang.Lang, tr dialog.Translator) []string {
	var out []string
	if note := catalogue.Note(q, res, l, tr); note != "" {
		out = append(out, note)
	}
	for i, m := range res.Matches {
		out = append(out, fmt.Sprintf("%d) %s", i+1, catalogue.MatchCard(m, l, tr)))
	}
	return out
}

func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func orFR(l lang.Lang) lang.Lang {
	if l == "" {
		return lang.FR
	}
	return l
}
