package main

import (
	"context"
	"io"
	"maps"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dalil-tt/dalil/bot/bottest"
	"github.com/dalil-tt/dalil/catalogue/postgres/pgtest"
	"github.com/dalil-tt/dalil/internal/lang"
	"github.com/dalil-tt/dalil/internal/redistest"
	"github.com/dalil-tt/dalil/requests"
	"github.com/dalil-tt/dalil/staff"
)

// The whole loop of issue 17 at the serve level: a person (Telegram id
// above 2^32), an organisation's Telegram group linked with a code from
// the console, another organisation's partner account working its inbox
// over HTTP. Every step runs on a new Main (Close, then Open on the same
// PostgreSQL and Redis): what a step leaves must survive a restart.

const (
	loopUser   = int64(1)<<33 + 1717
	loopGroup  = int64(-1001717171717)
	loopMember = int64(6_789_677_017)
	loopPass   = "Chefchaouen blue door 42"
)

// loop is one serve after another on the same databases, with the
// requests' clock moved ahead by shift (the clock's Now, set on each
// Main between Open and Run: no sleeping through working days).
type loop struct {
	t     *testing.T
	srv   *bottest.Server
	env   map[string]string
	m     *Main
	addr  string
	stop  func() error
	shift atomic.Int64
	round *atomic.Int64 // the rounds of the running Main's clock
	web   *http.Client
}

func newLoop(t *testing.T) *loop {
	staff.BcryptCost = 4
	srv := bottest.New(bottest.Options{})
	t.Cleanup(srv.Close)
	srv.SetGroup(loopGroup, "Association", false)
	jar, _ := cookiejar.New(nil) // cookies are per host, not port: the session outlives a restart
	l := &loop{t: t, srv: srv, web: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		env: map[string]string{
			"TELEGRAM_BOT_TOKEN": srv.Token(), "TELEGRAM_API_URL": srv.APIURL(),
			"REDIS_URL": redistest.URL(t), "DATABASE_URL": pgtest.NewDB(t),
			// The per-chat limit would only slow the script down.
			"TELEGRAM_CHAT_RATE_LIMIT": "0",
		}}
	l.start()
	return l
}

// start opens and runs a new Main; its requests' clock reads the shifted
// time and runs a round every 50 ms, counted in l.round.
func (l *loop) start() {
	l.t.Helper()
	rounds := &atomic.Int64{}
	l.round = rounds
	l.addr, l.stop = serveWith(l.t, maps.Clone(l.env), func(m *Main) {
		l.m = m
		if m.Clock == nil {
			return
		}
		m.Clock.Now = func() time.Time { return time.Now().Add(time.Duration(l.shift.Load())) }
		m.Clock.Every = 50 * time.Millisecond
		ch := make(chan int)
		m.Clock.Rounds = ch
		go func() {
			// Ends with the test binary: the clock stops sending when its Main stops.
			for range ch {
				rounds.Add(1)
			}
		}()
	})
	if l.m.Clock == nil {
		l.t.Fatal("serve with DATABASE_URL has no requests' clock")
	}
}

// restart closes the running Main and opens a new one.
func (l *loop) restart() {
	l.t.Helper()
	if err := l.stop(); err != nil {
		l.t.Fatalf("serve stopped with %v", err)
	}
	l.start()
}

// after waits for a message in chat, after the first n, containing want.
func (l *loop) after(chat int64, n int, want string) bottest.Message {
	l.t.Helper()
	var got bottest.Message
	if !l.srv.WaitFor(func() bool {
		ms := l.srv.Received(chat)
		for i := len(ms) - 1; i >= n; i-- {
			if strings.Contains(ms[i].Text, want) {
				got = ms[i]
				return true
			}
		}
		return false
	}, 15*time.Second) {
		l.t.Fatalf("chat %d: no %q after message %d:\n%s", chat, want, n, bottest.Texts(l.srv.Received(chat)))
	}
	return got
}

// say sends text as the person and waits for an answer containing want.
func (l *loop) say(text, want string) bottest.Message {
	l.t.Helper()
	n := len(l.srv.Received(loopUser))
	l.srv.Text(loopUser, text)
	return l.after(loopUser, n, want)
}

// press presses the button labelled label on m as the person and waits for
// an answer containing want.
func (l *loop) press(m bottest.Message, label, want string) bottest.Message {
	l.t.Helper()
	n := len(l.srv.Received(loopUser))
	if _, ok := l.srv.PressLabel(m, label); !ok {
		l.t.Fatalf("no button %q on %s", label, bottest.Texts([]bottest.Message{m}))
	}
	return l.after(loopUser, n, want)
}

// data is the callback data of the button of m whose label contains label.
func data(t *testing.T, m bottest.Message, label string) string {
	t.Helper()
	for _, row := range m.Buttons {
		for _, b := range row {
			if strings.Contains(b.Text, label) {
				return b.Data
			}
		}
	}
	t.Fatalf("no button %q on %s", label, bottest.Texts([]bottest.Message{m}))
	return ""
}

// card waits for the group's card of request id (edited in place).
func (l *loop) card(id string) bottest.Message {
	l.t.Helper()
	var got bottest.Message
	if !l.srv.WaitFor(func() bool {
		for _, m := range l.srv.Received(loopGroup) {
			if strings.Contains(m.Text, id) && strings.HasPrefix(m.Text, "📨") && len(m.Buttons) > 0 {
				got = m
				return true
			}
		}
		return false
	}, 15*time.Second) {
		l.t.Fatalf("no card of %s in the group:\n%s", id, bottest.Texts(l.srv.Received(loopGroup)))
	}
	return got
}

// get and post are the console over HTTP, with the session's cookies.
func (l *loop) get(path string) (int, string) {
	l.t.Helper()
	resp, err := l.web.Get("http://" + l.addr + path)
	if err != nil {
		l.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		l.t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func (l *loop) post(path string, form url.Values) (int, string, string) {
	l.t.Helper()
	resp, err := l.web.PostForm("http://"+l.addr+path, form)
	if err != nil {
		l.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		l.t.Fatal(err)
	}
	return resp.StatusCode, string(b), resp.Header.Get("Location")
}

var loopCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf is the CSRF token of a console page.
func (l *loop) csrf(path string) string {
	l.t.Helper()
	code, body := l.get(path)
	m := loopCSRF.FindStringSubmatch(body)
	if code != 200 || m == nil {
		l.t.Fatalf("GET %s: %d, no CSRF token", path, code)
	}
	return m[1]
}

// login signs in to the console as email (logged out first).
func (l *loop) login(email string) {
	l.t.Helper()
	jar, _ := cookiejar.New(nil)
	l.web.Jar = jar
	tok := l.csrf("/admin/login")
	if code, _, _ := l.post("/admin/login", url.Values{"csrf": {tok}, "email": {email}, "password": {loopPass}}); code != http.StatusSeeOther {
		l.t.Fatalf("login %s: %d", email, code)
	}
}

// loopOrg has the Telegram group (both its services are among the three
// the walk shows); loopOther works from the console's inbox.
const (
	loopOrg   = "demo-emploi-nord"
	loopOther = "demo-jisr"
)

var requestID = regexp.MustCompile(`Demande (r[0-9a-z]{10})`)

func TestServeRequestsLoop(t *testing.T) {
	l := newLoop(t)
	ctx := context.Background()
	db := map[string]string{"DATABASE_URL": l.env["DATABASE_URL"]}
	for email, org := range map[string]string{"org@example.org": loopOrg, "other@example.org": loopOther} {
		if code, _, errs := runWithEnv(t, db, loopPass+"\n", "staff", "add", email, "--role", "partner", "--org", org); code != 0 {
			t.Fatalf("staff add %s: %s", email, errs)
		}
	}

	// The organisation's member gets a code from the console and links the group with it.
	l.login("org@example.org")
	tok := l.csrf("/admin/requests/group")
	code, body, _ := l.post("/admin/requests/group/code", url.Values{"csrf": {tok}, "org": {loopOrg}, "lang": {"fr"}})
	link := regexp.MustCompile(`/link ([^<\s]+)`).FindStringSubmatch(body)
	if code != 200 || link == nil {
		t.Fatalf("link code: %d\n%s", code, body)
	}
	l.restart()
	l.srv.GroupText(loopGroup, loopMember, "/link "+link[1])
	l.after(loopGroup, 0, "✅ Ce groupe est maintenant relié")
	l.restart()

	// Send with consent: nothing reaches the group before the yes, and the
	// card shows exactly what the preview showed.
	l.press(l.say("/start", "Bonjour"), "Français", "")
	cards := l.walk()
	if len(cards) != 3 || !strings.Contains(cards[0].Text, "Agence Emploi") || !strings.Contains(cards[1].Text, "Agence Emploi") || !strings.Contains(cards[2].Text, "Jisr") {
		t.Fatalf("the walk shows other services than this test expects:\n%s", bottest.Texts(cards))
	}
	groupBefore := len(l.srv.Received(loopGroup))
	l.press(cards[0], "Envoyer ma demande", "Voici exactement ce qui lui sera envoyé")
	n := len(l.srv.Received(loopUser))
	l.srv.Message(loopUser, map[string]any{"contact": map[string]any{"phone_number": "+212600001717", "first_name": "Test", "user_id": loopUser}})
	preview := l.after(loopUser, n, "Votre téléphone : +212600001717")
	l.restart() // between the preview and the yes
	ask := l.press(preview, "Oui, envoyer", "pouvons-nous vous demander")
	if got := len(l.srv.Received(loopGroup)); got != groupBefore {
		t.Fatalf("the group got %d messages before the person's last yes", got-groupBefore)
	}
	if rs, err := l.m.Requests.ForChat(ctx, loopUser); err != nil || len(rs) != 0 {
		t.Fatalf("%d requests stored before the person's last yes (%v)", len(rs), err)
	}
	l.press(ask, "Oui", "Votre demande est envoyée")
	card := l.after(loopGroup, groupBefore, "📨 Demande")
	r1 := requestID.FindStringSubmatch(card.Text)[1]
	sameFields(t, preview.Text, card.Text)
	l.restart()

	// Accepted in the group: the person is told.
	l.pressCard(r1, "Accepter", "a accepté votre demande")
	l.restart()

	// Declined from the console's inbox of the other organisation, with a
	// reason: the person is told and offered the next option; taking it
	// shows the next service.
	ask = l.press(cards[2], "Envoyer ma demande", "Voici exactement ce qui lui sera envoyé")
	ask = l.press(ask, "Oui, envoyer", "pouvons-nous vous demander")
	l.press(ask, "Oui", "Votre demande est envoyée")
	rs, err := l.m.Requests.ForOrg(ctx, loopOther, 10)
	if err != nil || len(rs) != 1 {
		t.Fatalf("the other organisation's requests: %d %v", len(rs), err)
	}
	r2 := rs[0].ID
	l.restart()
	l.login("other@example.org")
	if code, _ := l.get("/admin/requests?org=" + loopOrg); code != http.StatusNotFound {
		t.Errorf("a partner reads another organisation's inbox: %d", code)
	}
	_, inbox := l.get("/admin/requests")
	if !strings.Contains(inbox, r2) || strings.Contains(inbox, r1) || !strings.Contains(inbox, "<bdi>Test</bdi>") {
		t.Fatalf("inbox of %s: no %s, or %s of %s shows", loopOther, r2, r1, loopOrg)
	}
	tok = l.csrf("/admin/requests")
	if code, _, _ := l.post("/admin/requests/act", url.Values{"csrf": {tok}, "id": {r1}, "action": {"decline"}, "reason": {"full"}}); code != http.StatusNotFound {
		t.Errorf("a partner acted on another organisation's request: %d", code)
	}
	n = len(l.srv.Received(loopUser))
	code, _, loc := l.post("/admin/requests/act", url.Values{"csrf": {tok}, "id": {r2}, "action": {"decline"}, "reason": {"full"}})
	if code != http.StatusSeeOther || !strings.Contains(loc, "acted") {
		t.Fatalf("decline from the inbox: %d %s", code, loc)
	}
	declined := l.after(loopUser, n, "le service est complet")
	l.restart()
	n = len(l.srv.Received(loopUser))
	l.press(declined, "Voir un autre service", "Voici un autre service")
	next := l.after(loopUser, n, "🏢")
	if strings.Contains(next.Text, "Ateliers d'éducation financière") {
		t.Fatalf("the declined service offered again: %s", next.Text)
	}
	l.restart()

	// No answer: the group is reminded, then the person is offered another
	// way; the organisation may still answer late.
	r3 := l.send(next, true)
	l.until(r3, requests.DueReminder)
	l.after(loopGroup, 0, "⏰ Rappel : la demande "+r3)
	l.restart()
	n = len(l.srv.Received(loopUser))
	l.until(r3, requests.DueLapse)
	lapsed := l.after(loopUser, n, "n'a pas encore répondu")
	data(t, lapsed, "Voir un autre service")
	data(t, lapsed, "conseiller")
	l.restart()

	// Contacted, then done, in the group; the lapsed request accepted late.
	l.pressCard(r1, "Personne contactée", "indique vous avoir contacté")
	l.restart()
	l.pressCard(r1, "personne aidée", "l'organisme a pu vous aider")
	l.restart()
	l.pressCard(r3, "Accepter", "a accepté votre demande")
	l.restart()
	// The same service as r1, which is closed: sent again, accepted.
	r4 := l.send(cards[0], true)
	l.pressCard(r4, "Accepter", "a accepté votre demande")
	l.restart()

	// Follow-ups, answered each way: r1 helped, r4 no help, r3 not yet
	// then asked again once and could not reach them.
	// (Due at about the same time: the clock moves past the three at once.)
	var last time.Time
	for _, id := range []string{r1, r4, r3} {
		if at := l.next(id, requests.DueFollowUp); at.After(last) {
			last = at
		}
	}
	l.shiftTo(last)
	// All three asked before the next restart: a step cut short by a stop
	// waits for its lease (a minute) before the next Main takes it again.
	f1, f4, f3 := l.followUp(r1, 1), l.followUp(r4, 1), l.followUp(r3, 1)
	l.answer(f1, "Oui, cela m'a aidé", "Bonne continuation")
	l.restart()
	data(t, l.answer(f4, "Je les ai joints", "Merci de nous l'avoir dit"), "Voir un autre service")
	l.restart()
	l.answer(f3, "Pas encore", "Je vous reposerai la question")
	// Asked again 3 days later: the clock is past that already.
	f3 = l.followUp(r3, 2)
	l.restart()
	unreached := l.answer(f3, "Je n'ai pas pu les joindre", "Essayons autrement")
	l.restart()
	// Every service for the situation has been tried by now: the next way is an adviser.
	data(t, l.press(unreached, "Voir un autre service", "Je n'ai pas d'autre service"), "conseiller")
	for id, o := range map[string]requests.Outcome{r1: requests.Reached, r4: requests.NoHelp, r3: requests.NotReached} {
		if r, err := l.m.Requests.Get(ctx, id); err != nil || r.Outcome != o || r.NextKind != "" {
			t.Errorf("%s: outcome %q, next %q (%v); want %q and no more", id, r.Outcome, r.NextKind, err, o)
		}
	}
	if c := l.count(loopUser, "rqa:"+r3+":"); c != 2 {
		t.Errorf("%s asked %d times, want 2", r3, c)
	}
	l.restart()

	// /stop: a request accepted from the console has no follow-up any more.
	// The clock back to the present: nothing of the new request is due yet.
	l.shift.Store(0)
	r5 := l.send(cards[2], true)
	l.login("other@example.org")
	n = len(l.srv.Received(loopUser))
	if code, _, loc := l.post("/admin/requests/act", url.Values{"csrf": {l.csrf("/admin/requests")}, "id": {r5}, "action": {"accept"}}); code != http.StatusSeeOther || !strings.Contains(loc, "acted") {
		t.Fatalf("accept from the inbox: %d %s", code, loc)
	}
	l.after(loopUser, n, "a accepté votre demande")
	r, err := l.m.Requests.Get(ctx, r5)
	if err != nil || r.NextKind != requests.DueFollowUp {
		t.Fatalf("%s: next %q (%v), want a follow-up", r5, r.NextKind, err)
	}
	due := r.NextAt
	l.restart()
	l.say("/stop", "1 demande concernée")
	l.restart()
	l.shiftTo(due.Add(time.Hour))
	l.rounds(3)
	if c := l.count(loopUser, "rqa:"+r5+":"); c != 0 {
		t.Errorf("a follow-up after /stop")
	}
	l.restart()

	// /requests lists each request and where it stands.
	list := l.say("/requests", "Vos 5 demandes").Text
	for _, want := range []string{"acceptée", "refusée (le service est complet pour le moment)", "terminée : vous avez été aidé",
		"vous avez dit que cela ne vous a pas aidé", "vous avez dit ne pas avoir pu les joindre"} {
		if !strings.Contains(list, want) {
			t.Errorf("/requests: no %q in\n%s", want, list)
		}
	}
	l.restart()

	// /forget withdraws the open requests: their cards in the group lose the
	// person's data, and the store keeps nothing of theirs.
	cardR3 := l.card(r3)
	l.press(l.say("/forget", "?"), "Oui", "ont été retirées")
	if !l.srv.WaitFor(func() bool {
		for _, m := range l.srv.Received(loopGroup) {
			if m.ID == cardR3.ID {
				return strings.HasPrefix(m.Text, "🚫 Demande "+r3+" retirée") && len(m.Buttons) == 0
			}
		}
		return false
	}, 15*time.Second) {
		t.Fatalf("the card of %s was not withdrawn:\n%s", r3, bottest.Texts(l.srv.Received(loopGroup)))
	}
	if rs, err := l.m.Requests.ForChat(ctx, loopUser); err != nil || len(rs) != 0 {
		t.Errorf("after /forget, %d requests of the person (%v)", len(rs), err)
	}
	for _, id := range []string{r1, r2, r3, r4, r5} {
		r, err := l.m.Requests.Get(ctx, id)
		if err != nil || r.Chat != 0 || r.Shared.FirstName != "" || r.Shared.Phone != "" || r.Shared.Question != "" {
			t.Errorf("after /forget, %s keeps %+v (%v)", id, r, err)
		}
	}
	var left int
	if err := l.m.DB.QueryRow(ctx, `SELECT (SELECT count(*) FROM requests WHERE row_to_json(requests)::text LIKE '%600001717%' OR chat_id = $1 OR first_name IS NOT NULL)
		+ (SELECT count(*) FROM request_events WHERE row_to_json(request_events)::text LIKE '%600001717%')`, loopUser).Scan(&left); err != nil || left != 0 {
		t.Errorf("after /forget, %d rows still hold the person's name, phone or chat (%v)", left, err)
	}
}

// send sends a request from a service's card (the follow-up agreed or
// not) and returns its id, read from the group's card or the store.
func (l *loop) send(card bottest.Message, followUp bool) string {
	l.t.Helper()
	before, _ := l.m.Requests.ForChat(context.Background(), loopUser)
	ask := l.press(card, "Envoyer ma demande", "Voici exactement ce qui lui sera envoyé")
	ask = l.press(ask, "Oui, envoyer", "pouvons-nous vous demander")
	yes := "Oui"
	if !followUp {
		yes = "Non"
	}
	l.press(ask, yes, "Votre demande est envoyée")
	after, err := l.m.Requests.ForChat(context.Background(), loopUser)
	if err != nil || len(after) != len(before)+1 {
		l.t.Fatalf("%d requests after sending one, %d before (%v)", len(after), len(before), err)
	}
	return after[0].ID
}

// until moves the clock to request id's next step, which must be step,
// and waits until it is carried out.
func (l *loop) until(id string, step requests.Due) {
	l.t.Helper()
	ctx := context.Background()
	at := l.next(id, step)
	l.shiftTo(at)
	if !l.srv.WaitFor(func() bool {
		got, err := l.m.Requests.Get(ctx, id)
		return err == nil && (got.NextKind != step || got.NextAt.After(at))
	}, 15*time.Second) {
		l.t.Fatalf("%s: the %s due %s was not carried out", id, step, at)
	}
}

// next is when request id's next step, which must be step, is due.
func (l *loop) next(id string, step requests.Due) time.Time {
	l.t.Helper()
	r, err := l.m.Requests.Get(context.Background(), id)
	if err != nil || r.NextKind != step {
		l.t.Fatalf("%s: next step %q (%v), want %q", id, r.NextKind, err, step)
	}
	return r.NextAt
}

// shiftTo moves the requests' clock to at (a minute past it), never back
// (the test moves it back to the present once, before /stop).
func (l *loop) shiftTo(at time.Time) {
	if d := int64(time.Until(at) + time.Minute); d > l.shift.Load() {
		l.shift.Store(d)
	}
}

// rounds waits for n more rounds of the running Main's clock.
func (l *loop) rounds(n int) {
	l.t.Helper()
	from := l.round.Load()
	if !l.srv.WaitFor(func() bool { return l.round.Load() >= from+int64(n) }, 15*time.Second) {
		l.t.Fatalf("the clock did not run %d rounds", n)
	}
}

// followUp waits for the n-th follow-up of request id.
func (l *loop) followUp(id string, n int) bottest.Message {
	l.t.Helper()
	prefix := "rqa:" + id + ":" + strconv.Itoa(n) + ":"
	var got bottest.Message
	if !l.srv.WaitFor(func() bool {
		for _, m := range l.srv.Received(loopUser) {
			if hasData(m, prefix) {
				got = m
				return true
			}
		}
		return false
	}, 15*time.Second) {
		r, err := l.m.Requests.Get(context.Background(), id)
		l.t.Fatalf("no follow-up %d of %s (%+v %v, clock at %s):\n%s", n, id, r, err, time.Now().Add(time.Duration(l.shift.Load())), bottest.Texts(l.srv.Received(loopUser)))
	}
	return got
}

// answer presses label on a follow-up and waits for want.
func (l *loop) answer(m bottest.Message, label, want string) bottest.Message {
	l.t.Helper()
	return l.press(m, label, want)
}

// count is how many messages sent to chat had a button whose data starts
// with prefix (an answered follow-up loses its buttons).
func (l *loop) count(chat int64, prefix string) int {
	c := 0
	for _, call := range l.srv.Calls("sendMessage") {
		if call.Params["chat_id"] == strconv.FormatInt(chat, 10) && strings.Contains(call.Params["reply_markup"], `"callback_data":"`+prefix) {
			c++
		}
	}
	return c
}

func hasData(m bottest.Message, prefix string) bool {
	for _, row := range m.Buttons {
		for _, b := range row {
			if strings.HasPrefix(b.Data, prefix) {
				return true
			}
		}
	}
	return false
}

// pressCard presses the button labelled label on request id's card as a
// member of the group, and waits for the person to be told want.
func (l *loop) pressCard(id, label, want string) bottest.Message {
	l.t.Helper()
	c := l.card(id)
	n := len(l.srv.Received(loopUser))
	l.srv.PressAs(c, loopMember, "Karim", data(l.t, c, label))
	return l.after(loopUser, n, want)
}

// sameFields checks that the card shows each field of the preview, and no
// other.
func sameFields(t *testing.T, preview, card string) {
	t.Helper()
	fields := func(text, bullet string) map[string]string {
		out := map[string]string{}
		for _, line := range strings.Split(text, "\n") {
			line = strings.TrimPrefix(strings.TrimSpace(line), bullet)
			for name, label := range map[string][]string{
				"name": {"Prénom : "}, "lang": {"Langue : "}, "facts": {"Votre situation : ", "Situation : "},
				"question": {"Votre question : ", "Sa question : "}, "phone": {"Votre téléphone : ", "Téléphone : "},
			} {
				for _, p := range label {
					if v, ok := strings.CutPrefix(line, p); ok {
						out[name] = strings.NewReplacer(" · ", ", ").Replace(strings.Trim(v, "\u2068\u2069"))
					}
				}
			}
		}
		return out
	}
	shown, sent := fields(preview, "• "), fields(card, "")
	if sent["phone"] != "" && strings.HasPrefix(sent["phone"], "non communiqué") {
		delete(sent, "phone")
	}
	if len(shown) < 4 || len(shown) != len(sent) {
		t.Fatalf("the preview shows %v, the card %v", shown, sent)
	}
	for k, v := range shown {
		if sent[k] != v {
			t.Errorf("%s: the preview shows %q, the card %q", k, v, sent[k])
		}
	}
}

// walk answers each question with its first button until services are
// shown; it returns the services' cards.
func (l *loop) walk() []bottest.Message {
	l.t.Helper()
	n := 0
	for range 12 {
		var m bottest.Message
		var cards []bottest.Message
		if !l.srv.WaitFor(func() bool {
			ms := l.srv.Received(loopUser)
			cards = cards[:0]
			for _, x := range ms[n:] {
				if strings.HasPrefix(x.Text, "1) ") || strings.HasPrefix(x.Text, "2) ") || strings.HasPrefix(x.Text, "3) ") {
					cards = append(cards, x)
				}
			}
			if len(cards) > 0 {
				// Done once a message follows the last card (what to do next).
				return cards[len(cards)-1].ID != ms[len(ms)-1].ID
			}
			for i := len(ms) - 1; i >= n; i-- {
				if treeButton(ms[i]) != "" {
					m = ms[i]
					return true
				}
			}
			return false
		}, 15*time.Second) {
			l.t.Fatalf("no question nor services after message %d:\n%s", n, bottest.Texts(l.srv.Received(loopUser)))
		}
		if len(cards) > 0 {
			return cards
		}
		n = len(l.srv.Received(loopUser))
		l.srv.Press(m, treeButton(m))
	}
	l.t.Fatalf("no services after 12 answers:\n%s", bottest.Texts(l.srv.Received(loopUser)))
	return nil
}

// treeButton is the data of m's first answer button, "" when none.
func treeButton(m bottest.Message) string {
	for _, row := range m.Buttons {
		for _, b := range row {
			if strings.HasPrefix(b.Data, "c:") || strings.HasPrefix(b.Data, "yn:") {
				return b.Data
			}
		}
	}
	return ""
}

// A follow-up that fell due while every replica was down is sent once
// when they come back, two at once.
func TestServeFollowUpWhileDown(t *testing.T) {
	l := newLoop(t)
	ctx := context.Background()
	svcs, err := l.m.Catalogue.Services(ctx)
	if err != nil || len(svcs) == 0 {
		t.Fatalf("catalogue: %v", err)
	}
	r := &requests.Request{ID: "rdown000001", Service: svcs[0].ID, Org: svcs[0].Org.ID, Chat: loopUser, FollowUp: true,
		Shared: requests.Shared{FirstName: "Test", Lang: lang.FR}, Status: requests.Sent, SentAt: time.Now()}
	if err := l.m.Requests.Create(ctx, r); err != nil {
		t.Fatal(err)
	}
	if _, err := l.m.Requests.Act(ctx, r.ID, requests.Accept, "", "", "test", time.Now()); err != nil {
		t.Fatal(err)
	}
	due := l.next(r.ID, requests.DueFollowUp)
	if err := l.stop(); err != nil {
		t.Fatal(err)
	}
	l.shiftTo(due) // it falls due while nothing runs
	l.start()
	first := l.round
	l.start()
	l.followUp(r.ID, 1)
	// Both clocks go round a few more times: nothing is sent again.
	for _, c := range []*atomic.Int64{first, l.round} {
		from := c.Load()
		if !l.srv.WaitFor(func() bool { return c.Load() >= from+3 }, 15*time.Second) {
			t.Fatal("a clock stopped going round")
		}
	}
	if n := l.count(loopUser, "rqa:"+r.ID+":"); n != 1 {
		t.Fatalf("the follow-up was sent %d times", n)
	}
	if got, err := l.m.Requests.Get(ctx, r.ID); err != nil || got.FollowUps != 1 {
		t.Fatalf("recorded %d follow-ups (%v)", got.FollowUps, err)
	}
}
