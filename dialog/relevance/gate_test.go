package relevance_test

import (
	"context"
	"strings"
	"testing"

	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/dialog/relevance"
)

// TestRelevanceGate is CI's guard on referrals (issue 13): every persona
// in both modes, on the default engine and the test catalogue. It fails
// on any harmful service in a top 3, when the mean nDCG@3 of a mode falls
// below its floor, and when button-only paths ask more than
// relevance.MaxMedianQuestions questions in the median.
func TestRelevanceGate(t *testing.T) {
	ps, services := testSet(t)
	eng := defaultEngine(t)
	m := catalogue.NewMemory(services)
	eng.Catalogue = m // the engine asks its questions by the catalogue it refers to
	byID := relevance.Index(services)
	for _, mode := range relevance.Modes {
		sum, err := relevance.Evaluate(context.Background(), eng, m, byID, ps, mode)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("mode %s: %d personas, mean nDCG@%d %.3f, first card ideal %.1f%%, harmful shown %d, questions median %g worst %d",
			mode, len(sum.Results), relevance.K, sum.MeanNDCG, 100*sum.FirstIdeal, len(sum.Harm), sum.QuestionsMedian, sum.QuestionsWorst)
		if len(sum.Harm) > 0 {
			var tbl strings.Builder
			if err := relevance.WriteHarm(&tbl, sum.Harm); err != nil {
				t.Fatal(err)
			}
			t.Errorf("mode %s: %d harmful service(s) shown in a top %d:\n%s", mode, len(sum.Harm), relevance.K, tbl.String())
		}
		for _, r := range sum.Failed {
			t.Errorf("mode %s: %v", mode, r.Err)
		}
		floor := relevance.NDCGFloor
		if mode == relevance.Buttons {
			floor = relevance.ButtonsNDCGFloor
			if sum.QuestionsMedian > relevance.MaxMedianQuestions {
				t.Errorf("mode %s: a median of %g questions before the first referral, more than %d", mode, sum.QuestionsMedian, relevance.MaxMedianQuestions)
			}
		}
		if sum.MeanNDCG < floor {
			t.Errorf("mode %s: mean nDCG@%d %.3f is below the floor %.3f", mode, relevance.K, sum.MeanNDCG, floor)
		}
	}
}
