package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dalil-tt/dalil/bot/bottest"
	"github.com/dalil-tt/dalil/catalogue/postgres/pgtest"
	"github.com/dalil-tt/dalil/dialog/treestore"
	"github.com/dalil-tt/dalil/internal/proctest"
	"github.com/dalil-tt/dalil/internal/redistest"
	"github.com/dalil-tt/dalil/staff"
)

// runWithEnv is runCmd with environment variables.
func runWithEnv(t *testing.T, env map[string]string, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, stdio{strings.NewReader(stdin), &out, &errb, func(k string) string { return env[k] }})
	return code, out.String(), errb.String()
}

func TestTreePublishListDiffRollback(t *testing.T) {
	env := map[string]string{"DATABASE_URL": pgtest.NewDB(t), "USER": "ops"}
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a := write("a.yaml", "id: t\nstart: bye\nnodes:\n  - id: bye\n    kind: end\n    text: {fr: au revoir, ar: مع السلامة, ary: بسلامة}\n")
	b := write("b.yaml", "id: t\nstart: bye\nnodes:\n  - id: bye\n    kind: end\n    text: {fr: à bientôt, ar: إلى اللقاء, ary: نتشاوفو}\n")
	bad := write("bad.yaml", "id: t\nstart: bye\nnodes:\n  - id: bye\n    kind: end\n    text: {fr: a}\n")

	if code, out, _ := runWithEnv(t, env, "", "tree", "list"); code != 0 || !strings.Contains(out, "built-in") {
		t.Fatalf("empty list: %d %s", code, out)
	}
	if code, out, errs := runWithEnv(t, env, "", "tree", "publish", bad); code != 1 || !strings.Contains(out, `node "bye"`) || !strings.Contains(errs, "nothing published") {
		t.Fatalf("broken tree: exit %d\n%s\n%s", code, out, errs)
	}
	if code, out, errs := runWithEnv(t, env, "", "tree", "publish", a, "--author", "amina", "--comment", "first tree"); code != 0 || !strings.Contains(out, "version 1") {
		t.Fatalf("publish: exit %d\n%s\n%s", code, out, errs)
	}
	if code, _, errs := runWithEnv(t, env, "", "tree", "publish", a); code != 1 || !strings.Contains(errs, "identical") {
		t.Fatalf("same again: exit %d %s", code, errs)
	}
	if code, out, errs := runWithEnv(t, env, "", "tree", "publish", "--comment", "wording", b); code != 0 || !strings.Contains(out, "version 2") || !strings.Contains(out, "by ops") {
		t.Fatalf("publish b: exit %d\n%s\n%s", code, out, errs)
	}
	code, out, _ := runWithEnv(t, env, "", "tree", "list")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 3 || !strings.HasPrefix(lines[1], "2 ") || !strings.Contains(lines[1], "*") || !strings.Contains(lines[2], "amina") || !strings.Contains(lines[2], "first tree") {
		t.Fatalf("list: exit %d\n%s", code, out)
	}
	code, out, _ = runWithEnv(t, env, "", "tree", "diff", "1", "2")
	if code != 0 || !strings.Contains(out, "-    text: {fr: au revoir") || !strings.Contains(out, "+    text: {fr: à bientôt") || !strings.HasPrefix(out, "# nodes changed: bye\n") {
		t.Fatalf("diff: exit %d\n%s", code, out)
	}
	code, out, errs := runWithEnv(t, env, "", "tree", "rollback")
	if code != 0 || !strings.Contains(out, "version 3 (content of version 1)") {
		t.Fatalf("rollback: exit %d\n%s\n%s", code, out, errs)
	}
	if code, _, errs := runWithEnv(t, env, "", "tree", "rollback", "1"); code != 1 || !strings.Contains(errs, "already the live") {
		t.Fatalf("rollback to live: exit %d %s", code, errs)
	}
	if code, out, _ := runWithEnv(t, env, "", "tree", "list", "--lexicon"); code != 0 || !strings.Contains(out, "no lexicon") {
		t.Fatalf("lexicon list: %d %s", code, out)
	}
	if code, _, errs := runWithEnv(t, env, "", "tree", "diff", "1"); code == 0 {
		t.Fatalf("diff with one version accepted: %s", errs)
	}
	if code, _, errs := runWithEnv(t, map[string]string{}, "", "tree", "list"); code != 1 || !strings.Contains(errs, "DATABASE_URL") {
		t.Fatalf("no DATABASE_URL: exit %d %s", code, errs)
	}
}

func TestStaffAdd(t *testing.T) {
	staff.BcryptCost = 4
	env := map[string]string{"DATABASE_URL": pgtest.NewDB(t)}
	code, out, errs := runWithEnv(t, env, "", "staff", "add", "Amina@Example.org", "--role", "editor")
	if code != 0 || !strings.Contains(out, "added amina@example.org as editor") || !strings.Contains(out, "password (shown once): ") {
		t.Fatalf("generated password: exit %d\n%s\n%s", code, out, errs)
	}
	code, out, errs = runWithEnv(t, env, "a long enough secret\n", "staff", "add", "v@example.org", "--role", "viewer")
	if code != 0 || strings.Contains(out, "password") {
		t.Fatalf("password from stdin: exit %d\n%s\n%s", code, out, errs)
	}
	if code, _, errs := runWithEnv(t, env, "", "staff", "add", "amina@example.org", "--role", "viewer"); code != 1 || !strings.Contains(errs, "already exists") {
		t.Fatalf("duplicate: exit %d %s", code, errs)
	}
	if code, _, errs := runWithEnv(t, env, "short\n", "staff", "add", "x@example.org", "--role", "viewer"); code != 1 || !strings.Contains(errs, "password") {
		t.Fatalf("short password: exit %d %s", code, errs)
	}
	if code, _, errs := runWithEnv(t, env, "", "staff", "add", "x@example.org", "--role", "boss"); code != 1 || !strings.Contains(errs, "unknown role") {
		t.Fatalf("bad role: exit %d %s", code, errs)
	}
	code, out, _ = runWithEnv(t, env, "", "staff", "list")
	if code != 0 || !strings.Contains(out, "amina@example.org  editor") || !strings.Contains(out, "v@example.org") {
		t.Fatalf("list: %d\n%s", code, out)
	}
	if code, out, errs := runWithEnv(t, env, "another long secret\n", "staff", "passwd", "amina@example.org"); code != 0 || !strings.Contains(out, "sessions are closed") {
		t.Fatalf("passwd: %d %s %s", code, out, errs)
	}
	if code, _, errs := runWithEnv(t, env, "", "staff", "role", "v@example.org", "--role", "adviser"); code != 0 {
		t.Fatalf("role: %s", errs)
	}
	if code, _, errs := runWithEnv(t, env, "", "staff", "disable", "amina@example.org"); code != 0 {
		t.Fatalf("disable: %s", errs)
	}
	if code, _, errs := runWithEnv(t, env, "", "staff", "disable", "ghost@example.org"); code != 1 || !strings.Contains(errs, "no account") {
		t.Fatalf("disable a missing account: %d %s", code, errs)
	}
	code, out, _ = runWithEnv(t, env, "", "staff", "list")
	if !regexp.MustCompile(`amina@example.org\s+editor\s+\S+ \S+\s+true`).MatchString(out) || !regexp.MustCompile(`v@example.org\s+adviser\s+\S+ \S+\s+false`).MatchString(out) {
		t.Fatalf("list after changes:\n%s", out)
	}
}

// A running bot's watcher sees `dalil tree publish` and `rollback` within 2 s.
func TestTreePublishReachesWatcher(t *testing.T) {
	db := pgtest.NewDB(t)
	env := map[string]string{"DATABASE_URL": db}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := treestore.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.New(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	got := make(chan int, 10)
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		treestore.New(pool).Watch(ctx, func(l treestore.Live) { got <- l.TreeVersion.N }, treestore.WatchOptions{})
	}()
	// The watcher holds one of the pool's connections: stop it before the
	// pool closes.
	defer func() { cancel(); <-watched }()
	expect := func(want int) {
		t.Helper()
		select {
		case n := <-got:
			if n != want {
				t.Fatalf("watcher saw version %d, want %d", n, want)
			}
		case <-time.After(2 * time.Second):
			t.Fatalf("watcher did not see version %d within 2 s", want)
		}
	}
	expect(0)
	file := filepath.Join(t.TempDir(), "t.yaml")
	os.WriteFile(file, []byte("id: t\nstart: bye\nnodes:\n  - id: bye\n    kind: end\n    text: {fr: a, ar: ب, ary: ب}\n"), 0o644)
	if code, _, errs := runWithEnv(t, env, "", "tree", "publish", file); code != 0 {
		t.Fatalf("publish: %s", errs)
	}
	expect(1)
	if code, _, errs := runWithEnv(t, env, "", "tree", "publish", filepath.Join("..", "..", "dialog", "trees", "default.yaml")); code != 0 {
		t.Fatalf("publish default: %s", errs)
	}
	expect(2)
	if code, _, errs := runWithEnv(t, env, "", "tree", "rollback"); code != 0 {
		t.Fatalf("rollback: %s", errs)
	}
	expect(3)
}

// serve's engine follows publishes, and serve's HTTP server has the console.
func TestServeWiring(t *testing.T) {
	db := pgtest.NewDB(t)
	ctx := context.Background()
	srv := bottest.New(bottest.Options{})
	t.Cleanup(srv.Close)
	var m *Main
	addr, stop := serveWith(t, map[string]string{"TELEGRAM_BOT_TOKEN": srv.Token(), "TELEGRAM_API_URL": srv.APIURL(),
		"REDIS_URL": redistest.URL(t), "DATABASE_URL": db}, func(opened *Main) { m = opened })
	live, ok := m.Engine.(*treestore.LiveEngine)
	if !ok {
		t.Fatalf("serve's engine is a %T, not a live engine", m.Engine)
	}
	if n := live.Live().TreeVersion.N; n != 0 {
		t.Fatalf("start version %d", n)
	}
	// Published from another process (its own pool).
	pool, err := pgxpool.New(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := treestore.New(pool).Publish(ctx, treestore.KindTree, []byte("id: t\nstart: bye\nnodes:\n  - id: bye\n    kind: end\n    text: {fr: a, ar: ب, ary: ب}\n"), "ops", ""); err != nil {
		t.Fatal(err)
	}
	if !proctest.WaitFor(2*time.Second, func() bool { return live.Live().TreeVersion.N == 1 }) {
		t.Fatal("serve's engine did not switch within 2 s")
	}
	if live.NewState().Tree != live.Live().Tree.Version {
		t.Fatal("new conversations do not start on the published tree")
	}

	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get("http://" + addr + "/admin/trees")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/admin/login") {
		t.Fatalf("/admin/trees on serve's server: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}
