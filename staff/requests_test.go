package staff_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/stdlib"

	"github.com/dalil-tt/dalil/internal/lang"
	"github.com/dalil-tt/dalil/requests"
	rqpg "github.com/dalil-tt/dalil/requests/postgres"
	"github.com/dalil-tt/dalil/staff"
)

// told records what the person would be told.
type told struct {
	mu    sync.Mutex
	rs    []requests.Request
	cards []requests.Request // cards brought up to date (staff.Cards)
	fail  error              // what telling fails with, if anything
}

func (p *told) Refresh(ctx context.Context, r *requests.Request) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cards = append(p.cards, *r)
	return nil
}

func (p *told) Changed(ctx context.Context, r *requests.Request) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail != nil {
		return p.fail
	}
	p.rs = append(p.rs, *r)
	return nil
}
func (p *told) Lapsed(context.Context, *requests.Request) error        { return nil }
func (p *told) FollowUp(context.Context, *requests.Request, int) error { return nil }

const partnerEmail = "partner@org-a.example.org"

// requestsEnv is the console with the requests store on PostgreSQL, a
// partner of org-a, and a request to org-a and one to org-b.
func requestsEnv(t *testing.T) (*env, *rqpg.Store, *told) {
	t.Helper()
	e := newEnv(t, staff.Options{})
	ctx := context.Background()
	db := stdlib.OpenDBFromPool(e.pool)
	defer db.Close()
	if err := rqpg.MigrateDB(ctx, db); err != nil {
		t.Fatal(err)
	}
	store, people := rqpg.New(e.pool), &told{}
	console, err := staff.New(e.pool, staff.Options{Catalogue: e.store, Requests: store, People: people, Cards: people})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/admin/", console)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	e.url, e.console = srv.URL, console
	if _, err := staff.AddPartner(ctx, e.pool, partnerEmail, staff.RolePartner, "org-a", password, "test"); err != nil {
		t.Fatal(err)
	}
	for _, r := range []requests.Request{
		{ID: "r00000000a1", Org: "org-a", Service: "alpha-training", Chat: 5_000_000_001, Status: requests.Sent, SentAt: time.Now().Add(-time.Hour),
			Shared: requests.Shared{FirstName: "Salma", Lang: lang.ARY, Question: "واش كاين تكوين؟", Phone: "+212600000001"}},
		{ID: "r00000000b1", Org: "org-b", Service: "beta-training", Chat: 5_000_000_002, Status: requests.Sent, SentAt: time.Now(),
			Shared: requests.Shared{FirstName: "Youssef", Lang: lang.FR}},
	} {
		if err := store.Create(ctx, &r); err != nil {
			t.Fatal(err)
		}
	}
	return e, store, people
}

func TestPartnerSeesOnlyItsOrganisation(t *testing.T) {
	e, store, people := requestsEnv(t)
	c := e.client(t)
	c.mustLogin(partnerEmail)
	if code, _, h := c.get("/admin/"); code != http.StatusSeeOther || h.Get("Location") != "/admin/requests" {
		t.Fatalf("partner's home: %d %s", code, h.Get("Location"))
	}
	code, body, _ := c.get("/admin/requests")
	if code != 200 || !strings.Contains(body, "r00000000a1") || !strings.Contains(body, "Salma") || !strings.Contains(body, "212600000001") {
		t.Fatalf("inbox: %d\n%s", code, body)
	}
	if strings.Contains(body, "r00000000b1") || strings.Contains(body, "Youssef") {
		t.Fatal("a partner sees another organisation's request")
	}
	for _, path := range []string{"/admin/trees", "/admin/catalogue", "/admin/handoffs", "/admin/audit", "/admin/catalogue/export.csv"} {
		if code, _, _ := c.get(path); code != http.StatusForbidden {
			t.Errorf("partner GET %s: %d, want 403", path, code)
		}
	}
	for _, path := range []string{"/admin/requests?org=org-b", "/admin/requests/group?org=org-b"} {
		if code, _, _ := c.get(path); code != http.StatusNotFound {
			t.Errorf("partner GET %s: %d, want 404", path, code)
		}
	}
	tok := c.csrf("/admin/requests")
	// Another organisation's request: as if it did not exist.
	if code, _, _ := c.post("/admin/requests/act", url.Values{"csrf": {tok}, "id": {"r00000000b1"}, "action": {"accept"}}); code != http.StatusNotFound {
		t.Fatalf("acting on another organisation's request: %d", code)
	}
	// No CSRF token: refused.
	if code, _, _ := c.post("/admin/requests/act", url.Values{"id": {"r00000000a1"}, "action": {"accept"}}); code != http.StatusForbidden {
		t.Fatalf("no CSRF: %d", code)
	}
	if r, _ := store.Get(context.Background(), "r00000000a1"); r.Status != requests.Sent {
		t.Fatalf("a refused action changed a request: %s", r.Status)
	}
	// Decline without a reason: refused; with one: done, the person told.
	if code, _, _ := c.post("/admin/requests/act", url.Values{"csrf": {tok}, "id": {"r00000000a1"}, "action": {"decline"}}); code != http.StatusBadRequest {
		t.Fatalf("decline without a reason: %d", code)
	}
	code, _, h := c.post("/admin/requests/act", url.Values{"csrf": {tok}, "id": {"r00000000a1"}, "action": {"decline"}, "reason": {"full"}})
	if code != http.StatusSeeOther || !strings.Contains(h.Get("Location"), "done=acted") {
		t.Fatalf("decline: %d %s", code, h.Get("Location"))
	}
	if r, _ := store.Get(context.Background(), "r00000000a1"); r.Status != requests.Declined || r.Reason != requests.Full {
		t.Fatalf("after decline: %s %s", r.Status, r.Reason)
	}
	evs, err := store.Events(context.Background(), "r00000000a1")
	if err != nil {
		t.Fatal(err)
	}
	if len(people.rs) != 1 || people.rs[0].Status != requests.Declined || !strings.HasPrefix(evs[len(evs)-1].By, "console:") || strings.Contains(evs[len(evs)-1].By, "@") {
		t.Fatalf("person told %+v; events %+v", people.rs, evs)
	}
	if len(people.cards) != 1 || people.cards[0].Status != requests.Declined {
		t.Fatalf("cards refreshed %+v", people.cards)
	}
	// Pressed again (another tab): nothing changes.
	code, _, h = c.post("/admin/requests/act", url.Values{"csrf": {tok}, "id": {"r00000000a1"}, "action": {"accept"}})
	if code != http.StatusSeeOther || !strings.Contains(h.Get("Location"), "done=stale") || len(people.rs) != 1 || len(people.cards) != 1 {
		t.Fatalf("stale action: %d %s", code, h.Get("Location"))
	}

	// The group page: a code, shown once, that links to org-a.
	code, body, _ = c.post("/admin/requests/group/code", url.Values{"csrf": {tok}, "org": {"org-b"}, "lang": {"ar"}})
	if code != http.StatusNotFound {
		t.Fatalf("a code for another organisation: %d", code)
	}
	code, body, _ = c.post("/admin/requests/group/code", url.Values{"csrf": {tok}, "lang": {"ar"}})
	i := strings.Index(body, "/link ")
	if code != 200 || i < 0 {
		t.Fatalf("code page: %d\n%s", code, body)
	}
	linkCode := strings.Fields(body[i+len("/link "):])[0]
	linkCode = strings.TrimSuffix(linkCode, "</code></p><p>")
	linkCode, _, _ = strings.Cut(linkCode, "<")
	g, err := store.Link(context.Background(), linkCode, -1001234567890, time.Now())
	if err != nil || g.Org != "org-a" || g.Lang != lang.AR {
		t.Fatalf("the console's code links %+v, %v", g, err)
	}
	code, _, h = c.post("/admin/requests/group/lang", url.Values{"csrf": {tok}, "lang": {"fr"}})
	if code != http.StatusSeeOther || !strings.Contains(h.Get("Location"), "done=grouplang") {
		t.Fatalf("group language: %d %s", code, h.Get("Location"))
	}
	if g, _ := store.GroupOf(context.Background(), "org-a"); g.Lang != lang.FR {
		t.Fatalf("group language now %s", g.Lang)
	}
}

func TestStaffSeeEveryInbox(t *testing.T) {
	e, store, people := requestsEnv(t)
	c := e.client(t)
	c.mustLogin(editorEmail)
	code, body, _ := c.get("/admin/requests")
	if code != 200 || !strings.Contains(body, `value="org-a"`) || !strings.Contains(body, `value="org-b"`) {
		t.Fatalf("staff's choice of organisation: %d\n%s", code, body)
	}
	for org, want := range map[string]string{"org-a": "r00000000a1", "org-b": "r00000000b1"} {
		if code, body, _ := c.get("/admin/requests?org=" + org); code != 200 || !strings.Contains(body, want) {
			t.Fatalf("staff inbox of %s: %d", org, code)
		}
	}
	if code, _, _ := c.get("/admin/requests?org=no-such-org"); code != http.StatusNotFound {
		t.Fatalf("unknown organisation: %d", code)
	}
	tok := c.csrf("/admin/requests?org=org-b")
	// Telling the person fails: the answer stands, the page says so.
	people.mu.Lock()
	people.fail = errors.New("Redis is down")
	people.mu.Unlock()
	code, _, h := c.post("/admin/requests/act", url.Values{"csrf": {tok}, "id": {"r00000000b1"}, "action": {"accept"}})
	if r, _ := store.Get(context.Background(), "r00000000b1"); code != http.StatusSeeOther || r.Status != requests.Accepted || !strings.Contains(h.Get("Location"), "done=actednotold") {
		t.Fatalf("staff accept: %d %s %s", code, r.Status, h.Get("Location"))
	}
	if code, body, _ := c.post("/admin/requests/group/code", url.Values{"csrf": {tok}, "org": {"org-b"}, "lang": {"fr"}}); code != 200 || !strings.Contains(body, "/link ") {
		t.Fatalf("staff code for org-b: %d", code)
	}
}

func TestPartnerAccounts(t *testing.T) {
	e, _, _ := requestsEnv(t)
	ctx := context.Background()
	if _, err := staff.AddPartner(ctx, e.pool, "x@example.org", staff.RolePartner, "no-such-org", password, "test"); err == nil || !strings.Contains(err.Error(), "no-such-org") {
		t.Fatalf("unknown organisation: %v", err)
	}
	if _, err := staff.AddAccount(ctx, e.pool, "y@example.org", staff.RolePartner, password, "test"); err != staff.ErrOrg {
		t.Fatalf("partner without an organisation: %v", err)
	}
	if _, err := staff.AddPartner(ctx, e.pool, "z@example.org", staff.RoleEditor, "org-a", password, "test"); err != staff.ErrOrg {
		t.Fatalf("editor with an organisation: %v", err)
	}
	// A viewer made partner of org-b, then editor again.
	if err := staff.SetPartnerRole(ctx, e.pool, viewerEmail, staff.RolePartner, "org-b", "test"); err != nil {
		t.Fatal(err)
	}
	c := e.client(t)
	c.mustLogin(viewerEmail)
	if code, body, _ := c.get("/admin/requests"); code != 200 || !strings.Contains(body, "r00000000b1") || strings.Contains(body, "r00000000a1") {
		t.Fatalf("new partner's inbox: %d", code)
	}
	if err := staff.SetRole(ctx, e.pool, viewerEmail, staff.RoleEditor, "test"); err != nil {
		t.Fatal(err)
	}
	as, err := staff.Accounts(ctx, e.pool)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range as {
		if a.Email == partnerEmail && (a.Role != staff.RolePartner || a.Org != "org-a") || a.Email == viewerEmail && a.Org != "" {
			t.Fatalf("account %+v", a)
		}
	}
}

// TestRequestsRoles checks each staff role on each of the organisations'
// routes: viewers read (without the person's data), advisers and editors
// act on requests, only editors link groups and set their language.
func TestRequestsRoles(t *testing.T) {
	e, store, _ := requestsEnv(t)
	ctx := context.Background()
	const adviserEmail = "adviser@example.org"
	if _, err := staff.AddAccount(ctx, e.pool, adviserEmail, staff.RoleAdviser, password, "test"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		email           string
		personal, act   bool
		action          requests.Action
		want            requests.Status
		linkCode, gLang bool
	}{
		{viewerEmail, false, false, requests.Accept, requests.Sent, false, false},
		{adviserEmail, true, true, requests.Accept, requests.Accepted, false, false},
		{editorEmail, true, true, requests.MarkContact, requests.Contacted, true, true},
	} {
		t.Run(tc.email, func(t *testing.T) {
			c := e.client(t)
			c.mustLogin(tc.email)
			code, body, _ := c.get("/admin/requests?org=org-a")
			if code != 200 || !strings.Contains(body, "r00000000a1") {
				t.Fatalf("inbox: %d", code)
			}
			for _, personal := range []string{"Salma", "212600000001", "واش كاين تكوين"} {
				if strings.Contains(body, personal) != tc.personal {
					t.Errorf("inbox shows %q: %v, want %v", personal, !tc.personal, tc.personal)
				}
			}
			if strings.Contains(body, `action="/admin/requests/act"`) != tc.act {
				t.Errorf("inbox offers actions: %v, want %v", !tc.act, tc.act)
			}
			tok := c.csrf("/admin/requests?org=org-b")
			code, _, _ = c.post("/admin/requests/act", url.Values{"csrf": {tok}, "id": {"r00000000b1"}, "action": {string(tc.action)}})
			if r, _ := store.Get(ctx, "r00000000b1"); (code == http.StatusForbidden) == tc.act || r.Status != tc.want {
				t.Errorf("act %s: %d, request %s, want %s", tc.action, code, r.Status, tc.want)
			}
			code, body, _ = c.post("/admin/requests/group/code", url.Values{"csrf": {tok}, "org": {"org-b"}, "lang": {"fr"}})
			if (code == 200 && strings.Contains(body, "/link ")) != tc.linkCode || (!tc.linkCode && code != http.StatusForbidden) {
				t.Errorf("link code: %d, want a code: %v", code, tc.linkCode)
			}
			code, _, _ = c.post("/admin/requests/group/lang", url.Values{"csrf": {tok}, "org": {"org-b"}, "lang": {"ar"}})
			if (code == http.StatusSeeOther) != tc.gLang || (!tc.gLang && code != http.StatusForbidden) {
				t.Errorf("group language: %d, want it set: %v", code, tc.gLang)
			}
			code, body, _ = c.get("/admin/requests/group?org=org-b")
			if code != 200 || strings.Contains(body, `id="new-code"`) != tc.linkCode {
				t.Errorf("group page: %d, offers a code: %v, want %v", code, !tc.linkCode, tc.linkCode)
			}
		})
	}
}

// TestActAfterACrash: the answer was recorded but the console died before
// the person was told; the same action again tells them.
func TestActAfterACrash(t *testing.T) {
	e, store, people := requestsEnv(t)
	if _, err := store.Act(context.Background(), "r00000000a1", requests.Accept, "", "", "console:1", time.Now()); err != nil {
		t.Fatal(err)
	}
	c := e.client(t)
	c.mustLogin(partnerEmail)
	tok := c.csrf("/admin/requests")
	code, _, h := c.post("/admin/requests/act", url.Values{"csrf": {tok}, "id": {"r00000000a1"}, "action": {"accept"}})
	if code != http.StatusSeeOther || !strings.Contains(h.Get("Location"), "done=acted") {
		t.Fatalf("accept again: %d %s", code, h.Get("Location"))
	}
	if len(people.rs) != 1 || people.rs[0].Status != requests.Accepted {
		t.Fatalf("person told %+v", people.rs)
	}
	// The card too, maybe left with its old buttons by the crash.
	if len(people.cards) != 1 || people.cards[0].Status != requests.Accepted {
		t.Fatalf("cards refreshed %+v", people.cards)
	}
	if evs, _ := store.Events(context.Background(), "r00000000a1"); len(evs) != 2 {
		t.Fatalf("events %+v, want the sending and one acceptance", evs)
	}
}

// TestInboxShowsOverdueFirst: an organisation without a group gets no
// reminder message; its inbox shows the requests left unanswered past
// their reminder first, oldest first, marked.
func TestInboxShowsOverdueFirst(t *testing.T) {
	e, store, _ := requestsEnv(t)
	ctx := context.Background()
	now := time.Now()
	for i, id := range []string{"r000000old1", "r000000old2"} {
		sent := now.Add(-time.Duration(5-i) * 24 * time.Hour) // old1 the oldest
		r := requests.Request{ID: id, Org: "org-a", Service: "alpha-training", Chat: 5_000_000_010 + int64(i), Status: requests.Sent, SentAt: sent,
			NextKind: requests.DueReminder, NextAt: sent.Add(24 * time.Hour), Shared: requests.Shared{FirstName: "Nadia", Lang: lang.FR}}
		if err := store.Create(ctx, &r); err != nil {
			t.Fatal(err)
		}
		if err := store.Done(ctx, id, requests.DueReminder, r.NextAt, requests.DueLapse, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	c := e.client(t)
	c.mustLogin(partnerEmail)
	code, body, _ := c.get("/admin/requests")
	if code != 200 {
		t.Fatalf("inbox: %d", code)
	}
	i1, i2, ia := strings.Index(body, `id="req-r000000old1"`), strings.Index(body, `id="req-r000000old2"`), strings.Index(body, `id="req-r00000000a1"`)
	if i1 < 0 || i2 < 0 || ia < 0 || !(i1 < i2 && i2 < ia) {
		t.Fatalf("order: old1 %d, old2 %d, a1 %d; want the overdue first, oldest first", i1, i2, ia)
	}
	row := func(i int) string { end := strings.Index(body[i:], "</tr>"); return body[i : i+end] }
	if !strings.Contains(row(i1), `class="overdue"`) || !strings.Contains(row(i2), "En retard") || strings.Contains(row(ia), "En retard") {
		t.Fatalf("overdue marks: %q\n%q", row(i1), row(ia))
	}
}
