package staff_test

import (
	"context"
	"github.com/dalil-tt/dalil/locales"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/catalogue/postgres"
	"github.com/dalil-tt/dalil/catalogue/postgres/pgtest"
	"github.com/dalil-tt/dalil/staff"
)

// testServices is a tiny catalogue whose referrals are easy to predict:
// two services train, one in Tétouan, one in Larache; the Larache centre
// also coaches.
func testServices() []*catalogue.Service {
	return []*catalogue.Service{
		{ID: "alpha-training", Org: catalogue.Organisation{ID: "org-a", NameFR: "Centre Alpha", Kind: "association"},
			NameFR: "Formation Alpha", Needs: []string{"training"}, Provinces: []string{"tetouan"},
			Phone: "+212539000001", UpdatedAt: time.Date(2020, 1, 15, 0, 0, 0, 0, time.UTC), Active: true},
		{ID: "beta-training", Org: catalogue.Organisation{ID: "org-b", NameFR: "Centre Beta", Kind: "public"},
			NameFR: "Formation Beta", Needs: []string{"training"}, Provinces: []string{"larache"},
			Phone: "+212539000002", Active: true},
		{ID: "beta-coaching", Org: catalogue.Organisation{ID: "org-b", NameFR: "Centre Beta", Kind: "public"},
			NameFR: "Coaching Beta", Needs: []string{"coaching"}, Provinces: []string{"larache"},
			Phone: "+212539000003", Active: true},
	}
}

const (
	editorEmail = "editor@example.org"
	viewerEmail = "viewer@example.org"
	password    = "correct horse battery"
)

type env struct {
	url     string // base URL of the test server
	dbURL   string
	pool    *pgxpool.Pool
	store   *postgres.Store
	console *staff.Server
}

func init() { staff.BcryptCost = 5 } // fast tests (above bcrypt.MinCost, so a check at the minimum shows); production uses the default

// newEnv migrates a fresh database, loads the test catalogue, adds an
// editor and a viewer, and serves the console.
func newEnv(t testing.TB, opts staff.Options) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{dbURL: pgtest.NewDB(t)}
	if err := postgres.Migrate(ctx, e.dbURL); err != nil {
		t.Fatal(err)
	}
	if err := staff.Migrate(ctx, e.dbURL); err != nil {
		t.Fatal(err)
	}
	var err error
	if e.store, err = postgres.Open(ctx, e.dbURL, locales.MustDefault()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.store.Close)
	if _, err := e.store.Import(ctx, testServices(), postgres.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if e.pool, err = pgxpool.New(ctx, e.dbURL); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.pool.Close)
	for email, role := range map[string]staff.Role{editorEmail: staff.RoleEditor, viewerEmail: staff.RoleViewer} {
		if _, err := staff.AddAccount(ctx, e.pool, email, role, password, "test"); err != nil {
			t.Fatal(err)
		}
	}
	if opts.Catalogue == nil {
		opts.Catalogue = e.store
	}
	if e.console, err = staff.New(e.pool, opts); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/admin/", e.console)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	e.url = srv.URL
	return e
}

// client is a browser-like HTTP client that does not follow redirects.
type client struct {
	t    testing.TB
	base string
	c    *http.Client
}

func (e *env) client(t testing.TB) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: e.url, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (c *client) do(req *http.Request) (int, string, http.Header) {
	c.t.Helper()
	resp, err := c.c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func (c *client) get(path string) (int, string, http.Header) {
	c.t.Helper()
	req, _ := http.NewRequest("GET", c.base+path, nil)
	return c.do(req)
}

func (c *client) post(path string, form url.Values) (int, string, http.Header) {
	c.t.Helper()
	req, _ := http.NewRequest("POST", c.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf reads the CSRF token from a page.
func (c *client) csrf(path string) string {
	c.t.Helper()
	code, body, _ := c.get(path)
	m := csrfRe.FindStringSubmatch(body)
	if code != 200 || m == nil {
		c.t.Fatalf("GET %s: %d, no CSRF token:\n%s", path, code, body)
	}
	return m[1]
}

// login signs in and returns the status of the POST.
func (c *client) login(email, pw string) int {
	c.t.Helper()
	tok := c.csrf("/admin/login")
	code, _, _ := c.post("/admin/login", url.Values{"csrf": {tok}, "email": {email}, "password": {pw}})
	return code
}

func (c *client) mustLogin(email string) {
	c.t.Helper()
	if code := c.login(email, password); code != http.StatusSeeOther {
		c.t.Fatalf("login %s: status %d", email, code)
	}
}
