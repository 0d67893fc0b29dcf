package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/dialog/nlu"
	"github.com/dalil-tt/dalil/dialog/relevance"
)

// runRelevance plays the relevance test set through the built-in engine
// and prints the figures of issue 13 for each mode; it exits 1 when a
// harmful service is shown in a top 3 or a persona got no referral.
func runRelevance(ctx context.Context, args []string, s stdio) error {
	fs := flag.NewFlagSet("relevance", flag.ContinueOnError)
	fs.SetOutput(s.err)
	verbose := fs.Bool("v", false, "one line per persona: id, language, questions, top 3 with grade marks")
	personasFile := fs.String("personas", "", "test set `FILE` (YAML; default: the embedded one)")
	catalogueFile := fs.String("catalogue", "", "catalogue `FILE` (CSV; default: the embedded test catalogue)")
	if err := fs.Parse(args); err != nil {
		return exitError{2}
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(s.err, "dalil relevance: unexpected argument %q\n", fs.Arg(0))
		return exitError{2}
	}
	ps, err := relevance.DefaultPersonas()
	if *personasFile != "" {
		var data []byte
		if data, err = os.ReadFile(*personasFile); err == nil {
			ps, err = relevance.ParsePersonas(data)
		}
	}
	if err != nil {
		return fmt.Errorf("personas: %w", err)
	}
	services, err := relevance.DefaultCatalogue()
	if *catalogueFile != "" {
		services, err = readCatalogueFile(*catalogueFile, s.in)
	}
	if err != nil {
		return fmt.Errorf("catalogue: %w", err)
	}
	if errs := relevance.Validate(ps, services, nlu.Default()); len(errs) > 0 {
		return fmt.Errorf("the test set does not fit its catalogue:\n%w", errors.Join(errs...))
	}
	m := catalogue.NewMemory(services)
	eng, err := engineOn(m)
	if err != nil {
		return err
	}
	byID := relevance.Index(services)
	var sums []relevance.Summary
	bad := false
	for _, mode := range relevance.Modes {
		sum, err := relevance.Evaluate(ctx, eng, m, byID, ps, mode)
		if err != nil {
			return err
		}
		sums = append(sums, sum)
		bad = bad || len(sum.Harm) > 0 || len(sum.Failed) > 0
	}
	if err := relevance.WriteReport(s.out, sums, *verbose); err != nil {
		return err
	}
	if bad {
		return exitError{1}
	}
	return nil
}
