package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/dalil-tt/dalil/locales"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/catalogue/postgres"
)

const catalogueUsage = `usage:
  dalil catalogue import FILE [--dry-run] [--prune]   load a catalogue CSV (all or nothing; FILE "-" is stdin)
  dalil catalogue import --demo [--dry-run]           load the built-in demo catalogue (also: dalil catalogue demo)
  dalil catalogue export [--format csv|hsds] [-o FILE]
  dalil catalogue generate N [--seed S] [-o FILE]     write a synthetic catalogue CSV of N services (benchmarks)
  dalil catalogue search TEXT [--limit N]             search names, descriptions and keywords (fr, ar, Arabizi, typos)
A service absent from a full import is marked inactive; --prune deletes it instead.`

// runCatalogue imports, exports and generates catalogues.
func runCatalogue(ctx context.Context, args []string, s stdio) error {
	if len(args) == 0 {
		return fmt.Errorf("%s", catalogueUsage)
	}
	switch args[0] {
	case "import":
		return catalogueImport(ctx, args[1:], s)
	case "demo":
		return catalogueImport(ctx, append([]string{"--demo"}, args[1:]...), s)
	case "export":
		return catalogueExport(ctx, args[1:], s)
	case "generate":
		return catalogueGenerate(args[1:], s)
	case "search":
		return catalogueSearch(ctx, args[1:], s)
	case "-h", "--help", "help":
		fmt.Fprintln(s.out, catalogueUsage)
		return nil
	}
	return fmt.Errorf("unknown catalogue command %q\n%s", args[0], catalogueUsage)
}

// openStore opens and migrates the database named by DATABASE_URL (the
// step serve runs) and the catalogue in it; closeStore closes both.
func openStore(ctx context.Context, s stdio) (st *postgres.Store, closeStore func(), err error) {
	pool, err := openDB(ctx, s)
	if err != nil {
		return nil, nil, err
	}
	st, err = postgres.New(ctx, pool, locales.MustDefault())
	if err != nil {
		pool.Close()
		return nil, nil, err
	}
	return st, func() { st.Close(); pool.Close() }, nil
}

func catalogueImport(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("catalogue import", flag.ContinueOnError)
	fs.SetOutput(s.err)
	dryRun := fs.Bool("dry-run", false, "check and report what would change, change nothing")
	prune := fs.Bool("prune", false, "delete the services absent from the file instead of marking them inactive")
	demo := fs.Bool("demo", false, "import the built-in demo catalogue")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return exitError{2}
	}
	var services []*catalogue.Service
	var name string
	switch {
	case *demo && len(pos) == 0:
		services, name = catalogue.Demo(), "demo catalogue"
	case !*demo && len(pos) == 1:
		name = pos[0]
		services, err = readCatalogueFile(name, s.in)
		var problems catalogue.Problems
		if errors.As(err, &problems) {
			for _, p := range problems {
				fmt.Fprintln(s.err, problemLine(p))
			}
			fmt.Fprintf(s.err, "%s: %d problem(s); nothing imported\n", name, len(problems))
			return exitError{1}
		}
		if err != nil {
			return err
		}
	default:
		return fmt.Errorf("%s", catalogueUsage)
	}

	st, closeStore, err := openStore(ctx, s)
	if err != nil {
		return err
	}
	defer closeStore()
	rep, err := st.Import(ctx, services, postgres.ImportOptions{Prune: *prune, DryRun: *dryRun})
	if errors.Is(err, postgres.ErrNothingToImport) {
		fmt.Fprintf(s.err, "%s: the file has no service; nothing imported (an empty import would deactivate the whole catalogue)\n", name)
		return exitError{1}
	}
	if err != nil {
		return err
	}
	verb := "imported"
	if rep.DryRun {
		verb = "dry run, nothing changed: would import"
	}
	fmt.Fprintf(s.out, "%s %s: %d services of %d organisations (%d new, %d updated, %d unchanged; %d absent from the file %s)\n",
		verb, name, rep.Services, rep.Organisations, rep.Inserted, rep.Updated, rep.Unchanged,
		rep.Deactivated+rep.Deleted, map[bool]string{false: "marked inactive", true: "deleted"}[*prune])
	return nil
}

// problemLine formats a problem as FILE:LINE:COLUMN: what is wrong. A
// problem about a whole line is given column 1.
func problemLine(p catalogue.Problem) string {
	msg := p.Msg
	if p.Field != "" {
		msg = p.Field + ": " + msg
	}
	return fmt.Sprintf("%s:%d:%d: %s", p.File, max(p.Line, 1), max(p.Column, 1), msg)
}

func readCatalogueFile(name string, stdin io.Reader) ([]*catalogue.Service, error) {
	if name == "-" {
		return catalogue.ReadCSV(stdin, "stdin")
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("opening the catalogue: %w", err)
	}
	defer f.Close()
	return catalogue.ReadCSV(f, name)
}

func catalogueExport(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("catalogue export", flag.ContinueOnError)
	fs.SetOutput(s.err)
	format := fs.String("format", "csv", "csv (the import format) or hsds (HSDS 3.0 JSON)")
	out := fs.String("o", "", "write to FILE instead of standard output")
	all := fs.Bool("all", false, "hsds: include inactive services (status inactive)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return exitError{2}
	}
	if len(pos) != 0 || (*format != "csv" && *format != "hsds") {
		return fmt.Errorf("%s", catalogueUsage)
	}
	st, closeStore, err := openStore(ctx, s)
	if err != nil {
		return err
	}
	defer closeStore()
	svcs, err := st.Services(ctx)
	if err != nil {
		return err
	}
	var keep []*catalogue.Service
	for _, sv := range svcs {
		// The CSV has no status column: inactive services stay out of it.
		if sv.Active || (*all && *format == "hsds") {
			keep = append(keep, sv)
		}
	}
	return writeOutput(*out, s.out, func(w io.Writer) error {
		if *format == "hsds" {
			return postgres.WriteHSDS(w, keep)
		}
		return catalogue.WriteCSV(w, keep)
	})
}

func catalogueGenerate(args []string, s stdio) error {
	fs := flag.NewFlagSet("catalogue generate", flag.ContinueOnError)
	fs.SetOutput(s.err)
	seed := fs.Int64("seed", 1, "random seed (the same seed gives the same catalogue)")
	out := fs.String("o", "", "write to FILE instead of standard output")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return exitError{2}
	}
	if len(pos) != 1 {
		return fmt.Errorf("%s", catalogueUsage)
	}
	n, err := strconv.Atoi(pos[0])
	if err != nil || n < 1 {
		return fmt.Errorf("generate: %q is not a positive number of services", pos[0])
	}
	return writeOutput(*out, s.out, func(w io.Writer) error {
		return catalogue.WriteCSV(w, catalogue.Generate(n, *seed))
	})
}

// writeOutput writes to stdout, or to file through a temporary file renamed
// at the end, so that a failed export never leaves half a file.
func writeOutput(file string, stdout io.Writer, write func(io.Writer) error) error {
	if file == "" || file == "-" {
		return write(stdout)
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), ".dalil-export-*")
	if err != nil {
		return fmt.Errorf("creating %s: %w", file, err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename it is gone already
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil { // CreateTemp makes it private; a catalogue is not
		tmp.Close()
		return fmt.Errorf("writing %s: %w", file, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", file, err)
	}
	if err := os.Rename(tmp.Name(), file); err != nil {
		return fmt.Errorf("writing %s: %w", file, err)
	}
	return nil
}

func catalogueSearch(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("catalogue search", flag.ContinueOnError)
	fs.SetOutput(s.err)
	limit := fs.Int("limit", 10, "most services shown")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return exitError{2}
	}
	if len(pos) == 0 {
		return fmt.Errorf("%s", catalogueUsage)
	}
	st, closeStore, err := openStore(ctx, s)
	if err != nil {
		return err
	}
	defer closeStore()
	hits, err := st.Search(ctx, strings.Join(pos, " "), *limit)
	if err != nil {
		return err
	}
	if len(hits) == 0 {
		fmt.Fprintln(s.out, "no service found")
		return nil
	}
	for _, h := range hits {
		fmt.Fprintf(s.out, "%.2f\t%s\t%s — %s\n", h.Score, h.Service.ID, h.Service.Org.NameFR, h.Service.NameFR)
	}
	return nil
}
