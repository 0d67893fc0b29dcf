package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/dalil-tt/dalil/dialog"
	"github.com/dalil-tt/dalil/dialog/treestore"
	"github.com/dalil-tt/dalil/locales"
)

const treeUsage = `usage:
  dalil tree validate FILE
  dalil tree publish FILE [--author A] [--comment C] [--lexicon]
  dalil tree list [--lexicon]
  dalil tree diff A B [--lexicon]
  dalil tree rollback [VERSION] [--author A] [--comment C] [--lexicon]
--lexicon works on the free-text lexicon instead of the question tree.`

// runTree checks, publishes, lists, compares and rolls back question trees
// (and, with --lexicon, lexicons) stored in PostgreSQL.
func runTree(ctx context.Context, args []string, s stdio) error {
	if len(args) == 0 {
		return fmt.Errorf("%s", treeUsage)
	}
	switch args[0] {
	case "validate":
		if len(args) != 2 {
			return fmt.Errorf("usage: dalil tree validate FILE")
		}
		return validateTree(args[1], s)
	case "publish", "list", "rollback", "diff":
		return treeVersions(ctx, args[0], args[1:], s)
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

// parseInterspersed parses flags placed before, between or after the
// positional arguments (`publish FILE --author A`), which flag.Parse alone
// does not.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// defaultAuthor names who runs a command when --author is not given.
func defaultAuthor(s stdio) string {
	for _, v := range []string{"DALIL_AUTHOR", "USER", "LOGNAME"} {
		if a := strings.TrimSpace(s.getenv(v)); a != "" {
			return a
		}
	}
	return "command line"
}

// openTreeStore opens and migrates the database named by DATABASE_URL
// (the step serve runs) for the tree versions.
func openTreeStore(ctx context.Context, s stdio) (*treestore.Store, func(), error) {
	pool, err := openDB(ctx, s)
	if err != nil {
		return nil, nil, err
	}
	return treestore.New(pool), pool.Close, nil
}

func treeVersions(ctx context.Context, sub string, args []string, s stdio) error {
	fs := flag.NewFlagSet("tree "+sub, flag.ContinueOnError)
	fs.SetOutput(s.err)
	author := fs.String("author", defaultAuthor(s), "who makes the change (recorded)")
	comment := fs.String("comment", "", "why (recorded)")
	lexicon := fs.Bool("lexicon", false, "work on the free-text lexicon")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return exitError{2}
	}
	kind := treestore.KindTree
	if *lexicon {
		kind = treestore.KindLexicon
	}
	usageErr := func() error { return fmt.Errorf("%s", treeUsage) }
	// Check the arguments before connecting.
	var nums []int
	switch sub {
	case "publish":
		if len(pos) != 1 {
			return usageErr()
		}
	case "list":
		if len(pos) != 0 {
			return usageErr()
		}
	case "diff", "rollback":
		if (sub == "diff" && len(pos) != 2) || (sub == "rollback" && len(pos) > 1) {
			return usageErr()
		}
		for _, p := range pos {
			n, err := strconv.Atoi(strings.TrimPrefix(p, "v"))
			if err != nil || n < 1 {
				return fmt.Errorf("%q is not a version number", p)
			}
			nums = append(nums, n)
		}
	}
	var content []byte
	if sub == "publish" {
		if content, err = os.ReadFile(pos[0]); err != nil {
			return fmt.Errorf("read %s: %w", kind, err)
		}
		// Refuse a broken file before needing the database.
		if ps := treestore.Check(kind, content); len(ps) > 0 {
			for _, p := range ps {
				fmt.Fprintf(s.out, "%s: %s\n", pos[0], p)
			}
			fmt.Fprintf(s.err, "%s: %d problem(s); nothing published\n", pos[0], len(ps))
			return exitError{1}
		}
	}
	st, closeStore, err := openTreeStore(ctx, s)
	if err != nil {
		return err
	}
	defer closeStore()
	switch sub {
	case "publish":
		v, err := st.Publish(ctx, kind, content, *author, *comment)
		if errors.Is(err, treestore.ErrUnchanged) {
			fmt.Fprintf(s.err, "%s: identical to the live %s; nothing published\n", pos[0], kind)
			return exitError{1}
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(s.out, "published %s version %d (%s) by %s; running bots switch to it within seconds\n", kind, v.N, v.ShortHash(), v.Author)
	case "list":
		vs, err := st.List(ctx, kind)
		if err != nil {
			return err
		}
		if len(vs) == 0 {
			fmt.Fprintf(s.out, "no %s published yet: the built-in one is live\n", kind)
			return nil
		}
		w := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "VERSION\tLIVE\tPUBLISHED (UTC)\tAUTHOR\tHASH\tCOMMENT")
		for _, v := range vs {
			live := ""
			if v.Live {
				live = "*"
			}
			c := v.Comment
			if v.Restores != 0 && !strings.Contains(c, "rollback") {
				c = fmt.Sprintf("(rollback to %d) %s", v.Restores, c)
			}
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\n", v.N, live, v.CreatedAt.UTC().Format("2006-01-02 15:04:05"), v.Author, v.ShortHash(), c)
		}
		return w.Flush()
	case "diff":
		d, err := st.Diff(ctx, kind, nums[0], nums[1])
		if err != nil {
			return err
		}
		if kind == treestore.KindTree {
			// Which nodes the edit touches, before the line diff.
			va, _ := st.Get(ctx, kind, nums[0])
			vb, _ := st.Get(ctx, kind, nums[1])
			if added, removed, changed, err := treestore.NodeChanges(va.Content, vb.Content); err == nil {
				for _, c := range []struct {
					what string
					ids  []string
				}{{"added", added}, {"removed", removed}, {"changed", changed}} {
					if len(c.ids) > 0 {
						fmt.Fprintf(s.out, "# nodes %s: %s\n", c.what, strings.Join(c.ids, ", "))
					}
				}
			}
		}
		fmt.Fprint(s.out, d)
	case "rollback":
		n := 0
		if len(nums) == 1 {
			n = nums[0]
		}
		v, err := st.Rollback(ctx, kind, n, *author, *comment)
		if errors.Is(err, treestore.ErrUnchanged) {
			fmt.Fprintf(s.err, "version %d is already the live %s\n", n, kind)
			return exitError{1}
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(s.out, "rolled back: %s version %d (content of version %d) is live\n", kind, v.N, v.Restores)
	}
	return nil
}

// openEngine gives the bot its dialog engine. With DATABASE_URL it runs on
// the live tree and lexicon published in PostgreSQL and follows every
// publish and rollback (followTrees, on every replica); without it, on the
// built-in ones.
func (m *Main) openEngine(ctx context.Context) error {
	if m.Trees == nil {
		e, err := engineOn(m.Ranker)
		if err != nil {
			return err
		}
		m.Engine = e
		return nil
	}
	tr, err := locales.Default()
	if err != nil {
		return fmt.Errorf("locales: %w", err)
	}
	cur, err := m.Trees.Current(ctx)
	if err != nil {
		// Answer on the built-in tree; the watcher switches when it can read.
		m.Log.ErrorContext(ctx, "cannot load the published tree; starting on the built-in one", "err", err)
		if cur, err = treestore.BuiltIn(); err != nil {
			return err
		}
	}
	m.live = treestore.NewLiveEngineWith(cur, tr, m.Ranker)
	m.Engine = m.live
	m.Log.InfoContext(ctx, "question tree", "tree_version", cur.TreeVersion.N, "lexicon_version", cur.LexiconVersion.N)
	return nil
}

// followTrees switches the live engine to each version published or rolled
// back, until ctx ends.
func (m *Main) followTrees(ctx context.Context) {
	m.Trees.Watch(ctx, func(l treestore.Live) {
		m.live.Set(l)
		m.Log.InfoContext(ctx, "live versions switched", "tree_version", l.TreeVersion.N, "tree_hash", l.TreeVersion.ShortHash(),
			"lexicon_version", l.LexiconVersion.N)
	}, treestore.WatchOptions{})
}
