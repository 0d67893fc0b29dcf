package staff

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/dialog"
	"github.com/dalil-tt/dalil/dialog/nlu"
	"github.com/dalil-tt/dalil/dialog/treestore"
	"github.com/dalil-tt/dalil/internal/lang"
)

// treesData is the trees (and lexicon) page.
type treesData struct {
	Kind       string
	Versions   []treestore.Version
	Live       treestore.Version
	Content    string
	Checked    bool           // the content was checked now
	General    []string       // problems not tied to a node
	Problems   int            // count of all problems
	Diagram    []*diagramNode // roots: the start, then unreachable nodes
	Sim        *simulation    // tree only
	Understood string         // lexicon only: nlu result of the test text
	TestText   string
	Comment    string
	Base       int // the live version the draft started from
	Diff       []treestore.DiffLine
	DiffTitle  string
	// Node ids the diff touches (trees only).
	Added, Removed, Changed []string
}

// diagramNode is one node of the drawn tree, with the problems about it.
type diagramNode struct {
	ID       string
	Kind     string
	Line     int
	Text     string // in the console's language (Arabic for ar, else French)
	Facet    string
	When     string
	Problems []string
	Edges    []diagramEdge
	Ref      bool // already drawn above: only a link
}

type diagramEdge struct {
	Label  string // choice label, or "" for the node's next
	Target *diagramNode
	Action string
	Codes  string
}

// simulation is the in-page chat: state and transcript travel in the form.
type simulation struct {
	Lang        string
	State       string // JSON of dialog.State
	Log         []simLine
	LogJSON     string
	Buttons     [][]dialog.Button
	ButtonsJSON string
	Error       string
}

type simLine struct {
	User bool   `json:"u,omitempty"`
	Text string `json:"t"`
	Dir  string `json:"d,omitempty"`
	Note string `json:"n,omitempty"` // e.g. the tree node asked
}

func kindOf(r *http.Request) treestore.Kind {
	if r.FormValue("kind") == string(treestore.KindLexicon) {
		return treestore.KindLexicon
	}
	return treestore.KindTree
}

func (s *Server) treesPage(w http.ResponseWriter, r *http.Request, sess *session) {
	kind := kindOf(r)
	d := &treesData{Kind: string(kind)}
	if err := s.loadVersions(r, kind, d); err != nil {
		s.fail(w, r, err)
		return
	}
	d.Content, d.Base = string(d.Live.Content), d.Live.N
	if from := r.URL.Query().Get("from"); from != "" {
		n, _ := strconv.Atoi(from)
		v, err := s.versions.Get(r.Context(), kind, n)
		if err != nil {
			http.Error(w, "no such version", http.StatusNotFound)
			return
		}
		d.Content = string(v.Content)
	}
	s.analyse(r, kind, d, sess)
	s.render(w, r, http.StatusOK, "trees", sess, page{Data: d, Nav: string(kind)})
}

func (s *Server) loadVersions(r *http.Request, kind treestore.Kind, d *treesData) error {
	vs, err := s.versions.List(r.Context(), kind)
	if err != nil {
		return err
	}
	d.Versions = vs
	cur, err := s.versions.Current(r.Context())
	if err != nil {
		return err
	}
	if kind == treestore.KindTree {
		d.Live = cur.TreeVersion
	} else {
		d.Live = cur.LexiconVersion
	}
	return nil
}

// analyse validates d.Content and draws it (tree) into d.
func (s *Server) analyse(r *http.Request, kind treestore.Kind, d *treesData, sess *session) {
	ps := treestore.Check(kind, []byte(d.Content))
	d.Problems = len(ps)
	byNode := map[string][]string{}
	for _, p := range ps {
		if p.Node == "" {
			d.General = append(d.General, p.Msg)
		} else {
			byNode[p.Node] = append(byNode[p.Node], p.Msg)
		}
	}
	if kind != treestore.KindTree {
		return
	}
	t, err := dialog.Parse([]byte(d.Content))
	if err != nil {
		return
	}
	d.Diagram = diagram(t, byNode, uiLang(r))
	// A problem on a node id the diagram does not show (a duplicate id…)
	// must not be lost.
	shown := map[string]bool{}
	var walk func(n *diagramNode)
	walk = func(n *diagramNode) {
		if n == nil || n.Ref || shown[n.ID] {
			return
		}
		shown[n.ID] = true
		for _, e := range n.Edges {
			walk(e.Target)
		}
	}
	for _, n := range d.Diagram {
		walk(n)
	}
	for id, msgs := range byNode {
		if !shown[id] {
			for _, m := range msgs {
				d.General = append(d.General, fmt.Sprintf("node %q: %s", id, m))
			}
		}
	}
}

// diagram draws the tree as nested nodes from the start; a node reached
// again is drawn as a link to its first drawing; unreachable nodes follow.
func diagram(t *dialog.Tree, problems map[string][]string, uiLang string) []*diagramNode {
	drawn := map[string]bool{}
	l := lang.FR
	if uiLang == "ar" {
		l = lang.AR
	}
	var draw func(id string, depth int) *diagramNode
	draw = func(id string, depth int) *diagramNode {
		n := t.Node(id)
		if n == nil {
			return &diagramNode{ID: id, Kind: "?", Ref: true}
		}
		if drawn[id] || depth > 60 {
			return &diagramNode{ID: id, Kind: string(n.Kind), Ref: true}
		}
		drawn[id] = true
		dn := &diagramNode{ID: n.ID, Kind: string(n.Kind), Line: n.Line, Text: textIn(n.Text, l), Facet: string(n.Facet), Problems: problems[n.ID]}
		var conds []string
		for _, c := range n.When {
			op := "∈"
			if c.Not {
				op = "∉"
			}
			conds = append(conds, fmt.Sprintf("%s %s {%s}", c.Facet, op, strings.Join(c.Any, ", ")))
		}
		dn.When = strings.Join(conds, " · ")
		for _, c := range n.Choices {
			if c == nil {
				continue
			}
			e := diagramEdge{Label: textIn(c.Label, l), Action: c.Action}
			var codes []string
			for f, v := range c.Set {
				codes = append(codes, string(f)+"="+strings.Join(v, "|"))
			}
			e.Codes = strings.Join(codes, " ")
			next := c.Next
			if next == "" {
				next = n.Next
			}
			if c.Action == dialog.ActionRestart {
				next = ""
			}
			if next != "" {
				e.Target = draw(next, depth+1)
			}
			dn.Edges = append(dn.Edges, e)
		}
		if len(n.Choices) == 0 && n.Next != "" {
			dn.Edges = append(dn.Edges, diagramEdge{Target: draw(n.Next, depth+1)})
		}
		return dn
	}
	var roots []*diagramNode
	if t.Start != "" {
		roots = append(roots, draw(t.Start, 0))
	}
	for _, n := range t.Nodes {
		if n != nil && !drawn[n.ID] {
			roots = append(roots, draw(n.ID, 0))
		}
	}
	return roots
}

func textIn(t lang.Text, l lang.Lang) string { return t.In(l) }

// treesPost handles the editor form: check, upload, simulate, publish.
func (s *Server) treesPost(w http.ResponseWriter, r *http.Request, sess *session) {
	kind := kindOf(r)
	d := &treesData{Kind: string(kind), Content: r.PostFormValue("content"), Comment: r.PostFormValue("comment"), Checked: true}
	d.Base, _ = strconv.Atoi(r.PostFormValue("base"))
	action := r.PostFormValue("action")
	if r.PostFormValue("press") != "" {
		action = "simulate" // a button of the simulated chat
	}
	if f, _, err := r.FormFile("file"); err == nil {
		b, err := io.ReadAll(io.LimitReader(f, MaxTreeBytes+1))
		f.Close()
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if len(b) > 0 {
			d.Content = string(b)
			action = "check"
		}
	}
	d.Content = strings.ReplaceAll(d.Content, "\r\n", "\n") // browsers send CRLF from a textarea
	p := page{Data: d, Nav: string(kind)}
	if msg := tooBig(uiLang(r), kind, d.Content); msg != "" {
		// Nothing of it is checked, drawn or sent back.
		d.Content, d.Checked = "", false
		if err := s.loadVersions(r, kind, d); err != nil {
			s.fail(w, r, err)
			return
		}
		p.Error = msg
		s.render(w, r, http.StatusRequestEntityTooLarge, "trees", sess, p)
		return
	}
	code := http.StatusOK
	switch action {
	case "publish":
		if !sess.Role.CanEdit() {
			http.Error(w, "your role ("+string(sess.Role)+") does not allow publishing", http.StatusForbidden)
			return
		}
		// The draft was started from version base: if another version went
		// live since, publishing would silently undo it. Say so first;
		// publishing again (now based on the live one) is then deliberate.
		if base := r.PostFormValue("base"); base != "" {
			live, _, err := s.versions.Live(r.Context(), kind)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			if base != strconv.Itoa(live.N) {
				d.Base = live.N
				p.Error = tr(uiLang(r), "trees.conflict", live.N, live.Author)
				code = http.StatusConflict
				break
			}
		}
		v, err := s.versions.Publish(r.Context(), kind, []byte(d.Content), sess.Email, d.Comment)
		var inv *treestore.InvalidError
		switch {
		case err == nil:
			redirectDone(w, r, "/admin/trees?kind="+string(kind), "published."+strconv.Itoa(v.N))
			return
		case errors.As(err, &inv):
			p.Error = tr(uiLang(r), "trees.refused")
			code = http.StatusUnprocessableEntity
		case errors.Is(err, treestore.ErrUnchanged):
			p.Error = tr(uiLang(r), "trees.unchanged")
			code = http.StatusConflict
		default:
			s.fail(w, r, err)
			return
		}
	case "simulate", "sim_reset":
		if kind == treestore.KindLexicon {
			d.TestText = r.PostFormValue("sim_input")
			lx, err := nlu.ParseLexicon([]byte(d.Content))
			if err == nil {
				b, _ := lx.Understand(d.TestText).JSON()
				d.Understood = string(b)
			}
			break
		}
		d.Sim = s.simulate(r, []byte(d.Content), action == "sim_reset")
	}
	if err := s.loadVersions(r, kind, d); err != nil {
		s.fail(w, r, err)
		return
	}
	s.analyse(r, kind, d, sess)
	if err := r.Context().Err(); err != nil {
		s.fail(w, r, err) // the client left or the deadline passed: no page to draw
		return
	}
	s.render(w, r, code, "trees", sess, p)
}

// What the console takes in one tree or lexicon: the built-in tree has 69
// nodes in 18 KiB. Bigger ones go through `dalil tree publish`.
const (
	MaxTreeBytes = 1 << 20
	MaxTreeNodes = 2000
)

// tooBig says, in the console's language, why content is refused, or "".
func tooBig(l string, kind treestore.Kind, content string) string {
	if len(content) > MaxTreeBytes {
		return tr(l, "trees.toolarge", (len(content)+1023)/1024, MaxTreeBytes/1024)
	}
	if kind != treestore.KindTree {
		return ""
	}
	if t, err := dialog.Parse([]byte(content)); err == nil && len(t.Nodes) > MaxTreeNodes {
		return tr(l, "trees.toomany", len(t.Nodes), MaxTreeNodes)
	}
	return ""
}

// simulate runs one step of the in-page chat on the draft tree, with the
// live lexicon and the catalogue (or the demo one). The state comes back
// from the browser: a state the engine cannot take (edited by hand, or from
// a very different draft) ends in a message, not a failed request.
func (s *Server) simulate(r *http.Request, content []byte, reset bool) (sim *simulation) {
	ctx := r.Context()
	sim = &simulation{Lang: r.PostFormValue("sim_lang")}
	defer func() {
		if p := recover(); p != nil {
			slog.ErrorContext(ctx, "console: the simulated engine panicked", "panic", fmt.Sprint(p))
			sim.Error = tr(uiLang(r), "sim.broken")
			sim.Buttons, sim.State, sim.LogJSON, sim.ButtonsJSON = nil, "", "", ""
		}
	}()
	l, err := lang.Parse(sim.Lang)
	if err != nil {
		l, sim.Lang = lang.FR, "fr"
	}
	t, err := dialog.Parse(content)
	if err == nil && len(dialog.Validate(t)) > 0 {
		err = errors.New("problems")
	}
	if err != nil {
		sim.Error = tr(uiLang(r), "sim.fix")
		return sim
	}
	cur, err := s.versions.Current(ctx)
	var lexicon dialog.Understander = nlu.Default()
	if err == nil {
		lexicon = cur.Lexicon
	}
	eng := &dialog.Engine{Tree: t, NLU: lexicon, T: s.tr, Catalogue: catalogue.NewMemory(catalogue.Demo())}
	if s.opts.Catalogue != nil {
		eng.Catalogue = nil // the tree as written if the catalogue cannot be read
		if err := s.opts.Catalogue.LoadIndex(ctx); err == nil {
			eng.Catalogue = s.opts.Catalogue.Ranker()
		}
	}
	var state dialog.State
	var in []dialog.Input
	var shown [][]dialog.Button // buttons on screen before this step
	_ = json.Unmarshal([]byte(r.PostFormValue("sim_buttons")), &shown)
	if !reset {
		_ = json.Unmarshal([]byte(r.PostFormValue("sim_log")), &sim.Log)
		if err := json.Unmarshal([]byte(r.PostFormValue("sim_state")), &state); err != nil {
			reset = true
		}
	}
	if reset || state.V == 0 {
		sim.Log = nil
		state = eng.NewState()
		in = append(in, dialog.Input{Kind: dialog.InCommand, Command: "start"}, dialog.Input{Kind: dialog.InButton, Data: "lang:" + string(l)})
	} else if press := r.PostFormValue("press"); press != "" {
		label := press
		for _, row := range shown {
			for _, b := range row {
				if b.Data == press {
					label = b.Label
				}
			}
		}
		sim.Log = append(sim.Log, simLine{User: true, Text: "[" + label + "]", Dir: "auto"})
		in = append(in, dialog.Input{Kind: dialog.InButton, Data: press})
	} else if text := strings.TrimSpace(r.PostFormValue("sim_input")); text != "" {
		sim.Log = append(sim.Log, simLine{User: true, Text: text, Dir: "auto"})
		if strings.HasPrefix(text, "/") {
			name, arg, _ := strings.Cut(strings.TrimPrefix(text, "/"), " ")
			in = append(in, dialog.Input{Kind: dialog.InCommand, Command: strings.ToLower(name), Text: arg})
		} else {
			in = append(in, dialog.Input{Kind: dialog.InText, Text: text})
		}
	}
	var last []dialog.Reply
	for _, input := range in {
		var replies []dialog.Reply
		var effects []dialog.Effect
		state, replies, effects = eng.Step(state, input)
		for _, rep := range replies {
			sim.Log = append(sim.Log, simLine{Text: rep.Text, Dir: "auto", Note: rep.Node})
			if rep.Referral != nil {
				sim.Log = append(sim.Log, s.referralLines(r, *rep.Referral, state.Lang)...)
			}
		}
		for _, e := range effects {
			switch e.Kind {
			case dialog.EffectAdviser:
				sim.Log = append(sim.Log, simLine{Text: tr(uiLang(r), "sim.adviser")})
			case dialog.EffectForget:
				sim.Log = append(sim.Log, simLine{Text: tr(uiLang(r), "sim.forget")})
			}
		}
		last = replies
	}
	// Buttons of the last reply that has some, as on the user's phone.
	for i := len(last) - 1; i >= 0; i-- {
		if len(last[i].Buttons) > 0 {
			sim.Buttons = last[i].Buttons
			break
		}
	}
	if len(in) == 0 {
		sim.Buttons = shown
	}
	bb, _ := json.Marshal(sim.Buttons)
	sim.ButtonsJSON = string(bb)
	if len(sim.Log) > 200 {
		sim.Log = sim.Log[len(sim.Log)-200:]
	}
	b, _ := json.Marshal(state)
	sim.State = string(b)
	lb, _ := json.Marshal(sim.Log)
	sim.LogJSON = string(lb)
	return sim
}

// referralLines shows the services a referral would list.
func (s *Server) referralLines(r *http.Request, q catalogue.Query, l lang.Lang) []simLine {
	var m catalogue.Matcher = catalogue.NewMemory(catalogue.Demo())
	note := "demo"
	if s.opts.Catalogue != nil {
		m, note = s.opts.Catalogue, ""
	}
	res, err := m.Match(r.Context(), q)
	if err != nil {
		return []simLine{{Text: "catalogue error: " + err.Error()}}
	}
	// The same words as in Telegram (catalogue.Note, catalogue.MatchCard).
	var out []simLine
	if n := catalogue.Note(q, res, l, s.tr); n != "" {
		out = append(out, simLine{Text: n, Dir: "auto", Note: note})
	}
	for _, mt := range res.Matches {
		out = append(out, simLine{Text: catalogue.MatchCard(mt, l, s.tr), Dir: "auto", Note: "service " + mt.Service.ID + " " + note})
	}
	return out
}

func (s *Server) treesRollback(w http.ResponseWriter, r *http.Request, sess *session) {
	kind := kindOf(r)
	n, _ := strconv.Atoi(r.PostFormValue("version"))
	v, err := s.versions.Rollback(r.Context(), kind, n, sess.Email, r.PostFormValue("comment"))
	switch {
	case err == nil:
		redirectDone(w, r, "/admin/trees?kind="+string(kind), "rolledback."+strconv.Itoa(v.N))
	case errors.Is(err, treestore.ErrUnchanged):
		redirectDone(w, r, "/admin/trees?kind="+string(kind), "unchanged")
	case errors.Is(err, treestore.ErrNotFound), errors.Is(err, treestore.ErrNoPrevious):
		http.Error(w, err.Error(), http.StatusNotFound)
	default:
		s.fail(w, r, err)
	}
}

func (s *Server) treesDiff(w http.ResponseWriter, r *http.Request, sess *session) {
	kind := kindOf(r)
	a, _ := strconv.Atoi(r.URL.Query().Get("a"))
	b, _ := strconv.Atoi(r.URL.Query().Get("b"))
	va, err1 := s.versions.Get(r.Context(), kind, a)
	vb, err2 := s.versions.Get(r.Context(), kind, b)
	if err1 != nil || err2 != nil {
		http.Error(w, "no such version", http.StatusNotFound)
		return
	}
	d := &treesData{Kind: string(kind), DiffTitle: fmt.Sprintf("%s %d → %d", kind, a, b)}
	if kind == treestore.KindTree {
		d.Added, d.Removed, d.Changed, _ = treestore.NodeChanges(va.Content, vb.Content)
	}
	for _, h := range treestore.Hunks(treestore.LineDiff(string(va.Content), string(vb.Content)), 3) {
		d.Diff = append(d.Diff, treestore.DiffLine{Op: '@'})
		d.Diff = append(d.Diff, h...)
	}
	s.render(w, r, http.StatusOK, "diff", sess, page{Data: d, Nav: string(kind)})
}
