package staff_test

import (
	"context"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/catalogue/postgres"
	"github.com/dalil-tt/dalil/dialog/treestore"
	"github.com/dalil-tt/dalil/internal/vocab"
	"github.com/dalil-tt/dalil/staff"
)

const goodTree = "id: t\nstart: hello\nnodes:\n  - id: hello\n    kind: choice\n    text: {fr: 'Que voulez-vous ?', ar: ماذا تريد؟, ary: شنو بغيتي؟}\n    choices:\n      - id: train\n        label: {fr: Une formation, ar: تكوين, ary: تكوين}\n        set: {needs: [training]}\n        next: bye\n  - id: bye\n    kind: end\n    text: {fr: Au revoir, ar: مع السلامة, ary: بسلامة}\n"
const brokenTree = "id: t\nstart: hello\nnodes:\n  - id: hello\n    kind: choice\n    text: {fr: 'Que voulez-vous ?'}\n    choices:\n      - id: train\n        label: {fr: Une formation, ar: تكوين, ary: تكوين}\n        next: nowhere\n"

var pages = []string{"/admin/", "/admin/trees", "/admin/trees?kind=lexicon", "/admin/trees/diff?a=1&b=2", "/admin/catalogue",
	"/admin/catalogue/service?id=alpha-training", "/admin/catalogue/export.csv", "/admin/catalogue/match?needs=training",
	"/admin/handoffs", "/admin/audit", "/admin/nothing-here"}
var actions = []string{"/admin/trees", "/admin/trees/rollback", "/admin/catalogue/service", "/admin/catalogue/import", "/admin/logout"}

func TestNothingWithoutLogin(t *testing.T) {
	t.Parallel()
	e := newEnv(t, staff.Options{})
	c := e.client(t)
	for _, p := range pages {
		code, _, h := c.get(p)
		if code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/admin/login?next=") {
			t.Errorf("GET %s without login: %d to %q", p, code, h.Get("Location"))
		}
	}
	for _, p := range actions {
		if code, _, _ := c.post(p, url.Values{"action": {"publish"}, "content": {goodTree}}); code != http.StatusUnauthorized {
			t.Errorf("POST %s without login: %d", p, code)
		}
	}
	// A forged or expired session cookie is no better.
	u, _ := url.Parse(e.url + "/admin/")
	c.c.Jar.SetCookies(u, []*http.Cookie{{Name: "dalil_staff", Value: "forged", Path: "/admin"}})
	if code, _, _ := c.get("/admin/trees"); code != http.StatusSeeOther {
		t.Errorf("forged session: %d", code)
	}
	if code := c.login(editorEmail, "wrong password"); code != http.StatusUnauthorized {
		t.Errorf("wrong password: %d", code)
	}
	if code := c.login("nobody@example.org", password); code != http.StatusUnauthorized {
		t.Errorf("unknown account: %d", code)
	}
	assertNothingPublished(t, e)
}

func TestSessionCookieFlags(t *testing.T) {
	t.Parallel()
	e := newEnv(t, staff.Options{Secure: true})
	c := e.client(t)
	tok := c.csrf("/admin/login")
	code, _, h := c.post("/admin/login", url.Values{"csrf": {tok}, "email": {editorEmail}, "password": {password}})
	if code != http.StatusSeeOther {
		t.Fatalf("login: %d", code)
	}
	var found bool
	for _, sc := range h.Values("Set-Cookie") {
		if strings.HasPrefix(sc, "dalil_staff=") {
			found = true
			for _, want := range []string{"HttpOnly", "Secure", "SameSite=Lax", "Path=/admin"} {
				if !strings.Contains(sc, want) {
					t.Errorf("session cookie lacks %s: %s", want, sc)
				}
			}
		}
	}
	if !found {
		t.Fatal("no session cookie set")
	}
	// Logging out ends the session on the server too.
	c2 := e.client(t)
	c2.mustLogin(editorEmail)
	tok = c2.csrf("/admin/trees")
	if code, _, _ := c2.post("/admin/logout", url.Values{"csrf": {tok}}); code != http.StatusSeeOther {
		t.Fatalf("logout: %d", code)
	}
	if code, _, _ := c2.get("/admin/trees"); code != http.StatusSeeOther {
		t.Errorf("after logout: %d", code)
	}
}

func TestCSRFRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, staff.Options{})
	c := e.client(t)
	c.mustLogin(editorEmail)
	tok := c.csrf("/admin/trees")
	for _, p := range actions {
		for name, form := range map[string]url.Values{
			"missing": {"action": {"publish"}, "content": {goodTree}},
			"wrong":   {"action": {"publish"}, "content": {goodTree}, "csrf": {tok + "x"}},
		} {
			if code, _, _ := c.post(p, form); code != http.StatusForbidden {
				t.Errorf("POST %s with %s token: %d", p, name, code)
			}
		}
	}
	// Right token but posted from another site.
	req, _ := http.NewRequest("POST", e.url+"/admin/trees", strings.NewReader(url.Values{"action": {"publish"}, "content": {goodTree}, "csrf": {tok}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	if code, _, _ := c.do(req); code != http.StatusForbidden {
		t.Errorf("cross-origin POST: %d", code)
	}
	// Another session's token does not work either.
	other := e.client(t)
	other.mustLogin(viewerEmail)
	if code, _, _ := c.post("/admin/trees", url.Values{"action": {"publish"}, "content": {goodTree}, "csrf": {other.csrf("/admin/trees")}}); code != http.StatusForbidden {
		t.Errorf("another session's token: %d", code)
	}
	// The login form has its own token.
	anon := e.client(t)
	if code, _, _ := anon.post("/admin/login", url.Values{"email": {editorEmail}, "password": {password}}); code != http.StatusForbidden {
		t.Errorf("login without token: %d", code)
	}
	assertNothingPublished(t, e)
	// And with the token, it works.
	if code, _, h := c.post("/admin/trees", url.Values{"action": {"publish"}, "content": {goodTree}, "csrf": {tok}}); code != http.StatusSeeOther || !strings.Contains(h.Get("Location"), "published.1") {
		t.Fatalf("publish with token: %d %s", code, h.Get("Location"))
	}
}

func assertNothingPublished(t *testing.T, e *env) {
	t.Helper()
	vs, err := treestore.New(e.pool).List(context.Background(), treestore.KindTree)
	if err != nil || len(vs) != 0 {
		t.Fatalf("something was published: %v %v", vs, err)
	}
}

func TestViewerCannotChangeAnything(t *testing.T) {
	t.Parallel()
	e := newEnv(t, staff.Options{})
	ctx := context.Background()
	if _, err := treestore.New(e.pool).Publish(ctx, treestore.KindTree, []byte(goodTree), "setup", ""); err != nil {
		t.Fatal(err)
	}
	c := e.client(t)
	c.mustLogin(viewerEmail)
	tok := c.csrf("/admin/trees")
	_, body, _ := c.get("/admin/trees")
	if strings.Contains(body, `id="publish"`) || strings.Contains(body, `id="rollback-`) {
		t.Error("the viewer is offered publish or rollback")
	}
	// Checking and simulating are fine for a viewer.
	if code, body, _ := c.post("/admin/trees", url.Values{"action": {"check"}, "content": {brokenTree}, "csrf": {tok}}); code != 200 || !strings.Contains(body, "nowhere") {
		t.Errorf("viewer check: %d", code)
	}
	forbidden := map[string]url.Values{
		"/admin/trees":             {"action": {"publish"}, "content": {strings.Replace(goodTree, "Au revoir", "Bye", 1)}},
		"/admin/trees/rollback":    {"version": {"1"}},
		"/admin/catalogue/service": {"id": {"alpha-training"}, "f_provinces": {"larache"}},
	}
	for p, form := range forbidden {
		form.Set("csrf", tok)
		if code, _, _ := c.post(p, form); code != http.StatusForbidden {
			t.Errorf("viewer POST %s: %d", p, code)
		}
	}
	vs, _ := treestore.New(e.pool).List(ctx, treestore.KindTree)
	if len(vs) != 1 {
		t.Errorf("the viewer changed the versions: %+v", vs)
	}
}

func TestLoginThrottling(t *testing.T) {
	t.Parallel()
	e := newEnv(t, staff.Options{MaxFailuresPerAccount: 3, MaxFailuresPerIP: 6})
	c := e.client(t)
	for i := 0; i < 3; i++ {
		if code := c.login(editorEmail, "guess"+string(rune('a'+i))); code != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i, code)
		}
	}
	// Now even the right password is refused for this account…
	if code := c.login(editorEmail, password); code != http.StatusTooManyRequests {
		t.Fatalf("after 3 failures: %d, want 429", code)
	}
	// …but another account from the same address still works,
	if code := c.login(viewerEmail, password); code != http.StatusSeeOther {
		t.Fatalf("other account: %d", code)
	}
	// until the address has failed too often, whatever the account.
	c3 := e.client(t)
	for i := 0; i < 3; i++ {
		c3.login("someone"+string(rune('a'+i))+"@example.org", "x")
	}
	c2 := e.client(t)
	if code := c2.login(viewerEmail, password); code != http.StatusTooManyRequests {
		t.Fatalf("after 6 failures from one address: %d, want 429", code)
	}
}

func TestConsoleTreeWorkflow(t *testing.T) {
	t.Parallel()
	e := newEnv(t, staff.Options{})
	c := e.client(t)
	c.mustLogin(editorEmail)
	tok := c.csrf("/admin/trees")

	// A broken tree: its problems are shown next to the node they concern.
	code, body, _ := c.post("/admin/trees", url.Values{"action": {"check"}, "content": {brokenTree}, "csrf": {tok}})
	if code != 200 || !strings.Contains(body, `id="node-hello"`) || !strings.Contains(body, `class="node bad"`) || !strings.Contains(body, "nowhere") {
		t.Fatalf("check broken: %d\n%s", code, body)
	}
	code, body, _ = c.post("/admin/trees", url.Values{"action": {"publish"}, "content": {brokenTree}, "csrf": {tok}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "Publication refusée") {
		t.Fatalf("publish broken: %d", code)
	}
	// The simulator runs the draft in Darija.
	code, body, _ = c.post("/admin/trees", url.Values{"action": {"sim_reset"}, "sim_lang": {"ary"}, "content": {goodTree}, "csrf": {tok}})
	if code != 200 || !strings.Contains(body, "شنو بغيتي؟") || !strings.Contains(body, `name="press"`) {
		t.Fatalf("simulate: %d\n%s", code, body)
	}
	st := hidden(body, "sim_state")
	code, body, _ = c.post("/admin/trees", url.Values{"press": {pressValue(body)}, "sim_lang": {"ary"}, "sim_state": {st}, "sim_log": {hidden(body, "sim_log")},
		"sim_buttons": {hidden(body, "sim_buttons")}, "content": {goodTree}, "csrf": {tok}})
	if code != 200 || !strings.Contains(body, "بسلامة") || !strings.Contains(body, "[تكوين]") {
		t.Fatalf("simulate button: %d\n%s", code, body)
	}
	// Publish, publish again, diff, roll back.
	code, _, h := c.post("/admin/trees", url.Values{"action": {"publish"}, "content": {goodTree}, "comment": {"premier"}, "csrf": {tok}})
	if code != http.StatusSeeOther || !strings.Contains(h.Get("Location"), "done=published.1") {
		t.Fatalf("publish: %d %s", code, h.Get("Location"))
	}
	second := strings.Replace(goodTree, "Au revoir", "À bientôt", 1)
	if code, _, _ := c.post("/admin/trees", url.Values{"action": {"publish"}, "content": {second}, "csrf": {tok}}); code != http.StatusSeeOther {
		t.Fatalf("publish 2: %d", code)
	}
	_, body, _ = c.get("/admin/trees?done=published.2")
	if !strings.Contains(body, "Version 2 publiée") || !strings.Contains(body, `id="version-2"`) || !strings.Contains(body, "En ligne : version 2") {
		t.Fatalf("trees page after publish:\n%s", body)
	}
	_, body, _ = c.get("/admin/trees/diff?a=1&b=2")
	if !strings.Contains(body, `<tr class="del">`) || !strings.Contains(body, "Au revoir") || !strings.Contains(body, "À bientôt") || !strings.Contains(body, "Nœuds modifiés : <code>bye</code>") {
		t.Fatalf("diff:\n%s", body)
	}
	if code, _, h := c.post("/admin/trees/rollback", url.Values{"version": {"1"}, "csrf": {tok}}); code != http.StatusSeeOther || !strings.Contains(h.Get("Location"), "rolledback.3") {
		t.Fatalf("rollback: %d %s", code, h.Get("Location"))
	}
	live, _, _ := treestore.New(e.pool).Live(context.Background(), treestore.KindTree)
	if live.N != 3 || live.Restores != 1 || string(live.Content) != goodTree {
		t.Fatalf("live after rollback: %+v", live)
	}
	_, body, _ = c.get("/admin/audit")
	for _, want := range []string{"tree.publish", "tree.rollback", "staff.login", editorEmail} {
		if !strings.Contains(body, want) {
			t.Errorf("audit page lacks %s", want)
		}
	}
	// Arabic console: right to left.
	c.get("/admin/lang?l=ar&next=/admin/trees")
	_, body, _ = c.get("/admin/trees")
	if !strings.Contains(body, `<html lang="ar" dir="rtl">`) || !strings.Contains(body, "شجرة الأسئلة") {
		t.Errorf("Arabic console not RTL")
	}
}

func TestConsoleCatalogueEdit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, staff.Options{})
	ctx := context.Background()
	c := e.client(t)
	c.mustLogin(editorEmail)
	tok := c.csrf("/admin/catalogue")
	matchIDs := func() []string {
		var q catalogue.Query
		q.Codes.Add(vocab.Needs, "training")
		q.Codes.Add(vocab.Provinces, "larache")
		res, err := e.store.Match(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, m := range res.Matches {
			ids = append(ids, m.Service.ID)
		}
		return ids
	}
	if got := matchIDs(); len(got) == 0 || got[0] != "beta-training" || slices.Contains(got, "alpha-training") {
		t.Fatalf("before: %v", got)
	}
	_, body, _ := c.get("/admin/catalogue/service?id=alpha-training")
	form := url.Values{"csrf": {tok}, "id": {"alpha-training"}, "orig": {hiddenValue(body, "orig")}}
	for _, col := range catalogue.AllColumns() {
		if !strings.Contains(body, `id="f_`+col+`"`) {
			t.Errorf("the edit form has no field %s", col)
		}
		form.Set("f_"+col, hiddenValue(body, "f_"+col))
	}
	if form.Get("f_provinces") != "tetouan" {
		t.Fatalf("form provinces = %q", form.Get("f_provinces"))
	}
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("f_provinces", "tetouan|atlantis")
	bad.Set("f_email", "not an email")
	code, body, _ := c.post("/admin/catalogue/service", bad)
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "atlantis") || !strings.Contains(body, "not an email") {
		t.Fatalf("bad edit: %d\n%s", code, body)
	}
	form.Set("f_provinces", "tetouan|larache")
	form.Set("f_updated_at", "2026-11-01")
	form.Set("f_address_ar", "12، شارع المثال، تطوان")
	form.Set("f_hours_ar", "من الاثنين إلى الجمعة")
	if code, _, h := c.post("/admin/catalogue/service", form); code != http.StatusSeeOther || !strings.Contains(h.Get("Location"), "done=saved") {
		t.Fatalf("edit: %d %s", code, h.Get("Location"))
	}
	if stored, err := e.store.Services(ctx); err != nil {
		t.Fatal(err)
	} else if i := slices.IndexFunc(stored, func(s *catalogue.Service) bool { return s.ID == "alpha-training" }); i < 0 ||
		stored[i].AddressAR != "12، شارع المثال، تطوان" || stored[i].HoursAR != "من الاثنين إلى الجمعة" {
		t.Fatalf("the Arabic address and hours were not saved")
	}
	if got := strings.Join(matchIDs(), ","); !strings.Contains(got, "alpha-training") {
		t.Fatalf("after the edit the referral lacks alpha-training: %s", got)
	}
	// A second save from the same (now stale) form is refused, not applied.
	form.Set("f_provinces", "tetouan")
	if code, body, _ := c.post("/admin/catalogue/service", form); code != http.StatusConflict || !strings.Contains(body, "modifié par quelqu") {
		t.Fatalf("stale form: %d", code)
	}
	if got := strings.Join(matchIDs(), ","); !strings.Contains(got, "alpha-training") {
		t.Fatalf("the stale form was applied: %s", got)
	}
	// Renaming the organisation on one service renames it for all of them.
	_, body, _ = c.get("/admin/catalogue/service?id=beta-training")
	ren := url.Values{"csrf": {tok}, "id": {"beta-training"}, "orig": {hiddenValue(body, "orig")}}
	for _, col := range catalogue.Columns {
		ren.Set("f_"+col, hiddenValue(body, "f_"+col))
	}
	ren.Set("f_org_name_fr", "Centre Bêta")
	if code, _, _ := c.post("/admin/catalogue/service", ren); code != http.StatusSeeOther {
		t.Fatalf("rename: %d", code)
	}
	all, err := e.store.Services(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, sv := range all {
		if sv.Org.ID == "org-b" && sv.Org.NameFR != "Centre Bêta" {
			t.Errorf("%s still belongs to %q", sv.ID, sv.Org.NameFR)
		}
	}
	_, body, _ = c.get("/admin/catalogue/match?needs=training&provinces=larache")
	if !strings.Contains(body, `data-service="alpha-training"`) {
		t.Errorf("match page lacks the edited service")
	}
	_, body, _ = c.get("/admin/audit")
	if !strings.Contains(body, "catalogue.edit") || !strings.Contains(body, "alpha-training: provinces, updated_at") {
		t.Errorf("audit lacks the edit:\n%s", body)
	}
	// Stale rows: beta has never been checked; alpha now has been.
	_, body, _ = c.get("/admin/catalogue")
	stale := body[strings.Index(body, `id="stale"`):]
	if !strings.Contains(stale, "Formation Beta") || strings.Contains(stale, "Formation Alpha") {
		t.Errorf("stale list wrong:\n%s", stale)
	}
	_, body, _ = c.get("/admin/catalogue?q=alpha")
	if !strings.Contains(body, "alpha-training") {
		t.Errorf("search lacks alpha")
	}
	code, csv, h := c.get("/admin/catalogue/export.csv")
	if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") || !strings.Contains(csv, "tetouan|larache") {
		t.Errorf("export: %d\n%s", code, csv)
	}
}

// hidden reads the value of the form field name in a page.
func hidden(body, name string) string { return hiddenValue(body, name) }

func hiddenValue(body, name string) string {
	i := strings.Index(body, `name="`+name+`"`)
	if i < 0 {
		return ""
	}
	rest := body[i:]
	end := strings.Index(rest, ">")
	tag := rest[:end]
	if j := strings.Index(tag, `value="`); j >= 0 {
		v := tag[j+7:]
		return unescape(v[:strings.Index(v, `"`)])
	}
	// a textarea
	v := rest[end+1:]
	return unescape(v[:strings.Index(v, "</textarea>")])
}

func pressValue(body string) string { return hiddenValue(body, "press") }

func unescape(s string) string {
	r := strings.NewReplacer("&#34;", `"`, "&quot;", `"`, "&#39;", "'", "&lt;", "<", "&gt;", ">", "&amp;", "&", "&#43;", "+")
	return r.Replace(s)
}

func TestConsoleLexiconAndImport(t *testing.T) {
	t.Parallel()
	e := newEnv(t, staff.Options{})
	c := e.client(t)
	c.mustLogin(editorEmail)
	tok := c.csrf("/admin/trees?kind=lexicon")
	_, body, _ := c.get("/admin/trees?kind=lexicon")
	lexicon := hiddenValue(body, "content")
	if !strings.Contains(lexicon, "needs") {
		t.Fatalf("the lexicon editor does not hold the built-in lexicon:\n%.300s", lexicon)
	}
	// Try the lexicon on a sentence, then publish an edited copy.
	code, body, _ := c.post("/admin/trees", url.Values{"kind": {"lexicon"}, "action": {"simulate"}, "sim_input": {"bghit tetwan"}, "content": {lexicon}, "csrf": {tok}})
	if code != 200 || !strings.Contains(body, "tetouan") {
		t.Fatalf("understand: %d\n%s", code, body)
	}
	code, body, _ = c.post("/admin/trees", url.Values{"kind": {"lexicon"}, "action": {"publish"}, "content": {"needs:\n  no.such.code: [x]\n"}, "csrf": {tok}})
	if code != http.StatusUnprocessableEntity {
		t.Fatalf("broken lexicon published: %d", code)
	}
	if code, _, h := c.post("/admin/trees", url.Values{"kind": {"lexicon"}, "action": {"publish"}, "content": {lexicon + "\n# edited\n"}, "csrf": {tok}}); code != http.StatusSeeOther || !strings.Contains(h.Get("Location"), "kind=lexicon") {
		t.Fatalf("publish lexicon: %d %s", code, h.Get("Location"))
	}
	cur, err := treestore.New(e.pool).Current(context.Background())
	if err != nil || cur.LexiconVersion.N != 1 || cur.TreeVersion.N != 0 {
		t.Fatalf("after publishing the lexicon: %+v %v", cur.LexiconVersion, err)
	}

	// A CSV with a bad row: per-line errors, nothing loaded.
	var good strings.Builder
	if err := catalogue.WriteCSV(&good, testServices()); err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(good.String(), "+212539000002", "0539", 1)
	upload := func(content string) (int, string) {
		var buf strings.Builder
		mw := multipart.NewWriter(&buf)
		mw.WriteField("csrf", tok)
		fw, _ := mw.CreateFormFile("file", "mine.csv")
		fw.Write([]byte(content))
		mw.Close()
		req, _ := http.NewRequest("POST", e.url+"/admin/catalogue/import", strings.NewReader(buf.String()))
		req.Header.Set("Content-Type", mw.FormDataContentType())
		code, body, _ := c.do(req)
		return code, body
	}
	code, body = upload(bad)
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "mine.csv:3:") || !strings.Contains(body, "phone") {
		t.Fatalf("bad CSV: %d\n%s", code, body)
	}
	code, body = upload(strings.Replace(good.String(), "Formation Beta", "Formation Bêta", 1))
	if code != 200 || !strings.Contains(body, `id="import-report"`) {
		t.Fatalf("good CSV: %d\n%s", code, body)
	}
	_, body, _ = c.get("/admin/audit")
	if !strings.Contains(body, "catalogue.import") || !strings.Contains(body, "lexicon.publish") {
		t.Errorf("audit lacks the import or the lexicon")
	}
}

// handoffList is plain test data behind the Handoffs interface.
type handoffList []staff.Handoff

func (h handoffList) Handoffs(context.Context, time.Time) ([]staff.Handoff, error) { return h, nil }

func TestHandoffsPage(t *testing.T) {
	t.Parallel()
	now := time.Now()
	e := newEnv(t, staff.Options{Handoffs: handoffList{
		{ID: "h1", Lang: "ary", Needs: []string{"funding.microcredit"}, OpenedAt: now.Add(-50 * time.Minute)},
		{ID: "h2", Lang: "fr", OpenedAt: now.Add(-3 * time.Hour), FirstAnswerAt: now.Add(-170 * time.Minute)},
		{ID: "h3", Lang: "ar", OpenedAt: now.Add(-48 * time.Hour), FirstAnswerAt: now.Add(-47 * time.Hour), ClosedAt: now.Add(-40 * time.Hour)},
	}})
	c := e.client(t)
	c.mustLogin(viewerEmail)
	_, body, _ := c.get("/admin/handoffs")
	waiting := body[strings.Index(body, `id="waiting"`):strings.Index(body, `id="open"`)]
	if !strings.Contains(waiting, "(1)") || !strings.Contains(waiting, "50 min") || !strings.Contains(waiting, "funding.microcredit") {
		t.Errorf("waiting:\n%s", waiting)
	}
	// Median of 10 min and 1 h.
	if !strings.Contains(body, "2 réponses") || !strings.Contains(body, ": 35 min ;") || !strings.Contains(body, "1 conversations closes") {
		t.Errorf("stats:\n%s", body)
	}
	e2 := newEnv(t, staff.Options{})
	c2 := e2.client(t)
	c2.mustLogin(viewerEmail)
	if _, body, _ := c2.get("/admin/handoffs"); !strings.Contains(body, `id="handoffs-empty"`) {
		t.Error("the page without handoffs wired is not the empty one")
	}
}

func TestDisabledAccountLosesItsSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t, staff.Options{})
	ctx := context.Background()
	c := e.client(t)
	c.mustLogin(viewerEmail)
	if code, _, _ := c.get("/admin/trees"); code != 200 {
		t.Fatalf("logged in: %d", code)
	}
	if err := staff.SetDisabled(ctx, e.pool, viewerEmail, true, "test"); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := c.get("/admin/trees"); code != http.StatusSeeOther {
		t.Fatalf("disabled account still in: %d", code)
	}
	if code := c.login(viewerEmail, password); code != http.StatusUnauthorized {
		t.Fatalf("disabled account logs in: %d", code)
	}
	if err := staff.SetDisabled(ctx, e.pool, viewerEmail, false, "test"); err != nil {
		t.Fatal(err)
	}
	if err := staff.SetPassword(ctx, e.pool, viewerEmail, "a brand new secret", "test"); err != nil {
		t.Fatal(err)
	}
	if code := c.login(viewerEmail, password); code != http.StatusUnauthorized {
		t.Fatalf("old password still works: %d", code)
	}
	if code := c.login(viewerEmail, "a brand new secret"); code != http.StatusSeeOther {
		t.Fatalf("new password refused: %d", code)
	}
}

// The simulator's state comes back from the browser: a forged one gets a
// page, never a failed request.
func TestSimulatorForgedState(t *testing.T) {
	t.Parallel()
	e := newEnv(t, staff.Options{})
	c := e.client(t)
	c.mustLogin(viewerEmail)
	tok := c.csrf("/admin/trees")
	for _, st := range []string{`{"v":1,"l":"fr","n":"nowhere","h":[{"n":"ghost"}]}`, `not json`, `{"v":99}`} {
		for _, in := range []url.Values{{"press": {"c:zzz:hello:train"}}, {"action": {"simulate"}, "sim_input": {"bghit tkwin"}}} {
			form := url.Values{"csrf": {tok}, "content": {goodTree}, "sim_lang": {"ar"}, "sim_state": {st}, "sim_log": {"[{"}}
			for k, v := range in {
				form[k] = v
			}
			if code, body, _ := c.post("/admin/trees", form); code != 200 || !strings.Contains(body, `id="chat"`) {
				t.Errorf("state %s, input %v: %d", st, in, code)
			}
		}
	}
}

// A draft started before someone else published is not published over
// their version without a warning.
func TestPublishOverANewerVersionWarns(t *testing.T) {
	t.Parallel()
	e := newEnv(t, staff.Options{})
	c := e.client(t)
	c.mustLogin(editorEmail)
	tok := c.csrf("/admin/trees")
	_, body, _ := c.get("/admin/trees")
	if hiddenValue(body, "base") != "0" {
		t.Fatalf("base of the built-in tree: %q", hiddenValue(body, "base"))
	}
	if _, err := treestore.New(e.pool).Publish(context.Background(), treestore.KindTree, []byte(goodTree), "colleague@example.org", ""); err != nil {
		t.Fatal(err)
	}
	mine := strings.Replace(goodTree, "Au revoir", "Salut", 1)
	code, body, _ := c.post("/admin/trees", url.Values{"action": {"publish"}, "base": {"0"}, "content": {mine}, "csrf": {tok}})
	if code != http.StatusConflict || !strings.Contains(body, "colleague@example.org") || hiddenValue(body, "base") != "1" || !strings.Contains(hiddenValue(body, "content"), "Salut") {
		t.Fatalf("publish over a newer version: %d", code)
	}
	if code, _, _ := c.post("/admin/trees", url.Values{"action": {"publish"}, "base": {"1"}, "content": {mine}, "csrf": {tok}}); code != http.StatusSeeOther {
		t.Fatalf("deliberate publish: %d", code)
	}
}

func TestExportHSDS(t *testing.T) {
	t.Parallel()
	e := newEnv(t, staff.Options{HSDS: postgres.WriteHSDS})
	c := e.client(t)
	c.mustLogin(viewerEmail)
	_, body, _ := c.get("/admin/catalogue")
	if !strings.Contains(body, `id="export-hsds"`) {
		t.Fatal("no HSDS export link")
	}
	code, out, h := c.get("/admin/catalogue/export.hsds.json")
	if code != 200 || h.Get("Content-Type") != "application/json" || !strings.Contains(out, "Formation Alpha") {
		t.Fatalf("HSDS export: %d %s\n%.300s", code, h.Get("Content-Type"), out)
	}
	e2 := newEnv(t, staff.Options{})
	c2 := e2.client(t)
	c2.mustLogin(viewerEmail)
	if code, _, _ := c2.get("/admin/catalogue/export.hsds.json"); code != http.StatusNotFound {
		t.Fatalf("HSDS export without an exporter: %d", code)
	}
}
