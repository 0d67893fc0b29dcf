package staff_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dalil-tt/dalil/dialog/treestore"
	"github.com/dalil-tt/dalil/staff"
)

// chromiumPath is Debian's chromium; CHROMIUM overrides it.
func chromiumPath(t *testing.T) string {
	p := os.Getenv("CHROMIUM")
	if p == "" {
		p = "/usr/bin/chromium"
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("the browser tests need Chromium at %s (%v): install it with `apt-get install -y chromium`, or set CHROMIUM to its path", p, err)
	}
	return p
}

// browser starts a headless Chromium with a fresh profile.
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.NoSandbox, // tests run as root in CI containers
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	return ctx
}

// step runs browser actions, failing the test with what was being done.
func step(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// submit clicks a button that submits a form and waits for the next page.
func submit(t *testing.T, ctx context.Context, what, sel string) {
	t.Helper()
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel))); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("reading %s: %v", sel, err)
	}
	return s
}

func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluating %s: %v", js, err)
	}
	return v
}

// TestBrowserConsole drives the console in a real headless Chromium: log in,
// upload a broken tree and see its errors, fix it, simulate a conversation
// in Darija, publish and see the version go live (a watcher, as a running
// bot has, is told), then edit a catalogue service and see a referral change.
func TestBrowserConsole(t *testing.T) {
	t.Parallel()
	chromiumPath(t)
	e := newEnv(t, staff.Options{})

	// A watcher on its own pool, as a `dalil serve` process would run it.
	wctx, stopWatch := context.WithCancel(context.Background())
	defer stopWatch()
	wpool, err := pgxpool.New(wctx, e.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer wpool.Close()
	var mu sync.Mutex
	var seen []string
	live := make(chan struct{}, 10)
	watched := make(chan struct{})
	// The watcher holds one of wpool's connections: stop it before wpool closes.
	defer func() { stopWatch(); <-watched }()
	go func() {
		defer close(watched)
		treestore.New(wpool).Watch(wctx, func(l treestore.Live) {
			mu.Lock()
			seen = append(seen, l.TreeVersion.Author+":"+l.Tree.Start)
			mu.Unlock()
			select {
			case live <- struct{}{}:
			case <-wctx.Done(): // the test is over: nobody reads
			}
		}, treestore.WatchOptions{})
	}()
	<-live // the built-in tree at start

	ctx := browser(t)
	dir := t.TempDir()
	broken := filepath.Join(dir, "broken.yaml")
	if err := os.WriteFile(broken, []byte(brokenTree), 0o644); err != nil {
		t.Fatal(err)
	}

	// Any page sends to the login form first.
	step(t, ctx, "open the console", chromedp.Navigate(e.url+"/admin/trees"), chromedp.WaitVisible(chromedp.CSS("#login")))
	step(t, ctx, "fill the login form",
		chromedp.SendKeys(chromedp.CSS("#email"), editorEmail),
		chromedp.SendKeys(chromedp.CSS("#password"), password))
	submit(t, ctx, "log in", "#signin")
	step(t, ctx, "see the tree editor", chromedp.WaitVisible(chromedp.CSS("#editor")))
	if got := text(t, ctx, "#live"); !strings.Contains(got, "intégrée") {
		t.Fatalf("live version before any publish: %q", got)
	}

	// Upload a broken tree: the problems show, next to their node.
	step(t, ctx, "choose the broken file", chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{broken}))
	submit(t, ctx, "check the upload", "#check")
	if got := text(t, ctx, "#problem-count"); !strings.Contains(got, "problème") {
		t.Fatalf("problem count: %q", got)
	}
	if got := text(t, ctx, "#node-hello .problems"); !strings.Contains(got, "ar") {
		t.Fatalf("problems of node hello: %q", got)
	}
	if got := text(t, ctx, "#problems"); !strings.Contains(got, "nowhere") {
		t.Fatalf("the unknown node is not reported: %q", got)
	}
	if got := eval[string](t, ctx, `document.querySelector("#content").value`); !strings.Contains(got, "next: nowhere") {
		t.Fatalf("the uploaded file is not in the editor: %q", got)
	}

	// Fix it in the textarea.
	step(t, ctx, "fix the tree", chromedp.SetValue(chromedp.CSS("#content"), goodTree))
	submit(t, ctx, "check the fix", "#check")
	if got := text(t, ctx, "#problem-count"); !strings.Contains(got, "Aucun problème") {
		t.Fatalf("after the fix: %q", got)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll("#diagram .node").length`); n != 2 {
		t.Fatalf("diagram has %d nodes, want 2", n)
	}

	// Simulate a conversation in Darija: the question, a button, the end.
	step(t, ctx, "choose Darija", chromedp.SetValue(chromedp.CSS("#sim-lang"), "ary"))
	submit(t, ctx, "start the simulation", "#sim-start")
	if got := text(t, ctx, "#chat"); !strings.Contains(got, "شنو بغيتي؟") {
		t.Fatalf("simulated question: %q", got)
	}
	submit(t, ctx, "press the button", "#sim-buttons button")
	if got := text(t, ctx, "#chat"); !strings.Contains(got, "[تكوين]") || !strings.Contains(got, "بسلامة") {
		t.Fatalf("simulated answer: %q", got)
	}

	// Publish: the version becomes live and a running bot's watcher hears it.
	step(t, ctx, "write a comment", chromedp.SendKeys(chromedp.CSS("#comment"), "premier arbre"))
	submit(t, ctx, "publish", "#publish")
	if got := text(t, ctx, "#flash"); !strings.Contains(got, "Version 1 publiée") {
		t.Fatalf("flash after publish: %q", got)
	}
	if got := text(t, ctx, "#live"); !strings.Contains(got, "version 1") || !strings.Contains(got, editorEmail) {
		t.Fatalf("live after publish: %q", got)
	}
	select {
	case <-live:
	case <-time.After(2 * time.Second):
		t.Fatal("the watcher was not told of the publish within 2 s")
	}
	mu.Lock()
	if last := seen[len(seen)-1]; last != editorEmail+":hello" {
		t.Fatalf("watcher got %q", last)
	}
	mu.Unlock()

	// The console on a phone, in Arabic: right to left, nothing wider than the screen.
	step(t, ctx, "phone screen", chromedp.EmulateViewport(390, 844))
	step(t, ctx, "switch to Arabic", chromedp.Navigate(e.url+"/admin/lang?l=ar&next=/admin/trees"), chromedp.WaitVisible(chromedp.CSS("#editor")))
	if dir := eval[string](t, ctx, `document.documentElement.dir`); dir != "rtl" {
		t.Fatalf("Arabic page direction %q", dir)
	}
	if w := eval[int](t, ctx, `document.documentElement.scrollWidth - window.innerWidth`); w > 0 {
		t.Errorf("the trees page is %d px wider than a phone screen", w)
	}
	step(t, ctx, "back to French", chromedp.Navigate(e.url+"/admin/lang?l=fr&next=/admin/catalogue"), chromedp.WaitVisible(chromedp.CSS("#stale")))
	step(t, ctx, "desktop screen", chromedp.EmulateViewport(1280, 900))

	// Edit a catalogue service and see a referral change.
	step(t, ctx, "referral before", chromedp.Navigate(e.url+"/admin/catalogue/match?needs=training&provinces=larache"), chromedp.WaitVisible(chromedp.CSS("#referral")))
	if n := eval[int](t, ctx, `document.querySelectorAll('[data-service="alpha-training"]').length`); n != 0 {
		t.Fatal("alpha-training is referred for Larache before the edit")
	}
	step(t, ctx, "open the service", chromedp.Navigate(e.url+"/admin/catalogue/service?id=alpha-training"), chromedp.WaitVisible(chromedp.CSS("#service")))
	step(t, ctx, "add a wrong province", chromedp.SetValue(chromedp.CSS("#f_provinces"), "tetouan|atlantis"))
	submit(t, ctx, "save the wrong edit", "#save")
	if got := text(t, ctx, "#error"); !strings.Contains(got, "Refusé") {
		t.Fatalf("a wrong edit was not refused: %q", got)
	}
	step(t, ctx, "add Larache", chromedp.SetValue(chromedp.CSS("#f_provinces"), "tetouan|larache"))
	submit(t, ctx, "save", "#save")
	if got := text(t, ctx, "#flash"); !strings.Contains(got, "enregistré") {
		t.Fatalf("after save: %q", got)
	}
	step(t, ctx, "referral after", chromedp.Navigate(e.url+"/admin/catalogue/match?needs=training&provinces=larache"), chromedp.WaitVisible(chromedp.CSS("#referral")))
	if n := eval[int](t, ctx, `document.querySelectorAll('[data-service="alpha-training"]').length`); n != 1 {
		t.Fatal("alpha-training is not referred for Larache after the edit")
	}
}
