package staff

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5"
)

const (
	sessionCookie = "dalil_staff"
	loginCookie   = "dalil_login" // double-submit CSRF token of the login form
	langCookie    = "dalil_lang"
	cookiePath    = "/admin"
)

// session is a logged-in staff member.
type session struct {
	AccountID int64
	Email     string
	Role      Role
	Org       string // a partner's organisation; "" for staff
	CSRF      string
}

// Partner is for templates: a partner sees only its organisation's pages.
func (s *session) Partner() bool { return s != nil && s.Role == RolePartner }

// CanEdit is for templates.
func (s *session) CanEdit() bool { return s != nil && s.Role.CanEdit() }

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func tokenHash(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}

// secure says whether cookies set on this request must be Secure.
func (s *Server) secure(r *http.Request) bool {
	return s.opts.Secure || r.TLS != nil || (s.fromProxy(r) && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https"))
}

// peer is the address of the connection's other end.
func peer(r *http.Request) (netip.Addr, bool) {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}, false
	}
	return ap.Addr().Unmap(), true
}

func (s *Server) trusted(a netip.Addr) bool {
	for _, p := range s.opts.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// fromProxy reports whether the request comes from a trusted proxy, whose
// forwarding headers are believed.
func (s *Server) fromProxy(r *http.Request) bool {
	a, ok := peer(r)
	return ok && s.trusted(a)
}

// clientIP is the address throttling counts by. Each proxy appends the
// address it got the request from to X-Forwarded-For; whatever is to the
// left of what our proxies added was written by the client, who can put
// anything there. So the client is the rightmost address that is not one
// of our proxies, found walking from the connection's peer leftwards
// through trusted proxies only.
func (s *Server) clientIP(r *http.Request) string {
	a, ok := peer(r)
	if !ok {
		return r.RemoteAddr
	}
	if !s.trusted(a) {
		return a.String()
	}
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(v, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		h, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			// Not an address where one of our proxies should have put
			// one: count by the last hop known good.
			return a.String()
		}
		a = h.Unmap()
		if !s.trusted(a) {
			return a.String()
		}
	}
	return a.String() // every hop is a proxy of ours
}

func (s *Server) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: cookiePath, MaxAge: maxAge,
		HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteLaxMode,
	})
}

var errNoSession = errors.New("no session")

// currentSession reads the session of the request's cookie.
func (s *Server) currentSession(r *http.Request) (*session, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil, errNoSession
	}
	var se session
	var role string
	err = s.pool.QueryRow(r.Context(), `SELECT a.id, a.email, a.role, coalesce(a.org_id, ''), s.csrf FROM staff_session s
		JOIN staff_account a ON a.id = s.account_id
		WHERE s.token_hash = $1 AND s.expires_at > now() AND NOT a.disabled`, tokenHash(c.Value)).Scan(&se.AccountID, &se.Email, &role, &se.Org, &se.CSRF)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errNoSession
	}
	if err != nil {
		return nil, fmt.Errorf("reading the session: %w", err)
	}
	se.Role = Role(role)
	return &se, nil
}

// unauthenticated sends a browser to the login page; any other request
// (a POST, a download) gets 401.
func (s *Server) unauthenticated(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		http.Redirect(w, r, "/admin/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	http.Error(w, "login required", http.StatusUnauthorized)
}

// maxForm is the most a console form may send (a catalogue upload).
const maxForm = 8 << 20

// fromCtx answers a request whose context ended (deadline, client gone)
// and reports whether it did.
func (s *Server) fromCtx(w http.ResponseWriter, r *http.Request) bool {
	if err := r.Context().Err(); err != nil {
		s.fail(w, r, err)
		return true
	}
	return false
}

type authedHandler func(w http.ResponseWriter, r *http.Request, sess *session)

// auth runs h for a logged-in account with at least role need (editor >
// adviser > viewer), checking the CSRF token of every POST.
func (s *Server) auth(need Role, h authedHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess, err := s.currentSession(r)
		if errors.Is(err, errNoSession) {
			s.unauthenticated(w, r)
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, maxForm)
			// ParseMultipartForm drops ParseForm's error (a body over the
			// limit) when the form is not multipart: parse each kind itself.
			var err error
			if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "multipart/form-data" {
				err = r.ParseMultipartForm(maxForm)
			} else {
				err = r.ParseForm()
			}
			if err != nil {
				if tooLarge := new(http.MaxBytesError); errors.As(err, &tooLarge) {
					http.Error(w, tr(uiLang(r), "form.toolarge", maxForm>>20), http.StatusRequestEntityTooLarge)
					return
				}
				if s.fromCtx(w, r) {
					return
				}
				http.Error(w, "bad form", http.StatusBadRequest)
				return
			}
			if !sameOrigin(r) || subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(sess.CSRF)) != 1 {
				http.Error(w, "invalid or missing CSRF token: reload the page and try again", http.StatusForbidden)
				return
			}
		}
		if !allowed(sess.Role, need) {
			http.Error(w, "your role ("+string(sess.Role)+") does not allow this", http.StatusForbidden)
			return
		}
		h(w, r, sess)
	})
}

// allowed ranks the roles; a partner ranks below every staff role, so it
// reaches only the pages open to RolePartner (its organisation's).
func allowed(have, need Role) bool {
	rank := map[Role]int{RolePartner: 0, RoleViewer: 1, RoleAdviser: 2, RoleEditor: 3}
	r, known := rank[have]
	return known && r >= rank[need] // a role this version does not know reaches nothing
}

// sameOrigin refuses a POST whose Origin header (sent by browsers) names
// another site: a second line behind the token.
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && u.Host == r.Host
}

type loginData struct {
	Next  string
	Email string
	Token string
}

func safeNext(next string) string {
	if !strings.HasPrefix(next, "/admin") || strings.HasPrefix(next, "//") || strings.Contains(next, "\\") {
		return "/admin/"
	}
	return next
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	if sess, err := s.currentSession(r); err == nil && sess != nil {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	s.showLogin(w, r, http.StatusOK, "", r.URL.Query().Get("next"), "")
}

func (s *Server) showLogin(w http.ResponseWriter, r *http.Request, code int, errID, next, email string) {
	tok := randomToken()
	s.setCookie(w, r, loginCookie, tok, 3600)
	p := page{Data: loginData{Next: safeNext(next), Email: email, Token: tok}, Nav: "login"}
	if errID != "" {
		p.Error = tr(uiLang(r), errID)
	}
	s.render(w, r, code, "login", nil, p)
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	c, err := r.Cookie(loginCookie)
	if err != nil || !sameOrigin(r) || subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostFormValue("csrf"))) != 1 || c.Value == "" {
		http.Error(w, "invalid or missing CSRF token: reload the login page", http.StatusForbidden)
		return
	}
	next := r.PostFormValue("next")
	email := strings.ToLower(strings.TrimSpace(r.PostFormValue("email")))
	password := r.PostFormValue("password")
	accountKey, ipKey := "account:"+email, "ip:"+s.clientIP(r)

	// The attempt is recorded before it is counted and before the password
	// is checked: of attempts racing each other, the k-th recorded counts
	// at least k, so no more than the limit get to check a password
	// however many arrive at once. (Counting first and recording after a
	// failure let 30 concurrent guesses all through.)
	now := s.now()
	since := now.Add(-s.opts.ThrottleWindow)
	var attempt []int64 // ids of the rows just added
	var ipAttempt int64
	rows, err := s.pool.Query(ctx, `INSERT INTO staff_login_failure (key, at) VALUES ($1, $3), ($2, $3) RETURNING id, key`, accountKey, ipKey, now)
	if err == nil {
		var id int64
		var key string
		_, err = pgx.ForEachRow(rows, []any{&id, &key}, func() error {
			attempt = append(attempt, id)
			if key == ipKey {
				ipAttempt = id
			}
			return nil
		})
	}
	if err != nil {
		s.fail(w, r, fmt.Errorf("recording a login attempt: %w", err))
		return
	}
	var acc, ip int
	err = s.pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE key = $1), count(*) FILTER (WHERE key = $2)
		FROM staff_login_failure WHERE key IN ($1, $2) AND at > $3`, accountKey, ipKey, since).Scan(&acc, &ip)
	if err != nil {
		s.fail(w, r, fmt.Errorf("reading login failures: %w", err))
		return
	}
	if acc > s.opts.MaxFailuresPerAccount || ip > s.opts.MaxFailuresPerIP {
		// Refused without checking anything: not a failure to count (the
		// limit ends a window after the last real failure).
		if _, err := s.pool.Exec(context.WithoutCancel(ctx), `DELETE FROM staff_login_failure WHERE id = ANY($1)`, attempt); err != nil {
			slog.WarnContext(ctx, "console: taking back a throttled login attempt", "err", err)
		}
		slog.WarnContext(ctx, "console: login throttled", "by_account", acc > s.opts.MaxFailuresPerAccount)
		w.Header().Set("Retry-After", fmt.Sprint(int(s.opts.ThrottleWindow.Seconds())))
		s.showLogin(w, r, http.StatusTooManyRequests, "login.throttled", next, email)
		return
	}

	var id int64
	var hash string
	err = s.pool.QueryRow(ctx, `SELECT id, password_hash FROM staff_account WHERE email = $1 AND NOT disabled`, email).Scan(&id, &hash)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		s.fail(w, r, fmt.Errorf("reading the account: %w", err))
		return
	}
	if hash == "" {
		// Same work as for an account, at the cost of new hashes: no
		// timing tells whether the e-mail has one.
		hash = s.dummyHash
	}
	if s.checkPassword([]byte(hash), []byte(password)) != nil || id == 0 {
		// The attempt recorded above stays: it is the failure.
		s.showLogin(w, r, http.StatusUnauthorized, "login.failed", next, email)
		return
	}
	tok, csrf := randomToken(), randomToken()
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM staff_session WHERE expires_at < now()`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM staff_login_failure WHERE key = $1 OR at < $2 OR id = $3`, accountKey, since, ipAttempt); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO staff_session (token_hash, account_id, csrf, expires_at) VALUES ($1, $2, $3, $4)`,
			tokenHash(tok), id, csrf, s.now().Add(s.opts.SessionTTL)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO audit (actor, action) VALUES ($1, 'staff.login')`, email)
		return err
	})
	if err != nil {
		s.fail(w, r, fmt.Errorf("opening a session: %w", err))
		return
	}
	s.setCookie(w, r, sessionCookie, tok, int(s.opts.SessionTTL.Seconds()))
	s.setCookie(w, r, loginCookie, "", -1)
	http.Redirect(w, r, safeNext(next), http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, sess *session) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if _, err := s.pool.Exec(r.Context(), `DELETE FROM staff_session WHERE token_hash = $1`, tokenHash(c.Value)); err != nil {
			s.fail(w, r, fmt.Errorf("closing the session: %w", err))
			return
		}
	}
	s.setCookie(w, r, sessionCookie, "", -1)
	http.Redirect(w, r, "/admin/login", http.StatusSeeOther)
}

// setLang keeps the console language (fr or ar) in a cookie.
func (s *Server) setLang(w http.ResponseWriter, r *http.Request) {
	l := r.URL.Query().Get("l")
	if l != "ar" {
		l = "fr"
	}
	http.SetCookie(w, &http.Cookie{Name: langCookie, Value: l, Path: cookiePath, MaxAge: 365 * 24 * 3600,
		Secure: s.secure(r), SameSite: http.SameSiteLaxMode, HttpOnly: true})
	http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
}

// uiLang is the console language of the request: the cookie, else the
// browser's first preference.
func uiLang(r *http.Request) string {
	if c, err := r.Cookie(langCookie); err == nil && (c.Value == "ar" || c.Value == "fr") {
		return c.Value
	}
	if strings.HasPrefix(strings.ToLower(r.Header.Get("Accept-Language")), "ar") {
		return "ar"
	}
	return "fr"
}
