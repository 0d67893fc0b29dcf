// Command dalil is Dalil's one binary: the Telegram bot, the terminal chat,
// and the staff's tools for trees and the catalogue. Each subcommand lives in
// a file of its own name (commandNamed lists them).
//
// `dalil serve` is wired in one place, Main (serve.go): it opens one Redis
// client and one PostgreSQL pool, runs the one migration step (migrateAll,
// migrate.go) and builds the parts from them: the catalogue, the dialog
// engine (openEngine, tree.go), the adviser desk (newDesk, handoff.go), the
// bot, the staff console (mountConsole, staff.go) and the HTTP server.
// Every setting is a row of the table in settings.go, read by loadConfig
// (config.go).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

const usage = `dalil — a referral assistant for project holders of Tanger-Tétouan-Al Hoceïma

Usage:
  dalil chat [--lang fr|ar|ary]       talk to the bot in the terminal (no services needed)
  dalil understand TEXT               print the language and codes a text expresses (JSON)
  dalil serve                         run the Telegram bot and the HTTP server (/healthz, /readyz, /metrics, /admin)
  dalil migrate                       bring the PostgreSQL schema up to date
  dalil catalogue import FILE|- [--dry-run] [--prune]   load a catalogue CSV (all or nothing)
  dalil catalogue import --demo       load the built-in demonstration catalogue
  dalil catalogue export [--format csv|hsds] [-o FILE]
  dalil catalogue search TEXT         try the catalogue search
  dalil catalogue generate N          write a synthetic catalogue (benchmarks)
  dalil tree validate FILE            check a question tree
  dalil tree publish FILE [--lexicon] store a tree (or lexicon) as the new live version
  dalil tree list | diff A B | rollback [VERSION]   [--lexicon]
  dalil staff add EMAIL --role editor|adviser|viewer
  dalil staff list | passwd | role | disable | enable
  dalil relevance [-v] [-personas FILE] [-catalogue FILE]   referral quality figures on the relevance test set
`

// command is one subcommand: it gets its arguments and the process's streams.
type command func(ctx context.Context, args []string, io stdio) error

type stdio struct {
	in       io.Reader
	out, err io.Writer
	getenv   func(string) string
}

// commandNamed returns the subcommand called name.
func commandNamed(name string) (command, bool) {
	switch name {
	case "chat":
		return runChat, true
	case "understand":
		return runUnderstand, true
	case "serve":
		return runServe, true
	case "migrate":
		return runMigrate, true
	case "catalogue":
		return runCatalogue, true
	case "tree":
		return runTree, true
	case "staff":
		return runStaff, true
	case "relevance":
		return runRelevance, true
	}
	return nil, false
}

// exitError carries an exit code without printing anything more.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

func main() {
	os.Exit(run(os.Args[1:], stdio{os.Stdin, os.Stdout, os.Stderr, envGetter()}))
}

func run(args []string, s stdio) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(s.out, usage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := commandNamed(args[0])
	if !ok {
		fmt.Fprintf(s.err, "dalil: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	setupLogging(s)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := cmd(ctx, args[1:], s); err != nil {
		var ee exitError
		if errors.As(err, &ee) {
			return ee.code
		}
		fmt.Fprintf(s.err, "dalil %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

// setupLogging sends structured logs to stderr; JSON when LOG_FORMAT=json.
func setupLogging(s stdio) {
	level := slog.LevelInfo
	_ = level.UnmarshalText([]byte(s.getenv("LOG_LEVEL")))
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewTextHandler(s.err, opts)
	if s.getenv("LOG_FORMAT") == "json" {
		h = slog.NewJSONHandler(s.err, opts)
	}
	slog.SetDefault(slog.New(h))
}

// notYet answers for a subcommand that a later piece of work brings.
func notYet(name string) command {
	return func(context.Context, []string, stdio) error {
		return fmt.Errorf("%s is not available yet in this build", name)
	}
}
