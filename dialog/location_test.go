package dialog_test

import (
	"testing"

	"github.com/dalil-tt/dalil/dialog"
	"github.com/dalil-tt/dalil/dialog/nlu"
	"github.com/dalil-tt/dalil/dialog/trees"
	"github.com/dalil-tt/dalil/internal/lang"
	"github.com/dalil-tt/dalil/locales"
)

// A shared location outside the region is answered, in each language, with
// what the bot covers and how to name the province, then the question.
func TestLocationOutsideRegion(t *testing.T) {
	cat := locales.MustDefault()
	tree, err := dialog.Parse(trees.Default)
	if err != nil {
		t.Fatal(err)
	}
	eng := &dialog.Engine{Tree: tree, NLU: nlu.Default(), T: cat}
	for _, l := range lang.All {
		if !cat.Has(l, "LocationOutsideRegion") {
			t.Errorf("LocationOutsideRegion missing in %s", l)
			continue
		}
		st := eng.NewState()
		st, _, _ = eng.Step(st, dialog.Input{Kind: dialog.InCommand, Command: "start"})
		st, _, _ = eng.Step(st, dialog.Input{Kind: dialog.InButton, Data: "lang:" + string(l)})
		st, replies, _ := eng.Step(st, dialog.Input{Kind: dialog.InUnsupported, What: dialog.WhatLocation})
		if len(replies) != 2 {
			t.Fatalf("%s: %d replies, want the message and the question", l, len(replies))
		}
		if want := cat.T(l, "LocationOutsideRegion", nil); replies[0].Text != want {
			t.Errorf("%s: first reply %q, want %q", l, replies[0].Text, want)
		}
		if replies[1].Node != "stage" || st.Node != "stage" {
			t.Errorf("%s: asks %q (state at %q), want the stage question again", l, replies[1].Node, st.Node)
		}
	}
	// Other unsupported messages keep their own answer.
	st := eng.NewState()
	st, _, _ = eng.Step(st, dialog.Input{Kind: dialog.InButton, Data: "lang:fr"})
	_, replies, _ := eng.Step(st, dialog.Input{Kind: dialog.InUnsupported, What: "sticker"})
	if len(replies) == 0 || replies[0].Text != cat.T(lang.FR, "Unsupported", nil) {
		t.Errorf("sticker: replies %v, want Unsupported", replies)
	}
}
