package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/dalil-tt/dalil/dialog/nlu"
)

// runUnderstand prints the language and the vocabulary codes a text
// expresses, as one JSON object (contract), so staff can test the lexicon.
func runUnderstand(_ context.Context, args []string, s stdio) error {
	text := strings.Join(args, " ")
	if strings.TrimSpace(text) == "" {
		return fmt.Errorf("usage: dalil understand TEXT")
	}
	out, err := nlu.Default().Understand(text).JSON()
	if err != nil {
		return fmt.Errorf("encode result: %w", err)
	}
	fmt.Fprintln(s.out, string(out))
	return nil
}
