package relevance_test

import (
	"testing"

	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/dialog"
	"github.com/dalil-tt/dalil/dialog/nlu"
	"github.com/dalil-tt/dalil/dialog/relevance"
	"github.com/dalil-tt/dalil/dialog/trees"
	"github.com/dalil-tt/dalil/locales"
)

// defaultEngine is the engine the bot runs: built-in tree, lexicon and
// locales.
func defaultEngine(t testing.TB) *dialog.Engine {
	t.Helper()
	tree, err := dialog.Parse(trees.Default)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	return &dialog.Engine{Tree: tree, NLU: nlu.Default(), T: tr}
}

func testSet(t testing.TB) ([]relevance.Persona, []*catalogue.Service) {
	t.Helper()
	ps, err := relevance.DefaultPersonas()
	if err != nil {
		t.Fatal(err)
	}
	services, err := relevance.DefaultCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	return ps, services
}
