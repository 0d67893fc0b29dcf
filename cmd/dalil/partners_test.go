package main

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dalil-tt/dalil/bot/bottest"
	"github.com/dalil-tt/dalil/catalogue/postgres/pgtest"
	"github.com/dalil-tt/dalil/internal/lang"
	"github.com/dalil-tt/dalil/internal/redistest"
	"github.com/dalil-tt/dalil/requests"
)

// dalil serve with the advisers' desk and the partners chained: /link in
// an organisation's group links it, a request's card arrives there, a
// press on it is recorded; the advisers' group is still the desk's.
func TestServePartners(t *testing.T) {
	srv := bottest.New(bottest.Options{})
	t.Cleanup(srv.Close)
	const advisers, orgGroup, member = -1001234567890, -1009876543210, 6_789_677_001
	srv.SetGroup(advisers, "Conseillers", false)
	srv.SetGroup(orgGroup, "Association", false)
	env := map[string]string{
		"TELEGRAM_BOT_TOKEN": srv.Token(), "TELEGRAM_API_URL": srv.APIURL(),
		"REDIS_URL": redistest.URL(t), "DATABASE_URL": pgtest.NewDB(t),
		"ADVISERS_CHAT_ID": strconv.Itoa(advisers),
	}
	var m *Main
	serveWith(t, env, func(opened *Main) { m = opened })
	if m.Partners == nil || m.RequestOrgs == nil {
		t.Fatal("serve with DATABASE_URL has no organisations' side")
	}
	ctx := context.Background()
	svcs, err := m.Catalogue.Services(ctx)
	if err != nil || len(svcs) == 0 {
		t.Fatalf("catalogue: %v", err)
	}
	org := svcs[0].Org.ID
	code, err := m.Requests.NewLinkCode(ctx, org, lang.FR, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	srv.GroupText(orgGroup, member, "/link "+code)
	if g := received(t, srv, orgGroup, 1); !strings.HasPrefix(g[0].Text, "✅") {
		t.Fatalf("link: %s", bottest.Texts(g))
	}
	r := &requests.Request{Service: svcs[0].ID, Org: org, Chat: 1<<33 + 7, SentAt: time.Now(),
		Shared: requests.Shared{FirstName: "Salma", Lang: lang.FR}}
	if err := m.Requests.Create(ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := m.RequestOrgs.Deliver(ctx, r); err != nil {
		t.Fatal(err)
	}
	card := received(t, srv, orgGroup, 2)[1]
	if !strings.Contains(card.Text, "Salma") || len(card.Buttons) == 0 {
		t.Fatalf("card: %s", bottest.Texts([]bottest.Message{card}))
	}
	srv.PressAs(card, member, "Karim", "rq:acc:"+r.ID)
	if !srv.WaitFor(func() bool {
		got, err := m.Requests.Get(ctx, r.ID)
		return err == nil && got.Status == requests.Accepted
	}, 10*time.Second) {
		t.Fatal("the press was not recorded")
	}
}
