package treestore_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dalil-tt/dalil/catalogue/postgres/pgtest"
	"github.com/dalil-tt/dalil/dialog"
	"github.com/dalil-tt/dalil/dialog/trees"
	"github.com/dalil-tt/dalil/dialog/treestore"
	"github.com/dalil-tt/dalil/locales"
)

const treeA = "id: t\nstart: bye\nnodes:\n  - id: bye\n    kind: end\n    text: {fr: au revoir, ar: مع السلامة, ary: بسلامة}\n"
const treeB = "id: t\nstart: bye\nnodes:\n  - id: bye\n    kind: end\n    text: {fr: à bientôt, ar: إلى اللقاء, ary: نتشاوفو}\n"
const treeBroken = "id: t\nstart: bye\nnodes:\n  - id: bye\n    kind: end\n    text: {fr: a}\n  - id: lost\n    kind: info\n    text: {fr: a, ar: ب, ary: ب}\n"

// newStore migrates a fresh database and returns a store over a new pool.
func newStore(t testing.TB) (*treestore.Store, string) {
	t.Helper()
	url := pgtest.NewDB(t)
	ctx := context.Background()
	if err := treestore.Migrate(ctx, url); err != nil {
		t.Fatal(err)
	}
	if err := treestore.Migrate(ctx, url); err != nil {
		t.Fatalf("second migration: %v", err)
	}
	return openStore(t, url), url
}

func openStore(t testing.TB, url string) *treestore.Store {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return treestore.New(pool)
}

func TestPublishListDiffRollback(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)

	if _, err := s.Publish(ctx, treestore.KindTree, []byte(treeBroken), "amina", "broken"); err == nil {
		t.Fatal("a broken tree was published")
	} else {
		var inv *treestore.InvalidError
		if !errors.As(err, &inv) || !strings.Contains(err.Error(), `node "bye"`) || !strings.Contains(err.Error(), `node "lost"`) {
			t.Fatalf("want the validator's messages, got %v", err)
		}
	}
	v1, err := s.Publish(ctx, treestore.KindTree, []byte(treeA), "amina", "first")
	if err != nil {
		t.Fatal(err)
	}
	if v1.N != 1 || len(v1.Hash) != 64 {
		t.Fatalf("first version: %+v", v1)
	}
	if _, err := s.Publish(ctx, treestore.KindTree, []byte(treeA), "amina", "again"); !errors.Is(err, treestore.ErrUnchanged) {
		t.Fatalf("republishing the live content: %v", err)
	}
	v2, err := s.Publish(ctx, treestore.KindTree, []byte(treeB), "youssef", "wording")
	if err != nil || v2.N != 2 {
		t.Fatalf("second version %+v, %v", v2, err)
	}
	list, err := s.List(ctx, treestore.KindTree)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].N != 2 || !list[0].Live || list[1].Live || list[0].Author != "youssef" || list[1].Comment != "first" {
		t.Fatalf("list: %+v", list)
	}
	d, err := s.Diff(ctx, treestore.KindTree, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(d, "-    text: {fr: au revoir") || !strings.Contains(d, "+    text: {fr: à bientôt") || strings.Contains(d, " id: t\n") {
		t.Fatalf("diff:\n%s", d)
	}
	rb, err := s.Rollback(ctx, treestore.KindTree, 0, "amina", "")
	if err != nil {
		t.Fatal(err)
	}
	if rb.N != 3 || rb.Restores != 1 || rb.Hash != v1.Hash {
		t.Fatalf("rollback: %+v", rb)
	}
	live, ok, err := s.Live(ctx, treestore.KindTree)
	if err != nil || !ok || string(live.Content) != treeA {
		t.Fatalf("live after rollback: %+v %v %v", live, ok, err)
	}
	if _, err := s.Rollback(ctx, treestore.KindTree, 9, "amina", ""); !errors.Is(err, treestore.ErrNotFound) {
		t.Fatalf("rollback to a missing version: %v", err)
	}
	log, err := s.AuditLog(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range log {
		actions = append(actions, e.Actor+" "+e.Action)
	}
	if got := strings.Join(actions, ","); got != "amina tree.rollback,youssef tree.publish,amina tree.publish" {
		t.Fatalf("audit: %s", got)
	}
}

func TestLexiconVersions(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	cur, err := s.Current(ctx)
	if err != nil || cur.LexiconVersion.N != 0 || cur.TreeVersion.N != 0 || cur.Tree == nil || cur.Lexicon == nil {
		t.Fatalf("built-in fallback: %+v %v", cur, err)
	}
	if _, err := s.Publish(ctx, treestore.KindLexicon, []byte("needs:\n  nonexistent.code: [foo]\n"), "amina", ""); err == nil {
		t.Fatal("a lexicon with an unknown code was published")
	}
	edited := append([]byte{}, trees.Lexicon...)
	edited = append(edited, []byte("\n# edited\n")...)
	v, err := s.Publish(ctx, treestore.KindLexicon, edited, "amina", "comment")
	if err != nil || v.N != 1 {
		t.Fatalf("%+v %v", v, err)
	}
	cur, err = s.Current(ctx)
	if err != nil || cur.LexiconVersion.N != 1 || cur.TreeVersion.N != 0 {
		t.Fatalf("after lexicon publish: %+v %v", cur, err)
	}
}

// Two watchers on two pools, as two `dalil serve` processes would be, both
// see a publish and a rollback within 2 seconds.
func TestWatchTwoProcesses(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, url := newStore(t)
	type seen struct {
		mu sync.Mutex
		ns []int
		ch chan int
	}
	watchers := []*seen{{ch: make(chan int, 10)}, {ch: make(chan int, 10)}}
	var wg sync.WaitGroup
	for _, w := range watchers {
		other := openStore(t, url)
		wg.Add(1)
		go func() {
			defer wg.Done()
			other.Watch(ctx, func(l treestore.Live) {
				if l.Tree == nil {
					t.Error("nil tree delivered")
				}
				w.ch <- l.TreeVersion.N
			}, treestore.WatchOptions{})
		}()
	}
	expect := func(want int) {
		t.Helper()
		for i, w := range watchers {
			select {
			case n := <-w.ch:
				if n != want {
					t.Fatalf("watcher %d: version %d, want %d", i, n, want)
				}
			case <-time.After(2 * time.Second):
				t.Fatalf("watcher %d did not see version %d within 2 s", i, want)
			}
		}
	}
	expect(0) // the built-in tree at start
	if _, err := s.Publish(ctx, treestore.KindTree, []byte(treeA), "amina", ""); err != nil {
		t.Fatal(err)
	}
	expect(1)
	if _, err := s.Publish(ctx, treestore.KindTree, []byte(treeB), "amina", ""); err != nil {
		t.Fatal(err)
	}
	expect(2)
	if _, err := s.Rollback(ctx, treestore.KindTree, 1, "amina", ""); err != nil {
		t.Fatal(err)
	}
	expect(3)
	cancel()
	wg.Wait()
}

// A watcher whose connection is killed reconnects and still sees a publish.
func TestWatchReconnects(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, url := newStore(t)
	w := openStore(t, url)
	ch := make(chan int, 10)
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.Watch(ctx, func(l treestore.Live) { ch <- l.TreeVersion.N }, treestore.WatchOptions{Retry: 50 * time.Millisecond})
	}()
	if n := <-ch; n != 0 {
		t.Fatalf("start: %d", n)
	}
	// Kill every listening backend of this database.
	var killed []int32
	if err := s.Pool().QueryRow(ctx, `SELECT coalesce(array_agg(pid), '{}') FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE 'LISTEN%'
		AND pg_terminate_backend(pid)`).Scan(&killed); err != nil || len(killed) == 0 {
		t.Fatalf("killing the listeners: %v %v", killed, err)
	}
	// The watcher is back once a new backend listens; polled under a
	// deadline, PostgreSQL telling no one of a LISTEN.
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int
		if err := s.Pool().QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
			AND query LIKE 'LISTEN%' AND state = 'idle' AND NOT pid = ANY($1)`, killed).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the watcher did not listen again")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := s.Publish(ctx, treestore.KindTree, []byte(treeA), "amina", ""); err != nil {
		t.Fatal(err)
	}
	select {
	case n := <-ch:
		if n != 1 {
			t.Fatalf("after reconnect: version %d", n)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("the watcher did not recover from a killed connection")
	}
	cancel()
	<-done
}

func TestLineDiff(t *testing.T) {
	d := treestore.Unified(treestore.LineDiff("a\nb\nc\nd\n", "a\nc\nd\ne\n"), "A", "B", 1)
	want := "--- A\n+++ B\n@@ -1,4 +1,4 @@\n a\n-b\n c\n d\n+e\n"
	if d != want {
		t.Fatalf("got\n%q\nwant\n%q", d, want)
	}
	if h := treestore.Hunks(treestore.LineDiff("x\n", "x\n"), 3); h != nil {
		t.Fatalf("no change gives hunks %v", h)
	}
}

// Two bots (two pools, two live engines) switch a conversation in flight to
// a newly published tree: its next message is answered from the new tree,
// at the same node; a button of the old tree gets a stale answer, no error.
func TestLiveEngineSwitchesConversationInFlight(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, url := newStore(t)
	tr, err := locales.Default()
	if err != nil {
		t.Fatal(err)
	}
	ask := func(q string) string {
		return "id: t\nstart: q\nnodes:\n  - id: q\n    kind: choice\n    text: {fr: '" + q + "', ar: س, ary: س}\n    choices:\n      - id: a\n        label: {fr: A, ar: أ, ary: أ}\n        next: bye\n  - id: bye\n    kind: end\n    text: {fr: fin, ar: نهاية, ary: سالينا}\n"
	}
	if _, err := s.Publish(ctx, treestore.KindTree, []byte(ask("Question une ?")), "amina", ""); err != nil {
		t.Fatal(err)
	}
	var engines []*treestore.LiveEngine
	switched := make(chan struct{}, 10)
	for i := 0; i < 2; i++ {
		st := openStore(t, url)
		cur, err := st.Current(ctx)
		if err != nil {
			t.Fatal(err)
		}
		le := treestore.NewLiveEngine(cur, tr)
		engines = append(engines, le)
		go st.Watch(ctx, func(l treestore.Live) {
			le.Set(l)
			if l.TreeVersion.N == 2 {
				switched <- struct{}{}
			}
		}, treestore.WatchOptions{})
	}
	// The conversation starts on bot 0, in French, at node q of version 1.
	state := engines[0].NewState()
	state, _, _ = engines[0].Step(state, dialog.Input{Kind: dialog.InCommand, Command: "start"})
	state, replies, _ := engines[0].Step(state, dialog.Input{Kind: dialog.InButton, Data: "lang:fr"})
	oldButton := replies[len(replies)-1].Buttons[0][0].Data
	if !strings.Contains(replies[len(replies)-1].Text, "Question une") {
		t.Fatalf("first question: %+v", replies)
	}
	if _, err := s.Publish(ctx, treestore.KindTree, []byte(ask("Question deux ?")), "amina", ""); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		select {
		case <-switched:
		case <-time.After(2 * time.Second):
			t.Fatal("a bot did not switch within 2 s")
		}
	}
	// Its next message reaches bot 1, which answers from version 2.
	st2, replies, _ := engines[1].Step(state, dialog.Input{Kind: dialog.InButton, Data: oldButton})
	if !replies[0].Stale || !strings.Contains(replies[len(replies)-1].Text, "Question deux") {
		t.Fatalf("old button after the switch: %+v", replies)
	}
	_, replies, _ = engines[1].Step(st2, dialog.Input{Kind: dialog.InButton, Data: replies[len(replies)-1].Buttons[0][0].Data})
	if !strings.Contains(replies[len(replies)-1].Text, "fin") {
		t.Fatalf("new button: %+v", replies)
	}
}

func TestNodeChanges(t *testing.T) {
	a := []byte("id: t\nstart: q\nnodes:\n  - id: q\n    kind: info\n    text: {fr: a, ar: ب, ary: ب}\n    next: bye\n  - id: gone\n    kind: end\n    text: {fr: a, ar: ب, ary: ب}\n  - id: bye\n    kind: end\n    text: {fr: fin, ar: ب, ary: ب}\n")
	// q moves down (same content), bye changes, gone goes, new comes.
	b := []byte("id: t\nstart: q\nnodes:\n  - id: new\n    kind: end\n    text: {fr: a, ar: ب, ary: ب}\n  - id: q\n    kind: info\n    text: {fr: a, ar: ب, ary: ب}\n    next: bye\n  - id: bye\n    kind: end\n    text: {fr: au revoir, ar: ب, ary: ب}\n")
	added, removed, changed, err := treestore.NodeChanges(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(added, ",") != "new" || strings.Join(removed, ",") != "gone" || strings.Join(changed, ",") != "bye" {
		t.Fatalf("added %v removed %v changed %v", added, removed, changed)
	}
}
