package main

import (
	"context"
	"fmt"
	"os"

	"github.com/dalil-tt/dalil/dialog"
)

// runTree checks (and, with issue "Staff", publishes) question trees.
func runTree(ctx context.Context, args []string, s stdio) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: dalil tree validate|publish|list|rollback")
	}
	switch args[0] {
	case "validate":
		if len(args) != 2 {
			return fmt.Errorf("usage: dalil tree validate FILE")
		}
		return validateTree(args[1], s)
	case "publish", "list", "rollback", "diff":
		return notYet("tree " + args[0])(ctx, args[1:], s)
	}
	return fmt.Errorf("unknown tree command %q (want validate, publish, list, diff or rollback)", args[0])
}

// validateTree prints every problem of the tree in FILE, one per line, and
// exits 1 when there is any.
func validateTree(file string, s stdio) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("read tree: %w", err)
	}
	t, err := dialog.Parse(data)
	if err != nil {
		fmt.Fprintf(s.err, "%s: %v\n", file, err)
		return exitError{1}
	}
	problems := dialog.Validate(t)
	for _, p := range problems {
		fmt.Fprintf(s.out, "%s: %s\n", file, p)
	}
	if len(problems) > 0 {
		fmt.Fprintf(s.err, "%s: %d problem(s)\n", file, len(problems))
		return exitError{1}
	}
	fmt.Fprintf(s.out, "%s: tree %q version %s is valid (%d nodes)\n", file, t.ID, t.Version, len(t.Nodes))
	return nil
}
