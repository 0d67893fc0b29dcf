package catalogue

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dalil-tt/dalil/internal/vocab"
)

// Columns is the header of the catalogue file, in the order DESIGN.md gives.
// ReadCSV accepts the columns in any order; WriteCSV writes this order.
var Columns = []string{
	"org_id", "org_name_fr", "org_name_ar", "org_kind",
	"service_id", "service_name_fr", "service_name_ar", "description_fr", "description_ar",
	"needs", "stages", "forms", "publics", "sectors", "provinces", "areas", "languages",
	"cost", "conditions_fr", "conditions_ar", "address", "city", "latitude", "longitude",
	"phone", "email", "website", "hours", "updated_at",
}

// OptionalColumns may be left out of a file (files written before they
// existed are read as before); WriteCSV writes them after Columns. They hold
// the Arabic address and opening hours shown on Arabic and Darija cards.
var OptionalColumns = []string{"address_ar", "hours_ar"}

// AllColumns is every column a file may have, in the order WriteCSV writes.
func AllColumns() []string { return slices.Concat(Columns, OptionalColumns) }

// OrgKinds lists the values of org_kind.
var OrgKinds = []string{"public", "association", "cooperative", "microfinance", "bank", "chamber", "network", "private", "international"}

// Costs lists the values of cost (empty is allowed too).
var Costs = []string{"free", "paid", "mixed"}

// facetColumns maps the multi-valued columns to their facet.
var facetColumns = []struct {
	col string
	f   vocab.Facet
}{
	{"needs", vocab.Needs}, {"stages", vocab.Stages}, {"forms", vocab.Forms}, {"publics", vocab.Publics},
	{"sectors", vocab.Sectors}, {"provinces", vocab.Provinces}, {"areas", vocab.Areas}, {"languages", vocab.Languages},
}

// Morocco's rough bounding box (including the southern provinces): enough to
// catch swapped or mistyped coordinates, not to check a province.
const (
	minLat, maxLat = 20.5, 36.0
	minLon, maxLon = -17.5, -0.9
)

// bom is the byte order mark some editors put at the start of UTF-8 files.
const bom = "\ufeff"

// DateLayout is the layout of updated_at.
const DateLayout = "2006-01-02"

// MaxProblems is how many problems ReadCSV reports before giving up on a
// file (a file in the wrong format would otherwise give one per cell).
const MaxProblems = 200

// Problem is one thing wrong in a catalogue file. Line is the physical line
// (1 = header) where the offending cell starts, or where the invalid byte is;
// Column is the 1-based index of the cell in the header, 0 when the problem
// concerns the whole line.
type Problem struct {
	File   string
	Line   int
	Column int
	Field  string // column name, when known
	Msg    string
}

// String formats the problem as "FILE:LINE:COLUMN: field: msg" (the column
// part is left out when the problem concerns a whole line).
func (p Problem) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d:", p.File, p.Line)
	if p.Column > 0 {
		fmt.Fprintf(&b, "%d:", p.Column)
	}
	b.WriteByte(' ')
	if p.Field != "" {
		b.WriteString(p.Field)
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Problems is every problem found in a file; it is the error ReadCSV returns.
type Problems []Problem

// Error lists the problems, one a line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

var (
	orgIDRe     = regexp.MustCompile(`^[a-z0-9-]+$`)
	serviceIDRe = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)
	digitsRe    = regexp.MustCompile(`^[0-9]+$`)
)

// ReadCSV reads a catalogue file. It checks every row and returns either
// every service, all active, or a Problems error listing everything wrong (and
// no service). file names the input in the problems.
//
// Spreadsheets set to French often save with ';' between cells: when the
// header line has more ';' than ',', ';' is taken as the separator.
func ReadCSV(r io.Reader, file string) ([]*Service, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(br.Size()) // a short read is fine: it is the whole file
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		head = head[:i]
	}
	if bytes.HasPrefix(head, []byte(bom)) {
		_, _ = br.Discard(len(bom)) // cannot fail: the bytes are buffered
	}
	cr := csv.NewReader(br)
	if bytes.Count(head, []byte{';'}) > bytes.Count(head, []byte{','}) {
		cr.Comma = ';'
	}
	cr.FieldsPerRecord = -1 // row length is checked here, to report it and go on
	cr.ReuseRecord = false

	rd := &reader{file: file}
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, Problems{{File: file, Line: 1, Msg: "empty file: the header row is missing"}}
	}
	if err != nil {
		if p, ok := rd.syntax(err); ok {
			return nil, Problems{p}
		}
		return nil, fmt.Errorf("reading %s: %w", file, err)
	}
	if !rd.readHeader(cr, header) {
		return nil, rd.problems
	}

	var services []*Service
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			p, ok := rd.syntax(err)
			if !ok {
				return nil, fmt.Errorf("reading %s: %w", file, err)
			}
			// encoding/csv goes on at the next record: keep reporting.
			rd.problems = append(rd.problems, p)
			continue
		}
		if s := rd.readRow(cr, rec); s != nil {
			services = append(services, s)
		}
		if len(rd.problems) >= MaxProblems {
			line, _ := cr.FieldPos(0)
			rd.add(line, 0, "", "too many problems, stopping here: fix these and import again")
			break
		}
	}
	if len(rd.problems) > 0 {
		return nil, rd.problems
	}
	return services, nil
}

type orgSeen struct {
	org  Organisation
	line int
}

// reader holds the state of one ReadCSV call.
type reader struct {
	file     string
	problems Problems
	index    map[string]int // column name -> position in the file
	width    int
	services map[string]int     // service_id -> line of first appearance
	orgs     map[string]orgSeen // org_id -> first row naming it
}

// syntax turns a CSV syntax error into a problem; other errors (a failing
// reader) are not problems of the file and are returned as they are.
func (rd *reader) syntax(err error) (Problem, bool) {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return Problem{File: rd.file, Line: pe.Line, Msg: fmt.Sprintf("malformed CSV: %v (at character %d of the line)", pe.Err, pe.Column)}, true
	}
	return Problem{}, false
}

func (rd *reader) add(line, col int, field, format string, args ...any) {
	rd.problems = append(rd.problems, Problem{File: rd.file, Line: line, Column: col, Field: field, Msg: fmt.Sprintf(format, args...)})
}

func (rd *reader) readHeader(cr *csv.Reader, header []string) bool {
	rd.index = make(map[string]int, len(header))
	rd.width = len(header)
	rd.services = map[string]int{}
	rd.orgs = map[string]orgSeen{}
	headerLine, _ := cr.FieldPos(0)
	for i, h := range header {
		line, _ := cr.FieldPos(i)
		if !utf8.ValidString(h) {
			rd.add(line, i+1, "", "header is not valid UTF-8")
			continue
		}
		name := strings.ToLower(strings.TrimSpace(h))
		switch {
		case name == "":
			rd.add(line, i+1, "", "empty column name in the header")
		case !slices.Contains(Columns, name) && !slices.Contains(OptionalColumns, name):
			rd.add(line, i+1, name, "unknown column %q (expected columns: %s; optional: %s)", name,
				strings.Join(Columns, ","), strings.Join(OptionalColumns, ","))
		default:
			if first, dup := rd.index[name]; dup {
				rd.add(line, i+1, name, "column %q appears twice (first in column %d)", name, first+1)
				continue
			}
			rd.index[name] = i
		}
	}
	var missing []string
	for _, c := range Columns {
		if _, ok := rd.index[c]; !ok {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		rd.add(headerLine, 0, "", "missing column(s) in the header: %s", strings.Join(missing, ", "))
	}
	return len(rd.problems) == 0
}

// row gives access to the cells of one record by column name.
type row struct {
	rd    *reader
	cr    *csv.Reader
	rec   []string
	cells map[string]string
}

func blank(rec []string) bool {
	for _, c := range rec {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// pos is where the cell of col starts (readRow has checked the row's width).
func (r *row) pos(col string) (line, column int) {
	i := r.rd.index[col]
	line, _ = r.cr.FieldPos(i)
	return line, i + 1
}

func (r *row) bad(col, format string, args ...any) {
	line, c := r.pos(col)
	r.rd.add(line, c, col, format, args...)
}

func (r *row) get(col string) string { return r.cells[col] }

func (r *row) required(col string) string {
	v := r.cells[col]
	if v == "" {
		r.bad(col, "required value missing")
	}
	return v
}

func (rd *reader) readRow(cr *csv.Reader, rec []string) *Service {
	before := len(rd.problems)
	first, _ := cr.FieldPos(0)
	if blank(rec) {
		return nil // spreadsheets often save trailing rows of empty cells
	}
	if len(rec) != rd.width {
		rd.add(first, 0, "", "row has %d cells, the header has %d", len(rec), rd.width)
		return nil
	}
	r := &row{rd: rd, cr: cr, rec: rec, cells: make(map[string]string, len(Columns)+len(OptionalColumns))}
	for _, c := range AllColumns() {
		i, ok := rd.index[c]
		if !ok {
			continue // an optional column the file does not have
		}
		v := rec[i]
		if !utf8.ValidString(v) {
			line, _ := cr.FieldPos(i)
			// Point at the physical line of the bad byte inside a multi-line cell.
			if bad := strings.IndexFunc(v, func(r rune) bool { return r == utf8.RuneError }); bad > 0 {
				line += strings.Count(v[:bad], "\n")
			}
			rd.add(line, i+1, c, "not valid UTF-8 text (save the file as UTF-8)")
			v = strings.ToValidUTF8(v, "\uFFFD")
		}
		r.cells[c] = strings.TrimSpace(unneutralise(v))
	}

	s := &Service{Active: true}
	s.Org.ID = r.required("org_id")
	if s.Org.ID != "" && !orgIDRe.MatchString(s.Org.ID) {
		r.bad("org_id", "%q is not a valid id (lower case letters, digits and '-')", s.Org.ID)
	}
	s.Org.NameFR = r.required("org_name_fr")
	s.Org.NameAR = r.get("org_name_ar")
	s.Org.Kind = r.required("org_kind")
	if s.Org.Kind != "" && !slices.Contains(OrgKinds, s.Org.Kind) {
		r.bad("org_kind", "unknown organisation kind %q (one of %s)", s.Org.Kind, strings.Join(OrgKinds, ", "))
	}

	s.ID = r.required("service_id")
	if s.ID != "" {
		if !serviceIDRe.MatchString(s.ID) {
			r.bad("service_id", "%q is not a valid id (lower case letters, digits, '-', '_' and '.')", s.ID)
		}
		line, _ := r.pos("service_id")
		if prev, dup := rd.services[s.ID]; dup {
			r.bad("service_id", "duplicate service_id %q (first on line %d)", s.ID, prev)
		} else {
			rd.services[s.ID] = line
		}
	}
	s.NameFR = r.required("service_name_fr")
	s.NameAR = r.get("service_name_ar")
	s.DescriptionFR = r.get("description_fr")
	s.DescriptionAR = r.get("description_ar")

	for _, fc := range facetColumns {
		codes := r.codes(fc.col, fc.f)
		s.SetFacet(fc.f, codes)
	}
	if r.get("needs") == "" {
		r.bad("needs", "required value missing")
	}
	if r.get("provinces") == "" {
		r.bad("provinces", "required value missing")
	}

	s.Cost = r.get("cost")
	if s.Cost != "" && !slices.Contains(Costs, s.Cost) {
		r.bad("cost", "unknown cost %q (one of %s, or empty)", s.Cost, strings.Join(Costs, ", "))
	}
	s.ConditionsFR = r.get("conditions_fr")
	s.ConditionsAR = r.get("conditions_ar")
	s.Address = r.get("address")
	s.City = r.get("city")
	s.Latitude = r.coordinate("latitude", minLat, maxLat)
	s.Longitude = r.coordinate("longitude", minLon, maxLon)
	latSet, lonSet := r.get("latitude") != "", r.get("longitude") != ""
	if latSet && !lonSet {
		r.bad("longitude", "latitude given without longitude")
	} else if lonSet && !latSet {
		r.bad("latitude", "longitude given without latitude")
	}

	if p := r.get("phone"); p != "" {
		norm, err := NormalizePhone(p)
		if err != nil {
			r.bad("phone", "%v", err)
		}
		s.Phone = norm
	}
	s.Email = r.get("email")
	if s.Email != "" && !ValidEmail(s.Email) {
		r.bad("email", "%q is not a valid e-mail address", s.Email)
	}
	s.Website = r.get("website")
	if s.Website != "" && !ValidURL(s.Website) {
		r.bad("website", "%q is not a valid web address (it must start with http:// or https://)", s.Website)
	}
	if r.get("phone") == "" && s.Email == "" && s.Website == "" {
		r.bad("phone", "no contact: give at least a phone, an e-mail or a website")
	}
	s.Hours = r.get("hours")
	s.AddressAR = r.get("address_ar")
	s.HoursAR = r.get("hours_ar")
	if d := r.get("updated_at"); d != "" {
		t, err := time.Parse(DateLayout, d)
		if err != nil {
			r.bad("updated_at", "%q is not a date in the form YYYY-MM-DD", d)
		}
		s.UpdatedAt = t
	}

	// One organisation, one identity: the same org_id must carry the same names and kind.
	if s.Org.ID != "" {
		line, _ := r.pos("org_id")
		if prev, ok := rd.orgs[s.Org.ID]; ok {
			for _, d := range []struct{ col, a, b string }{
				{"org_name_fr", prev.org.NameFR, s.Org.NameFR},
				{"org_name_ar", prev.org.NameAR, s.Org.NameAR},
				{"org_kind", prev.org.Kind, s.Org.Kind},
			} {
				if d.a != d.b {
					r.bad(d.col, "organisation %q has a different %s on line %d (%q): rows of one organisation must agree", s.Org.ID, d.col, prev.line, d.a)
				}
			}
		} else {
			rd.orgs[s.Org.ID] = orgSeen{org: s.Org, line: line}
		}
	}

	if len(rd.problems) > before {
		// Report a row's problems left to right, whatever order the checks ran in.
		slices.SortStableFunc(rd.problems[before:], func(a, b Problem) int { return a.Column - b.Column })
		return nil
	}
	return s
}

// codes parses a multi-valued cell: codes separated by '|', '*' for every
// value (for publics, '*' means open to all and is stored empty). Codes come
// back deduplicated in vocabulary order so that equal sets compare equal.
func (r *row) codes(col string, f vocab.Facet) []string {
	v := r.get(col)
	if v == "" {
		return nil
	}
	var set []string
	for part := range strings.SplitSeq(v, "|") {
		code := strings.ToLower(strings.TrimSpace(part))
		switch {
		case code == "":
			r.bad(col, "empty code in %q (codes are separated by '|')", v)
		case code == "*":
			if f == vocab.Publics {
				return nil
			}
			return slices.Clone(vocab.Values[f])
		case !vocab.Valid(f, code):
			r.bad(col, "unknown %s code %q", f, code)
		default:
			set = append(set, code)
		}
	}
	return canonical(f, set)
}

// canonical returns codes deduplicated, in the order of vocab.Values[f].
func canonical(f vocab.Facet, codes []string) []string {
	if len(codes) == 0 {
		return nil
	}
	var out []string
	for _, c := range vocab.Values[f] {
		if slices.Contains(codes, c) {
			out = append(out, c)
		}
	}
	return out
}

func (r *row) coordinate(col string, lo, hi float64) *float64 {
	v := r.get(col)
	if v == "" {
		return nil
	}
	x, err := strconv.ParseFloat(v, 64)
	if err != nil {
		r.bad(col, "%q is not a number (decimal degrees with a dot, e.g. 35.7673)", v)
		return nil
	}
	if x < lo || x > hi {
		r.bad(col, "%s %v is outside Morocco (expected between %v and %v)", col, x, lo, hi)
		return nil
	}
	return &x
}

// phoneSeparators are the characters people put between digit groups.
var phoneSeparators = strings.NewReplacer(" ", "", "-", "", ".", "", "(", "", ")", "", "\u00a0", "", "/", "")

// NormalizePhone checks a phone number written in international form and
// returns it as "+" and digits only: "+212 5 39-00.00 01" gives
// "+212539000001". A Moroccan number has 9 digits after +212; other
// countries' numbers must be valid E.164 (at most 15 digits). "00" is
// accepted for "+", and Arabic-Indic digits for ASCII ones.
func NormalizePhone(p string) (string, error) {
	s := strings.Map(func(r rune) rune {
		// Digits typed on an Arabic keyboard.
		switch {
		case r >= '٠' && r <= '٩':
			return '0' + (r - '٠')
		case r >= '۰' && r <= '۹':
			return '0' + (r - '۰')
		}
		return r
	}, strings.TrimSpace(p))
	s = phoneSeparators.Replace(s)
	if strings.HasPrefix(s, "00") {
		s = "+" + s[2:]
	}
	if !strings.HasPrefix(s, "+") {
		if strings.HasPrefix(s, "0") && digitsRe.MatchString(s) && len(s) == 10 {
			return "", fmt.Errorf("%q is a local number: write it in international form, +212%s", p, s[1:])
		}
		return "", fmt.Errorf("%q is not a phone number in international form (+212…)", p)
	}
	d := s[1:]
	if !digitsRe.MatchString(d) || d[0] == '0' {
		return "", fmt.Errorf("%q is not a phone number in international form (+212…)", p)
	}
	if strings.HasPrefix(d, "212") {
		rest := d[3:]
		if strings.HasPrefix(rest, "0") && len(rest) == 10 {
			return "", fmt.Errorf("%q: drop the 0 after +212 (+212%s)", p, rest[1:])
		}
		if len(rest) != 9 || !strings.ContainsRune("5678", rune(rest[0])) {
			return "", fmt.Errorf("%q is not a Moroccan number (+212 then 9 digits starting with 5, 6, 7 or 8)", p)
		}
		return s, nil
	}
	if len(d) < 8 || len(d) > 15 {
		return "", fmt.Errorf("%q is not a valid international number (8 to 15 digits after +)", p)
	}
	return s, nil
}

// ValidEmail reports whether s is a bare e-mail address (no display name)
// with a domain that has a dot.
func ValidEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	domain := s[at+1:]
	return at > 0 && strings.Contains(domain, ".") && !strings.HasPrefix(domain, ".") && !strings.HasSuffix(domain, ".") &&
		!strings.ContainsAny(s, " \t<>")
}

// ValidURL reports whether s is an absolute http or https address with a host.
func ValidURL(s string) bool {
	if strings.ContainsAny(s, " \t\n") {
		return false
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return false
	}
	host := u.Hostname()
	return host != "" && (strings.Contains(host, ".") || host == "localhost")
}

// WriteCSV writes services in the catalogue file format, with the Columns
// header. A facet holding every value of the vocabulary is written "*".
// ReadCSV of the output gives the services back (inactive services come back
// active: the file has no such column).
func WriteCSV(w io.Writer, services []*Service) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(AllColumns()); err != nil {
		return fmt.Errorf("writing catalogue header: %w", err)
	}
	rec := make([]string, len(Columns)+len(OptionalColumns))
	for _, s := range services {
		i := 0
		put := func(v string) { rec[i] = v; i++ }
		put(s.Org.ID)
		put(s.Org.NameFR)
		put(s.Org.NameAR)
		put(s.Org.Kind)
		put(s.ID)
		put(s.NameFR)
		put(s.NameAR)
		put(s.DescriptionFR)
		put(s.DescriptionAR)
		for _, fc := range facetColumns {
			put(joinCodes(fc.f, s.Facet(fc.f)))
		}
		put(s.Cost)
		put(s.ConditionsFR)
		put(s.ConditionsAR)
		put(s.Address)
		put(s.City)
		put(formatCoord(s.Latitude))
		put(formatCoord(s.Longitude))
		put(s.Phone)
		put(s.Email)
		put(s.Website)
		put(s.Hours)
		if s.UpdatedAt.IsZero() {
			put("")
		} else {
			put(s.UpdatedAt.Format(DateLayout))
		}
		put(s.AddressAR)
		put(s.HoursAR)
		for j, v := range rec {
			rec[j] = neutralise(v)
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("writing service %s: %w", s.ID, err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("writing catalogue: %w", err)
	}
	return nil
}

func joinCodes(f vocab.Facet, codes []string) string {
	if f != vocab.Publics && len(codes) > 0 && slices.Equal(canonical(f, codes), vocab.Values[f]) {
		return "*"
	}
	return strings.Join(codes, "|")
}

func formatCoord(x *float64) string {
	if x == nil {
		return ""
	}
	return strconv.FormatFloat(*x, 'f', -1, 64)
}

// formulaStart are the first characters that make a spreadsheet take a
// cell for a formula (OWASP, "CSV injection"): a catalogue cell such as
// =HYPERLINK(…) would run in the spreadsheet of whoever opens the export.
const formulaStart = "=+-@\t\r"

// plainNumberRe is a number a spreadsheet reads as a number, which cannot
// call anything: phones in +212… form and negative longitudes stay as they
// are.
var plainNumberRe = regexp.MustCompile(`^[+-]?[0-9]+(\.[0-9]+)?$`)

// formulaLike reports whether v, less any leading single quotes, starts a
// formula: both what must be neutralised and what already was.
func formulaLike(v string) bool {
	v = strings.TrimLeft(v, "'")
	return v != "" && strings.ContainsRune(formulaStart, rune(v[0]))
}

// neutralise prefixes a formula-like cell with a single quote, which
// spreadsheets show as text and do not display. A value that really starts
// with quotes before such a character gets one more, so that unneutralise
// gives every value back exactly.
func neutralise(v string) string {
	if formulaLike(v) && !plainNumberRe.MatchString(v) {
		return "'" + v
	}
	return v
}

// unneutralise takes back the quote neutralise added: only a quote followed
// by something formula-like, so a value such as 'hello keeps its quote.
func unneutralise(v string) string {
	if strings.HasPrefix(v, "'") && formulaLike(v[1:]) {
		return v[1:]
	}
	return v
}
