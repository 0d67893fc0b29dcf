package bot_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dalil-tt/dalil/bot"
	"github.com/dalil-tt/dalil/bot/bottest"
	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/internal/lang"
	"github.com/dalil-tt/dalil/internal/vocab"
	"github.com/dalil-tt/dalil/requests"
	rpg "github.com/dalil-tt/dalil/requests/postgres"
)

// bigChat is a Telegram id above 2^32, as real ones are.
const bigChat = int64(1)<<33 + 17

// withRequests starts a bot with requests on: every demo organisation can
// receive them.
func withRequests(t *testing.T) (*harness, *rpg.Store, *orgs) {
	t.Helper()
	store, o := requestStore(t, demoOrgs()...), &orgs{}
	return startRequests(t, store, o, nil), store, o
}

// demoOrgs are the ids of the demo catalogue's organisations.
func demoOrgs() []string {
	var ids []string
	for _, s := range catalogue.Demo() {
		ids = append(ids, s.Org.ID)
	}
	return ids
}

// startRequests starts a bot with requests on, kept in store and
// delivered to o, on the demo catalogue; tune, when set, adjusts the
// options further.
func startRequests(t *testing.T, store requests.Store, o *orgs, tune func(*bot.Options)) *harness {
	t.Helper()
	mem := catalogue.NewMemory(catalogue.Demo())
	return start(t, nil, func(op *bot.Options) {
		op.Requests, op.Organisations, op.Finder, op.Matcher = store, o, mem, mem
		if tune != nil {
			tune(op)
		}
	})
}

// firstPreview walks chat to its first services and presses the first
// card's "send my request": the preview is shown, nothing sent yet.
func (h *harness) firstPreview(chat int64) {
	h.t.Helper()
	h.firstQuestion(chat)
	all := h.walk(chat)
	buttons := sendButtons(all)
	var card bottest.Message
	for _, m := range all {
		if strings.HasPrefix(m.Text, "1) ") {
			card = m
		}
	}
	n := len(h.srv.Received(chat))
	h.srv.Press(card, buttons[card.ID])
	h.wait(chat, n+1)
	h.settle(chat)
}

// sendButtons are the "send my request" buttons of ms, by message.
func sendButtons(ms []bottest.Message) map[int64]string {
	out := map[int64]string{}
	for _, m := range ms {
		for _, row := range m.Buttons {
			for _, b := range row {
				if strings.HasPrefix(b.Data, "rq:") {
					if _, dup := out[m.ID]; dup {
						out[m.ID] = "twice"
					} else {
						out[m.ID] = b.Data
					}
				}
			}
		}
	}
	return out
}

func lastText(ms []bottest.Message) string {
	if len(ms) == 0 {
		return ""
	}
	return ms[len(ms)-1].Text
}

// TestRequestConsent: nothing reaches the organisation (no card, no row)
// before the yes and the follow-up answer; what reaches it is exactly what
// the last preview showed, field by field.
func TestRequestConsent(t *testing.T) {
	h, store, o := withRequests(t)
	chat := bigChat
	h.firstQuestion(chat)
	all := h.walk(chat)
	buttons := sendButtons(all)
	var card bottest.Message
	for _, m := range all {
		if strings.HasPrefix(m.Text, "1) ") {
			card = m
		}
		if strings.HasPrefix(m.Text, "1) ") || strings.HasPrefix(m.Text, "2) ") || strings.HasPrefix(m.Text, "3) ") {
			if d := buttons[m.ID]; d == "" || d == "twice" {
				t.Fatalf("card %q has %q send buttons", m.Text, d)
			}
		}
	}
	data := buttons[card.ID]
	service := strings.TrimPrefix(data, "rq:")
	nothing := func(step string) {
		t.Helper()
		if n := len(o.cards()); n != 0 {
			t.Fatalf("%s: %d cards reached the organisation", step, n)
		}
		if rs, _ := store.ForChat(context.Background(), chat); len(rs) != 0 {
			t.Fatalf("%s: %d requests stored", step, len(rs))
		}
	}

	n := len(h.srv.Received(chat))
	h.srv.Press(card, data)
	h.wait(chat, n+1)
	got := h.settle(chat)[n:]
	if len(got) < 2 || !strings.Contains(got[0].Params["reply_markup"], `"request_contact":true`) {
		t.Fatalf("no contact button before the preview: %s %v", texts(got), got[0].Params)
	}
	if !strings.Contains(lastText(got), "Voici exactement ce qui lui sera envoyé") || !strings.Contains(lastText(got), "Prénom : Test") {
		t.Fatalf("preview: %s", texts(got))
	}
	nothing("preview")
	got = h.press(chat, "Non")
	if !strings.Contains(texts(got), "rien n'a été envoyé") || !strings.Contains(got[0].Params["reply_markup"], "remove_keyboard") {
		t.Fatalf("after Non: %s", texts(got))
	}
	nothing("no")

	// Again from the same card (its button stays), with a question and the
	// person's phone; someone else's contact is refused.
	n = len(h.srv.Received(chat))
	h.srv.Press(card, data)
	h.wait(chat, n+2)
	h.settle(chat)
	h.press(chat, "Ajouter ma question")
	got = h.say(chat, "Quels papiers dois-je apporter ?")
	if !strings.Contains(lastText(got), "Votre question : « Quels papiers dois-je apporter ? »") {
		t.Fatalf("question not in the preview: %s", texts(got))
	}
	n = len(h.srv.Received(chat))
	h.srv.Message(chat, map[string]any{"contact": map[string]any{"phone_number": "+212611111111", "first_name": "Autre", "user_id": 4242}})
	h.wait(chat, n+1)
	got = h.settle(chat)[n:]
	if !strings.Contains(texts(got), "n'est pas le vôtre") || strings.Contains(lastText(got), "+212611111111") {
		t.Fatalf("someone else's contact: %s", texts(got))
	}
	n = len(h.srv.Received(chat))
	h.srv.Message(chat, map[string]any{"contact": map[string]any{"phone_number": "+212600000009", "first_name": "Test", "user_id": chat}})
	h.wait(chat, n+2)
	got = h.settle(chat)[n:]
	preview := lastText(got)
	if !strings.Contains(preview, "Votre téléphone : +212600000009") {
		t.Fatalf("own phone not in the preview: %s", texts(got))
	}
	nothing("phone")

	h.stop() // a restart between the preview and the yes
	h.run()
	got = h.press(chat, "Oui, envoyer")
	if !strings.Contains(texts(got), "dans quelques jours si") {
		t.Fatalf("no follow-up question after the yes: %s", texts(got))
	}
	nothing("yes before the follow-up answer")
	got = h.press(chat, "Oui")
	if !h.srv.WaitFor(func() bool { return len(o.cards()) == 1 }, 10*time.Second) {
		t.Fatalf("no card reached the organisation: %s", texts(got))
	}
	got = h.settle(chat)
	if !strings.Contains(lastText(got), "Votre demande est envoyée") || !strings.Contains(lastText(got), "L'organisme a 3 jours ouvrables") ||
		!strings.Contains(lastText(got), "Dans 7 jours, je vous demanderai") || !strings.Contains(got[len(got)-1].Params["reply_markup"], "remove_keyboard") {
		t.Fatalf("not told it was sent: %s", texts(got))
	}

	// The same card again: no second request while this one is open.
	n = len(h.srv.Received(chat))
	h.srv.Press(card, data)
	h.wait(chat, n+1)
	if got := h.settle(chat)[n:]; !strings.Contains(texts(got), "déjà une demande en cours") || len(o.cards()) != 1 {
		t.Fatalf("a second request for the same service: %s", texts(got))
	}

	// Field by field: the card and the row hold what the preview showed.
	r := o.cards()[0]
	stored, err := store.Get(context.Background(), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Shared.Question != r.Shared.Question || stored.Shared.Phone != r.Shared.Phone || stored.Shared.FirstName != r.Shared.FirstName {
		t.Fatalf("stored %+v, delivered %+v", stored.Shared, r.Shared)
	}
	if r.Service != service || r.Chat != chat || !r.FollowUp || r.Status != requests.Sent || len(r.ID) != 11 {
		t.Fatalf("request %+v", r)
	}
	sh := r.Shared
	for _, want := range []string{"Prénom : " + sh.FirstName, "Langue : français", "Votre question : « " + sh.Question + " »", "Votre téléphone : " + sh.Phone} {
		if !strings.Contains(preview, want) {
			t.Errorf("sent %q, the preview did not show it: %s", want, preview)
		}
	}
	if sh.Lang != lang.FR || sh.FirstName != "Test" || sh.Phone != "+212600000009" || sh.Question != "Quels papiers dois-je apporter ?" {
		t.Errorf("shared %+v", sh)
	}
	var words []string
	for _, f := range vocab.Facets {
		for _, c := range sh.Facts.Get(f) {
			words = append(words, h.tr.T(lang.FR, "code."+string(f)+"."+c, nil))
		}
	}
	if len(words) == 0 || !strings.Contains(preview, "Votre situation : "+strings.Join(words, ", ")+"\n") {
		t.Errorf("facts sent %v, the preview showed: %s", words, preview)
	}
}

// TestRequestDeliveryRetried: a card whose delivery fails (a Redis or
// PostgreSQL blip) is retried, then left owed and carried on by the
// sender: it reaches the organisation once, and the person is told once.
func TestRequestDeliveryRetried(t *testing.T) {
	store, o := requestStore(t, demoOrgs()...), &orgs{failing: 7} // more than the attempts of one round
	h := startRequests(t, store, o, func(op *bot.Options) { op.SweepEvery = 100 * time.Millisecond })
	chat := bigChat + 6
	h.firstPreview(chat)
	h.press(chat, "Oui, envoyer")
	h.press(chat, "Oui")
	if !h.srv.WaitFor(func() bool { return len(o.cards()) == 1 }, 15*time.Second) {
		t.Fatalf("the card never reached the organisation: %s", texts(h.srv.Received(chat)))
	}
	got := h.settle(chat)
	if c := strings.Count(texts(got), "Votre demande est envoyée"); c != 1 || len(o.cards()) != 1 {
		t.Fatalf("told %d times, %d cards", c, len(o.cards()))
	}
	if rs, _ := store.ForChat(context.Background(), chat); len(rs) != 1 {
		t.Fatalf("%d requests stored", len(rs))
	}
	if !strings.Contains(h.metrics(), `dalil_effects_total{kind="request_undelivered"} 1`) {
		t.Error("the undelivered round is not counted")
	}
}

// TestWithdrawalRetried: /forget erases the person's requests at once; an
// organisation that cannot be told at that moment (a Redis blip) is told
// later, by the sender, until it is: a second /forget would find nothing.
func TestWithdrawalRetried(t *testing.T) {
	store, o := requestStore(t, demoOrgs()...), &orgs{refusing: 7} // more than the attempts of one round
	h := startRequests(t, store, o, func(op *bot.Options) { op.SweepEvery = 100 * time.Millisecond })
	chat := bigChat + 7
	h.firstQuestion(chat)
	r := request(t, store, "r0000000071", chat, lang.FR, true)
	h.say(chat, "/forget")
	got := texts(h.press(chat, "Oui"))
	if !strings.Contains(got, "Votre demande en cours a été retirée") {
		t.Fatalf("/forget: %s", got)
	}
	if rs, _ := store.ForChat(context.Background(), chat); len(rs) != 0 {
		t.Fatalf("requests left after /forget: %d", len(rs))
	}
	if !h.srv.WaitFor(func() bool { return len(o.gone()) > 0 }, 15*time.Second) {
		t.Fatal("the organisation was never told")
	}
	h.settle(chat)
	if w := o.gone(); len(w) != 1 || w[0] != r.ID {
		t.Fatalf("withdrawn: %v", w)
	}
}

// TestRequestToldOnce: a request effect whose card waits longer than the
// send lock lasts is not taken over by another sender (the lock is
// renewed), and the person is told once: the news goes through the outbox
// once per request, so a run again (a crash before the item was marked)
// would not say it twice either.
func TestRequestToldOnce(t *testing.T) {
	hold := make(chan struct{})
	store, o := requestStore(t, demoOrgs()...), &orgs{hold: hold}
	h := startRequests(t, store, o, func(op *bot.Options) { op.SweepEvery = 100 * time.Millisecond })
	o.mu.Lock()
	o.hold = nil // held only from the yes on
	o.mu.Unlock()
	chat := bigChat + 8
	h.firstPreview(chat)
	h.press(chat, "Oui, envoyer")
	o.mu.Lock()
	o.hold = hold
	o.mu.Unlock()
	if _, ok := h.srv.PressLabel(h.lastButtons(chat), "Oui"); !ok {
		t.Fatal("no yes to the follow-up question")
	}
	// Longer than the send lock (2 s) and a few sweeps: a sender taking
	// the chat over would carry the effect out again.
	h.srv.WaitFor(func() bool { return o.delivering() >= 2 }, 3*time.Second)
	close(hold)
	if !h.srv.WaitFor(func() bool { return strings.Contains(texts(h.srv.Received(chat)), "Votre demande est envoyée") }, 10*time.Second) {
		t.Fatal("not told")
	}
	got := h.settle(chat)
	if c := strings.Count(texts(got), "Votre demande est envoyée"); c != 1 || o.delivering() != 1 {
		t.Fatalf("carried out %d times, told %d times: %s", o.delivering(), c, texts(got))
	}
}

// heldStore is the requests' store whose Create waits for hold, when set.
type heldStore struct {
	*rpg.Store
	mu   sync.Mutex
	hold chan struct{}
}

func (s *heldStore) Create(ctx context.Context, r *requests.Request) error {
	s.mu.Lock()
	hold := s.hold
	s.mu.Unlock()
	if hold != nil {
		select {
		case <-hold:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return s.Store.Create(ctx, r)
}

// TestRequestThenForget: /forget right after the yes waits for the
// request being sent (an effect carried out outside the chat's lock), so
// the request it creates is erased and withdrawn, not kept with the
// person's data after "everything was erased".
func TestRequestThenForget(t *testing.T) {
	store, o := requestStore(t, demoOrgs()...), &orgs{}
	held := &heldStore{Store: store}
	h := startRequests(t, held, o, nil)
	chat := bigChat + 5
	h.firstPreview(chat)
	h.press(chat, "Oui, envoyer")

	hold := make(chan struct{})
	held.mu.Lock()
	held.hold = hold
	held.mu.Unlock()
	handled := func() int {
		var v int
		for _, line := range strings.Split(h.metrics(), "\n") {
			if rest, ok := strings.CutPrefix(line, `dalil_updates_total{outcome="handled"} `); ok {
				v, _ = strconv.Atoi(rest)
			}
		}
		return v
	}
	before := handled()
	// The yes, then /forget and its yes at once: pressed on the buttons of
	// an earlier /forget prompt still in the chat (the new prompt waits
	// behind the request in the chat's outbox).
	question := h.lastButtons(chat)
	if _, ok := h.srv.PressLabel(question, "Oui"); !ok {
		t.Fatal("no yes to the follow-up question")
	}
	h.srv.Text(chat, "/forget")
	h.srv.Press(question, "fg:y")
	// The request is held until /forget has run past it (the race), or
	// for a bounded while (/forget waits for it, as it should).
	h.srv.WaitFor(func() bool { return handled() >= before+3 }, 3*time.Second)
	close(hold)
	got := h.settle(chat)
	if last := texts(got[len(got)-2:]); !strings.Contains(last, "a été effacé") || !strings.Contains(last, "Votre demande en cours a été retirée") {
		t.Fatalf("the request was not withdrawn, or something came after the erasure: %s", texts(got))
	}
	if w, c := o.gone(), o.cards(); len(c) != 1 || len(w) != 1 || w[0] != c[0].ID {
		t.Fatalf("delivered %d, withdrawn %v", len(c), w)
	}
	if rs, _ := store.ForChat(context.Background(), chat); len(rs) != 0 {
		t.Fatalf("requests left with the person's chat after /forget: %d", len(rs))
	}
}

// request stores a request sent by chat and returns it.
func request(t *testing.T, store *rpg.Store, id string, chat int64, l lang.Lang, followUp bool) *requests.Request {
	t.Helper()
	var facts vocab.Codes
	facts.Add(vocab.Needs, "funding.microcredit")
	facts.Add(vocab.Provinces, "tetouan")
	r := &requests.Request{ID: id, Service: "demo-jisr-creation", Org: "demo-jisr", Chat: chat, FollowUp: followUp,
		Shared: requests.Shared{FirstName: "Test", Lang: l, Facts: facts}, Status: requests.Sent, SentAt: time.Now()}
	if err := store.Create(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return r
}

// act applies an organisation's action and tells the person, as the
// organisations' side does.
func act(t *testing.T, h *harness, store *rpg.Store, id string, a requests.Action, reason requests.Reason) []bottest.Message {
	t.Helper()
	r, err := store.Act(context.Background(), id, a, reason, "", "member", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	n := len(h.srv.Received(r.Chat))
	if err := h.b.Changed(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	h.wait(r.Chat, n+1)
	// Told once: the same news again sends nothing.
	if err := h.b.Changed(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return h.settle(r.Chat)[n:]
}

func TestRequestNews(t *testing.T) {
	h, store, _ := withRequests(t)
	chat := bigChat + 1
	h.firstQuestion(chat)
	request(t, store, "r0000000001", chat, lang.FR, false)
	for _, c := range []struct {
		a    requests.Action
		want string
	}{
		{requests.Accept, "Jisr Microcrédit (fictif) a accepté votre demande (Microcrédit de démarrage)"},
		{requests.MarkContact, "indique vous avoir contacté"},
		{requests.DoneHelped, "l'organisme a pu vous aider"},
	} {
		got := act(t, h, store, "r0000000001", c.a, "")
		if len(got) != 1 || !strings.Contains(got[0].Text, c.want) {
			t.Fatalf("%s: %s", c.a, texts(got))
		}
	}

	request(t, store, "r0000000004", chat, lang.FR, false)
	if got := act(t, h, store, "r0000000004", requests.DoneNot, ""); len(got) != 1 || !strings.Contains(got[0].Text, "sans avoir pu vous aider") {
		t.Fatalf("done, not helped: %s", texts(got))
	}

	// Declined: why, in words, and the next way offered as buttons.
	request(t, store, "r0000000002", chat, lang.FR, false)
	got := act(t, h, store, "r0000000002", requests.Decline, requests.Full)
	if len(got) != 1 || !strings.Contains(got[0].Text, "le service est complet") {
		t.Fatalf("declined: %s", texts(got))
	}
	labels := texts(got)
	if !strings.Contains(labels, "Voir un autre service") || !strings.Contains(labels, "conseiller") {
		t.Fatalf("declined: no next way: %s", labels)
	}
	got = h.press(chat, "Voir un autre service")
	if len(got) < 2 || !strings.HasPrefix(got[1].Text, "Voici") && !strings.Contains(texts(got), "Voici un autre service") {
		t.Fatalf("next option: %s", texts(got))
	}
	next := sendButtons(got)
	if len(next) != 1 {
		t.Fatalf("the next service has no send button: %s", texts(got))
	}
	for _, d := range next {
		if d == "rq:demo-jisr-creation" {
			t.Fatalf("the declined service offered again: %s", texts(got))
		}
	}

	// Lapsed, in Arabic.
	r := request(t, store, "r0000000003", chat, lang.AR, false)
	n := len(h.srv.Received(chat))
	if err := h.b.Lapsed(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	h.wait(chat, n+1)
	got = h.settle(chat)[n:]
	if len(got) != 1 || !strings.Contains(got[0].Text, "جسر للقروض الصغرى") || !strings.Contains(got[0].Text, "3 أيام عمل") {
		t.Fatalf("lapsed: %s", texts(got))
	}
}

func TestRequestFollowUp(t *testing.T) {
	h, store, _ := withRequests(t)
	chat := bigChat + 2
	h.firstQuestion(chat)
	ctx := context.Background()
	ask := func(r *requests.Request, n int) bottest.Message {
		t.Helper()
		before := len(h.srv.Received(chat))
		if err := h.b.FollowUp(ctx, r, n); err != nil {
			t.Fatal(err)
		}
		h.wait(chat, before+1)
		ms := h.settle(chat)
		return ms[len(ms)-1]
	}
	outcome := func(id string) requests.Outcome {
		r, err := store.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return r.Outcome
	}

	r := request(t, store, "r0000000011", chat, lang.FR, true)
	first := ask(r, 1)
	if len(first.Buttons) != 4 || !strings.Contains(first.Text, "Avez-vous pu les joindre") {
		t.Fatalf("follow-up: %s", texts([]bottest.Message{first}))
	}
	if got := h.press(chat, "Pas encore"); !strings.Contains(texts(got), "reposerai") || outcome(r.ID) != requests.NotYet {
		t.Fatalf("not yet: %s %q", texts(got), outcome(r.ID))
	}
	r, _ = store.Get(ctx, r.ID)
	ask(r, 2)
	got := h.press(chat, "Je n'ai pas pu les joindre")
	if outcome(r.ID) != requests.NotReached || !strings.Contains(texts(got), "Voir un autre service") {
		t.Fatalf("unreachable: %s %q", texts(got), outcome(r.ID))
	}
	// The first follow-up's button pressed late: answered politely, nothing changed.
	n := len(h.srv.Received(chat))
	h.srv.Press(first, first.Buttons[0][0].Data)
	h.wait(chat, n+1)
	if got := h.settle(chat)[n:]; !strings.Contains(texts(got), "déjà répondu") || outcome(r.ID) != requests.NotReached {
		t.Fatalf("old follow-up: %s %q", texts(got), outcome(r.ID))
	}

	r2 := request(t, store, "r0000000012", chat, lang.FR, true)
	ask(r2, 1)
	if got := h.press(chat, "Je les ai joints"); outcome(r2.ID) != requests.NoHelp || !strings.Contains(texts(got), "Voir un autre service") {
		t.Fatalf("no help: %s", texts(got))
	}
	r3 := request(t, store, "r0000000013", chat, lang.ARY, true)
	ask(r3, 1)
	if got := h.press(chat, "عاونوني"); outcome(r3.ID) != requests.Reached || !strings.Contains(texts(got), "الله يوفقك") {
		t.Fatalf("helped: %s", texts(got))
	}
}

func TestRequestsStopForget(t *testing.T) {
	h, store, o := withRequests(t)
	chat := bigChat + 3
	h.firstQuestion(chat)
	if got := h.say(chat, "/requests"); !strings.Contains(texts(got), "Vous n'avez envoyé aucune demande") {
		t.Fatalf("/requests with none: %s", texts(got))
	}
	request(t, store, "r0000000021", chat, lang.FR, true)
	r2 := request(t, store, "r0000000022", chat, lang.FR, false)
	if _, err := store.Act(context.Background(), r2.ID, requests.Decline, requests.NotOurArea, "", "m", time.Now()); err != nil {
		t.Fatal(err)
	}
	got := texts(h.say(chat, "/requests"))
	for _, want := range []string{"Vos 2 demandes", "Jisr Microcrédit (fictif) — Microcrédit de démarrage", "refusée (l'organisme n'intervient pas dans votre zone)", "envoyée, pas encore de réponse", "envoyée le "} {
		if !strings.Contains(got, want) {
			t.Fatalf("/requests: no %q in %s", want, got)
		}
	}
	if got := texts(h.say(chat, "/stop")); !strings.Contains(got, "1 demande concernée") {
		t.Fatalf("/stop: %s", got)
	}
	h.say(chat, "/forget")
	got = texts(h.press(chat, "Oui"))
	if !strings.Contains(got, "Votre demande en cours a été retirée") {
		t.Fatalf("/forget: %s", got)
	}
	// The declined one's card loses the person's data too.
	if w := o.gone(); len(w) != 2 || w[0] != "r0000000021" || w[1] != "r0000000022" {
		t.Fatalf("withdrawn: %v", w)
	}
	if rs, _ := store.ForChat(context.Background(), chat); len(rs) != 0 {
		t.Fatalf("requests left after /forget: %d", len(rs))
	}
}

// TestRequestClock: the requests' clock tells the person through the bot
// (the bot is its requests.People): no answer in time, then the lapse with
// the next way; a follow-up due while the bot is down is sent once it is
// back, and once only.
func TestRequestClock(t *testing.T) {
	h, store, o := withRequests(t)
	chat := bigChat + 4
	h.firstQuestion(chat)
	ctx := context.Background()
	sent := time.Now()
	now := sent
	clock := requests.NewClock(store, store.Timing, o, h.b, h.opts.Log)
	clock.Now = func() time.Time { return now }
	round := func(at time.Time) int {
		t.Helper()
		now = at
		done, _ := clock.Round(ctx)
		return done
	}

	lapsing := request(t, store, "r0000000031", chat, lang.FR, false)
	n := len(h.srv.Received(chat))
	// Past the reminder and the deadline (3 working days, any weekday and
	// office hours): the reminder to the organisation, then the lapse.
	if d := round(sent.Add(10 * 24 * time.Hour)); d != 1 {
		t.Fatalf("first round: %d steps (want the reminder)", d)
	}
	if d := round(sent.Add(11 * 24 * time.Hour)); d != 1 {
		t.Fatalf("second round: %d steps (want the lapse)", d)
	}
	h.wait(chat, n+1)
	got := h.settle(chat)[n:]
	if len(got) != 1 || !strings.Contains(got[0].Text, "n'a pas encore répondu") || !strings.Contains(texts(got), "Voir un autre service") {
		t.Fatalf("lapse: %s", texts(got))
	}
	if r, _ := store.Get(ctx, lapsing.ID); r.Status != requests.Lapsed {
		t.Fatalf("status %s after the lapse", r.Status)
	}

	// Accepted, then the follow-up falls due while the bot is down.
	followed := request(t, store, "r0000000032", chat, lang.FR, true)
	if _, err := store.Act(ctx, followed.ID, requests.Accept, "", "", "m", sent.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	n = len(h.srv.Received(chat))
	h.stop()
	later := store.Timing.Awake.Next(sent.Add(20 * 24 * time.Hour)) // never at night
	if d := round(later); d != 1 {
		t.Fatalf("follow-up round: %d steps", d)
	}
	if d := round(later.Add(time.Minute)); d != 0 {
		t.Fatalf("the follow-up was carried out twice (%d)", d)
	}
	h.run()
	h.wait(chat, n+1)
	got = h.settle(chat)[n:]
	if len(got) != 1 || !strings.Contains(got[0].Text, "Avez-vous pu les joindre") {
		t.Fatalf("follow-up after the restart: %s", texts(got))
	}
}

// A group that adds the bot may be a partner organisation's, not linked
// yet: with requests on, the notice says how to link it, in French and
// Arabic; without them (TestGroupToldOnceToTalkInPrivate) it does not.
func TestUnlinkedGroupToldHowToLink(t *testing.T) {
	h, _, _ := withRequests(t)
	const group = -1009000000001
	h.srv.SetGroup(group, "Coopérative Nour", false)
	h.srv.GroupText(group, 5000000007, "/start@"+bottest.BotUsername)
	ms := h.wait(group, 1)
	if !strings.Contains(ms[0].Text, "privé") || !strings.Contains(ms[0].Text, "/link suivi du code") ||
		!strings.Contains(ms[0].Text, "مؤسسة شريكة") {
		t.Fatalf("group notice without how to link: %q", ms[0].Text)
	}
}
