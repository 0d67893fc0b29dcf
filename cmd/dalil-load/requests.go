package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/redis/go-redis/v9"

	"github.com/dalil-tt/dalil/bot"
	"github.com/dalil-tt/dalil/bot/bottest"
	"github.com/dalil-tt/dalil/bot/outbox"
	"github.com/dalil-tt/dalil/bot/partners"
	"github.com/dalil-tt/dalil/bot/telegram"
	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/catalogue/postgres"
	"github.com/dalil-tt/dalil/dialog"
	"github.com/dalil-tt/dalil/dialog/nlu"
	"github.com/dalil-tt/dalil/dialog/redisstore"
	"github.com/dalil-tt/dalil/dialog/trees"
	"github.com/dalil-tt/dalil/internal/lang"
	"github.com/dalil-tt/dalil/internal/pseudonym"
	"github.com/dalil-tt/dalil/locales"
	"github.com/dalil-tt/dalil/requests"
	reqpg "github.com/dalil-tt/dalil/requests/postgres"
	"github.com/dalil-tt/dalil/staff"
)

// The requests scenario (-requests): simulated users send requests to
// organisations whose Telegram groups are linked, and the figure is the
// time from the person's last yes (the update that lets the request go)
// to the organisation's card reaching the fake Bot API. Each user first
// walks to the services (random answers), presses "send my request" on the first card, adds a question that
// names them (how a card is told apart) and says yes to the preview,
// untimed; then the last yeses come at a fixed rate (open loop), so the
// rate does not depend on how fast the bot answers.

// groupBase is the first organisation group's chat id (a supergroup's).
const groupBase = -1001000000000

var questionTag = regexp.MustCompile(`charge q(\d+)`)

// runRequests plays users requests at each rate (requests/s).
func runRequests(ctx context.Context, rdb *redis.Client, dbURL string, pg *postgres.Store, users int, rates []float64, chatLimit bool) error {
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		return fmt.Errorf("requests scenario: %w", err)
	}
	defer pool.Close()
	db := stdlib.OpenDBFromPool(pool)
	// The requests' schema reads the console's partner accounts.
	for _, m := range []func(context.Context, *sql.DB) error{staff.MigrateDB, reqpg.MigrateDB} {
		if err := m(ctx, db); err != nil {
			db.Close()
			return fmt.Errorf("requests scenario: migrating: %w", err)
		}
	}
	db.Close()
	for _, rate := range rates {
		if err := requestsRound(ctx, rdb, pool, pg, users, rate, chatLimit); err != nil {
			return err
		}
	}
	return nil
}

// sender is what the partners need of the bot, bound once it is built
// (the bot needs the partners' Intercept first), as in cmd/dalil.
type sender struct{ b *bot.Bot }

func (s *sender) Put(ctx context.Context, chat int64, once string, msgs ...outbox.Message) (bool, error) {
	return s.b.Put(ctx, chat, once, msgs...)
}

func (s *sender) AnswerPress(ctx context.Context, chat int64, id, text string) error {
	return s.b.AnswerPress(ctx, chat, id, text)
}

type people struct{ b *sender }

func (p people) Changed(ctx context.Context, r *requests.Request) error { return p.b.b.Changed(ctx, r) }
func (p people) Lapsed(ctx context.Context, r *requests.Request) error  { return p.b.b.Lapsed(ctx, r) }
func (p people) FollowUp(ctx context.Context, r *requests.Request, n int) error {
	return p.b.b.FollowUp(ctx, r, n)
}

// requestUser is one simulated user: their chat and the message whose
// "yes" sends their request.
type requestUser struct {
	chat int64
	ask  bottest.Message
}

func requestsRound(ctx context.Context, rdb *redis.Client, pool *pgxpool.Pool, pg *postgres.Store, users int, rate float64, chatLimit bool) error {
	prefix := fmt.Sprintf("loadreq%d", time.Now().UnixNano())
	defer cleanup(rdb, prefix)
	if _, err := pool.Exec(ctx, `TRUNCATE requests, request_events, org_groups, org_link_codes`); err != nil {
		return fmt.Errorf("emptying the requests of the last round: %w", err)
	}
	in := newInbox(users)
	var mu sync.Mutex
	yes := map[int64]time.Time{}
	var lat []time.Duration
	groups := map[int64]int{} // cards by group
	cards := make(chan struct{}, users)
	onSend := func(chat int64, m *bottest.Message) {
		if chat > groupBase+1000 || chat <= groupBase-1000 {
			in.onSend(chat, m)
			return
		}
		q := questionTag.FindStringSubmatch(m.Text)
		if q == nil {
			return
		}
		user, _ := strconv.ParseInt(q[1], 10, 64)
		mu.Lock()
		if at, ok := yes[user]; ok {
			lat = append(lat, m.At.Sub(at))
			groups[chat]++
			delete(yes, user)
			cards <- struct{}{}
		}
		mu.Unlock()
	}
	srv := bottest.New(bottest.Options{NoRecord: true, OnSend: onSend, OnDeliver: in.onDeliver})
	defer srv.Close()
	client, err := telegram.New(ctx, srv.Token(), srv.APIURL(), nil)
	if err != nil {
		return err
	}
	tree, err := dialog.Parse(trees.Default)
	if err != nil {
		return err
	}
	tr, err := locales.Load()
	if err != nil {
		return err
	}
	store := reqpg.New(pool)
	// Every organisation of the demo catalogue has a group, in French.
	var orgs []string
	for _, s := range catalogue.Demo() {
		if !slices.Contains(orgs, s.Org.ID) {
			orgs = append(orgs, s.Org.ID)
		}
	}
	for i, org := range orgs {
		chat := int64(groupBase - i)
		srv.SetGroup(chat, org, false)
		code, err := store.NewLinkCode(ctx, org, lang.FR, time.Now().Add(time.Hour))
		if err != nil {
			return fmt.Errorf("linking %s's group: %w", org, err)
		}
		if _, err := store.Link(ctx, code, chat, time.Now()); err != nil {
			return fmt.Errorf("linking %s's group: %w", org, err)
		}
	}
	key := make([]byte, 32)
	rand.Read(key)
	keys, err := pseudonym.New(key)
	if err != nil {
		return err
	}
	out := &sender{}
	names := &partners.Catalogue{List: func(ctx context.Context) ([]*catalogue.Service, error) { return pg.Services(ctx) }, TTL: 5 * time.Minute}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	p, err := partners.New(partners.Options{Store: store, Out: out, People: people{out}, T: tr, Names: names, Orgs: names.Orgs,
		Pseudonyms: keys, Redis: rdb, Prefix: prefix + ":partners", BotName: client.Self.Username, Log: quiet})
	if err != nil {
		return err
	}
	b, err := bot.New(bot.Options{
		Client: client, Store: redisstore.New(rdb, redisstore.Options{Prefix: prefix}), Engine: &dialog.Engine{Tree: tree, NLU: nlu.Default(), T: tr},
		Matcher: pg, T: tr, ChatInterval: botChatInterval(chatLimit), Intercept: p.Intercept,
		Finder: pg, Requests: store, Organisations: p, AfterSend: p.AfterSend(), Log: quiet,
	})
	if err != nil {
		return err
	}
	out.b = b
	bctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- b.Run(bctx) }()
	defer func() {
		cancel()
		<-done
	}()

	// Untimed: each user up to the last yes, 64 at a time.
	ready := make([]requestUser, 0, users)
	var rmu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	failed := 0
	for u := range users {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ru, err := prepare(srv, in, u)
			rmu.Lock()
			defer rmu.Unlock()
			if err != nil {
				failed++
				if failed == 1 {
					fmt.Println("  a user did not reach the last yes:", err)
				}
				return
			}
			ready = append(ready, ru)
		}()
	}
	wg.Wait()

	// Timed: the last yeses at rate per second.
	every := time.Duration(float64(time.Second) / rate)
	start := time.Now()
	for i, ru := range ready {
		time.Sleep(time.Until(start.Add(time.Duration(i) * every)))
		mu.Lock()
		yes[ru.chat] = time.Now()
		mu.Unlock()
		srv.PressLabel(ru.ask, "Oui")
	}
	sent := time.Since(start)
	got := 0
	timeout := time.After(30 * time.Second)
wait:
	for got < len(ready) {
		select {
		case <-cards:
			got++
		case <-timeout:
			break wait
		}
	}
	mu.Lock()
	defer mu.Unlock()
	most := 0
	for _, n := range groups {
		most = max(most, n)
	}
	fmt.Printf("requests at %5.0f/s (offered %.0f/s): %d sent, %d cards to %d groups (at most %d to one); yes → card p50 %6.2fms p99 %6.2fms max %6.2fms",
		rate, float64(len(ready))/sent.Seconds(), len(ready), len(lat), len(groups), most, ms(pct(lat, .5)), ms(pct(lat, .99)), ms(pct(lat, 1)))
	if failed > 0 {
		fmt.Printf("; %d users did not reach the yes", failed)
	}
	fmt.Println()
	return nil
}

// prepare walks user u to the services (French, random answers), presses
// "send my request" on the first card, adds a question naming the user
// and says yes to the preview; it returns the follow-up question whose
// "yes" sends the request.
func prepare(srv *bottest.Server, in *inbox, u int) (requestUser, error) {
	chat := in.base + int64(u)
	ch := in.chans[u]
	r := mrand.New(mrand.NewPCG(uint64(u), 17))
	// next waits for a message with a button whose data or label has one of prefixes.
	next := func(what string, match func(b bottest.Button) bool) (bottest.Message, error) {
		timeout := time.After(20 * time.Second)
		for {
			select {
			case m := <-ch:
				for _, row := range m.Buttons {
					for _, b := range row {
						if match(b) {
							return m, nil
						}
					}
				}
			case <-timeout:
				return bottest.Message{}, fmt.Errorf("user %d: no %s", u, what)
			}
		}
	}
	data := func(prefix string) func(bottest.Button) bool {
		return func(b bottest.Button) bool { return strings.HasPrefix(b.Data, prefix) }
	}
	label := func(l string) func(bottest.Button) bool {
		return func(b bottest.Button) bool { return strings.Contains(b.Text, l) }
	}
	srv.Text(chat, "/start")
	m, err := next("language", data("lang:"))
	if err != nil {
		return requestUser{}, err
	}
	srv.Press(m, "lang:fr")
	for range 15 {
		m, err = next("question or service", func(b bottest.Button) bool {
			return strings.HasPrefix(b.Data, "c:") || strings.HasPrefix(b.Data, "yn:") || strings.HasPrefix(b.Data, "rq:")
		})
		if err != nil {
			return requestUser{}, err
		}
		if d := buttonData(m, "rq:"); d != "" {
			srv.Press(m, d)
			break
		}
		// A random answer: the requests go to several organisations.
		var ds []string
		for _, row := range m.Buttons {
			for _, b := range row {
				if strings.HasPrefix(b.Data, "c:") || strings.HasPrefix(b.Data, "yn:") {
					ds = append(ds, b.Data)
				}
			}
		}
		srv.Press(m, ds[r.IntN(len(ds))])
	}
	m, err = next("preview", label("Ajouter ma question"))
	if err != nil {
		return requestUser{}, err
	}
	srv.PressLabel(m, "Ajouter ma question")
	srv.Text(chat, "Test de charge q"+strconv.FormatInt(chat, 10))
	m, err = next("preview with the question", label("Oui, envoyer"))
	if err != nil {
		return requestUser{}, err
	}
	if !strings.Contains(m.Text, "charge q") {
		// The preview before the question: the one after comes next.
		if m, err = next("preview with the question", label("Oui, envoyer")); err != nil {
			return requestUser{}, err
		}
	}
	srv.PressLabel(m, "Oui, envoyer")
	m, err = next("follow-up question", label("Oui"))
	if err != nil {
		return requestUser{}, err
	}
	return requestUser{chat: chat, ask: m}, nil
}

// buttonData is the data of m's first button whose data starts with prefix.
func buttonData(m bottest.Message, prefix string) string {
	for _, row := range m.Buttons {
		for _, b := range row {
			if strings.HasPrefix(b.Data, prefix) {
				return b.Data
			}
		}
	}
	return ""
}
