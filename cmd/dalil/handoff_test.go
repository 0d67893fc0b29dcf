package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dalil-tt/dalil/bot/bottest"
	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/catalogue/postgres/pgtest"
	"github.com/dalil-tt/dalil/internal/redistest"
)

// dalil serve with ADVISERS_CHAT_ID: /adviser posts a card in the user's
// topic, the user's messages reach it, a member's answer in the topic
// reaches the user (a non-member's does not), /close gives the user back
// to the tree with the question they had reached.
func TestServeHandoff(t *testing.T) {
	srv := bottest.New(bottest.Options{})
	t.Cleanup(srv.Close)
	const group, user, adviser, stranger = -1001234567890, 555101, 7001, 7002
	srv.SetGroup(group, "Conseillers", true)
	srv.SetMember(group, adviser, "member")
	srv.SetName(user, "Amina")
	env := map[string]string{
		"TELEGRAM_BOT_TOKEN": srv.Token(), "TELEGRAM_API_URL": srv.APIURL(),
		"REDIS_URL": redistest.URL(t), "DATABASE_URL": pgtest.NewDB(t),
		"ADVISERS_CHAT_ID": strconv.Itoa(group), "HANDOFF_HOURS": "Mon-Sun 00:00-24:00",
	}
	addr, stop := serve(t, env)
	wait := func(chat int64, n int) []bottest.Message {
		t.Helper()
		ms, err := srv.WaitReceived(chat, n, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		return ms
	}
	srv.Text(user, "/start")
	srv.Press(wait(user, 1)[0], "lang:fr")
	wait(user, 2)
	srv.Text(user, "/adviser")
	wait(user, 4)
	card := wait(group, 1)[0]
	if card.ThreadID == 0 || !strings.Contains(card.Text, "Amina · français") || len(card.Buttons) == 0 {
		t.Fatalf("card: %+v", card)
	}
	srv.Text(user, "Bonjour, j'ai besoin d'aide pour ma coopérative")
	if g := wait(group, 2); g[1].Text != "Bonjour, j'ai besoin d'aide pour ma coopérative" || g[1].ThreadID != card.ThreadID {
		t.Fatalf("user → topic: %s", bottest.Texts(g))
	}
	topic := func(from int64, text string) {
		srv.GroupMessage(group, from, map[string]any{"text": text, "message_thread_id": card.ThreadID, "is_topic_message": true,
			"from": map[string]any{"id": from, "is_bot": false, "first_name": "Karim"}})
	}
	topic(stranger, "je ne suis pas conseiller")
	topic(adviser, "Bonjour, je suis Karim, je vous écoute.")
	u := wait(user, 6)
	if !strings.Contains(u[4].Text, "Karim") || u[5].Text != "Bonjour, je suis Karim, je vous écoute." {
		t.Fatalf("adviser → user: %s", bottest.Texts(u))
	}
	topic(adviser, "/close")
	u = wait(user, 8)
	if !strings.Contains(u[6].Text, "terminée") || len(u[7].Buttons) == 0 {
		t.Fatalf("close: %s", bottest.Texts(u[6:]))
	}
	if strings.Contains(bottest.Texts(u), "pas conseiller") {
		t.Fatalf("a non-member reached the user: %s", bottest.Texts(u))
	}
	// The desk's counters are on the bot's /metrics.
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`dalil_handoff_requests_total{hours="office"} 1`, "dalil_handoff_cards_posted_total 1",
		`dalil_handoff_taken_total{how="answer"} 1`, `dalil_handoff_closed_total{outcome="closed"} 1`,
		`dalil_handoff_messages_relayed_total{direction="to_advisers"} 1`, `dalil_handoff_messages_relayed_total{direction="to_user"} 1`,
		`dalil_updates_total{outcome="handled"}`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if err := stop(); err != nil {
		t.Fatalf("serve stopped with %v", err)
	}
}

// The card's service names come from the catalogue serve answers from.
func TestHandoffServiceNames(t *testing.T) {
	names := serviceNames(catalogue.NewMemory(catalogue.Demo()))
	if names == nil {
		t.Fatal("no names for the in-memory catalogue")
	}
	got, err := names(context.Background(), []string{"demo-jisr-creation", "gone"})
	if err != nil || got["demo-jisr-creation"] != "Jisr Microcrédit (fictif) — Microcrédit de démarrage" || got["gone"] != "" {
		t.Fatalf("names: %q %v", got, err)
	}
	pg, err := openCatalogue(context.Background(), pgtest.NewDB(t), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	got, err = serviceNames(pg)(context.Background(), []string{"demo-cri-creation"})
	if err != nil || got["demo-cri-creation"] != "Centre Régional d'Investissement du Nord (fictif) — Création d'entreprise au guichet unique" {
		t.Fatalf("names from PostgreSQL: %q %v", got, err)
	}
}
