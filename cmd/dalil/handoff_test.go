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

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dalil-tt/dalil/bot/bottest"
	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/catalogue/postgres/pgtest"
	"github.com/dalil-tt/dalil/internal/proctest"
	"github.com/dalil-tt/dalil/internal/redistest"
)

// dalil serve with ADVISERS_CHAT_ID: /adviser posts a card in the user's
// topic, the user's messages reach it, a member's answer in the topic
// reaches the user (a non-member's does not), /close gives the user back
// to the tree with the question they had reached.
func TestServeHandoff(t *testing.T) {
	srv := bottest.New(bottest.Options{})
	t.Cleanup(srv.Close)
	const group, user, adviser, stranger = -1001234567890, 1<<33 + 555101, 6789677001, 6789677002
	srv.SetGroup(group, "Conseillers", true)
	srv.SetMember(group, adviser, "member")
	srv.SetName(user, "Amina")
	env := map[string]string{
		"TELEGRAM_BOT_TOKEN": srv.Token(), "TELEGRAM_API_URL": srv.APIURL(),
		"REDIS_URL": redistest.URL(t), "DATABASE_URL": pgtest.NewDB(t),
		"ADVISERS_CHAT_ID": strconv.Itoa(group), "HANDOFF_HOURS": "Mon-Sun 00:00-24:00",
	}
	addr, stop := serve(t, env)
	wait := func(chat int64, n int) []bottest.Message { return received(t, srv, chat, n) }
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
	if g := wait(group, 2); g[1].Text != "💬 La personne écrit :\nBonjour, j'ai besoin d'aide pour ma coopérative" || g[1].ThreadID != card.ThreadID {
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
	// The catalogue as serve opens it: migrated, the demo loaded.
	ctx := context.Background()
	m := &Main{Config: &Config{}, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	defer m.Close()
	if m.DB, err = openPool(ctx, pgtest.NewDB(t)); err != nil {
		t.Fatal(err)
	}
	m.onClose(m.DB.Close)
	if _, err := migrateAll(ctx, m.DB); err != nil {
		t.Fatal(err)
	}
	if err := m.openCatalogue(ctx); err != nil {
		t.Fatal(err)
	}
	got, err = serviceNames(m.Catalogue)(context.Background(), []string{"demo-cri-creation"})
	if err != nil || got["demo-cri-creation"] != "Centre Régional d'Investissement du Nord (fictif) — Création d'entreprise au guichet unique" {
		t.Fatalf("names from PostgreSQL: %q %v", got, err)
	}
}

// serve stops at start with one line naming PSEUDONYM_KEY when it is
// missing or malformed (the bot token is no substitute).
func TestServeNeedsPseudonymKey(t *testing.T) {
	for _, key := range []string{"", "REPLACE_WITH_openssl_rand_hex_32", "abcd"} {
		code, _, stderr := runWithEnv(t, map[string]string{"TELEGRAM_BOT_TOKEN": "123:abc", "PSEUDONYM_KEY": key,
			"TELEGRAM_API_URL": "http://127.0.0.1:1", "DATABASE_URL": "postgres://127.0.0.1:1/none"}, "", "serve")
		if code == 0 || !strings.Contains(stderr, "PSEUDONYM_KEY") || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
			t.Errorf("PSEUDONYM_KEY=%q: exit %d, stderr %q", key, code, stderr)
		}
	}
}

// The README tells operators to replace a leaked bot token. After that,
// /forget must still erase the user's handoffs in PostgreSQL, the kept
// texts (with a phone number) included: the keys there come from
// PSEUDONYM_KEY, not from the token.
func TestServeForgetAfterTheTokenIsReplaced(t *testing.T) {
	const group, user = -1001234567890 - 7, int64(1)<<33 + 4242
	db, rds := pgtest.NewDB(t), redistest.URL(t)
	env := func(srv *bottest.Server) map[string]string {
		srv.SetGroup(group, "Conseillers", true)
		srv.SetName(user, "Amina")
		return map[string]string{"TELEGRAM_BOT_TOKEN": srv.Token(), "TELEGRAM_API_URL": srv.APIURL(),
			"REDIS_URL": rds, "DATABASE_URL": db, "ADVISERS_CHAT_ID": strconv.Itoa(group),
			"HANDOFF_HOURS": "Mon-Sun 00:00-24:00", "HANDOFF_RETENTION": "720h"}
	}
	wait := func(srv *bottest.Server, chat int64, n int) []bottest.Message { return received(t, srv, chat, n) }
	before := bottest.New(bottest.Options{Token: "111111:the-leaked-token"})
	t.Cleanup(before.Close)
	_, stop := serve(t, env(before))
	before.Text(user, "/start")
	before.Press(wait(before, user, 1)[0], "lang:fr")
	wait(before, user, 2)
	before.Text(user, "/adviser")
	wait(before, group, 1)
	before.Text(user, "Rappelez-moi au 0612345678")
	wait(before, group, 2)
	pool, err := pgxpool.New(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	count := func() (rows, texts int) {
		t.Helper()
		if err := pool.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM handoffs), (SELECT count(*) FROM handoff_messages)`).Scan(&rows, &texts); err != nil {
			t.Fatal(err)
		}
		return rows, texts
	}
	// The text is kept just after it is relayed.
	proctest.WaitFor(10*time.Second, func() bool { rows, texts := count(); return rows == 1 && texts == 1 })
	if rows, texts := count(); rows != 1 || texts != 1 {
		t.Fatalf("before: %d handoffs, %d texts", rows, texts)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	after := bottest.New(bottest.Options{Token: "222222:the-new-token"})
	t.Cleanup(after.Close)
	_, stop = serve(t, env(after))
	after.Text(user, "/forget")
	if _, ok := after.PressLabel(wait(after, user, 1)[0], "✅ Oui"); !ok {
		t.Fatalf("no confirm button: %s", bottest.Texts(after.Received(user)))
	}
	got := wait(after, user, 3)
	if !strings.Contains(got[1].Text, "effacé") || !strings.Contains(got[2].Text, "groupe des conseillers") {
		t.Fatalf("/forget: want the confirmation, then what became of the advisers' group: %s", bottest.Texts(got))
	}
	if d := after.Calls("deleteForumTopic"); len(d) != 1 {
		t.Fatalf("the user's topic was not deleted: %+v", d)
	}
	if rows, texts := count(); rows != 0 || texts != 0 {
		t.Fatalf("the user was told all is erased, but %d handoffs and %d texts (a phone number) are left", rows, texts)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

// received waits until chat has received n messages from the fake Bot API
// and returns them, failing the test after ten seconds.
func received(t *testing.T, srv *bottest.Server, chat int64, n int) []bottest.Message {
	t.Helper()
	ms, err := srv.WaitReceived(chat, n, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}
