package staff

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"path"
	"slices"
	"strings"

	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/catalogue/postgres"
	"github.com/dalil-tt/dalil/internal/vocab"
)

type catalogueData struct {
	Available bool
	HSDS      bool
	Query     string
	Hits      []postgres.SearchHit
	Searched  bool
	Stale     []*catalogue.Service
	StaleDays int
	Total     int
	Active    int
	Problems  []catalogue.Problem
	Report    *postgres.ImportReport
}

func (s *Server) cataloguePage(w http.ResponseWriter, r *http.Request, sess *session) {
	d := &catalogueData{Available: s.opts.Catalogue != nil, HSDS: s.opts.HSDS != nil, Query: strings.TrimSpace(r.URL.Query().Get("q"))}
	if err := s.fillCatalogue(r, d); err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "catalogue", sess, page{Data: d})
}

func (s *Server) fillCatalogue(r *http.Request, d *catalogueData) error {
	if s.opts.Catalogue == nil {
		return nil
	}
	ctx := r.Context()
	if d.Query != "" {
		hits, err := s.opts.Catalogue.Search(ctx, d.Query, 30)
		if err != nil {
			return err
		}
		d.Hits, d.Searched = hits, true
	}
	all, err := s.opts.Catalogue.Services(ctx)
	if err != nil {
		return err
	}
	d.Total = len(all)
	d.StaleDays = int(s.opts.StaleAfter.Hours() / 24)
	limit := s.now().Add(-s.opts.StaleAfter)
	for _, sv := range all {
		if !sv.Active {
			continue
		}
		d.Active++
		if sv.UpdatedAt.IsZero() || sv.UpdatedAt.Before(limit) {
			d.Stale = append(d.Stale, sv)
		}
	}
	slices.SortStableFunc(d.Stale, func(a, b *catalogue.Service) int { return a.UpdatedAt.Compare(b.UpdatedAt) })
	if len(d.Stale) > 100 {
		d.Stale = d.Stale[:100]
	}
	return nil
}

// catalogueImport loads an uploaded CSV: every row checked, all or nothing.
func (s *Server) catalogueImport(w http.ResponseWriter, r *http.Request, sess *session) {
	if s.opts.Catalogue == nil {
		http.Error(w, "no catalogue connected", http.StatusServiceUnavailable)
		return
	}
	f, hdr, err := r.FormFile("file")
	if err != nil {
		http.Error(w, "choose a CSV file", http.StatusBadRequest)
		return
	}
	defer f.Close()
	name := path.Base(hdr.Filename)
	unlock, err := s.lockCatalogue(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer unlock()
	d := &catalogueData{Available: true, HSDS: s.opts.HSDS != nil}
	p := page{Data: d}
	code := http.StatusOK
	services, err := catalogue.ReadCSV(f, name)
	var ps catalogue.Problems
	switch {
	case errors.As(err, &ps):
		d.Problems = ps
		p.Error = tr(uiLang(r), "cat.refused")
		code = http.StatusUnprocessableEntity
	case err != nil:
		d.Problems = []catalogue.Problem{{File: name, Msg: err.Error()}}
		code = http.StatusUnprocessableEntity
	default:
		rep, err := s.opts.Catalogue.Import(r.Context(), services, postgres.ImportOptions{})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		d.Report = &rep
		detail := fmt.Sprintf("%s: %d services, %d new, %d updated, %d deactivated", name, rep.Services, rep.Inserted, rep.Updated, rep.Deactivated)
		if err := s.versions.Audit(r.Context(), sess.Email, "catalogue.import", detail); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	if err := s.fillCatalogue(r, d); err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, code, "catalogue", sess, p)
}

func (s *Server) exportCSV(w http.ResponseWriter, r *http.Request, sess *session) {
	active, err := s.activeServices(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var buf bytes.Buffer
	if err := catalogue.WriteCSV(&buf, active); err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="catalogue-`+s.now().Format("2006-01-02")+`.csv"`)
	w.Write(buf.Bytes())
}

func (s *Server) exportHSDS(w http.ResponseWriter, r *http.Request, sess *session) {
	if s.opts.HSDS == nil {
		http.NotFound(w, r)
		return
	}
	active, err := s.activeServices(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var buf bytes.Buffer
	if err := s.opts.HSDS(&buf, active); err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", `attachment; filename="catalogue-hsds-`+s.now().Format("2006-01-02")+`.json"`)
	w.Write(buf.Bytes())
}

func (s *Server) activeServices(r *http.Request) ([]*catalogue.Service, error) {
	if s.opts.Catalogue == nil {
		return nil, errors.New("no catalogue connected")
	}
	all, err := s.opts.Catalogue.Services(r.Context())
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(sv *catalogue.Service) bool { return !sv.Active }), nil
}

// serviceData is the edit form of one service: the cells of its catalogue
// row, so that the edit goes through exactly the import's checks.
type serviceData struct {
	ID      string
	Active  bool
	Orig    string // hash of the row as loaded: a save over a newer one is refused
	Fields  []serviceField
	Changed []string
}

type serviceField struct {
	Name     string
	Value    string
	Long     bool
	Problems []string
}

var longFields = map[string]bool{"description_fr": true, "description_ar": true, "conditions_fr": true, "conditions_ar": true}

// rowOf returns the catalogue-file cells of a service, by column.
func rowOf(sv *catalogue.Service) (map[string]string, error) {
	var buf bytes.Buffer
	if err := catalogue.WriteCSV(&buf, []*catalogue.Service{sv}); err != nil {
		return nil, err
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil || len(recs) != 2 {
		return nil, fmt.Errorf("re-reading a service row: %v", err)
	}
	cells := map[string]string{}
	for i, c := range recs[0] {
		cells[c] = recs[1][i]
	}
	return cells, nil
}

func (s *Server) findService(r *http.Request, id string) (*catalogue.Service, []*catalogue.Service, error) {
	all, err := s.opts.Catalogue.Services(r.Context())
	if err != nil {
		return nil, nil, err
	}
	for _, sv := range all {
		if sv.ID == id {
			return sv, all, nil
		}
	}
	return nil, all, nil
}

func (s *Server) servicePage(w http.ResponseWriter, r *http.Request, sess *session) {
	if s.opts.Catalogue == nil {
		http.Error(w, "no catalogue connected", http.StatusServiceUnavailable)
		return
	}
	sv, _, err := s.findService(r, r.URL.Query().Get("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if sv == nil {
		http.NotFound(w, r)
		return
	}
	cells, err := rowOf(sv)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := &serviceData{ID: sv.ID, Active: sv.Active, Orig: cellsHash(cells)}
	for _, c := range catalogue.AllColumns() {
		d.Fields = append(d.Fields, serviceField{Name: c, Value: cells[c], Long: longFields[c]})
	}
	s.render(w, r, http.StatusOK, "service", sess, page{Data: d, Nav: "catalogue"})
}

// serviceSave checks the edited row as the import would, then stores the
// catalogue with this service replaced.
func (s *Server) serviceSave(w http.ResponseWriter, r *http.Request, sess *session) {
	if s.opts.Catalogue == nil {
		http.Error(w, "no catalogue connected", http.StatusServiceUnavailable)
		return
	}
	id := r.PostFormValue("id")
	// One catalogue change at a time, across replicas: an edit rewrites the
	// catalogue from what it reads, which must not be stale.
	unlock, err := s.lockCatalogue(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer unlock()
	old, all, err := s.findService(r, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if old == nil {
		http.NotFound(w, r)
		return
	}
	oldCells, err := rowOf(old)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := &serviceData{ID: id, Active: old.Active, Orig: cellsHash(oldCells)}
	conflict := r.PostFormValue("orig") != d.Orig
	row := make([]string, len(catalogue.AllColumns()))
	for i, c := range catalogue.AllColumns() {
		v := strings.ReplaceAll(r.PostFormValue("f_"+c), "\r\n", "\n")
		if c == "service_id" {
			v = id // the id is the row's identity: not editable here
		}
		row[i] = v
		if v != oldCells[c] {
			d.Changed = append(d.Changed, c)
		}
		d.Fields = append(d.Fields, serviceField{Name: c, Value: v, Long: longFields[c]})
	}
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	cw.Write(catalogue.AllColumns())
	cw.Write(row)
	cw.Flush()
	parsed, err := catalogue.ReadCSV(&buf, "service "+id)
	var ps catalogue.Problems
	if errors.As(err, &ps) {
		for _, p := range ps {
			placed := false
			for i := range d.Fields {
				if d.Fields[i].Name == p.Field {
					d.Fields[i].Problems = append(d.Fields[i].Problems, p.Msg)
					placed = true
				}
			}
			if !placed {
				d.Fields[0].Problems = append(d.Fields[0].Problems, p.Msg)
			}
		}
		s.render(w, r, http.StatusUnprocessableEntity, "service", sess, page{Data: d, Nav: "catalogue", Error: tr(uiLang(r), "cat.refused")})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if conflict {
		// Someone saved this service since the form was loaded: show the
		// fields as typed; saving again (now against the new version) is a
		// deliberate choice.
		s.render(w, r, http.StatusConflict, "service", sess, page{Data: d, Nav: "catalogue", Error: tr(uiLang(r), "cat.conflict")})
		return
	}
	if len(d.Changed) == 0 {
		redirectDone(w, r, "/admin/catalogue/service?id="+id, "unchanged")
		return
	}
	edited := parsed[0]
	edited.Active = old.Active
	for i, sv := range all {
		switch {
		case sv.ID == id:
			all[i] = edited
		case sv.Org.ID == edited.Org.ID:
			// The organisation's name and kind are one for all its services.
			sv.Org = edited.Org
		}
	}
	if _, err := s.opts.Catalogue.Import(r.Context(), all, postgres.ImportOptions{}); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.versions.Audit(r.Context(), sess.Email, "catalogue.edit", "service "+id+": "+strings.Join(d.Changed, ", ")); err != nil {
		s.fail(w, r, err)
		return
	}
	redirectDone(w, r, "/admin/catalogue/service?id="+id, "saved")
}

// matchData previews a referral: the services Match returns for codes.
type matchData struct {
	Available bool
	Facets    []facetChoice
	Asked     bool
	Result    catalogue.Result
	Relaxed   string
}

type facetChoice struct {
	Facet    string
	Codes    []string
	Selected string
}

func (s *Server) matchPage(w http.ResponseWriter, r *http.Request, sess *session) {
	d := &matchData{Available: s.opts.Catalogue != nil}
	var q catalogue.Query
	for _, f := range vocab.Facets {
		sel := r.URL.Query().Get(string(f))
		if sel != "" && vocab.Valid(f, sel) {
			q.Codes.Add(f, sel)
			d.Asked = true
		} else {
			sel = ""
		}
		d.Facets = append(d.Facets, facetChoice{Facet: string(f), Codes: vocab.Values[f], Selected: sel})
	}
	if d.Asked && d.Available {
		q.Lang = "fr"
		res, err := s.opts.Catalogue.Match(r.Context(), q)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		d.Result = res
		var rel []string
		for _, f := range res.Relaxed {
			rel = append(rel, string(f))
		}
		d.Relaxed = strings.Join(rel, ", ")
	}
	s.render(w, r, http.StatusOK, "match", sess, page{Data: d, Nav: "catalogue"})
}

func (s *Server) auditPage(w http.ResponseWriter, r *http.Request, sess *session) {
	log, err := s.versions.AuditLog(r.Context(), 300)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "audit", sess, page{Data: log})
}

// catalogueLock is the advisory lock key of catalogue changes made here.
const catalogueLock = 7357206019318810417

// lockCatalogue holds a PostgreSQL advisory lock until unlock is called.
func (s *Server) lockCatalogue(ctx context.Context) (unlock func(), err error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("locking the catalogue: %w", err)
	}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, int64(catalogueLock)); err != nil {
		conn.Release()
		return nil, fmt.Errorf("locking the catalogue: %w", err)
	}
	return func() {
		// Without the request's context: a cancelled request must still unlock.
		if _, err := conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, int64(catalogueLock)); err != nil {
			conn.Conn().Close(context.WithoutCancel(ctx)) // closing the session releases the lock
		}
		conn.Release()
	}, nil
}

// cellsHash identifies the content of a catalogue row.
func cellsHash(cells map[string]string) string {
	h := sha256.New()
	for _, c := range catalogue.AllColumns() {
		h.Write([]byte(cells[c]))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}
