package dialog_test

import (
	"testing"

	"github.com/dalil-tt/dalil/dialog"
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
