package staff

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/crypto/bcrypt"

	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/catalogue/postgres"
	"github.com/dalil-tt/dalil/dialog/treestore"
	"github.com/dalil-tt/dalil/locales"
	"github.com/dalil-tt/dalil/requests"
)

// Catalogue is what the console needs of the catalogue store
// (*postgres.Store implements it).
type Catalogue interface {
	Services(ctx context.Context) ([]*catalogue.Service, error)
	Import(ctx context.Context, services []*catalogue.Service, opts postgres.ImportOptions) (postgres.ImportReport, error)
	Search(ctx context.Context, text string, limit int) ([]postgres.SearchHit, error)
	Match(ctx context.Context, q catalogue.Query) (catalogue.Result, error)
	// LoadIndex and Ranker give the simulator the ranking the bot asks its
	// questions by.
	LoadIndex(ctx context.Context) error
	Ranker() catalogue.Ranker
}

// Options configure the console. The zero value works over plain HTTP with
// no catalogue.
type Options struct {
	// Catalogue is the catalogue to search and edit; nil shows the
	// catalogue pages as unavailable and the simulator uses the demo one.
	Catalogue Catalogue
	// HSDS, when set, writes services as an HSDS export (offered as a
	// download beside the CSV export).
	HSDS func(w io.Writer, services []*catalogue.Service) error
	// Handoffs lists the conversations handed to advisers; nil shows the
	// handoffs page empty.
	Handoffs Handoffs
	// Requests keeps the requests people sent to organisations, and the
	// organisations' Telegram groups; nil shows the inbox as not connected.
	Requests requests.Store
	// People tells a person what the organisation did from the inbox.
	People requests.People
	// Cards brings a request's card in the organisation's Telegram group
	// up to date after an answer given here; nil: no group cards.
	Cards Cards
	// Secure marks cookies Secure even on plain HTTP requests (the console
	// sits behind a TLS-terminating proxy). Requests over TLS get Secure
	// cookies anyway.
	Secure bool
	// TrustedProxies are the addresses of the reverse proxies in front:
	// X-Forwarded-For and X-Forwarded-Proto are believed only on requests
	// from them, and only the hops they added (see clientIP).
	TrustedProxies []netip.Prefix
	// SessionTTL is how long a login lasts (default 12 h).
	SessionTTL time.Duration
	// Throttling of password guessing: at most MaxFailuresPerAccount failed
	// logins for one e-mail (default 5) and MaxFailuresPerIP from one
	// address (default 20) within ThrottleWindow (default 15 min).
	MaxFailuresPerAccount int
	MaxFailuresPerIP      int
	ThrottleWindow        time.Duration
	// RequestTimeout is how long the console works on one request
	// (default 30 s): past it, or once the client has gone, its queries
	// are cancelled and no page is drawn.
	RequestTimeout time.Duration
	// StaleAfter is how old a row's last check may be before the catalogue
	// page lists it (default 365 days).
	StaleAfter time.Duration
}

// Server is the console: an http.Handler serving every path under /admin/.
type Server struct {
	pool     *pgxpool.Pool
	versions *treestore.Store
	opts     Options
	tr       *locales.Catalog
	pages    map[string]*template.Template
	mux      *http.ServeMux
	now      func() time.Time
	// dummyHash is checked against when the e-mail has no account, at the
	// cost of real hashes; checkPassword is bcrypt's (tests watch it).
	dummyHash     string
	checkPassword func(hash, password []byte) error
}

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// New returns the console over pool, whose database is migrated (Migrate).
// Mount it at /admin/ on the HTTP server: mux.Handle("/admin/", srv).
func New(pool *pgxpool.Pool, opts Options) (*Server, error) {
	if opts.SessionTTL <= 0 {
		opts.SessionTTL = 12 * time.Hour
	}
	if opts.MaxFailuresPerAccount <= 0 {
		opts.MaxFailuresPerAccount = 5
	}
	if opts.MaxFailuresPerIP <= 0 {
		opts.MaxFailuresPerIP = 20
	}
	if opts.ThrottleWindow <= 0 {
		opts.ThrottleWindow = 15 * time.Minute
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = 30 * time.Second
	}
	if opts.StaleAfter <= 0 {
		opts.StaleAfter = 365 * 24 * time.Hour
	}
	tr, err := locales.Default()
	if err != nil {
		return nil, fmt.Errorf("loading locales: %w", err)
	}
	dummy, err := bcrypt.GenerateFromPassword([]byte(randomToken()), BcryptCost)
	if err != nil {
		return nil, fmt.Errorf("preparing the login check: %w", err)
	}
	s := &Server{pool: pool, versions: treestore.New(pool), opts: opts, tr: tr, now: time.Now,
		dummyHash: string(dummy), checkPassword: bcrypt.CompareHashAndPassword}
	if err := s.parseTemplates(); err != nil {
		return nil, err
	}
	s.routes()
	return s, nil
}

func (s *Server) parseTemplates() error {
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		return err
	}
	base, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFiles, "templates/layout.html")
	if err != nil {
		return fmt.Errorf("parsing the console layout: %w", err)
	}
	s.pages = map[string]*template.Template{}
	for _, n := range names {
		name := strings.TrimPrefix(n, "templates/")
		if name == "layout.html" {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(templateFiles, n)
		if err != nil {
			return fmt.Errorf("parsing console page %s: %w", name, err)
		}
		s.pages[strings.TrimSuffix(name, ".html")] = t
	}
	return nil
}

// ServeHTTP serves the console with security headers on every answer.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
	ctx, cancel := context.WithTimeout(r.Context(), s.opts.RequestTimeout)
	defer cancel()
	s.mux.ServeHTTP(w, r.WithContext(ctx))
}

func (s *Server) routes() {
	m := http.NewServeMux()
	static, _ := fs.Sub(staticFiles, "static")
	m.Handle("GET /admin/static/", http.StripPrefix("/admin/static/", http.FileServerFS(static)))
	m.HandleFunc("GET /admin/lang", s.setLang)
	m.HandleFunc("GET /admin/login", s.loginPage)
	m.HandleFunc("POST /admin/login", s.login)
	m.Handle("POST /admin/logout", s.auth(RolePartner, s.logout))
	m.Handle("GET /admin/{$}", s.auth(RolePartner, func(w http.ResponseWriter, r *http.Request, sess *session) {
		if sess.Role == RolePartner {
			http.Redirect(w, r, "/admin/requests", http.StatusSeeOther)
			return
		}
		http.Redirect(w, r, "/admin/trees", http.StatusSeeOther)
	}))
	// The organisations' pages: a partner reaches its own only (orgOf);
	// among staff, viewers read, advisers and editors act on requests, and
	// only editors link a group (orgAuth).
	m.Handle("GET /admin/requests", s.auth(RolePartner, s.requestsPage))
	m.Handle("POST /admin/requests/act", s.orgAuth(actRole, s.requestAct))
	m.Handle("GET /admin/requests/group", s.auth(RolePartner, s.groupPage))
	m.Handle("POST /admin/requests/group/code", s.orgAuth(groupRole, s.groupCode))
	m.Handle("POST /admin/requests/group/lang", s.orgAuth(groupRole, s.groupLangSet))
	m.Handle("GET /admin/trees", s.auth(RoleViewer, s.treesPage))
	m.Handle("POST /admin/trees", s.auth(RoleViewer, s.treesPost)) // check and simulate are read-only; publish checks the role
	m.Handle("POST /admin/trees/rollback", s.auth(RoleEditor, s.treesRollback))
	m.Handle("GET /admin/trees/diff", s.auth(RoleViewer, s.treesDiff))
	m.Handle("GET /admin/catalogue", s.auth(RoleViewer, s.cataloguePage))
	m.Handle("GET /admin/catalogue/service", s.auth(RoleViewer, s.servicePage))
	m.Handle("POST /admin/catalogue/service", s.auth(RoleEditor, s.serviceSave))
	m.Handle("POST /admin/catalogue/import", s.auth(RoleEditor, s.catalogueImport))
	m.Handle("GET /admin/catalogue/export.csv", s.auth(RoleViewer, s.exportCSV))
	m.Handle("GET /admin/catalogue/export.hsds.json", s.auth(RoleViewer, s.exportHSDS))
	m.Handle("GET /admin/catalogue/match", s.auth(RoleViewer, s.matchPage))
	m.Handle("GET /admin/handoffs", s.auth(RoleViewer, s.handoffsPage))
	m.Handle("GET /admin/audit", s.auth(RoleViewer, s.auditPage))
	m.HandleFunc("/admin/", func(w http.ResponseWriter, r *http.Request) {
		if _, err := s.currentSession(r); err != nil {
			s.unauthenticated(w, r)
			return
		}
		http.NotFound(w, r)
	})
	s.mux = m
}

// page is what every template gets.
type page struct {
	Lang    string // fr or ar
	Dir     string // ltr or rtl
	Title   string
	Nav     string
	Session *session
	CSRF    string
	Flash   string
	Error   string
	Path    string // this page, for the language switch to come back to
	Data    any
}

// render writes a page with status code.
func (s *Server) render(w http.ResponseWriter, r *http.Request, code int, name string, sess *session, p page) {
	t := s.pages[name]
	if t == nil {
		http.Error(w, "no such page", http.StatusInternalServerError)
		return
	}
	p.Lang = uiLang(r)
	p.Dir = "ltr"
	if p.Lang == "ar" {
		p.Dir = "rtl"
	}
	p.Session = sess
	if sess != nil {
		p.CSRF = sess.CSRF
	}
	if p.Nav == "" {
		p.Nav = name
	}
	if p.Flash == "" {
		p.Flash = flash(p.Lang, r.URL.Query().Get("done"))
	}
	p.Path = r.URL.RequestURI()
	tt := template.Must(t.Clone()).Funcs(template.FuncMap{
		"t":    func(id string, args ...any) string { return tr(p.Lang, id, args...) },
		"name": func(fr, ar string) string { return pickName(p.Lang, fr, ar) },
	})
	var buf strings.Builder
	if err := tt.ExecuteTemplate(&buf, "layout.html", p); err != nil {
		slog.ErrorContext(r.Context(), "console: rendering a page", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	io.WriteString(w, buf.String())
}

// fail answers an unexpected error without detail (logged instead).
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) {
		return // the client has gone
	}
	if errors.Is(err, context.DeadlineExceeded) {
		slog.WarnContext(r.Context(), "console: request deadline passed", "path", r.URL.Path)
		http.Error(w, tr(uiLang(r), "request.timeout"), http.StatusServiceUnavailable)
		return
	}
	slog.ErrorContext(r.Context(), "console: request failed", "path", r.URL.Path, "err", err)
	http.Error(w, "internal error", http.StatusInternalServerError)
}

// redirectDone goes to path with a short confirmation message id.
func redirectDone(w http.ResponseWriter, r *http.Request, path, done string) {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	http.Redirect(w, r, path+sep+"done="+done, http.StatusSeeOther)
}
