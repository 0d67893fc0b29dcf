package dialog

import (
	"fmt"
	"slices"
	"strings"

	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/dialog/nlu"
	"github.com/dalil-tt/dalil/internal/vocab"
)

// Asking only what changes the answer. With a catalogue (Engine.Catalogue),
// the engine
//   - skips a tree question unless half its answers would change the
//     service shown first, or that service is only for some of its answers
//     (catalogue.Split), and asks first, among the questions still ahead,
//     the one whose answers lead to the most different first services;
//   - before showing services, asks the one yes/no question that decides
//     whether a service reserved to a public (women, youth…) the person has
//     not spoken of would be among the first shown (catalogue.Undecided),
//     and remembers the answer (State.Codes or State.Not).
// Without a catalogue it asks the tree as written.

// dataYesNo is a yes/no button's callback data: yn:version:code:y|n.
const dataYesNo = "yn:"

// maxYesNo bounds the eligibility questions before one referral: each
// changes what is shown, but a person asked about every public would feel
// interrogated. The one asked is about the best-placed reserved service.
// On the relevance test set, one question rather than two costs 0.02 of
// nDCG@3 and saves a question on half the button-only paths.
const maxYesNo = 1

// query is what the conversation knows, as a catalogue query.
func (st *step) query() catalogue.Query {
	return catalogue.Query{Codes: st.s.Codes.Clone(), Not: st.s.Not.Clone(), Lang: string(st.s.Lang)}
}

// answers returns the codes each answer to n would add (the kind says).
func answers(n *Node) []vocab.Codes { return kindOf(n).answers(n) }

// split tells how n's answers divide the services (catalogue.Split); ok
// is false when there is no catalogue to tell (the question is then asked
// as the tree says).
func (st *step) split(n *Node) (changed, first int, ok bool) {
	if st.e.Catalogue == nil || !traitsOf(n).question || n.Facet == "" || n.Facet == vocab.Publics {
		return 0, 0, false
	}
	q := st.query()
	key := splitKey{node: n.ID, codes: fmt.Sprint(q.Codes, q.Not)}
	if r, ok := st.splits[key]; ok {
		return r.changed, r.first, true
	}
	changed, first, _ = catalogue.Split(st.e.Catalogue, q, answers(n), catalogue.ShownFirst)
	if st.splits == nil {
		st.splits = map[splitKey]splitResult{}
	}
	st.splits[key] = splitResult{changed, first}
	return changed, first, true
}

// splitKey and splitResult memoise split within one step.
type splitKey struct{ node, codes string }

type splitResult struct{ changed, first int }

// worthAsking says whether question n may change the services shown: for
// at least half of its answers the first service would not be the one
// shown without asking, or that first service is only for some of them. A question that helps only one answer in twelve
// costs everyone a tap for little (the services shown still fit: a
// preference not asked does not filter). Measured on the relevance test
// set (dialog/relevance): a third asked a median of five questions for
// the same nDCG.
func (st *step) worthAsking(n *Node) bool {
	changed, _, ok := st.split(n)
	return !ok || changed*2 >= len(answers(n)) || st.firstRestricts(n.Facet)
}

// firstRestricts says whether the service that would be shown first now is
// only for some answers of facet f (a registration for auto-entrepreneurs,
// a loan for businesses already running): then the question decides
// whether it is a door for this person at all, and is asked.
func (st *step) firstRestricts(f vocab.Facet) bool {
	q := st.query()
	q.Limit = 1
	m := st.e.Catalogue.Rank(q).Matches
	if len(m) == 0 {
		return false
	}
	n := len(m[0].Service.Facet(f))
	return n > 0 && n < len(vocab.Values[f])
}

// ahead returns the question to ask instead of n, which is worth asking: a
// later question of the same run (the questions up to the next referral,
// past messages) whose answers lead to more different first services. n
// itself when none does; the caller keeps n to come back to.
func (st *step) ahead(n *Node) *Node {
	_, first, ok := st.split(n)
	if !ok {
		return n
	}
	best := n
	id := n.Next
	for range len(st.e.Tree.Nodes) {
		m := st.e.Tree.Node(id)
		if m == nil || traitsOf(m).refers || traitsOf(m).final || isMenu(m) {
			break
		}
		if traitsOf(m).question && m.Facet != "" && !st.s.Codes.Has(m.Facet) && len(m.When) == 0 && !st.answered(m) {
			if _, f, _ := st.split(m); f > first {
				best, first = m, f
			}
		}
		id = m.Next
	}
	return best
}

// answered says whether question n, which asks a facet, was answered in
// this run of questions (since the last menu answered, such as "another
// need"): an answer like "other" sets no code, and a walk that came back to
// an earlier question (State.Resume) must not ask it again.
func (st *step) answered(n *Node) bool {
	if n.Facet == "" {
		return false
	}
	for i := len(st.s.Hist) - 1; i >= 0; i-- {
		f := st.s.Hist[i]
		if f.Node == n.ID {
			return true
		}
		if m := st.e.Tree.Node(f.Node); m != nil && isMenu(m) {
			return false
		}
	}
	return false
}

// undecided returns the public worth asking about before the referral at
// node n, "" when none (or when the questions allowed were asked).
func (st *step) undecided() string {
	if st.e.Catalogue == nil {
		return ""
	}
	if a := st.s.Asking; a != "" && !slices.Contains(st.s.Codes.Publics, a) && !slices.Contains(st.s.Not.Publics, a) && st.s.Misses < missesForAdviser {
		// Asked and not answered: asked again, unless the person twice
		// wrote something else (not answering is their right: the
		// services reserved to that public stay hidden).
		return a
	}
	if st.s.YesNos >= maxYesNo {
		return ""
	}
	return catalogue.Undecided(st.e.Catalogue, st.query(), catalogue.ShownFirst)
}

// askYesNo asks whether the person belongs to public code, saying why; for
// disability and migration, also that "no" or no answer is fine.
func (st *step) askYesNo(code string) {
	if st.s.Asking != code {
		st.s.YesNos++
	}
	st.s.Asking = code
	r := Reply{
		Text:  st.t("eligibility.ask."+code, nil),
		YesNo: &YesNo{Facet: vocab.Publics, Code: code},
		Buttons: [][]Button{{
			{Label: st.t("eligibility.yes", nil), Data: yesNoData(st.e.Tree.Version, code, true)},
			{Label: st.t("eligibility.no", nil), Data: yesNoData(st.e.Tree.Version, code, false)},
		}},
	}
	st.replies = append(st.replies, st.withBack(r))
}

func yesNoData(version, code string, yes bool) string {
	a := "n"
	if yes {
		a = "y"
	}
	return dataYesNo + version + ":" + code + ":" + a
}

// yesNoButton handles a press of a yes/no button.
func (st *step) yesNoButton(data string) {
	parts := strings.Split(strings.TrimPrefix(data, dataYesNo), ":")
	if len(parts) != 3 || parts[0] != st.e.Tree.Version || parts[1] != st.s.Asking || st.s.Asking == "" || st.s.Lang == "" {
		st.stale()
		return
	}
	st.answerYesNo(parts[1], parts[2] == "y")
}

// answerYesNo records the answer about public code and goes on to the
// services (or the next question that decides them).
func (st *step) answerYesNo(code string, yes bool) {
	st.s.Asking = ""
	st.s.Misses = 0
	var added vocab.Codes
	if yes {
		added.Add(vocab.Publics, code)
		st.s.Not.Publics = slices.DeleteFunc(st.s.Not.Publics, func(p string) bool { return p == code })
	} else {
		st.s.Not.Add(vocab.Publics, code)
		st.s.Codes.Publics = slices.DeleteFunc(st.s.Codes.Publics, func(p string) bool { return p == code })
	}
	if code == "rural" && !st.s.Codes.Has(vocab.Areas) {
		// "Do you live in the countryside?" says the area too.
		area := "urban"
		if yes {
			area = "rural"
		}
		added.Set(vocab.Areas, area)
	}
	added = newCodes(st.s.Codes, added)
	st.s.Codes.Merge(added)
	// A step of its own: /back asks the question again (forgetAnswer).
	st.s.Hist = append(st.s.Hist, Frame{Node: st.s.Node, Added: added, YesNo: code})
	st.enter(st.s.Node)
}

// forgetAnswer undoes the answer to the yes/no question of frame f (its
// codes are removed by back): the question is awaited again.
func (st *step) forgetAnswer(f Frame) {
	st.s.Not.Publics = slices.DeleteFunc(st.s.Not.Publics, func(p string) bool { return p == f.YesNo })
	if len(st.s.Not.Publics) == 0 {
		st.s.Not.Publics = nil
	}
	st.s.Asking = f.YesNo
	st.s.YesNos = max(st.s.YesNos, 1)
}

// typedYesNo answers the yes/no question awaited from free text: a plain
// yes or no in any of the languages, or a message saying it ("je suis une
// femme", "ana rajel"). ok is false when the text says neither.
func (st *step) typedYesNo(text string, r nlu.Result) (yes, ok bool) {
	code := st.s.Asking
	if code == "" {
		return false, false
	}
	w := nlu.Normalize(text)
	if first, _, _ := strings.Cut(w, " "); len(strings.Fields(w)) <= 4 {
		// A short answer that starts with yes or no: "oui bien sûr",
		// "non merci", «لا ماشي».
		switch {
		case yesWords[w] || yesFirst[first]:
			return true, true
		case noWords[w] || noFirst[first]:
			return false, true
		}
	}
	if slices.Contains(r.Codes.Publics, code) {
		return true, true
	}
	if slices.Contains(r.Not.Publics, code) {
		return false, true
	}
	return false, false
}

// yesWords and noWords are plain answers, normalised (nlu.Normalize), in
// French, Arabic and Darija in both scripts.
var yesWords, noWords = wordSet("oui", "ouais", "ouii", "yes", "oui oui", "bien sur", "evidemment", "tout a fait", "exactement",
	"نعم", "أجل", "اجل", "بلى", "ايه", "اه", "آه", "إيه", "واه", "اييه", "ايوا", "ايوه", "واخا", "صافي",
	"wah", "iyeh", "iyyeh", "eyh", "eyyeh", "ah", "aah", "na3am", "naam", "ih", "ayeh", "iwa", "ewa", "wakha", "wakhha", "safi"),
	wordSet("non", "no", "nn", "non non", "pas du tout", "jamais", "لا", "لالا", "لا لا", "ابدا", "أبدا", "كلا", "ماشي", "لاّ",
		"la", "lla", "la2", "laa", "lala", "la la", "abadan", "walo", "والو", "machi", "mashi", "machy")

// yesFirst and noFirst are the words that answer when they begin a
// longer message ("oui bien sûr", «لا ماشي»): not "la" (French "the"), "ah"
// or "wa" (Darija "and"), which say yes or no only alone.
var yesFirst, noFirst = wordSet("oui", "ouais", "yes", "نعم", "أجل", "ايه", "إيه", "واه", "ايوا", "واخا",
	"wah", "iyeh", "iyyeh", "eyyeh", "na3am", "naam", "wakha"),
	wordSet("non", "no", "jamais", "لا", "كلا", "ماشي", "lla", "la2", "machi", "mashi", "walo")

func wordSet(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[nlu.Normalize(w)] = true
	}
	return m
}

// learn keeps what a message says of the person beyond codes: the publics
// it says they do not belong to (r.Not), and drops from Not what it says
// they do belong to.
func (st *step) learn(r nlu.Result) {
	for _, p := range r.Not.Publics {
		if !slices.Contains(r.Codes.Publics, p) {
			st.s.Not.Add(vocab.Publics, p)
			st.s.Codes.Publics = slices.DeleteFunc(st.s.Codes.Publics, func(c string) bool { return c == p })
		}
	}
	for _, p := range r.Codes.Publics {
		st.s.Not.Publics = slices.DeleteFunc(st.s.Not.Publics, func(c string) bool { return c == p })
	}
	if len(st.s.Not.Publics) == 0 {
		st.s.Not.Publics = nil
	}
}

// isMenu says whether n is a menu: buttons that ask no facet ("another
// need", "adviser"), which start a new run of questions.
func isMenu(n *Node) bool { return n.Facet == "" && traitsOf(n).buttons }
