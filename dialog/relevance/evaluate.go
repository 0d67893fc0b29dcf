package relevance

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/dialog"
)

// Result is one persona's run in one mode, judged.
type Result struct {
	Persona Persona
	Outcome Outcome
	Err     error   // the run failed: no referral (nDCG 0)
	Top     []Grade // grades of Outcome.Shown[:K]
	NDCG    float64 // nDCG@K
	Harm    []Harm  // harmful services in the top K
}

// Harm is a harmful service shown in a top K.
type Harm struct {
	Persona string
	Service string
	Rank    int
	Why     string
}

// FirstIdeal says whether the first card shown is ideal.
func (r Result) FirstIdeal() bool { return len(r.Top) > 0 && r.Top[0] == Ideal }

// Summary is the figures of one mode over a test set.
type Summary struct {
	Mode       Mode
	Results    []Result
	MeanNDCG   float64
	FirstIdeal float64 // share of personas whose first card is ideal
	Harm       []Harm
	Failed     []Result // runs that ended in an error
	// Questions before the first referral, over the runs that reached one.
	QuestionsMedian float64
	QuestionsWorst  int
}

// Evaluate runs every persona in mode and sums the figures up. A run that
// fails counts as nDCG 0 and is listed in Failed; it does not stop the
// others.
func Evaluate(ctx context.Context, eng *dialog.Engine, m catalogue.Matcher, byID map[string]*catalogue.Service, ps []Persona, mode Mode) (Summary, error) {
	sum := Summary{Mode: mode}
	var questions []int
	var firstIdeal int
	for _, p := range ps {
		if err := ctx.Err(); err != nil {
			return sum, fmt.Errorf("evaluate: %w", err)
		}
		res := Result{Persona: p}
		res.Outcome, res.Err = Run(ctx, eng, m, p, mode)
		if res.Err != nil {
			sum.Failed = append(sum.Failed, res)
		} else {
			questions = append(questions, res.Outcome.Questions)
			sum.QuestionsWorst = max(sum.QuestionsWorst, res.Outcome.Questions)
		}
		var gains []float64
		for i, id := range res.Outcome.Shown[:min(K, len(res.Outcome.Shown))] {
			s, ok := byID[id]
			if !ok {
				return sum, fmt.Errorf("evaluate: persona %s was shown %q, which is not in the catalogue", p.ID, id)
			}
			g, why := Judge(p, s)
			res.Top = append(res.Top, g)
			gains = append(gains, g.Gain())
			if g == Harmful {
				res.Harm = append(res.Harm, Harm{Persona: p.ID, Service: id, Rank: i + 1, Why: why})
			}
		}
		res.NDCG = NDCG(gains, idealGains(p), K)
		sum.MeanNDCG += res.NDCG
		if res.FirstIdeal() {
			firstIdeal++
		}
		sum.Harm = append(sum.Harm, res.Harm...)
		sum.Results = append(sum.Results, res)
	}
	if n := len(ps); n > 0 {
		sum.MeanNDCG /= float64(n)
		sum.FirstIdeal = float64(firstIdeal) / float64(n)
	}
	sum.QuestionsMedian = Median(questions)
	return sum, nil
}

// Index maps service ids to services.
func Index(services []*catalogue.Service) map[string]*catalogue.Service {
	byID := make(map[string]*catalogue.Service, len(services))
	for _, s := range services {
		byID[s.ID] = s
	}
	return byID
}

// WriteReport prints the figures of each mode; verbose adds one line per
// persona (id, language, questions, top K with grade marks).
func WriteReport(w io.Writer, sums []Summary, verbose bool) error {
	var b strings.Builder
	for i, s := range sums {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "mode %s\n", s.Mode)
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "  personas\t%d\n", len(s.Results))
		fmt.Fprintf(tw, "  mean nDCG@%d\t%.3f\n", K, s.MeanNDCG)
		fmt.Fprintf(tw, "  first card ideal\t%.1f%% (%d/%d)\n", 100*s.FirstIdeal, countFirstIdeal(s), len(s.Results))
		fmt.Fprintf(tw, "  harmful shown in top %d\t%d\n", K, len(s.Harm))
		fmt.Fprintf(tw, "  questions before first referral\tmedian %g, worst %d\n", s.QuestionsMedian, s.QuestionsWorst)
		if len(s.Failed) > 0 {
			fmt.Fprintf(tw, "  runs without a referral\t%d\n", len(s.Failed))
		}
		if err := tw.Flush(); err != nil {
			return fmt.Errorf("report: %w", err)
		}
		if len(s.Harm) > 0 {
			writeHarm(&b, s.Harm)
		}
		for _, r := range s.Failed {
			fmt.Fprintf(&b, "  failed: %v\n", r.Err)
		}
		if verbose {
			writePersonas(&b, s.Results)
		}
	}
	if verbose {
		b.WriteString("\nmarks: * ideal, + acceptable, - not judged, ! harmful (not eligible or judged harmful)\n")
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

// WriteHarm prints harmful services shown as a table: persona, rank,
// service, why.
func WriteHarm(w io.Writer, harm []Harm) error {
	var b strings.Builder
	writeHarm(&b, harm)
	_, err := io.WriteString(w, b.String())
	return err
}

func writeHarm(b *strings.Builder, harm []Harm) {
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  persona\trank\tservice\twhy not")
	for _, h := range harm {
		fmt.Fprintf(tw, "  %s\t%d\t%s\t%s\n", h.Persona, h.Rank, h.Service, h.Why)
	}
	_ = tw.Flush() // a strings.Builder does not fail
}

func writePersonas(b *strings.Builder, results []Result) {
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  persona\tlang\tquestions\tnDCG\ttop %d\n", K)
	for _, r := range results {
		var top []string
		for i, g := range r.Top {
			top = append(top, g.Mark()+r.Outcome.Shown[i])
		}
		if r.Err != nil {
			top = []string{"(no referral)"}
		} else if len(top) == 0 {
			top = []string{"(nothing found)"}
		}
		fmt.Fprintf(tw, "  %s\t%s\t%d\t%.2f\t%s\n", r.Persona.ID, r.Persona.Group(), r.Outcome.Questions, r.NDCG, strings.Join(top, " "))
	}
	_ = tw.Flush()
}

func countFirstIdeal(s Summary) int {
	n := 0
	for _, r := range s.Results {
		if r.FirstIdeal() {
			n++
		}
	}
	return n
}
