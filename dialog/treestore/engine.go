package treestore

import (
	"sync/atomic"

	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/dialog"
)

// LiveEngine is a dialog engine that follows the live tree and lexicon:
// Set (from Watch) swaps them in atomically, and each Step runs on the
// versions current when it starts. A conversation in flight moves to the
// new tree at its next message (the engine keeps its node when the node
// still exists, else starts the tree again); a button of an older version
// gets the engine's "this button is old" answer and the current question.
type LiveEngine struct {
	t   dialog.Translator
	cat catalogue.Ranker
	p   atomic.Pointer[dialog.Engine]
	v   atomic.Pointer[Live]
}

// NewLiveEngine returns an engine on l with the UI strings t.
func NewLiveEngine(l Live, t dialog.Translator) *LiveEngine {
	e := &LiveEngine{t: t}
	e.Set(l)
	return e
}

// NewLiveEngineWith is NewLiveEngine with the catalogue the engine asks
// its questions by (dialog.Engine.Catalogue).
func NewLiveEngineWith(l Live, t dialog.Translator, cat catalogue.Ranker) *LiveEngine {
	e := &LiveEngine{t: t, cat: cat}
	e.Set(l)
	return e
}

// Set makes l the versions the next Steps run on.
func (e *LiveEngine) Set(l Live) {
	e.p.Store(&dialog.Engine{Tree: l.Tree, NLU: l.Lexicon, T: e.t, Catalogue: e.cat})
	e.v.Store(&l)
}

// Step is dialog.Engine.Step on the live versions.
func (e *LiveEngine) Step(s dialog.State, in dialog.Input) (dialog.State, []dialog.Reply, []dialog.Effect) {
	return e.p.Load().Step(s, in)
}

// NewState is dialog.Engine.NewState on the live tree.
func (e *LiveEngine) NewState() dialog.State { return e.p.Load().NewState() }

// Live returns the versions in use.
func (e *LiveEngine) Live() Live { return *e.v.Load() }
