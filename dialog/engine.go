package dialog

import (
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/dialog/nlu"
	"github.com/dalil-tt/dalil/internal/lang"
	"github.com/dalil-tt/dalil/internal/vocab"
)

// ActionRestart on a choice starts the conversation over.
const ActionRestart = "restart"

// MaxTextRunes is how much of a free-text message is read; longer messages
// are understood from their beginning and the user is told so.
const MaxTextRunes = 1000

// maxNotes and maxNoteRunes bound what is kept of free texts for the adviser.
const (
	maxNotes         = 3
	maxNoteRunes     = 200
	missesForAdviser = 2
)

// Callback data of the buttons the engine makes. Tree buttons carry the
// tree version and node so a press on an old message is recognised.
const (
	dataLang    = "lang:"
	dataChoice  = "c:"
	dataBack    = "nav:back"
	dataRestart = "nav:restart"
	dataAdviser = DataAdviser
	dataPick    = "k:" // a value of a clarification: k:version:node:code
	dataForget  = "fg:y"
	dataKeep    = "fg:n"
)

// DataAdviser is the callback data of a "talk to an adviser" button; the
// transport puts it on the messages it sends of its own accord (a
// request's news).
const DataAdviser = "nav:adviser"

// LanguageLabels are the language buttons' labels (contract: they contain
// Français, العربية and الدارجة).
var LanguageLabels = map[lang.Lang]string{
	lang.FR:  "🇫🇷 Français",
	lang.AR:  "العربية",
	lang.ARY: "الدارجة",
}

// backData is the back button's data at this step: the steps recorded, so
// that only a press at the same step goes back.
func (st *step) backData() string {
	return dataBack + ":" + strconv.Itoa(len(st.s.Hist))
}

// withBack returns question r with a back button when there is a step to
// undo.
func (st *step) withBack(r Reply) Reply {
	if len(st.s.Hist) > 0 {
		r.Buttons = append(r.Buttons, []Button{{Label: st.t("ButtonBack", nil), Data: st.backData()}})
	}
	return r
}

func callbackData(version, node, choice string) string {
	return dataChoice + version + ":" + node + ":" + choice
}

// Engine walks a tree. Step is a pure function of its arguments and the
// engine's fields: no I/O, no clock, no randomness.
type Engine struct {
	Tree *Tree
	NLU  Understander
	T    Translator
	// Catalogue, when set, lets the engine ask only the questions whose
	// answers change the services shown, and the yes/no questions that
	// decide whether a reserved service may be shown (eligibility.go). It
	// ranks in memory: Step stays free of I/O.
	Catalogue catalogue.Ranker
}

// NewState is the state of a conversation that has not begun.
func (e *Engine) NewState() State {
	return State{V: StateVersion, Tree: e.Tree.Version}
}

// step holds one Step's work in progress.
type step struct {
	e       *Engine
	s       State
	replies []Reply
	effects []Effect
	// asked is the clarification awaited when the input came (empty for
	// none): the frames this step records keep it, so /back asks it again.
	asked *vocab.Codes
	// splits remembers, within this step, how each question's answers
	// divide the services for what is known (eligibility.go): a walk past
	// several questions weighs each once.
	splits map[splitKey]splitResult
}

// Step handles one input: it returns the new state, the replies to send in
// order, and the effects the caller must carry out. The state passed in is
// not modified.
func (e *Engine) Step(s State, in Input) (State, []Reply, []Effect) {
	st := &step{e: e, s: s.clone()}
	st.upgrade()
	switch {
	case in.Kind == InShown:
		st.shown(in)
	case in.Kind == InButton && strings.HasPrefix(in.Data, DataMore):
		st.more(in.Data)
	default:
		st.handle(in)
	}
	return st.s, st.replies, st.effects
}

func (s State) clone() State {
	c := s
	c.Codes = s.Codes.Clone()
	c.Not = s.Not.Clone()
	c.Hist = make([]Frame, len(s.Hist))
	for i, f := range s.Hist {
		c.Hist[i] = Frame{Node: f.Node, Added: f.Added.Clone(), Removed: f.Removed.Clone(), Pick: clonePick(f.Pick), YesNo: f.YesNo}
	}
	if len(c.Hist) == 0 {
		c.Hist = nil
	}
	c.Notes = slices.Clone(s.Notes)
	c.Referred = slices.Clone(s.Referred)
	c.Pending = s.Pending.clone()
	c.List = s.List.clone()
	return c
}

// upgrade starts afresh a state of another format, and moves a state of an
// older tree onto this one: its node if it still exists, else the start.
func (st *step) upgrade() {
	if st.s.V != StateVersion {
		st.s = st.e.NewState()
		return
	}
	if st.s.Tree == st.e.Tree.Version {
		return
	}
	st.s.Tree = st.e.Tree.Version
	if st.s.Node != "" && st.e.Tree.Node(st.s.Node) == nil {
		st.s.Node, st.s.Hist = "", nil
		if st.s.Lang != "" {
			st.s.Node = st.e.Tree.Start
		}
	}
	st.s.Hist = slices.DeleteFunc(st.s.Hist, func(f Frame) bool { return st.e.Tree.Node(f.Node) == nil })
}

func (st *step) t(id string, data map[string]any) string {
	l := st.s.Lang
	if l == "" {
		l = lang.FR
	}
	return st.e.T.T(l, id, data)
}

func (st *step) say(text string) {
	st.replies = append(st.replies, Reply{Text: text})
}

func (st *step) handle(in Input) {
	if in.Kind == InButton && strings.HasPrefix(in.Data, DataRequest) {
		st.startRequest(in)
		return
	}
	if st.s.Pending.Request != nil && st.request(in) {
		return
	}
	if in.Kind == InContact {
		// A phone number with no request to add it to: not kept.
		st.unsupported()
		return
	}
	if in.Kind != InButton && in.Kind != InCommand {
		// Any other message answers "no" to /forget; a clarification it
		// interrupted is awaited again, so the message may answer it.
		st.resumeAfterForget()
	}
	prevPick := st.pick()
	if !prevPick.Empty() {
		st.asked = clonePick(st.s.Pending.Pick)
	}
	if in.Kind != InButton && in.Kind != InCommand && !st.s.Pending.Empty() &&
		(in.Kind != InUnsupported || prevPick.Empty()) {
		// Any other message answers "no" to a confirmation, and a message
		// replaces a clarification (naming one value is the free-text way
		// to answer it); a sticker answers neither, so a clarification is
		// asked again after it. A request prepared stays (request.go).
		st.s.Pending = Pending{Request: st.s.Pending.Request}
	}
	switch in.Kind {
	case InCommand:
		st.command(in.Command, in.Text)
	case InButton:
		st.button(in.Data)
	case InText:
		st.text(in.Text, prevPick)
	case InCodes:
		// Codes the transport worked out (a shared location gives a
		// province): applied like what free text expresses.
		st.codes(st.unambiguous(in.Codes), "")
	case InUnsupported:
		if in.What == WhatLocation {
			st.outsideRegion()
		} else {
			st.unsupported()
		}
	default:
		st.unsupported()
	}
}

// WhatLocation is the What of an unsupported input the transport sends for
// a shared location it found no province for: a place outside the region
// (a location inside it comes as InCodes).
const WhatLocation = "location"

func (st *step) command(name, arg string) {
	switch strings.ToLower(name) {
	case "start":
		source := strings.TrimSpace(arg)
		if source == "" {
			source = st.s.Source
		}
		list := st.s.List // the services on screen stay pageable
		st.s = st.e.NewState()
		st.s.Source, st.s.List = truncateRunes(source, 64), list
		st.chooseLanguage()
	case "help":
		if st.s.Lang == "" {
			var parts []string
			for _, l := range lang.All {
				parts = append(parts, st.e.T.T(l, "Help", nil))
			}
			st.say(strings.Join(parts, "\n\n"))
		} else {
			st.say(st.t("Help", nil))
		}
		st.ask()
	case "language", "lang", "langue":
		st.chooseLanguage()
	case "back":
		st.back()
	case "restart":
		st.restart()
	case "adviser", "conseiller":
		st.adviser()
	case "requests", "demandes":
		st.effects = append(st.effects, Effect{Kind: EffectRequests})
	case "stop":
		st.effects = append(st.effects, Effect{Kind: EffectStop})
	case "forget":
		// A clarification awaited is kept behind the confirmation, to be
		// asked again if the user keeps their data.
		var held *vocab.Codes
		if st.picking() {
			held = st.s.Pending.Pick
		}
		st.s.Pending = Pending{Forget: true, Pick: held}
		st.replies = append(st.replies, Reply{
			Text: st.t("ForgetConfirm", nil),
			Buttons: [][]Button{{
				{Label: st.t("ButtonYes", nil), Data: dataForget},
				{Label: st.t("ButtonNo", nil), Data: dataKeep},
			}},
		})
	default:
		st.say(st.t("UnknownCommand", nil))
		st.ask()
	}
}

func (st *step) button(data string) {
	switch {
	case strings.HasPrefix(data, dataLang):
		l, err := lang.Parse(strings.TrimPrefix(data, dataLang))
		if err != nil {
			st.stale()
			return
		}
		st.s.Lang = l
		st.say(st.t("LanguageChosen", nil))
		if st.s.Node == "" {
			st.enter(st.e.Tree.Start)
		} else {
			st.ask()
		}
	case data == dataBack: // sent before back buttons carried their step
		st.back()
	case strings.HasPrefix(data, dataBack+":"):
		// A back button goes back from the step it was shown at only: a
		// second tap (a slow network) or an old message's button would
		// undo one step more than the user meant.
		if data != st.backData() {
			st.stale()
			return
		}
		st.back()
	case data == dataRestart:
		st.restart()
	case data == dataAdviser:
		st.adviser()
	case data == dataForget || data == dataKeep:
		if !st.forgetting() {
			if st.s.Lang == "" && st.s.Node == "" && len(st.s.Hist) == 0 {
				// Nothing is kept about the user: a second tap of "yes,
				// erase" (the first erased everything) or an old
				// confirmation. "Erased", then a stale-button notice and
				// the language menu, would only confuse.
				return
			}
			st.stale()
			return
		}
		st.resumeAfterForget()
		if data == dataKeep {
			st.say(st.t("ForgetCancelled", nil))
			st.ask()
			return
		}
		l := st.s.Lang
		st.s = st.e.NewState()
		st.effects = append(st.effects, Effect{Kind: EffectForget})
		st.replies = append(st.replies, Reply{Text: st.e.T.T(orFR(l), "Forgotten", nil)})
	case strings.HasPrefix(data, dataChoice):
		parts := strings.Split(strings.TrimPrefix(data, dataChoice), ":")
		if len(parts) != 3 || parts[0] != st.e.Tree.Version || parts[1] != st.s.Node || st.s.Lang == "" {
			st.stale()
			return
		}
		n := st.e.Tree.Node(parts[1])
		c := n.choice(parts[2])
		if c == nil {
			st.stale()
			return
		}
		st.clearPick() // the question itself answered: the clarification is moot
		st.choose(n, c, vocab.Codes{})
	case strings.HasPrefix(data, dataYesNo):
		st.yesNoButton(data)
	case strings.HasPrefix(data, dataPick):
		parts := strings.Split(strings.TrimPrefix(data, dataPick), ":")
		pk := st.pick()
		if len(parts) != 3 || parts[0] != st.e.Tree.Version || (parts[1] != "" && parts[1] != st.s.Node) || st.s.Lang == "" {
			st.stale()
			return
		}
		f := pickFacet(pk)
		if f == "" || !slices.Contains(pk.Get(f), parts[2]) {
			st.stale()
			return
		}
		st.picked(pk, f, parts[2])
	default:
		st.stale()
	}
}

func orFR(l lang.Lang) lang.Lang {
	if l == "" {
		return lang.FR
	}
	return l
}

func (n *Node) choice(id string) *Choice {
	if n == nil {
		return nil
	}
	for _, c := range n.Choices {
		if c != nil && c.ID == id {
			return c
		}
	}
	return nil
}

// stale answers a button pressed on an old message: say so, ask again.
func (st *step) stale() {
	st.replies = append(st.replies, Reply{Text: st.t("StaleButton", nil), Stale: true})
	st.ask()
}

func (st *step) unsupported() {
	st.say(st.t("Unsupported", nil))
	st.ask()
}

// outsideRegion answers a shared location outside the region: the bot
// knows only this region's services, and the person can still name the
// province of the project (a typed town is understood at any question).
func (st *step) outsideRegion() {
	st.say(st.t("LocationOutsideRegion", nil))
	st.ask()
}

// outsideText answers a message naming a town outside the region and no
// province of it ("un café à Fès", "f casa") as a shared location outside
// it is answered, with the services found anywhere in Morocco; it reports
// whether it did. What else the message says is understood as usual.
func (st *step) outsideText(r nlu.Result) bool {
	if r.Outside == "" || r.Codes.Has(vocab.Provinces) {
		return false
	}
	st.say(st.t("TextOutsideRegion", nil))
	return true
}

func (st *step) chooseLanguage() {
	var lines []string
	for _, l := range lang.All {
		lines = append(lines, st.e.T.T(l, "ChooseLanguage", nil))
	}
	var row []Button
	for _, l := range lang.All {
		row = append(row, Button{Label: LanguageLabels[l], Data: dataLang + string(l)})
	}
	st.replies = append(st.replies, Reply{Text: strings.Join(lines, "\n\n"), Buttons: [][]Button{row}})
}

func (st *step) restart() {
	l, source, list := st.s.Lang, st.s.Source, st.s.List // the services on screen stay pageable
	st.s = st.e.NewState()
	st.s.Lang, st.s.Source, st.s.List = l, source, list
	if l == "" {
		st.chooseLanguage()
		return
	}
	st.say(st.t("Restarted", nil))
	st.enter(st.e.Tree.Start)
}

func (st *step) adviser() {
	if st.s.Lang == "" {
		st.s.Lang = lang.FR
	}
	st.effects = append(st.effects, Effect{Kind: EffectAdviser})
	st.say(st.t("AdviserRequested", nil))
}

func (st *step) back() {
	if st.s.Lang == "" {
		st.chooseLanguage()
		return
	}
	st.clearPick() // going back leaves the clarification behind
	st.s.Asking, st.s.Resume = "", ""
	if len(st.s.Hist) == 0 {
		st.say(st.t("BackAtStart", nil))
		st.ask()
		return
	}
	for {
		f := st.s.Hist[len(st.s.Hist)-1]
		st.s.Hist = st.s.Hist[:len(st.s.Hist)-1]
		st.s.Codes.Remove(f.Added)
		st.s.Codes.Merge(f.Removed)
		st.s.Node = f.Node
		if f.YesNo != "" {
			// The step undone answered a yes/no question: ask it again.
			st.forgetAnswer(f)
			break
		}
		if f.Pick != nil {
			// The step undone answered a clarification: ask it again.
			st.s.Pending = Pending{Pick: clonePick(f.Pick)}
			if !st.picking() {
				st.clearPick() // nothing of it left to ask
			}
			break
		}
		// A frame recorded at a referral without the clarification that
		// held the walk there (stored before frames kept it) answered no
		// question of its own: back to the question before it, not to the
		// services shown again.
		if n := st.e.Tree.Node(f.Node); n == nil || !traitsOf(n).refers || len(st.s.Hist) == 0 {
			break
		}
	}
	st.s.Ended = false
	st.s.Misses = 0
	st.ask()
}

// text understands free text: a button's label or number, or codes that
// fill answers ahead in the tree. prevPick is the clarification the
// message answers, if one was asked: its number is taken as its button.
func (st *step) text(raw string, prevPick vocab.Codes) {
	text := strings.TrimSpace(raw)
	if utf8.RuneCountInString(text) > MaxTextRunes {
		text = truncateRunes(text, MaxTextRunes)
		if st.s.Lang != "" {
			st.say(st.t("TooLong", nil))
		}
	}
	if f := pickFacet(prevPick); f != "" && st.s.Lang != "" {
		if i, err := strconv.Atoi(text); err == nil && i >= 1 && i <= len(prevPick.Get(f)) {
			st.picked(prevPick, f, prevPick.Get(f)[i-1])
			return
		}
	}
	r := st.e.NLU.Understand(text)
	if st.s.Lang != "" {
		if yes, ok := st.typedYesNo(text, r); ok {
			st.learn(r)
			st.answerYesNo(st.s.Asking, yes)
			return
		}
	}
	st.learn(r)
	src := r.Codes
	if r.Intent != "" {
		// About the conversation itself: only what it says beside its
		// intent phrases is about the project ("مستشار" alone asks for a
		// person, it is no coaching need).
		src = r.Rest
	}
	codes := st.unambiguous(src)
	if greet := greetingID(r.Intent); st.s.Lang == "" && codes.Empty() && r.IntentLang == "" && r.Lang != lang.FR && greet != "" {
		// "السلام عليكم" first: Arabic script, but nothing tells Arabic
		// from Darija. Greeted back, then asked which, rather than taken
		// for Arabic.
		st.say(st.e.T.T(lang.AR, greet, nil))
		st.chooseLanguage()
		return
	}
	if st.s.Lang == "" {
		// Someone who writes before choosing a language is answered in theirs.
		st.s.Lang = r.Lang
		if r.IntentLang != "" {
			st.s.Lang = r.IntentLang // "ahlan" is Darija, though no word says so
		}
		if st.s.Lang == "" {
			st.s.Lang = lang.FR
		}
		st.s.Node = ""
		if r.Intent == nlu.IntentAdviser {
			st.handOver(codes, text)
			return
		}
		if id := greetingID(r.Intent); id != "" {
			st.say(st.t(id, nil))
		}
		st.say(st.t("LanguageChosen", nil))
		st.outsideText(r)
		st.codes(codes, text)
		return
	}
	n := st.e.Tree.Node(st.s.Node)
	outside := st.outsideText(r)
	if n != nil && kindOf(n).named(st, n, text, codes, r) {
		return
	}
	if r.Intent != "" {
		st.talk(r.Intent, codes, text)
		return
	}
	if outside && codes.Empty() {
		st.ask()
		return
	}
	if n != nil && kindOf(n).freeText(st, n, text, codes) {
		return
	}
	st.codes(codes, text)
}

// talk answers a message about the conversation itself rather than the
// project (nlu.Intent). None is a miss: the person is talking to the bot,
// only not about their project, and is answered so, then asked the
// question again; nothing is recorded but what a request for a person
// also says of the project.
func (st *step) talk(in nlu.Intent, codes vocab.Codes, text string) {
	if in == nlu.IntentAdviser {
		st.handOver(codes, text)
		return
	}
	// Like a sticker, it answers no clarification awaited: asked again.
	st.holdPick()
	switch in {
	case nlu.IntentThanks:
		if st.over() {
			st.replies = append(st.replies, Reply{
				Text:    st.t("talk.thanks.end", nil),
				Buttons: [][]Button{{{Label: st.t("ButtonRestart", nil), Data: dataRestart}}},
			})
			return
		}
		st.say(st.t("talk.thanks", nil))
	case nlu.IntentConfused:
		st.say(st.explain())
	default:
		if id := greetingID(in); id != "" {
			st.say(st.t(id, nil))
		}
	}
	st.ask()
}

// greetingID is the answer to a greeting intent, "" for another intent.
func greetingID(in nlu.Intent) string {
	switch in {
	case nlu.IntentSalam:
		return "talk.salam"
	case nlu.IntentGreeting:
		return "talk.greeting"
	}
	return ""
}

// holdPick keeps awaiting the clarification the message found awaited, if
// the message did not replace it with another.
func (st *step) holdPick() {
	if st.asked != nil && st.s.Pending.Empty() {
		st.s.Pending = Pending{Pick: clonePick(st.asked)}
	}
}

// over says whether the conversation has reached its end: an end or
// adviser node, or the question that follows the services shown.
func (st *step) over() bool {
	n := st.e.Tree.Node(st.s.Node)
	if st.between(n) {
		return true
	}
	if st.picking() {
		return false
	}
	for _, m := range st.e.Tree.Nodes {
		if m == nil || !traitsOf(m).refers {
			continue
		}
		id := m.Next
		for range len(st.e.Tree.Nodes) { // past messages shown after the services
			next := st.e.Tree.Node(id)
			if next == nil || !isInfo(next) {
				break
			}
			id = next.Next
		}
		if id == n.ID {
			return true
		}
	}
	return false
}

// explain says what the question awaited asks and how to answer it, for
// someone who says they do not understand.
func (st *step) explain() string {
	if st.picking() {
		return st.t("talk.help.pick", nil)
	}
	n := st.e.Tree.Node(st.s.Node)
	if n == nil || st.over() || !traitsOf(n).question {
		return st.t("talk.help.end", nil)
	}
	how := st.t(traitsOf(n).help, nil)
	if n.Facet == "" || n.Facet == vocab.Languages {
		return how
	}
	return st.t("talk.help."+string(n.Facet), nil) + " " + how
}

// handOver does what /adviser does, after keeping what the message also
// said of the project as free text would, for the adviser's summary.
func (st *step) handOver(codes vocab.Codes, text string) {
	if codes.Empty() {
		st.holdPick() // as /adviser keeps a clarification awaited
	} else {
		st.keep(codes, text)
	}
	st.adviser()
}

// keep records new codes like apply, acknowledged, but asks nothing: the
// conversation goes to an adviser, and moves silently past the questions
// they answered, to be asked where it stands when it is given back.
func (st *step) keep(c vocab.Codes, text string) {
	added := newCodes(st.s.Codes, c)
	if added.Empty() {
		return
	}
	st.note(text, true)
	st.say(st.t("Understood", map[string]any{"List": st.describe(added)}))
	if next, move := st.record(added); move {
		st.skipTo(next)
	}
}

// skipTo moves to node id without a word, past messages and questions
// already answered, up to the first node that needs the person or shows
// services (shown when the conversation is asked again).
func (st *step) skipTo(id string) {
	for range len(st.e.Tree.Nodes) + 1 {
		n := st.e.Tree.Node(id)
		if n == nil {
			return
		}
		answered := traitsOf(n).question && n.Facet != "" && st.s.Codes.Has(n.Facet)
		if st.holds(n) && !isInfo(n) && !answered {
			st.s.Node = n.ID
			return
		}
		id = n.Next
	}
}

// known acknowledges a message that only repeats what is known (a shared
// location in the known province, "je suis à Tétouan" typed again): it was
// understood, but it changes nothing, so it leaves no step for /back
// unless it answered a clarification (settled); then the question again.
// The caller says what it does to the misses.
func (st *step) known(c vocab.Codes) {
	st.settled()
	st.say(st.t("Understood", map[string]any{"List": st.describe(c)}))
	if n := st.e.Tree.Node(st.s.Node); n != nil && n.Facet != "" && st.s.Codes.Has(n.Facet) {
		st.enter(st.after(n))
		return
	}
	st.ask()
}

// codes applies what the user expressed at the current node (free text or
// a shared location): confirm it, then ask what is still missing. Only
// when nothing at all was understood is it a miss.
func (st *step) codes(c vocab.Codes, text string) {
	added := newCodes(st.s.Codes, c)
	if added.Empty() {
		switch {
		case st.s.Node == "": // first message, nothing new: start the tree
			st.enter(st.e.Tree.Start)
		case st.picking(): // understood: several values, asked which one
			st.settled()
			st.s.Misses = 0
			st.ask()
		case !c.Empty() && st.e.Tree.Node(st.s.Node) != nil:
			st.s.Misses = 0 // understood: no miss
			st.known(c)
		default:
			st.miss()
		}
		return
	}
	st.note(text, true)
	st.say(st.t("Understood", map[string]any{"List": st.describe(added)}))
	st.apply(added)
}

// apply records new codes at the current node, with a frame for /back,
// then goes on: to the next question if they answered this one, else this
// one again.
func (st *step) apply(added vocab.Codes) {
	if next, move := st.record(added); move {
		st.enter(next)
		return
	}
	st.ask()
}

// record records new codes at the current node, with a frame for /back,
// and says where the conversation goes: to the next node if they answered
// this question, to the start if they came between conversations (new
// information starts a new one), or nowhere (move false).
func (st *step) record(added vocab.Codes) (next string, move bool) {
	n := st.e.Tree.Node(st.s.Node)
	if st.between(n) {
		start := st.e.Tree.Start
		st.s.Codes, st.s.Ended, st.s.Misses = added, false, 0
		st.s.Hist = nil
		st.push(Frame{Node: start, Added: added}) // /back undoes the message
		return start, true
	}
	st.s.Misses = 0
	replaced := st.merge(added)
	st.push(Frame{Node: n.ID, Added: added, Removed: replaced})
	if n.Facet != "" && st.s.Codes.Has(n.Facet) {
		return st.after(n), true
	}
	return "", false
}

// between says whether the conversation at node n is between two
// conversations: ended, handed to an adviser, or nowhere in the tree.
func (st *step) between(n *Node) bool {
	return n == nil || st.s.Ended || traitsOf(n).final
}

// push records a frame for /back, with the clarification the input found
// awaited: undoing the step asks it again.
func (st *step) push(f Frame) {
	f.Pick = clonePick(st.asked)
	st.s.Hist = append(st.s.Hist, f)
}

// settled records a step that changed no code but the clarification
// awaited: one answered with the value already known, or asked by a
// message naming two values and nothing new. It was the user's step all
// the same, so /back undoes it alone (asks the clarification again, or
// drops it) rather than the step before. Between conversations there is
// nothing to undo.
func (st *step) settled() {
	n := st.e.Tree.Node(st.s.Node)
	if !st.s.Pending.Forget && sameCodes(codesOf(st.s.Pending.Pick), codesOf(st.asked)) || st.between(n) {
		return
	}
	st.push(Frame{Node: n.ID})
}

func (st *step) note(text string, understood bool) {
	if text == "" || !understood {
		return
	}
	st.s.Notes = append(st.s.Notes, truncateRunes(text, maxNoteRunes))
	if len(st.s.Notes) > maxNotes {
		st.s.Notes = st.s.Notes[len(st.s.Notes)-maxNotes:]
	}
}

func (st *step) miss() {
	st.s.Misses++
	if st.s.Misses >= missesForAdviser {
		st.replies = append(st.replies, Reply{
			Text:    st.t("NotUnderstoodAgain", nil),
			Buttons: [][]Button{{{Label: st.t("ButtonAdviser", nil), Data: dataAdviser}}},
		})
	} else {
		st.say(st.t("NotUnderstood", nil))
	}
	st.ask()
}

// matchChoice finds the choice a free text names: its number, its label in
// any language, or (byCodes) codes that select exactly one choice.
func (st *step) matchChoice(n *Node, text string, codes vocab.Codes, byCodes bool) *Choice {
	if i, err := strconv.Atoi(strings.TrimSpace(text)); err == nil && i >= 1 && i <= len(n.Choices) {
		return n.Choices[i-1]
	}
	norm := nlu.Normalize(text)
	for _, c := range n.Choices {
		for _, label := range c.Label {
			if norm != "" && nlu.Normalize(label) == norm {
				return c
			}
		}
	}
	if !byCodes {
		return nil
	}
	var found *Choice
	for _, c := range n.Choices {
		if len(c.Set) == 0 {
			continue
		}
		all := true
		for f, want := range c.Set {
			for _, code := range want {
				if !slices.Contains(codes.Get(f), code) {
					all = false
				}
			}
		}
		if all {
			if found != nil {
				return nil // ambiguous: let the codes speak for themselves
			}
			found = c
		}
	}
	return found
}

// choose applies a choice, plus any other codes the same message expressed.
func (st *step) choose(n *Node, c *Choice, extra vocab.Codes) {
	if c.Action == ActionRestart {
		st.restart()
		return
	}
	set := choiceCodes(c)
	set.Merge(extra)
	var removed vocab.Codes
	for _, f := range c.Clear {
		removed.Set(f, st.s.Codes.Get(f)...)
		st.s.Codes.Set(f)
	}
	added := newCodes(st.s.Codes, set)
	removed.Merge(st.merge(added))
	st.push(Frame{Node: n.ID, Added: added, Removed: removed})
	st.s.Misses = 0
	next := c.Next
	if next == "" {
		next = st.after(n)
	}
	st.enter(next)
}

func choiceCodes(c *Choice) vocab.Codes {
	var set vocab.Codes
	for _, f := range vocab.Facets {
		set.Add(f, c.Set[f]...)
	}
	return set
}

// after is where the conversation goes once question n is answered: its
// next node, or the question it was asked ahead of (State.Resume).
func (st *step) after(n *Node) string {
	r := st.s.Resume
	st.s.Resume = ""
	if r != "" && r != n.ID {
		return r
	}
	return n.Next
}

// advanceWith records codes as the answer to n and goes on to next.
func (st *step) advanceWith(n *Node, c vocab.Codes, next string) {
	added := newCodes(st.s.Codes, c)
	replaced := st.merge(added)
	st.push(Frame{Node: n.ID, Added: added, Removed: replaced})
	st.s.Misses = 0
	st.enter(next)
}

// merge adds new codes to the state, a single-valued facet's
// (vocab.SingleValued: stage, form, province, area) replacing what it held;
// it returns the codes replaced, for /back to restore. Needs, publics and
// sectors add up.
func (st *step) merge(added vocab.Codes) (replaced vocab.Codes) {
	for _, f := range vocab.SingleValued {
		if added.Has(f) && st.s.Codes.Has(f) {
			replaced.Set(f, st.s.Codes.Get(f)...)
			st.s.Codes.Set(f)
		}
	}
	st.s.Codes.Merge(added)
	return replaced
}

// newCodes returns the codes of c that are not yet known.
func newCodes(have, c vocab.Codes) vocab.Codes {
	var out vocab.Codes
	for _, f := range vocab.Facets {
		for _, code := range c.Get(f) {
			if !slices.Contains(have.Get(f), code) {
				out.Add(f, code)
			}
		}
	}
	return out
}

// describe lists codes in the user's language.
func (st *step) describe(c vocab.Codes) string {
	var parts []string
	for _, f := range vocab.Facets {
		for _, code := range c.Get(f) {
			parts = append(parts, st.t("code."+string(f)+"."+code, nil))
		}
	}
	sep := ", "
	if st.s.Lang.RTL() {
		sep = "، "
	}
	return strings.Join(parts, sep)
}

// enter moves to node id and runs the tree until it needs the user:
// skipped questions, messages and referrals are passed through.
func (st *step) enter(id string) {
	t := st.e.Tree
	for range len(t.Nodes) + 1 {
		n := t.Node(id)
		if n == nil {
			// Only a tree that failed validation gets here: end gracefully.
			st.s.Node, st.s.Ended = "", true
			st.say(st.t("Ended", nil))
			return
		}
		if !st.holds(n) {
			id = n.Next
			continue
		}
		next, wait := kindOf(n).enter(st, n)
		if wait {
			return
		}
		id = next
	}
	// A loop of skipped nodes: validation prevents it; never spin.
	st.s.Ended = true
	st.say(st.t("Ended", nil))
}

func (st *step) holds(n *Node) bool {
	for _, c := range n.When {
		if !c.Holds(st.s.Codes) {
			return false
		}
	}
	return true
}

// ask repeats where the conversation stands: the current question, or the
// language choice when none was made.
func (st *step) ask() {
	if st.s.Lang == "" {
		st.chooseLanguage()
		return
	}
	if st.s.Pending.Request != nil {
		st.askRequest()
		return
	}
	if pk := st.pick(); !pk.Empty() {
		st.askPick(pk)
		return
	}
	n := st.e.Tree.Node(st.s.Node)
	if n == nil {
		st.enter(st.e.Tree.Start)
		return
	}
	kindOf(n).ask(st, n)
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n])
}

// A project has one stage, legal form, province and area. A message naming
// several values of one of these ("entre Tétouan et Tanger") keeps none of
// them: the conversation asks which one, with a button per value, and
// holds the clarification in State.Pending until a press or another message.

// unambiguous returns c without the single-valued facets it names several
// values of, and records those values as the clarification to ask.
func (st *step) unambiguous(c vocab.Codes) vocab.Codes {
	var amb vocab.Codes
	for _, f := range vocab.SingleValued {
		if len(c.Get(f)) > 1 {
			for _, code := range vocab.Values[f] { // in vocabulary order: stable buttons
				if slices.Contains(c.Get(f), code) {
					amb.Add(f, code)
				}
			}
			c.Set(f) // c is a copy: the caller's codes keep the values
		}
	}
	if !amb.Empty() {
		st.s.Pending = Pending{Pick: &amb}
	}
	return c
}

// pickFacet is the facet a clarification asks about first ("" for none).
func pickFacet(pk vocab.Codes) vocab.Facet {
	for _, f := range vocab.SingleValued {
		if pk.Has(f) {
			return f
		}
	}
	return ""
}

// askPick asks which value of the clarification's first facet is the right one.
func (st *step) askPick(pk vocab.Codes) {
	f := pickFacet(pk)
	var one vocab.Codes
	one.Set(f, pk.Get(f)...)
	r := Reply{Text: st.t("pick."+string(f), map[string]any{"List": st.describe(one)})}
	var row []Button
	for _, code := range pk.Get(f) {
		row = append(row, Button{Label: st.t("code."+string(f)+"."+code, nil), Data: pickData(st.e.Tree.Version, st.s.Node, code)})
		if len(row) == 2 {
			r.Buttons = append(r.Buttons, row)
			row = nil
		}
	}
	if len(row) > 0 {
		r.Buttons = append(r.Buttons, row)
	}
	st.replies = append(st.replies, st.withBack(r))
}

// pickData is a clarification button's callback data. The tree version
// and node make a press on an old clarification stale, like a tree button;
// a node id too long for Telegram's 64 bytes is left out (the awaited
// clarification in the state still tells a stale press).
func pickData(version, node, code string) string {
	if d := dataPick + version + ":" + node + ":" + code; len(d) <= MaxCallbackData {
		return d
	}
	return dataPick + version + "::" + code
}

// picked settles facet f of clarification pk with code: set like any
// single-valued answer, then the next facet to clarify, or the
// conversation where it was. /back brings the clarification back, with the
// earlier value if any.
func (st *step) picked(pk vocab.Codes, f vocab.Facet, code string) {
	pk.Set(f)
	st.s.Pending = Pending{Pick: clonePick(&pk)}
	var c vocab.Codes
	c.Set(f, code)
	if added := newCodes(st.s.Codes, c); !added.Empty() {
		st.apply(added)
		return
	}
	// The value already known: no code to record, only the answer, then on.
	st.settled()
	st.s.Misses = 0
	if n := st.e.Tree.Node(st.s.Node); n != nil && n.Facet != "" && st.s.Codes.Has(n.Facet) && !st.s.Ended {
		st.enter(st.after(n))
		return
	}
	st.ask()
}

// isInfo says whether n is a message the walk passes through, showing no
// services.
func isInfo(n *Node) bool {
	t := traitsOf(n)
	return t.passes && !t.refers
}
