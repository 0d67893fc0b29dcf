package dialog_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/dalil-tt/dalil/dialog"
	"github.com/dalil-tt/dalil/internal/lang"
)

// referral returns the one referral among replies, or nil.
func referral(t *testing.T, replies []dialog.Reply) *dialog.Reply {
	t.Helper()
	var found *dialog.Reply
	for i := range replies {
		if replies[i].Referral != nil {
			if found != nil {
				t.Fatalf("two referrals in %+v", replies)
			}
			found = &replies[i]
		}
	}
	return found
}

// roundTrip stores and reads back the state, as Redis does between steps.
func roundTrip(t *testing.T, s dialog.State) dialog.State {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back dialog.State
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	return back
}

// The engine owns paging: it asks for the first page at a referral, records
// the services the caller says it showed, answers the "more" button of the
// list on screen with the next page, and ignores an older list's button.
func TestPaging(t *testing.T) {
	eng := testEngine(t, "testdata/tree.yaml")
	st := at(t, eng, lang.FR, "describe")
	st, replies, _ := eng.Step(st, dialog.Input{Kind: dialog.InText, Text: "je fais de la poterie"})
	first := referral(t, replies)
	if first == nil || first.From != 0 {
		t.Fatalf("replies %+v: want a referral from the first service", replies)
	}
	if st.List == nil || st.List.Shown != 0 {
		t.Fatalf("list %+v after the referral, want one with nothing shown yet", st.List)
	}
	st, replies, _ = eng.Step(roundTrip(t, st), dialog.Input{Kind: dialog.InShown, Shown: []string{"a", "b", "c"}})
	if len(replies) != 0 || st.List == nil || st.List.Shown != 3 || !slices.Equal(st.Referred, []string{"a", "b", "c"}) {
		t.Fatalf("after the first page: replies %+v list %+v referred %v", replies, st.List, st.Referred)
	}
	node, pending := st.Node, st.Pending.String()

	st, replies, _ = eng.Step(roundTrip(t, st), dialog.Input{Kind: dialog.InButton, Data: dialog.MoreData(3)})
	next := referral(t, replies)
	if len(replies) != 1 || next == nil || next.From != 3 || !equalCodes(next.Referral.Codes, first.Referral.Codes) || next.Referral.Lang != "fr" {
		t.Fatalf("more pressed: replies %+v, want the same query from the 4th service", replies)
	}
	if st.Node != node || st.Pending.String() != pending {
		t.Errorf("more pressed: node %q pending %q, want %q %q (a page is no answer)", st.Node, st.Pending, node, pending)
	}
	st, _, _ = eng.Step(st, dialog.Input{Kind: dialog.InShown, Shown: []string{"d", "a"}, From: 3})
	if st.List.Shown != 5 || !slices.Equal(st.Referred, []string{"a", "b", "c", "d"}) {
		t.Fatalf("after the second page: list %+v referred %v", st.List, st.Referred)
	}
	for _, data := range []string{dialog.MoreData(3), dialog.MoreData(0), dialog.MoreData(9), "pg:x"} {
		if _, replies, _ := eng.Step(st, dialog.Input{Kind: dialog.InButton, Data: data}); len(replies) != 0 {
			t.Errorf("%s pressed on a list that shows 5: replies %+v, want none", data, replies)
		}
	}

	// The list on screen stays pageable after /restart, as the services
	// shown are still there; /forget erases it with the rest.
	restarted, _, _ := eng.Step(st, dialog.Input{Kind: dialog.InCommand, Command: "restart"})
	if _, replies, _ := eng.Step(restarted, dialog.Input{Kind: dialog.InButton, Data: dialog.MoreData(5)}); referral(t, replies) == nil {
		t.Errorf("more pressed after /restart: replies %+v, want the next page", replies)
	}
	asked, _, _ := eng.Step(st, dialog.Input{Kind: dialog.InCommand, Command: "forget"})
	gone, _, effects := eng.Step(asked, dialog.Input{Kind: dialog.InButton, Data: "fg:y"})
	if len(effects) != 1 || gone.List != nil || len(gone.Referred) != 0 {
		t.Errorf("after /forget: list %+v referred %v effects %v, want nothing kept", gone.List, gone.Referred, effects)
	}
}

// A referral that found nothing ends the list: no "more" to answer.
func TestPagingNothingFound(t *testing.T) {
	eng := testEngine(t, "testdata/tree.yaml")
	st, _, _ := eng.Step(at(t, eng, lang.FR, "describe"), dialog.Input{Kind: dialog.InText, Text: "je fais de la poterie"})
	st, _, _ = eng.Step(st, dialog.Input{Kind: dialog.InShown})
	if st.List != nil || len(st.Referred) != 0 {
		t.Errorf("list %+v referred %v after nothing shown, want none", st.List, st.Referred)
	}
}

// The services remembered for the adviser are bounded, the latest kept.
func TestReferredBounded(t *testing.T) {
	eng := testEngine(t, "testdata/tree.yaml")
	st := eng.NewState()
	var ids []string
	for i := range 30 {
		ids = append(ids, string(rune('A'+i)))
	}
	st, _, _ = eng.Step(st, dialog.Input{Kind: dialog.InShown, Shown: ids})
	if len(st.Referred) != 20 || st.Referred[0] != ids[10] || st.Referred[19] != ids[29] {
		t.Errorf("referred %v, want the last 20 shown", st.Referred)
	}
}
