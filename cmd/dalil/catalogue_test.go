package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/catalogue/postgres/pgtest"
)

// runDB runs the binary's entry point with DATABASE_URL set to url.
func runDB(t *testing.T, url string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := func(k string) string {
		if k == "DATABASE_URL" {
			return url
		}
		return ""
	}
	code = run(args, stdio{strings.NewReader(""), &out, &errb, env})
	return code, out.String(), errb.String()
}

// writeCatalogue writes services as a catalogue file in dir and returns
// its records (header first) and path.
func writeCatalogue(t *testing.T, dir, name string, svcs []*catalogue.Service) ([][]string, string) {
	t.Helper()
	var buf bytes.Buffer
	if err := catalogue.WriteCSV(&buf, svcs); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(buf.Bytes())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs[1:] {
		for _, cell := range r {
			if strings.Contains(cell, "\n") {
				t.Fatal("test catalogue has a multi-line cell: line numbers below assume one line a row")
			}
		}
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return recs, path
}

func writeRecords(t *testing.T, path string, recs [][]string) {
	t.Helper()
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.WriteAll(recs); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func col(name string) int { return slices.Index(catalogue.Columns, name) }

func export(t *testing.T, url string, args ...string) string {
	t.Helper()
	code, out, errs := runDB(t, url, append([]string{"catalogue", "export"}, args...)...)
	if code != 0 {
		t.Fatalf("export: exit %d: %s", code, errs)
	}
	return out
}

func TestCatalogueImportRejectsEveryKindOfBadRow(t *testing.T) {
	url := pgtest.NewDB(t)
	dir := t.TempDir()
	demo := catalogue.Demo()
	_, loaded := writeCatalogue(t, dir, "loaded.csv", demo[:3])
	if code, _, errs := runDB(t, url, "catalogue", "import", loaded); code != 0 {
		t.Fatalf("good import: exit %d: %s", code, errs)
	}
	before := export(t, url)

	good, _ := writeCatalogue(t, dir, "good.csv", demo[3:8])
	cases := []struct {
		name   string
		spoil  func(recs [][]string)
		line   int
		column string
		say    string
	}{
		{"unknown code", func(r [][]string) { r[2][col("needs")] = "funding|crowdfunding" }, 3, "needs", "unknown"},
		{"bad e-mail", func(r [][]string) { r[1][col("email")] = "contact@@example" }, 2, "email", "e-mail"},
		{"bad phone", func(r [][]string) { r[3][col("phone")] = "0539 00 00 00" }, 4, "phone", "+212"},
		{"missing required value", func(r [][]string) { r[1][col("service_name_fr")] = "" }, 2, "service_name_fr", "missing"},
		{"duplicate id", func(r [][]string) { r[4][col("service_id")] = r[2][col("service_id")] }, 5, "service_id", "duplicate"},
		{"coordinates outside Morocco", func(r [][]string) { r[2][col("latitude")], r[2][col("longitude")] = "48.8566", "-5.35" }, 3, "latitude", "outside Morocco"},
		{"wrong header", func(r [][]string) { r[0][col("needs")] = "need" }, 1, "needs", "need"},
		{"not UTF-8", func(r [][]string) { r[4][col("description_fr")] = "Cr\xe9ation d'entreprise" }, 5, "description_fr", "UTF-8"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			recs := make([][]string, len(good))
			for i := range good {
				recs[i] = slices.Clone(good[i])
			}
			c.spoil(recs)
			path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-")+".csv")
			writeRecords(t, path, recs)
			code, out, errs := runDB(t, url, "catalogue", "import", path)
			if code != 1 {
				t.Fatalf("exit %d, want 1; stdout %q stderr %q", code, out, errs)
			}
			want := fmt.Sprintf("%s:%d:%d: ", path, c.line, col(c.column)+1)
			var line string
			for _, l := range strings.Split(errs, "\n") {
				if strings.HasPrefix(l, want) {
					line = l
				}
			}
			if line == "" || !strings.Contains(line, c.say) {
				t.Errorf("stderr lacks a line starting %q saying %q:\n%s", want, c.say, errs)
			}
			if after := export(t, url); after != before {
				t.Errorf("the database changed after a rejected import")
			}
		})
	}

	// Every problem of a file is reported, not only the first: the six
	// row problems at once give (at least) six lines.
	recs := make([][]string, len(good))
	for i := range good {
		recs[i] = slices.Clone(good[i])
	}
	for _, c := range cases[:6] {
		c.spoil(recs)
	}
	path := filepath.Join(dir, "many.csv")
	writeRecords(t, path, recs)
	code, _, errs := runDB(t, url, "catalogue", "import", path)
	n := strings.Count(errs, path+":")
	if code != 1 || n < 6 {
		t.Errorf("exit %d and %d problem lines for a file with 6 bad cells:\n%s", code, n, errs)
	}
}

func TestCatalogueReimportPruneDryRunAndRoundTrip(t *testing.T) {
	url := pgtest.NewDB(t)
	dir := t.TempDir()
	demo := catalogue.Demo()
	_, full := writeCatalogue(t, dir, "full.csv", demo)
	_, part := writeCatalogue(t, dir, "part.csv", demo[:10])

	code, out, errs := runDB(t, url, "catalogue", "import", full)
	if code != 0 || !strings.Contains(out, fmt.Sprintf("%d new", len(demo))) {
		t.Fatalf("first import: exit %d, %s %s", code, out, errs)
	}
	first := export(t, url)

	// Idempotent: the same file again changes nothing.
	code, out, _ = runDB(t, url, "catalogue", "import", full)
	if code != 0 || !strings.Contains(out, fmt.Sprintf("0 new, 0 updated, %d unchanged", len(demo))) {
		t.Errorf("re-import: exit %d, %s", code, out)
	}
	if again := export(t, url); again != first {
		t.Error("re-import changed the export")
	}

	// Round trip: the export imports as "unchanged", and reads back equal.
	exported := filepath.Join(dir, "exported.csv")
	if code, _, errs := runDB(t, url, "catalogue", "export", "--format", "csv", "-o", exported); code != 0 {
		t.Fatalf("export -o: %s", errs)
	}
	code, out, _ = runDB(t, url, "catalogue", "import", exported)
	if code != 0 || !strings.Contains(out, fmt.Sprintf("%d unchanged", len(demo))) {
		t.Errorf("import of the export: exit %d, %s", code, out)
	}
	f, _ := os.Open(exported)
	back, err := catalogue.ReadCSV(f, exported)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != len(demo) {
		t.Fatalf("export has %d services, want %d", len(back), len(demo))
	}
	byID := map[string]*catalogue.Service{}
	for _, s := range demo {
		byID[s.ID] = s
	}
	for _, s := range back {
		want := byID[s.ID]
		if want == nil {
			t.Fatalf("export has unknown service %s", s.ID)
		}
		var a, b bytes.Buffer
		_ = catalogue.WriteCSV(&a, []*catalogue.Service{s})
		_ = catalogue.WriteCSV(&b, []*catalogue.Service{want})
		if a.String() != b.String() {
			t.Errorf("service %s changed in the round trip:\n%s\n%s", s.ID, a.String(), b.String())
		}
	}

	// Dry run: reports, changes nothing.
	code, out, _ = runDB(t, url, "catalogue", "import", "--dry-run", part)
	if code != 0 || !strings.Contains(out, "dry run") || !strings.Contains(out, fmt.Sprintf("%d absent from the file marked inactive", len(demo)-10)) {
		t.Errorf("dry run: exit %d, %s", code, out)
	}
	if after := export(t, url); after != first {
		t.Error("a dry run changed the catalogue")
	}

	// A partial import marks the others inactive (export leaves them out)…
	code, out, _ = runDB(t, url, "catalogue", "import", part)
	if code != 0 || !strings.Contains(out, fmt.Sprintf("%d absent from the file marked inactive", len(demo)-10)) {
		t.Errorf("partial import: exit %d, %s", code, out)
	}
	if n := strings.Count(export(t, url), "\n") - 1; n != 10 {
		t.Errorf("export after partial import has %d services, want 10", n)
	}
	// …still there (HSDS --all shows them inactive)…
	var hs []map[string]any
	if err := json.Unmarshal([]byte(export(t, url, "--format", "hsds", "--all")), &hs); err != nil {
		t.Fatal(err)
	}
	inactive := 0
	for _, s := range hs {
		if s["status"] == "inactive" {
			inactive++
		}
	}
	if len(hs) != len(demo) || inactive != len(demo)-10 {
		t.Errorf("hsds --all: %d services, %d inactive; want %d and %d", len(hs), inactive, len(demo), len(demo)-10)
	}
	// …and a full import brings them back.
	code, out, _ = runDB(t, url, "catalogue", "import", full)
	if code != 0 || !strings.Contains(out, fmt.Sprintf("%d updated", len(demo)-10)) {
		t.Errorf("re-activating import: exit %d, %s", code, out)
	}
	// --prune deletes instead.
	code, out, _ = runDB(t, url, "catalogue", "import", "--prune", part)
	if code != 0 || !strings.Contains(out, fmt.Sprintf("%d absent from the file deleted", len(demo)-10)) {
		t.Errorf("prune: exit %d, %s", code, out)
	}
	if err := json.Unmarshal([]byte(export(t, url, "--format", "hsds", "--all")), &hs); err != nil || len(hs) != 10 {
		t.Errorf("after --prune hsds --all has %d services (%v), want 10", len(hs), err)
	}
}

func TestCatalogueDemoGenerateAndMigrate(t *testing.T) {
	url := pgtest.NewDB(t)
	code, out, errs := runDB(t, url, "migrate")
	if code != 0 || !strings.Contains(out, "schema up to date") {
		t.Fatalf("migrate: exit %d, %s %s", code, out, errs)
	}
	if code, out, _ := runDB(t, url, "migrate"); code != 0 || !strings.Contains(out, "nothing to apply") {
		t.Errorf("second migrate: exit %d, %s", code, out)
	}
	// migrate runs serve's step: every schema, the handoff's included.
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	for _, table := range []string{"service", "content_version", "staff_account", "handoffs"} {
		var exists bool
		if err := pool.QueryRow(context.Background(), "SELECT to_regclass($1) IS NOT NULL", table).Scan(&exists); err != nil || !exists {
			t.Errorf("after dalil migrate, no table %s (%v)", table, err)
		}
	}
	code, out, errs = runDB(t, url, "catalogue", "demo")
	if code != 0 || !strings.Contains(out, fmt.Sprintf("%d services", len(catalogue.Demo()))) {
		t.Fatalf("demo: exit %d, %s %s", code, out, errs)
	}
	if code, out, _ := runDB(t, url, "catalogue", "import", "--demo"); code != 0 || !strings.Contains(out, "0 new") {
		t.Errorf("import --demo again: exit %d, %s", code, out)
	}

	code, out, errs = runDB(t, url, "catalogue", "search", "9ard", "chraf")
	if code != 0 || !strings.Contains(strings.SplitN(out, "\n", 2)[0], "demo-honneur-pret") {
		t.Errorf("search 9ard chraf: exit %d, %s %s", code, out, errs)
	}
	code, out, errs = runDB(t, "", "catalogue", "generate", "25", "--seed", "3")
	if code != 0 {
		t.Fatalf("generate: exit %d, %s", code, errs)
	}
	svcs, err := catalogue.ReadCSV(strings.NewReader(out), "generated")
	if err != nil || len(svcs) != 25 {
		t.Errorf("generate 25 gave %d services, %v", len(svcs), err)
	}

	if code, _, errs := runDB(t, "", "catalogue", "export"); code == 0 || !strings.Contains(errs, "DATABASE_URL") {
		t.Errorf("export without DATABASE_URL: exit %d, %s", code, errs)
	}
}
