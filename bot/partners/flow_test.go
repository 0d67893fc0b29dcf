package partners_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dalil-tt/dalil/bot/bottest"
	"github.com/dalil-tt/dalil/internal/lang"
	"github.com/dalil-tt/dalil/locales"
	"github.com/dalil-tt/dalil/requests"
)

const member = int64(6_100_000_001) // above 2^32, as Telegram's ids are now

func TestLink(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	tr := locales.MustDefault()
	said := func(n int) string {
		t.Helper()
		ms, err := h.srv.WaitReceived(h.group, n, wait)
		if err != nil {
			t.Fatal(err)
		}
		return ms[n-1].Text
	}

	h.srv.GroupText(h.group, member, "/link")
	if got := said(1); got != tr.T(lang.FR, "partners.link.usage", nil) {
		t.Fatalf("no code: %q", got)
	}
	h.srv.GroupText(h.group, member, "/link WRONGCODE")
	if got := said(2); got != tr.T(lang.FR, "partners.link.bad", nil) {
		t.Fatalf("wrong code: %q", got)
	}

	expired, err := h.store.NewLinkCode(ctx, "org-a", lang.AR, h.clock.Now().Add(-time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	h.srv.GroupText(h.group, member, "/link "+expired)
	if got := said(3); got != tr.T(lang.FR, "partners.link.bad", nil) {
		t.Fatalf("expired code: %q", got)
	}

	code, err := h.store.NewLinkCode(ctx, "org-a", lang.AR, h.clock.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	h.srv.GroupText(h.group, member, "/link@"+bottest.BotUsername+" "+strings.ToLower(code[:5])+" "+code[5:])
	if got := said(4); !strings.Contains(got, "جمعية أمل") || !strings.HasPrefix(got, "✅") {
		t.Fatalf("linked: the group is not told in Arabic: %q", got)
	}
	if g, err := h.store.OrgOf(ctx, h.group); err != nil || g.Org != "org-a" || g.Lang != lang.AR {
		t.Fatalf("group after the link: %+v, %v", g, err)
	}

	// The same code again, in another group: used.
	other := h.group - 1
	h.srv.SetGroup(other, "Autre", false)
	h.srv.GroupText(other, member+1, "/link "+code)
	ms, err := h.srv.WaitReceived(other, 1, wait)
	if err != nil {
		t.Fatal(err)
	}
	if ms[0].Text != tr.T(lang.FR, "partners.link.bad", nil) {
		t.Fatalf("used code: %q", ms[0].Text)
	}
	if g, _ := h.store.GroupOf(ctx, "org-a"); g.Chat != h.group {
		t.Fatalf("a used code moved the organisation to %d", g.Chat)
	}

	// /link addressed to another bot is not ours.
	h.srv.GroupText(other, member+1, "/link@other_bot "+code)
	// In private: it works in a group.
	user := int64(5_300_000_000)
	h.srv.Text(user, "/link "+code)
	ms, err = h.srv.WaitReceived(user, 1, wait)
	if err != nil {
		t.Fatal(err)
	}
	if ms[0].Text != tr.T(lang.FR, "partners.link.private", nil) {
		t.Fatalf("private: %q", ms[0].Text)
	}
	for _, m := range h.srv.Received(other) {
		if strings.Contains(m.Text, "/link") && m.Text != tr.T(lang.FR, "partners.link.bad", nil) {
			t.Fatalf("a command for another bot was answered: %q", m.Text)
		}
	}
}

func TestLinkGuessesLimited(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	tr := locales.MustDefault()
	for i := range 5 {
		h.srv.GroupText(h.group, member, "/link GUESS"+strconv.Itoa(i))
	}
	code, err := h.store.NewLinkCode(ctx, "org-a", lang.FR, h.clock.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	h.srv.GroupText(h.group, member, "/link "+code)
	ms, err := h.srv.WaitReceived(h.group, 6, wait)
	if err != nil {
		t.Fatal(err)
	}
	if ms[5].Text != tr.T(lang.FR, "partners.link.slow", nil) {
		t.Fatalf("sixth try in the hour: %q", ms[5].Text)
	}
	if _, err := h.store.OrgOf(ctx, h.group); err == nil {
		t.Fatal("a group over its limit was linked")
	}
	// The limit is for an hour, not for good.
	if ttl := h.rdb.TTL(ctx, h.opts.Prefix+":guess:"+strconv.FormatInt(h.group, 10)).Val(); ttl <= 0 || ttl > time.Hour {
		t.Fatalf("the tries are counted for %v", ttl)
	}
}

func TestCardOnceAndItsButtons(t *testing.T) {
	h := newHarness(t)
	h.linked(lang.FR)
	r := h.request("r0000000001")
	card := h.card(r)
	for _, want := range []string{"r0000000001", "Microcrédit jeunes", "Salma", "darija", "Microcrédit", "Tétouan",
		"Bghit nft7 mahal dyal l7lwa", "+212600000001", "01/12/2026 11:00", "En attente"} {
		if !strings.Contains(card.Text, want) {
			t.Errorf("card lacks %q:\n%s", want, card.Text)
		}
	}
	for _, d := range []string{"rq:acc:", "rq:dec:", "rq:con:", "rq:hlp:", "rq:nhl:"} {
		if !hasButton(card, d+r.ID) {
			t.Errorf("card lacks button %s: %v", d, data(card))
		}
	}
	// Delivered again (a retry), and after a restart: one card.
	ctx := context.Background()
	if err := h.p.Deliver(ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := h.partners().Deliver(ctx, r); err != nil {
		t.Fatal(err)
	}
	h.request("r0000000002")
	second, _ := h.store.Get(ctx, "r0000000002")
	h.card(second) // sent after the repeats: they would have come before it
	if n := len(h.srv.Received(h.group)); n != 2 {
		t.Fatalf("%d messages in the group, want 2 cards:%s", n, bottest.Texts(h.srv.Received(h.group)))
	}
	// An organisation without a group: nothing is posted (the console has it).
	none := *r
	none.ID, none.Org = "r0000000003", "org-b"
	if err := h.p.Deliver(ctx, &none); err != nil {
		t.Fatal(err)
	}
}

func TestActionsEditTheCardAndTellThePerson(t *testing.T) {
	h := newHarness(t)
	h.linked(lang.AR)
	tr := locales.MustDefault()
	r := h.request("r00000000a1")
	card := h.card(r)
	if !strings.Contains(card.Text, "سالمة") && !strings.Contains(card.Text, "Salma") {
		t.Fatalf("card: %s", card.Text)
	}

	h.srv.PressAs(card, member, "Karim", "rq:acc:"+r.ID)
	card = h.waitEdited(card.ID, 1)
	if !strings.Contains(card.Text, "✅") || hasButton(card, "rq:acc:"+r.ID) || !hasButton(card, "rq:con:"+r.ID) {
		t.Fatalf("accepted card: %s %v", card.Text, data(card))
	}
	if got := h.answers(1); got[0] != tr.T(lang.AR, "partners.press.done", nil) {
		t.Fatalf("press answered %q", got[0])
	}
	if ch := h.people.all(); len(ch) != 1 || ch[0].Status != requests.Accepted {
		t.Fatalf("the person was told %+v", ch)
	}
	by := h.acts(r.ID)[0].By
	if by == "" || strings.Contains(by, strconv.FormatInt(member, 10)) || by != "tg:"+h.keys.Of(member) {
		t.Fatalf("member recorded as %q, want their pseudonymous key", by)
	}

	h.srv.PressAs(card, member, "Karim", "rq:con:"+r.ID)
	card = h.waitEdited(card.ID, 2)
	if !strings.Contains(card.Text, "📞") || hasButton(card, "rq:con:"+r.ID) || !hasButton(card, "rq:hlp:"+r.ID) {
		t.Fatalf("contacted card: %s %v", card.Text, data(card))
	}
	h.srv.PressAs(card, member, "Karim", "rq:hlp:"+r.ID)
	card = h.waitEdited(card.ID, 3)
	if !strings.Contains(card.Text, "🏁") || len(card.Buttons) != 0 {
		t.Fatalf("done card: %s %v", card.Text, data(card))
	}
	ch := h.people.all()
	if len(ch) != 3 || ch[1].Status != requests.Contacted || ch[2].Status != requests.Helped {
		t.Fatalf("the person was told %+v", ch)
	}
	// An old press on the finished card: politely refused, nothing changes.
	h.srv.PressAs(card, member, "Karim", "rq:acc:"+r.ID)
	if got := h.answers(4); got[3] != tr.T(lang.AR, "partners.press.stale", nil) {
		t.Fatalf("stale press answered %q", got[3])
	}
	if len(h.people.all()) != 3 || len(h.acts(r.ID)) != 3 {
		t.Fatal("a stale press changed something")
	}
}

func TestDeclineWithAReason(t *testing.T) {
	h := newHarness(t)
	h.linked(lang.FR)
	r := h.request("r00000000d1")
	card := h.card(r)
	h.srv.PressAs(card, member, "Karim", "rq:dec:"+r.ID)
	card = h.waitEdited(card.ID, 1)
	for _, reason := range requests.Reasons {
		if !hasButton(card, "rq:dr:"+string(reason)+":"+r.ID) {
			t.Fatalf("reasons: %v", data(card))
		}
	}
	if len(h.acts(r.ID)) != 0 {
		t.Fatal("choosing to decline declined already")
	}
	// Back, then decline again for real.
	h.srv.PressAs(card, member, "Karim", "rq:back:"+r.ID)
	card = h.waitEdited(card.ID, 2)
	if !hasButton(card, "rq:acc:"+r.ID) {
		t.Fatalf("back: %v", data(card))
	}
	h.srv.PressAs(card, member, "Karim", "rq:dec:"+r.ID)
	card = h.waitEdited(card.ID, 3)
	h.srv.PressAs(card, member, "Karim", "rq:dr:full:"+r.ID)
	card = h.waitEdited(card.ID, 4)
	if !strings.Contains(card.Text, "Déclinée") || !strings.Contains(card.Text, "Plus de places") || len(card.Buttons) != 0 {
		t.Fatalf("declined card: %s %v", card.Text, data(card))
	}
	if ch := h.people.all(); len(ch) != 1 || ch[0].Status != requests.Declined || ch[0].Reason != requests.Full {
		t.Fatalf("the person was told %+v", ch)
	}
}

func TestTwoMembersRace(t *testing.T) {
	h := newHarness(t)
	h.linked(lang.FR)
	tr := locales.MustDefault()
	r := h.request("r00000000e1")
	card := h.card(r)
	var wg sync.WaitGroup
	for i, d := range []string{"rq:acc:", "rq:acc:"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.srv.PressAs(card, member+int64(i), "M", d+r.ID)
		}()
	}
	wg.Wait()
	got := h.answers(2)
	stale, done := 0, 0
	for _, a := range got {
		switch a {
		case tr.T(lang.FR, "partners.press.stale", nil):
			stale++
		case tr.T(lang.FR, "partners.press.done", nil):
			done++
		}
	}
	if stale != 1 || done != 1 {
		t.Fatalf("answers %q, want one done and one stale", got)
	}
	h.waitEdited(card.ID, 1)
	if n := len(h.people.all()); n != 1 || len(h.acts(r.ID)) != 1 {
		t.Fatalf("person told %d times, %d actions, want 1", n, len(h.acts(r.ID)))
	}
}

// TestPressAfterACrash: the answer was recorded but the process died
// before the person was told and the card edited; the member presses
// again and both happen, once.
func TestPressAfterACrash(t *testing.T) {
	h := newHarness(t)
	h.linked(lang.FR)
	tr := locales.MustDefault()
	r := h.request("r00000000c1")
	card := h.card(r)
	if _, err := h.store.Act(context.Background(), r.ID, requests.Decline, requests.Full, "", "tg:x", h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	h.srv.PressAs(card, member, "Karim", "rq:dr:full:"+r.ID)
	card = h.waitEdited(card.ID, 1)
	if !strings.Contains(card.Text, "Déclinée") || len(card.Buttons) != 0 {
		t.Fatalf("card after the press: %s %v", card.Text, data(card))
	}
	// Already done (by this member before the crash, or a colleague).
	if got := h.answers(1); got[0] != tr.T(lang.FR, "partners.press.stale", nil) {
		t.Fatalf("press answered %q", got[0])
	}
	if ch := h.people.all(); len(ch) != 1 || ch[0].Status != requests.Declined {
		t.Fatalf("the person was told %+v", ch)
	}
	if n := len(h.acts(r.ID)); n != 1 {
		t.Fatalf("%d actions recorded, want 1", n)
	}
	// Pressed once more: still told once, the card edited once.
	h.srv.PressAs(card, member, "Karim", "rq:dr:full:"+r.ID)
	h.answers(2)
	if n, e := len(h.people.all()), h.message(card.ID).Edited; n != 1 || e != 1 {
		t.Fatalf("told %d times, card edited %d times, want 1 and 1", n, e)
	}
}

// TestGroupBecomesSupergroup: Telegram gives the upgraded group a new id;
// the link follows, new cards go there and its buttons work.
func TestGroupBecomesSupergroup(t *testing.T) {
	h := newHarness(t)
	h.linked(lang.FR)
	super := h.group - 1_000_000_000_000
	h.srv.MigrateGroup(h.group, super, member)
	if !h.srv.WaitFor(func() bool {
		g, err := h.store.OrgOf(context.Background(), super)
		return err == nil && g.Org == "org-a"
	}, wait) {
		t.Fatal("the link did not follow the group to its supergroup")
	}
	if _, err := h.store.OrgOf(context.Background(), h.group); !errors.Is(err, requests.ErrNotFound) {
		t.Fatalf("the old group is still linked: %v", err)
	}
	h.group = super
	r := h.request("r00000000s1")
	card := h.card(r)
	h.srv.PressAs(card, member, "Karim", "rq:acc:"+r.ID)
	h.waitEdited(card.ID, 1)
	if got, _ := h.store.Get(context.Background(), r.ID); got.Status != requests.Accepted || len(h.people.all()) != 1 {
		t.Fatalf("a press in the supergroup: %s, person told %d times", got.Status, len(h.people.all()))
	}
}

// TestSenderFollowsAnUpgradedGroup: the service messages were missed; the
// next card to the old id is refused with the new one, and the link
// follows.
func TestSenderFollowsAnUpgradedGroup(t *testing.T) {
	h := newHarness(t)
	h.linked(lang.FR)
	super := h.group - 1_000_000_000_000
	h.srv.MigrateGroupQuietly(h.group, super)
	r := h.request("r00000000s2")
	if err := h.p.Deliver(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	if _, err := h.srv.WaitReceived(super, 1, wait); err != nil {
		t.Fatal(err)
	}
	if !h.srv.WaitFor(func() bool {
		g, err := h.store.OrgOf(context.Background(), super)
		return err == nil && g.Org == "org-a"
	}, wait) {
		t.Fatal("the link did not follow the group to its supergroup")
	}
}

func TestPressFromAGroupNotLinked(t *testing.T) {
	h := newHarness(t)
	h.linked(lang.FR)
	r := h.request("r00000000f1")
	card := h.card(r)
	// The same button, pressed in a group linked to nobody.
	stray := h.group - 7
	h.srv.SetGroup(stray, "Autre", false)
	fake := card
	fake.ChatID = stray
	h.srv.PressAs(fake, member, "Intrus", "rq:acc:"+r.ID)
	// The bot answers it as any press it does not know (once), and nothing changes.
	if got := h.answers(1); got[0] != "" {
		t.Fatalf("answered %q", got[0])
	}
	if got, _ := h.store.Get(context.Background(), r.ID); got.Status != requests.Sent || len(h.people.all()) != 0 {
		t.Fatalf("a press from a group not linked changed the request: %s", got.Status)
	}
}

func TestRemindRepliesToTheCard(t *testing.T) {
	h := newHarness(t)
	h.linked(lang.FR)
	r := h.request("r00000000b1")
	card := h.card(r)
	ctx := context.Background()
	for range 2 { // the clock retried: one reminder
		if err := h.p.Remind(ctx, r, 1); err != nil {
			t.Fatal(err)
		}
	}
	ms, err := h.srv.WaitReceived(h.group, 2, wait)
	if err != nil {
		t.Fatal(err)
	}
	rem := ms[1]
	if rem.Params["reply_to_message_id"] != strconv.FormatInt(card.ID, 10) || !strings.Contains(rem.Text, r.ID) || !strings.Contains(rem.Text, "Rappel") {
		t.Fatalf("reminder: %q %v", rem.Text, rem.Params)
	}
	if err := h.p.Remind(ctx, r, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := h.srv.WaitReceived(h.group, 3, wait); err != nil {
		t.Fatal(err)
	}
	if n := len(h.srv.Received(h.group)); n != 3 {
		t.Fatalf("%d messages, want the card and two reminders", n)
	}
}

func TestWithdraw(t *testing.T) {
	h := newHarness(t)
	h.linked(lang.FR)
	ctx := context.Background()
	r := h.request("r00000000c1")
	card := h.card(r)
	gone, err := h.store.Forget(ctx, r.Chat, h.clock.Now())
	if err != nil || len(gone) != 1 {
		t.Fatal(gone, err)
	}
	if err := h.p.Withdraw(ctx, &gone[0]); err != nil {
		t.Fatal(err)
	}
	card = h.waitEdited(card.ID, 1)
	for _, leak := range []string{"Salma", "+212600000001", "Bghit"} {
		if strings.Contains(card.Text, leak) {
			t.Fatalf("withdrawn card keeps %q: %s", leak, card.Text)
		}
	}
	if !strings.Contains(card.Text, r.ID) || !strings.Contains(card.Text, "retirée") || len(card.Buttons) != 0 {
		t.Fatalf("withdrawn card: %s %v", card.Text, data(card))
	}
	// A card whose id is not known (never sent here): a notice naming the
	// request only.
	r2 := gone[0]
	r2.ID = "r00000000c2"
	if err := h.p.Withdraw(ctx, &r2); err != nil {
		t.Fatal(err)
	}
	ms, err := h.srv.WaitReceived(h.group, 2, wait)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ms[1].Text, "r00000000c2") || strings.Contains(ms[1].Text, "Salma") {
		t.Fatalf("notice: %q", ms[1].Text)
	}
}

func TestDigestOncePerWeek(t *testing.T) {
	h := newHarness(t)
	h.linked(lang.FR)
	ctx := context.Background()
	casa, _ := time.LoadLocation("Africa/Casablanca")
	h.clock.Set(time.Date(2026, 12, 2, 10, 0, 0, 0, casa)) // the week before
	a := h.request("r00000000g1")
	h.request("r00000000g2")
	if _, err := h.store.Act(ctx, a.ID, requests.Accept, "", "", "x", h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	// Sunday evening: not yet.
	h.clock.Set(time.Date(2026, 12, 6, 20, 0, 0, 0, casa))
	if err := h.p.Digests(ctx); err != nil {
		t.Fatal(err)
	}
	// Monday 09:00: two replicas at once, then one again later.
	h.clock.Set(time.Date(2026, 12, 7, 9, 0, 0, 0, casa))
	other := h.partners()
	var wg sync.WaitGroup
	for _, p := range []interface{ Digests(context.Context) error }{h.p, other} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := p.Digests(ctx); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	h.clock.Set(time.Date(2026, 12, 8, 15, 0, 0, 0, casa))
	if err := h.p.Digests(ctx); err != nil {
		t.Fatal(err)
	}
	ms, err := h.srv.WaitReceived(h.group, 1, wait)
	if err != nil {
		t.Fatal(err)
	}
	d := ms[0].Text
	for _, want := range []string{"Association Amal", "reçues : 2", "en attente de réponse : 1", "acceptées : 1", "30/11/2026"} {
		if !strings.Contains(d, want) {
			t.Errorf("digest lacks %q:\n%s", want, d)
		}
	}
	// Whatever else is still in flight would have arrived by now: a
	// message posted after the digests comes after them.
	h.linked(lang.FR)
	h.card(h.request("r00000000g3"))
	if n := len(h.srv.Received(h.group)); n != 2 {
		t.Fatalf("%d messages, want one digest and one card:%s", n, bottest.Texts(h.srv.Received(h.group)))
	}
	// The next week: a new digest.
	h.clock.Set(time.Date(2026, 12, 14, 9, 30, 0, 0, casa))
	if err := h.p.Digests(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := h.srv.WaitReceived(h.group, 3, wait); err != nil {
		t.Fatal(err)
	}
}

// /forget after the organisation declined: the card of the closed request
// loses the person's data too, and says they had it erased (not that they
// withdrew a request already answered).
func TestWithdrawClosed(t *testing.T) {
	h := newHarness(t)
	h.linked(lang.FR)
	ctx := context.Background()
	r := h.request("r00000000c4")
	card := h.card(r)
	if _, err := h.store.Act(ctx, r.ID, requests.Decline, requests.Full, "", "m", h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	gone, err := h.store.Forget(ctx, r.Chat, h.clock.Now())
	if err != nil || len(gone) != 1 || gone[0].Status != requests.Declined {
		t.Fatal(gone, err)
	}
	if err := h.p.Withdraw(ctx, &gone[0]); err != nil {
		t.Fatal(err)
	}
	card = h.waitEdited(card.ID, 1)
	for _, leak := range []string{"Salma", "+212600000001", "Bghit"} {
		if strings.Contains(card.Text, leak) {
			t.Fatalf("closed card keeps %q: %s", leak, card.Text)
		}
	}
	if !strings.Contains(card.Text, r.ID) || !strings.Contains(card.Text, "effacement de ses données") || strings.Contains(card.Text, "retirée") {
		t.Fatalf("closed card after /forget: %s", card.Text)
	}
}

func TestWithdrawBeforeTheCardIsOut(t *testing.T) {
	h := newHarness(t)
	h.linked(lang.FR)
	ctx := context.Background()
	// 20 cards fill the group's limit: the 21st waits its turn.
	for i := range 20 {
		if err := h.p.Deliver(ctx, h.request("r00000002"+strconv.Itoa(10+i))); err != nil {
			t.Fatal(err)
		}
	}
	r := h.request("r00000000c3")
	if err := h.p.Deliver(ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := h.p.Withdraw(ctx, r); err != nil {
		t.Fatal(err)
	}
	// The card goes out first (the chat's order), then the notice, and the
	// card is edited as soon as it is out.
	ms, err := h.srv.WaitReceived(h.group, 22, wait)
	if err != nil {
		t.Fatal(err)
	}
	card, notice := ms[20], ms[21]
	if !strings.Contains(notice.Text, r.ID) || strings.Contains(notice.Text, "Salma") {
		t.Fatalf("notice: %q", notice.Text)
	}
	card = h.waitEdited(card.ID, 1)
	if strings.Contains(card.Text, "Salma") || !strings.Contains(card.Text, "retirée") || len(card.Buttons) != 0 {
		t.Fatalf("card after the withdrawal: %s", card.Text)
	}
}

func TestLinkedGroupChatterIsNotAnswered(t *testing.T) {
	h := newHarness(t)
	h.linked(lang.FR)
	card := h.card(h.request("r00000000h1"))
	// A member replies to a card and sends a command: the bot, which asks
	// stray groups to talk in private, says nothing here.
	h.srv.GroupMessage(h.group, member, map[string]any{"text": "On la rappelle demain", "reply_to_message": h.srv.Ref(card)})
	h.srv.GroupText(h.group, member, "/start")
	// A press after them: a group's updates are handled in order, so once
	// the card is edited the chatter was handled (the bot's notice to a
	// stray group goes out while it handles the update).
	h.srv.PressAs(card, member, "Karim", "rq:acc:"+card.Buttons[0][0].Data[len("rq:acc:"):])
	h.waitEdited(card.ID, 1)
	// A group linked to nobody does get the notice.
	stray := h.group - 9
	h.srv.SetGroup(stray, "Autre", false)
	h.srv.GroupText(stray, member, "/start")
	if _, err := h.srv.WaitReceived(stray, 1, wait); err != nil {
		t.Fatal(err)
	}
	if n := len(h.srv.Received(h.group)); n != 1 {
		t.Fatalf("%d messages in the organisation's group, want the card alone:%s", n, bottest.Texts(h.srv.Received(h.group)))
	}
}

// Cards go out under Telegram's group limit (20 messages a minute; a
// second in these tests): a burst of requests waits its turn, none is lost.
func TestCardsKeepTheGroupLimit(t *testing.T) {
	h := newHarness(t)
	h.linked(lang.FR)
	ctx := context.Background()
	const n = 22
	for i := range n {
		if err := h.p.Deliver(ctx, h.request("r00000001"+strconv.Itoa(10+i))); err != nil {
			t.Fatal(err)
		}
	}
	ms, err := h.srv.WaitReceived(h.group, n, wait)
	if err != nil {
		t.Fatal(err)
	}
	if d := ms[20].At.Sub(ms[0].At); d < 900*time.Millisecond {
		t.Fatalf("21 cards within %v: over the group's limit", d)
	}
}

// marker puts a reminder in the group's outbox after what the test did and
// waits for it: the outbox sends a chat's messages in order, so whatever
// was owed before it is out too.
func (h *harness) marker(r *requests.Request, n int) {
	h.t.Helper()
	before := len(h.srv.Received(h.group))
	if err := h.p.Remind(context.Background(), r, n); err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.srv.WaitReceived(h.group, before+1, wait); err != nil {
		h.t.Fatal(err)
	}
}

func TestRefreshAfterAConsoleAnswer(t *testing.T) {
	h := newHarness(t)
	h.linked(lang.FR)
	ctx := context.Background()
	r := h.request("r00000000e1")
	card := h.card(r)
	nr, err := h.store.Act(ctx, r.ID, requests.Accept, "", "", "console:1", h.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // the console's action repeated: one edit
		if err := h.p.Refresh(ctx, nr); err != nil {
			t.Fatal(err)
		}
	}
	got := h.waitEdited(card.ID, 1)
	if !strings.Contains(got.Text, "✅") || hasButton(got, "rq:acc:"+r.ID) || !hasButton(got, "rq:con:"+r.ID) {
		t.Fatalf("card after the console's answer: %s %v", got.Text, data(got))
	}
	h.marker(nr, 1)
	if n := h.message(card.ID).Edited; n != 1 {
		t.Fatalf("card edited %d times, want once", n)
	}
	if len(h.people.all()) != 0 {
		t.Fatal("Refresh told the person: the console does")
	}
}

func TestLapsedMarksTheCard(t *testing.T) {
	for _, l := range []lang.Lang{lang.FR, lang.AR} {
		t.Run(string(l), func(t *testing.T) {
			h := newHarness(t)
			h.linked(l)
			tr := locales.MustDefault()
			ctx := context.Background()
			r := h.request("r00000000f1")
			card := h.card(r)
			lapsed := *r
			requests.Carried(&lapsed, requests.DueLapse, h.clock.Now())
			if lapsed.Status != requests.Lapsed {
				t.Fatalf("carried to %s", lapsed.Status)
			}
			for range 2 { // the clock retried the step: one edit
				if err := h.p.Lapsed(ctx, &lapsed); err != nil {
					t.Fatal(err)
				}
			}
			got := h.waitEdited(card.ID, 1)
			if !strings.Contains(got.Text, tr.T(l, "partners.status.lapsed", nil)) {
				t.Fatalf("lapsed card: %s", got.Text)
			}
			// A late answer is taken: the buttons stay.
			if !hasButton(got, "rq:acc:"+r.ID) || !hasButton(got, "rq:dec:"+r.ID) {
				t.Fatalf("lapsed card's buttons: %v", data(got))
			}
			h.marker(&lapsed, 1)
			if n := h.message(card.ID).Edited; n != 1 {
				t.Fatalf("card edited %d times, want once", n)
			}
		})
	}
}

func TestRefreshWithoutACard(t *testing.T) {
	h := newHarness(t)
	h.linked(lang.FR)
	ctx := context.Background()
	r := h.request("r00000000g1") // never delivered: no card to edit
	if err := h.p.Refresh(ctx, r); err != nil {
		t.Fatal(err)
	}
	other := *r
	other.Org = "org-without-group"
	if err := h.p.Refresh(ctx, &other); err != nil {
		t.Fatal(err)
	}
	h.marker(r, 1)
	if ms := h.srv.Received(h.group); len(ms) != 1 || ms[0].Edited != 0 {
		t.Fatalf("group got %d messages, want only the marker", len(ms))
	}
}
