package staff_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/catalogue/postgres"
	"github.com/dalil-tt/dalil/staff"
)

// latinOutsideIsolates is JavaScript that lists the text runs with Latin
// letters, under the element matched by the selector given, that are not
// inside an isolate (a <bdi>, an element with a dir attribute, or a <code>,
// which the style sheet isolates): in a right-to-left line such a run is
// reordered with the punctuation around it.
const latinOutsideIsolates = `(sel) => {
	const bad = [];
	const walk = document.createTreeWalker(document.querySelector(sel), NodeFilter.SHOW_TEXT);
	for (let n = walk.nextNode(); n; n = walk.nextNode()) {
		if (!/[A-Za-z]/.test(n.textContent)) continue;
		if (!n.parentElement.closest("bdi, [dir], code")) bad.push(n.textContent.trim());
	}
	return bad;
}`

// TestBrowserArabicCatalogue: on the Arabic console, catalogue search
// results and referrals show the Arabic names of services and organisations,
// with the fictional label, and every Latin run (ids, scores) is isolated,
// so that Chromium lays each line out right to left with the id whole at
// its end. A screenshot is written to DALIL_SCREENSHOT_DIR when set.
func TestBrowserArabicCatalogue(t *testing.T) {
	t.Parallel()
	chromiumPath(t)
	e := newEnv(t, staff.Options{})
	if _, err := e.store.Import(context.Background(), catalogue.Demo(), postgres.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	ctx := browser(t)
	step(t, ctx, "open the console", chromedp.Navigate(e.url+"/admin/catalogue"), chromedp.WaitVisible(chromedp.CSS("#login")))
	step(t, ctx, "fill the login form",
		chromedp.SendKeys(chromedp.CSS("#email"), editorEmail),
		chromedp.SendKeys(chromedp.CSS("#password"), password))
	submit(t, ctx, "log in", "#signin")
	step(t, ctx, "switch to Arabic", chromedp.Navigate(e.url+"/admin/lang?l=ar&next=/admin/catalogue%3Fq%3D%D9%82%D8%B1%D8%B6"),
		chromedp.WaitVisible(chromedp.CSS("#hits")))

	hits := text(t, ctx, "#hits")
	if !strings.Contains(hits, "(مثال خيالي)") || strings.Contains(hits, "(fictif)") || strings.Contains(hits, "Microcrédit de démarrage") {
		t.Errorf("Arabic search results do not show the Arabic names: %q", hits)
	}
	if bad := eval[[]string](t, ctx, "("+latinOutsideIsolates+`)("#hits")`); len(bad) > 0 {
		t.Errorf("Latin runs outside an isolate in the results: %q", bad)
	}
	// Laid out right to left, on every line: each id stays whole (one box,
	// not broken at its hyphens), and one on the same line as its service's
	// name is at its left.
	if bad := eval[[]string](t, ctx, `(() => {
		const bad = [];
		for (const li of document.querySelectorAll("#hits li")) {
			const name = li.querySelector("a bdi").getBoundingClientRect();
			const code = li.querySelector("code");
			const boxes = code.getClientRects();
			if (boxes.length !== 1) { bad.push(code.textContent + ": broken in " + boxes.length); continue; }
			const id = boxes[0];
			if (Math.abs(id.top - name.top) < 4 && id.right > name.left) bad.push(code.textContent + ": right of its name");
		}
		return bad;
	})()`); len(bad) > 0 {
		t.Errorf("ids misplaced in a right-to-left line: %q", bad)
	}
	if id := eval[string](t, ctx, `document.querySelector("#hits li code").textContent`); !strings.HasPrefix(id, "demo-") {
		t.Errorf("first hit's id %q", id)
	}
	shot(t, ctx, "#hits", "catalogue-search-ar.png")

	step(t, ctx, "a referral in Arabic", chromedp.Navigate(e.url+"/admin/catalogue/match?needs=premises&provinces=al-hoceima"),
		chromedp.WaitVisible(chromedp.CSS("#referral")))
	if got := text(t, ctx, "#referral"); !strings.Contains(got, "فضاء الريف للمقاولة (مثال خيالي)") {
		t.Errorf("referral without the Arabic organisation name: %q", got)
	}
	if bad := eval[[]string](t, ctx, "("+latinOutsideIsolates+`)("#referral")`); len(bad) > 0 {
		t.Errorf("Latin runs outside an isolate in the referral: %q", bad)
	}
	shot(t, ctx, "#referral", "catalogue-match-ar.png")

	// The edit form carries the Arabic address and hours.
	step(t, ctx, "open a service", chromedp.Navigate(e.url+"/admin/catalogue/service?id=demo-rif-espace"), chromedp.WaitVisible(chromedp.CSS("#service")))
	if got := eval[string](t, ctx, `document.querySelector("#f_address_ar").value`); got != "عنوان خيالي، الحسيمة" {
		t.Errorf("address_ar field = %q", got)
	}
	if got := eval[string](t, ctx, `document.querySelector("#f_hours_ar").value`); !strings.HasPrefix(got, "من الاثنين") {
		t.Errorf("hours_ar field = %q", got)
	}

	// French pages keep the French names.
	step(t, ctx, "back to French", chromedp.Navigate(e.url+"/admin/lang?l=fr&next=/admin/catalogue%3Fq%3Dmicrocredit"),
		chromedp.WaitVisible(chromedp.CSS("#hits")))
	if got := text(t, ctx, "#hits"); !strings.Contains(got, "(fictif)") || strings.Contains(got, "مثال خيالي") {
		t.Errorf("French results: %q", got)
	}
}

// shot saves a screenshot of the element sel to DALIL_SCREENSHOT_DIR, when
// set, for a person to look at the layout.
func shot(t *testing.T, ctx context.Context, sel, name string) {
	t.Helper()
	dir := os.Getenv("DALIL_SCREENSHOT_DIR")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}
