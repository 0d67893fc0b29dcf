package staff_test

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dalil-tt/dalil/catalogue/postgres"
	"github.com/dalil-tt/dalil/staff"
)

// loginFrom posts a login with the given X-Forwarded-For header ("" for
// none) and returns the status.
func (c *client) loginFrom(xff, email, pw string) int {
	c.t.Helper()
	tok := c.csrf("/admin/login")
	req, _ := http.NewRequest("POST", c.base+"/admin/login", strings.NewReader(url.Values{"csrf": {tok}, "email": {email}, "password": {pw}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if xff != "" {
		req.Header.Set("X-Forwarded-For", xff)
	}
	code, _, _ := c.do(req)
	return code
}

// The audit sent 30 wrong guesses at once: all got 401, none 429, because
// failures were counted before the password check and recorded after it.
func TestLoginThrottlingHoldsUnderConcurrency(t *testing.T) {
	t.Parallel()
	const limit, guesses = 5, 30
	e := newEnv(t, staff.Options{MaxFailuresPerAccount: limit, MaxFailuresPerIP: 1000})
	type attempt struct {
		c   *client
		tok string
	}
	as := make([]attempt, guesses)
	for i := range as {
		as[i].c = e.client(t)
		as[i].tok = as[i].c.csrf("/admin/login")
	}
	codes := make([]int, guesses)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, a := range as {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("POST", a.c.base+"/admin/login", strings.NewReader(url.Values{"csrf": {a.tok}, "email": {editorEmail}, "password": {"wrong guess " + string(rune('a'+i))}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			<-start
			resp, err := a.c.c.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			codes[i] = resp.StatusCode
		}()
	}
	close(start)
	wg.Wait()
	n := map[int]int{}
	for _, c := range codes {
		n[c]++
	}
	if n[http.StatusUnauthorized] > limit || n[http.StatusUnauthorized]+n[http.StatusTooManyRequests] != guesses {
		t.Fatalf("%d concurrent guesses, limit %d: %v (status: count), want at most %d 401 and the rest 429", guesses, limit, n, limit)
	}
	// Racing attempts may be refused before the limit is used up; once it
	// is, the account stays locked, even for its own password.
	want := http.StatusSeeOther
	if n[http.StatusUnauthorized] == limit {
		want = http.StatusTooManyRequests
	}
	if code := e.client(t).login(editorEmail, password); code != want {
		t.Errorf("right password after %d failures: %d, want %d", n[http.StatusUnauthorized], code, want)
	}
}

// Behind the ingress, the per-address limit trusted the leftmost
// X-Forwarded-For, which the client writes: a new forged address each try
// escaped the limit. Only the hops our proxies add count now.
func TestForgedForwardedForCannotEscapeTheLimit(t *testing.T) {
	t.Parallel()
	// The test server is on loopback: the connections come from "the
	// ingress" (127.0.0.0/8); 10.0.0.0/8 is a second proxy layer.
	proxies := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128"), netip.MustParsePrefix("10.0.0.0/8")}
	e := newEnv(t, staff.Options{TrustedProxies: proxies, MaxFailuresPerIP: 3, MaxFailuresPerAccount: 100})
	c := e.client(t)
	const client = "203.0.113.9"
	forged := []string{
		"198.51.100.1, " + client,               // the proxy appended the real client
		"198.51.100.2, 198.51.100.3, " + client, // several forged hops
		"1.2.3.4, " + client + ", 10.1.2.3",     // two proxy layers
		"not-an-address, " + client,
		"::ffff:198.51.100.5, " + client,
	}
	for i, xff := range forged {
		want := http.StatusUnauthorized
		if i >= 3 {
			want = http.StatusTooManyRequests
		}
		if code := c.loginFrom(xff, "nobody"+string(rune('a'+i))+"@example.org", "wrong"); code != want {
			t.Fatalf("try %d from %s with X-Forwarded-For %q: %d, want %d", i+1, client, xff, code, want)
		}
	}
	// Another client behind the same proxy is not locked out with it.
	if code := c.loginFrom("203.0.113.10", editorEmail, password); code != http.StatusSeeOther {
		t.Errorf("another client: %d, want 303", code)
	}
}

// Without trusted proxies, X-Forwarded-For is not read at all: every try
// counts against the connection's own address.
func TestForwardedForIgnoredWithoutTrustedProxies(t *testing.T) {
	t.Parallel()
	e := newEnv(t, staff.Options{MaxFailuresPerIP: 2, MaxFailuresPerAccount: 100})
	c := e.client(t)
	// Successful logins are attempts taken back: they do not count.
	for range 3 {
		e.client(t).mustLogin(editorEmail)
	}
	for i, want := range []int{http.StatusUnauthorized, http.StatusUnauthorized, http.StatusTooManyRequests} {
		if code := c.loginFrom("198.51.100."+string(rune('1'+i)), "nobody"+string(rune('a'+i))+"@example.org", "wrong"); code != want {
			t.Fatalf("try %d: %d, want %d", i+1, code, want)
		}
	}
}

// An unknown e-mail was checked against a hash at bcrypt's minimum cost,
// so a fast 401 told that the e-mail had no account.
func TestUnknownEmailCostsAsMuchAsAnAccount(t *testing.T) {
	e := newEnv(t, staff.Options{})
	var mu sync.Mutex
	var costs []int
	staff.WatchPasswordChecks(e.console, func(c int) { mu.Lock(); costs = append(costs, c); mu.Unlock() })
	c := e.client(t)
	for _, email := range []string{editorEmail, "nobody@example.org"} {
		if code := c.login(email, "not the password"); code != http.StatusUnauthorized {
			t.Fatalf("%s: %d", email, code)
		}
	}
	// A disabled account is checked like an unknown one.
	if err := staff.SetDisabled(context.Background(), e.pool, viewerEmail, true, "test"); err != nil {
		t.Fatal(err)
	}
	if code := c.login(viewerEmail, password); code != http.StatusUnauthorized {
		t.Fatalf("disabled account: %d", code)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(costs) != 3 || costs[0] != staff.BcryptCost || costs[1] != costs[0] || costs[2] != costs[0] {
		t.Fatalf("bcrypt costs checked (account, unknown e-mail, disabled account): %v, want %d each", costs, staff.BcryptCost)
	}
}

func TestWeakPasswordsRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, staff.Options{})
	ctx := context.Background()
	weak := []string{"aaaaaaaaaa", "1234567890", "password123", "qwertyuiop", "iloveyou12", "abcabcabcabc", "motdepasse1", "short"}
	for _, pw := range append(weak, "newcomer@example.org", "Newcomer2024") {
		_, err := staff.AddAccount(ctx, e.pool, "newcomer@example.org", staff.RoleViewer, pw, "test")
		if !errors.Is(err, staff.ErrWeakPassword) || strings.Contains(err.Error(), "\n") {
			t.Errorf("AddAccount with %q: %v, want a one-line refusal", pw, err)
		}
	}
	for _, pw := range append(weak, "viewer-viewer-viewer") {
		if err := staff.SetPassword(ctx, e.pool, viewerEmail, pw, "test"); !errors.Is(err, staff.ErrWeakPassword) {
			t.Errorf("SetPassword with %q: %v", pw, err)
		}
	}
	// Nothing was changed by the refusals: the old password still works.
	e.client(t).mustLogin(viewerEmail)
	for _, pw := range []string{"correct horse battery", staff.GeneratePassword(), "Tanger-Chefchaouen-2031"} {
		if err := staff.CheckPassword(pw, "newcomer@example.org"); err != nil {
			t.Errorf("%q refused: %v", pw, err)
		}
	}
}

// The console's CSV export goes through the same neutralising writer.
func TestConsoleExportNeutralisesFormulas(t *testing.T) {
	t.Parallel()
	e := newEnv(t, staff.Options{})
	svcs := testServices()
	svcs[0].NameFR = `=HYPERLINK("http://evil.example","x")`
	if _, err := e.store.Import(context.Background(), svcs, postgres.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	c := e.client(t)
	c.mustLogin(viewerEmail)
	code, body, _ := c.get("/admin/catalogue/export.csv")
	if code != http.StatusOK {
		t.Fatalf("export: %d", code)
	}
	if !strings.Contains(body, `,"'=HYPERLINK(""http://evil.example"",""x"")",`) || strings.Contains(body, `,"=HYPERLINK`) {
		t.Fatalf("formula not neutralised in the export:\n%s", body)
	}
	if !strings.Contains(body, ",+212539000001,") {
		t.Errorf("phones changed in the export:\n%s", body)
	}
}

// chainTree is a tree of n nodes, one short line each: a chain of info
// nodes to an end (the shape that made validation quadratic).
func chainTree(n int) string {
	var b strings.Builder
	b.WriteString("id: big\nstart: n0\nnodes:\n")
	for i := 0; i < n-1; i++ {
		fmt.Fprintf(&b, "  - {id: n%d, kind: info, text: {fr: étape, ar: مرحلة, ary: مرحلة}, next: n%d}\n", i, i+1)
	}
	fmt.Fprintf(&b, "  - {id: n%d, kind: end, text: {fr: fin, ar: نهاية, ary: سالينا}}\n", n-1)
	return b.String()
}

// The audit had a viewer post a 15,000-node tree to check: 27 s of CPU and
// 200 MB, going on after the client gave up. The console now refuses what
// is over its limits, at once and with a clear message.
func TestConsoleRefusesHugeTrees(t *testing.T) {
	t.Parallel()
	e := newEnv(t, staff.Options{})
	c := e.client(t)
	c.mustLogin(viewerEmail)
	tok := c.csrf("/admin/trees")
	for _, tc := range []struct {
		nodes int
		want  string
	}{{15000, "Refusé"}, {staff.MaxTreeNodes + 500, "l'arbre a 2500 nœuds, plus que les 2000"}} {
		src := chainTree(tc.nodes)
		start := time.Now()
		code, body, _ := c.post("/admin/trees", url.Values{"csrf": {tok}, "action": {"check"}, "content": {src}})
		took := time.Since(start)
		if code != http.StatusRequestEntityTooLarge || !strings.Contains(html.UnescapeString(body), tc.want) {
			t.Errorf("%d nodes (%d bytes): %d, want 413 saying %q", tc.nodes, len(src), code, tc.want)
		}
		// The audit's 15,000-node tree took 27 s of CPU; a refusal takes
		// about a second at most here, under the race detector on a busy
		// two-core box.
		if took > 5*time.Second {
			t.Errorf("%d nodes: refused after %v, want a few seconds at most", tc.nodes, took)
		}
	}
	// A tree within the limits is still checked and drawn.
	if code, body, _ := c.post("/admin/trees", url.Values{"csrf": {tok}, "action": {"check"}, "content": {chainTree(300)}}); code != http.StatusOK || !strings.Contains(body, "n299") {
		t.Errorf("300 nodes: %d", code)
	}
	// A body over the forms' limit is refused with 413 too.
	big := strings.Repeat("x", 9<<20)
	if code, body, _ := c.post("/admin/trees", url.Values{"csrf": {tok}, "action": {"check"}, "content": {big}}); code != http.StatusRequestEntityTooLarge || !strings.Contains(body, "8 Mio") {
		t.Errorf("9 MiB form: %d %q", code, body)
	}
}

// Console work runs under a deadline: past it, queries are cancelled and
// the answer says so.
func TestConsoleRequestDeadline(t *testing.T) {
	t.Parallel()
	e := newEnv(t, staff.Options{})
	c := e.client(t)
	c.mustLogin(editorEmail)
	hurried, err := staff.New(e.pool, staff.Options{Catalogue: e.store, RequestTimeout: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(hurried)
	defer srv.Close()
	c.base = srv.URL // same host: the session cookie goes along
	code, body, _ := c.get("/admin/catalogue")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "trop de temps") {
		t.Fatalf("past the deadline: %d %q", code, body)
	}
}
