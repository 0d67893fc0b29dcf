package dialog_test

import (
	"strings"
	"testing"

	"github.com/dalil-tt/dalil/dialog"
	"github.com/dalil-tt/dalil/locales"
)

// A back button goes back from the step it was shown at only: tapped twice
// (a slow network) it undoes one step and then says the button is old; the
// data of buttons sent before (plain "nav:back") still goes back.
func TestBackButtonBoundToItsStep(t *testing.T) {
	eng := testEngine(t, "testdata/tree.yaml")
	eng.T = locales.MustDefault()
	st := eng.NewState()
	st, _, _ = eng.Step(st, dialog.Input{Kind: dialog.InButton, Data: "lang:fr"})
	st, replies, _ := eng.Step(st, dialog.Input{Kind: dialog.InText, Text: "Tanger"})
	st, replies, _ = eng.Step(st, dialog.Input{Kind: dialog.InText, Text: "une formation"})
	if len(st.Hist) < 2 {
		t.Fatalf("%d steps recorded, want two to go back over", len(st.Hist))
	}
	back := ""
	for _, row := range replies[len(replies)-1].Buttons {
		for _, b := range row {
			if strings.HasPrefix(b.Data, "nav:back") {
				back = b.Data
			}
		}
	}
	if back == "" || len(back) > dialog.MaxCallbackData {
		t.Fatalf("back button data %q", back)
	}
	once, _, _ := eng.Step(st, dialog.Input{Kind: dialog.InButton, Data: back})
	if len(once.Hist) != len(st.Hist)-1 {
		t.Fatalf("back: %d steps left of %d", len(once.Hist), len(st.Hist))
	}
	twice, replies, _ := eng.Step(once, dialog.Input{Kind: dialog.InButton, Data: back})
	if len(twice.Hist) != len(once.Hist) || len(replies) == 0 || !replies[0].Stale {
		t.Errorf("the same back button again: %d steps left of %d, replies %+v; want nothing undone and the stale-button notice",
			len(twice.Hist), len(once.Hist), replies)
	}
	legacy, _, _ := eng.Step(once, dialog.Input{Kind: dialog.InButton, Data: "nav:back"})
	if len(legacy.Hist) != len(once.Hist)-1 {
		t.Errorf("an old-style back button: %d steps left of %d, want one undone", len(legacy.Hist), len(once.Hist))
	}
}
