package dialog_test

import (
	"testing"

	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/dialog"
	"github.com/dalil-tt/dalil/dialog/nlu"
	"github.com/dalil-tt/dalil/dialog/trees"
	"github.com/dalil-tt/dalil/locales"
)

// BenchmarkStep measures one engine step on a button press in the middle of
// a conversation, and one on free text (understanding included).
func BenchmarkStep(b *testing.B) {
	eng := testEngine(b, "testdata/tree.yaml")
	st, _, _ := eng.Step(eng.NewState(), dialog.Input{Kind: dialog.InCommand, Command: "start"})
	st, _, _ = eng.Step(st, dialog.Input{Kind: dialog.InButton, Data: "lang:fr"})
	press := dialog.Input{Kind: dialog.InButton, Data: "c:" + eng.Tree.Version + ":stage:idea"}
	b.Run("button", func(b *testing.B) {
		for b.Loop() {
			eng.Step(st, press)
		}
	})
	text := dialog.Input{Kind: dialog.InText, Text: "je veux un microcrédit pour mon projet de poterie à Tétouan"}
	b.Run("text", func(b *testing.B) {
		for b.Loop() {
			eng.Step(st, text)
		}
	})
}

// BenchmarkStepWithCatalogue is BenchmarkStep on the default tree with a
// catalogue to ask by (Engine.Catalogue): every step weighs the questions
// ahead against the catalogue (catalogue.Split, Undecided). On the demo
// catalogue (what most deployments look like: hundreds of services) and on
// 100,000 generated services (the size the referral must stay fast at).
func BenchmarkStepWithCatalogue(b *testing.B) {
	for _, c := range []struct {
		name     string
		services []*catalogue.Service
	}{
		{"demo", catalogue.Demo()},
		{"100k", catalogue.Generate(100_000, 1)},
	} {
		tree, err := dialog.Parse(trees.Default)
		if err != nil {
			b.Fatal(err)
		}
		eng := &dialog.Engine{Tree: tree, NLU: nlu.Default(), T: locales.MustDefault(), Catalogue: catalogue.NewMemory(c.services)}
		st, _, _ := eng.Step(eng.NewState(), dialog.Input{Kind: dialog.InCommand, Command: "start"})
		st, replies, _ := eng.Step(st, dialog.Input{Kind: dialog.InButton, Data: "lang:fr"})
		text := dialog.Input{Kind: dialog.InText, Text: "je veux un microcrédit pour mon projet de poterie à Tétouan"}
		b.Run(c.name+"/text", func(b *testing.B) {
			for b.Loop() {
				eng.Step(st, text)
			}
		})
		// The first button of the first question asked.
		first := replies[len(replies)-1].Buttons[0][0].Data
		press := dialog.Input{Kind: dialog.InButton, Data: first}
		b.Run(c.name+"/first-answer", func(b *testing.B) {
			for b.Loop() {
				eng.Step(st, press)
			}
		})
	}
}
