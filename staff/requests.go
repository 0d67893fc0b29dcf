package staff

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dalil-tt/dalil/internal/lang"
	"github.com/dalil-tt/dalil/internal/vocab"
	"github.com/dalil-tt/dalil/requests"
)

// The requests people sent to organisations (issue 17): each
// organisation's inbox with the same actions as its Telegram group's
// buttons, and its group's link code and language. A partner account
// reaches only its own organisation's; staff reach every organisation's,
// to act as their role allows (actRole, groupRole).

// inboxSize is how many requests an inbox shows, newest first.
const inboxSize = 200

// Cards edits a request's card in its organisation's Telegram group
// (bot/partners implements it), once per status.
type Cards interface {
	Refresh(ctx context.Context, r *requests.Request) error
}

// linkCodeTTL is how long a group link code may be used.
const linkCodeTTL = 24 * time.Hour

// Who among staff may act for an organisation (a partner acts for its
// own). Answering a request speaks for the organisation to the person:
// advisers, who work with people, and editors may. Linking a group
// decides where an organisation's cards (names, phones, questions) go,
// the same kind of change as the catalogue's: editors only. Viewers read,
// without the person's data (mayAct).
const (
	actRole   = RoleAdviser
	groupRole = RoleEditor
)

// mayAct says whether sess may do what needs role need for an
// organisation; which organisation is orgOf's to check.
func mayAct(sess *session, need Role) bool {
	return sess.Role == RolePartner || allowed(sess.Role, need)
}

// orgAuth is auth for the organisations' changes: a partner, or staff of
// role need or above (a partner ranks below every staff role, so auth
// alone cannot say this).
func (s *Server) orgAuth(need Role, h authedHandler) http.Handler {
	return s.auth(RolePartner, func(w http.ResponseWriter, r *http.Request, sess *session) {
		if !mayAct(sess, need) {
			http.Error(w, "your role ("+string(sess.Role)+") does not allow this", http.StatusForbidden)
			return
		}
		h(w, r, sess)
	})
}

type orgOption struct {
	ID, NameFR, NameAR string
}

type requestsData struct {
	Connected bool
	Org       string // the organisation shown; "" while staff have not chosen
	OrgName   orgOption
	Orgs      []orgOption // staff's choice
	Rows      []requestRow
}

type requestRow struct {
	requests.Request
	Late    bool // unanswered past its reminder (requests.Request.Overdue)
	Actions []actionButton
	Facts   []string
}

type actionButton struct{ Action, Label string }

// orgOf is the organisation a request asks for: a partner's own, or for
// staff the one named (checked against the catalogue); ok false answers
// 404.
func (s *Server) orgOf(r *http.Request, sess *session, asked string) (orgOption, bool) {
	if sess.Role == RolePartner {
		if sess.Org == "" || (asked != "" && asked != sess.Org) {
			return orgOption{}, false
		}
		asked = sess.Org
	}
	for _, o := range s.orgs(r) {
		if o.ID == asked {
			return o, true
		}
	}
	if sess.Role == RolePartner { // an organisation gone from the catalogue still reads its inbox
		return orgOption{ID: asked, NameFR: asked}, true
	}
	return orgOption{}, false
}

// orgs are the catalogue's organisations, by name.
func (s *Server) orgs(r *http.Request) []orgOption {
	if s.opts.Catalogue == nil {
		return nil
	}
	svcs, err := s.opts.Catalogue.Services(r.Context())
	if err != nil {
		// Staff then get a 404 for the organisation; a partner still
		// reaches its own.
		slog.ErrorContext(r.Context(), "console: listing organisations", "err", err)
		return nil
	}
	seen := map[string]bool{}
	var out []orgOption
	for _, sv := range svcs {
		if !seen[sv.Org.ID] {
			seen[sv.Org.ID] = true
			out = append(out, orgOption{sv.Org.ID, sv.Org.NameFR, sv.Org.NameAR})
		}
	}
	slices.SortFunc(out, func(a, b orgOption) int { return strings.Compare(a.NameFR, b.NameFR) })
	return out
}

func (s *Server) requestsPage(w http.ResponseWriter, r *http.Request, sess *session) {
	d := &requestsData{Connected: s.opts.Requests != nil}
	asked := r.URL.Query().Get("org")
	if sess.Role != RolePartner && asked == "" {
		d.Orgs = s.orgs(r)
		s.render(w, r, http.StatusOK, "requests", sess, page{Nav: "requests", Data: d})
		return
	}
	o, ok := s.orgOf(r, sess, asked)
	if !ok {
		http.NotFound(w, r)
		return
	}
	d.Org, d.OrgName = o.ID, o
	if d.Connected {
		rs, err := s.opts.Requests.ForOrg(r.Context(), o.ID, inboxSize)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		l := uiLang(r)
		// Those who may not act have no need of the person's data.
		personal := mayAct(sess, actRole)
		// The overdue first, oldest first: for an organisation without a
		// Telegram group this is its reminder (bot/partners reminds groups
		// only). The rest stay newest first.
		slices.SortStableFunc(rs, func(a, b requests.Request) int {
			switch {
			case a.Overdue() != b.Overdue():
				if a.Overdue() {
					return -1
				}
				return 1
			case a.Overdue():
				return a.SentAt.Compare(b.SentAt)
			}
			return 0
		})
		for _, q := range rs {
			row := requestRow{Request: q, Late: q.Overdue()}
			if !personal {
				row.Shared = requests.Shared{Lang: q.Shared.Lang}
				d.Rows = append(d.Rows, row)
				continue
			}
			for _, a := range []requests.Action{requests.Accept, requests.Decline, requests.MarkContact, requests.DoneHelped, requests.DoneNot} {
				if _, err := requests.Next(q.Status, a); err == nil {
					row.Actions = append(row.Actions, actionButton{string(a), tr(l, "req.act."+string(a))})
				}
			}
			for _, f := range vocab.Facets {
				for _, c := range q.Shared.Facts.Get(f) {
					row.Facts = append(row.Facts, s.tr.T(lang.Lang(l), "code."+string(f)+"."+c, nil))
				}
			}
			d.Rows = append(d.Rows, row)
		}
	}
	s.render(w, r, http.StatusOK, "requests", sess, page{Nav: "requests", Data: d})
}

// requestAct applies an action from the inbox, like a button of the
// group's card: recorded, then the person is told.
func (s *Server) requestAct(w http.ResponseWriter, r *http.Request, sess *session) {
	if s.opts.Requests == nil {
		http.NotFound(w, r)
		return
	}
	q, err := s.opts.Requests.Get(r.Context(), r.PostFormValue("id"))
	if errors.Is(err, requests.ErrNotFound) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if _, ok := s.orgOf(r, sess, q.Org); !ok {
		http.NotFound(w, r) // another organisation's request: as if it did not exist
		return
	}
	a := requests.Action(r.PostFormValue("action"))
	var reason requests.Reason
	if a == requests.Decline {
		reason = requests.Reason(r.PostFormValue("reason"))
		if !slices.Contains(requests.Reasons, reason) {
			http.Error(w, tr(uiLang(r), "req.noreason"), http.StatusBadRequest)
			return
		}
	}
	back := "/admin/requests?org=" + url.QueryEscape(q.Org)
	note := strings.TrimSpace(r.PostFormValue("note"))
	if len([]rune(note)) > 500 {
		note = string([]rune(note)[:500])
	}
	nq, err := s.opts.Requests.Act(r.Context(), q.ID, a, reason, note, "console:"+strconv.FormatInt(sess.AccountID, 10), s.now())
	var te *requests.TransitionError
	switch {
	case errors.As(err, &te) && te.Already():
		// Recorded already, maybe by a console that died before the person
		// was told: told now (People.Changed is once per request and
		// step), from the request as it stands now.
		nq, err = s.opts.Requests.Get(r.Context(), q.ID)
	case errors.As(err, &te):
		redirectDone(w, r, back, "stale")
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if s.opts.Cards != nil {
		// The group's card would keep buttons that no longer apply; the
		// answer is recorded whatever happens to the edit.
		if err := s.opts.Cards.Refresh(r.Context(), nq); err != nil {
			slog.ErrorContext(r.Context(), "console: editing the request's card in the organisation's group", "request", nq.ID, "err", err)
		}
	}
	if s.opts.People != nil {
		if err := s.opts.People.Changed(r.Context(), nq); err != nil {
			// The answer is recorded (the person sees it with /requests);
			// the page says the message could not go yet.
			slog.ErrorContext(r.Context(), "console: telling the person what the organisation did", "request", nq.ID, "err", err)
			redirectDone(w, r, back, "actednotold")
			return
		}
	}
	redirectDone(w, r, back, "acted")
}

type groupData struct {
	Connected bool
	Org       orgOption
	Linked    bool
	Lang      string
	Code      string // just generated, shown once
	Expires   time.Time
	CanEdit   bool // may link the group and set its language
}

func (s *Server) groupPage(w http.ResponseWriter, r *http.Request, sess *session) {
	s.showGroup(w, r, sess, r.URL.Query().Get("org"), "")
}

func (s *Server) showGroup(w http.ResponseWriter, r *http.Request, sess *session, asked, code string) {
	o, ok := s.orgOf(r, sess, asked)
	if !ok {
		http.NotFound(w, r)
		return
	}
	d := &groupData{Connected: s.opts.Requests != nil, Org: o, Code: code, Expires: s.now().Add(linkCodeTTL), CanEdit: mayAct(sess, groupRole)}
	if d.Connected {
		g, err := s.opts.Requests.GroupOf(r.Context(), o.ID)
		switch {
		case err == nil:
			d.Linked, d.Lang = true, string(g.Lang)
		case !errors.Is(err, requests.ErrNotFound):
			s.fail(w, r, err)
			return
		}
	}
	s.render(w, r, http.StatusOK, "group", sess, page{Nav: "group", Data: d})
}

func groupLang(v string) (lang.Lang, bool) {
	switch lang.Lang(v) {
	case lang.FR, lang.AR:
		return lang.Lang(v), true
	}
	return "", false
}

// groupCode gives a one-time code that links a Telegram group to the
// organisation; it is shown once and only its hash is kept.
func (s *Server) groupCode(w http.ResponseWriter, r *http.Request, sess *session) {
	o, ok := s.orgOf(r, sess, r.PostFormValue("org"))
	if !ok || s.opts.Requests == nil {
		http.NotFound(w, r)
		return
	}
	l, ok := groupLang(r.PostFormValue("lang"))
	if !ok {
		l = lang.FR
	}
	code, err := s.opts.Requests.NewLinkCode(r.Context(), o.ID, l, s.now().Add(linkCodeTTL))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r, sess, "requests.linkcode", o.ID)
	s.showGroup(w, r, sess, o.ID, code)
}

// groupLangSet sets the language of the organisation's cards.
func (s *Server) groupLangSet(w http.ResponseWriter, r *http.Request, sess *session) {
	o, ok := s.orgOf(r, sess, r.PostFormValue("org"))
	if !ok || s.opts.Requests == nil {
		http.NotFound(w, r)
		return
	}
	l, ok := groupLang(r.PostFormValue("lang"))
	if !ok {
		http.Error(w, tr(uiLang(r), "group.badlang"), http.StatusBadRequest)
		return
	}
	err := s.opts.Requests.SetGroupLang(r.Context(), o.ID, l)
	if errors.Is(err, requests.ErrNotFound) {
		redirectDone(w, r, "/admin/requests/group?org="+url.QueryEscape(o.ID), "nogroup")
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r, sess, "requests.grouplang", o.ID+" "+string(l))
	redirectDone(w, r, "/admin/requests/group?org="+url.QueryEscape(o.ID), "grouplang")
}

// audit records a change in the audit log; a failure is logged, the change stands.
func (s *Server) audit(r *http.Request, sess *session, action, detail string) {
	if _, err := s.pool.Exec(r.Context(), `INSERT INTO audit (actor, action, detail) VALUES ($1, $2, $3)`, sess.Email, action, detail); err != nil {
		slog.WarnContext(r.Context(), "console: audit", "action", action, "err", err)
	}
}
