package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/dalil-tt/dalil/bot"
	"github.com/dalil-tt/dalil/bot/handoff"
	"github.com/dalil-tt/dalil/bot/partners"
	"github.com/dalil-tt/dalil/bot/telegram"
	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/catalogue/postgres"
	"github.com/dalil-tt/dalil/dialog/redisstore"
	"github.com/dalil-tt/dalil/dialog/treestore"
	"github.com/dalil-tt/dalil/internal/gctune"
	"github.com/dalil-tt/dalil/locales"
	"github.com/dalil-tt/dalil/requests"
	reqpg "github.com/dalil-tt/dalil/requests/postgres"
)

// runServe runs the Telegram bot and the HTTP server: Main opens, runs and
// closes everything.
func runServe(ctx context.Context, args []string, s stdio) error {
	if len(args) > 0 {
		return fmt.Errorf("serve takes no arguments (settings come from the environment)")
	}
	m, err := newMain(s.getenv)
	if err != nil {
		return err
	}
	defer m.Close()
	if err := m.Open(ctx); err != nil {
		return err
	}
	return m.Run(ctx)
}

// newMain reads serve's settings and tunes the runtime for a server.
func newMain(getenv func(string) string) (*Main, error) {
	cfg, err := loadConfig(getenv, "TELEGRAM_BOT_TOKEN")
	if err != nil {
		return nil, err
	}
	if cfg.DatabaseURL != "" && !cfg.Pseudonyms.Valid() {
		// PostgreSQL keeps users under pseudonyms (handoff records): without
		// a key of its own /forget could not find them after a rotation.
		// Without PostgreSQL nothing is kept under them.
		return nil, &ConfigError{"PSEUDONYM_KEY", "is required with DATABASE_URL (at least 32 random bytes, hex: openssl rand -hex 32)"}
	}
	log := slog.Default()
	if gc := gctune.Apply(getenv, "/sys/fs/cgroup"); gc.Percent != 0 {
		log.Info("garbage collector tuned for a server", "gogc", gc.Percent, "memory_limit_bytes", gc.MemoryLimit)
	}
	return &Main{Config: cfg, Log: log}, nil
}

// Main is `dalil serve`, wired in one place: Open opens every resource once
// (one Redis client, one PostgreSQL pool, one migration step) and builds
// each part from what it needs; Run runs them until ctx ends; Close
// releases them in the reverse order of Open. The fields are the parts, in
// the order Open builds them; nil ones are off (no DATABASE_URL, no
// ADVISERS_CHAT_ID).
type Main struct {
	Config *Config
	Log    *slog.Logger

	Redis redis.UniversalClient
	// DB is the one PostgreSQL pool every store below shares.
	DB *pgxpool.Pool
	// Catalogue is the PostgreSQL catalogue (nil: the demo in memory);
	// Matcher and Ranker are what the bot and the engine use of either.
	Catalogue *postgres.Store
	Matcher   catalogue.Matcher
	Ranker    catalogue.Ranker
	T         *locales.Catalog
	// Trees keeps the published trees; Engine follows them (live) or is
	// the built-in tree.
	Trees    *treestore.Store
	Engine   bot.Engine
	live     *treestore.LiveEngine
	Telegram *telegram.Client
	Records  *handoff.Records
	Desk     *handoff.Desk
	// Partners posts requests to the organisations' Telegram groups, and
	// runs their weekly digests; it is RequestOrgs (below).
	Partners *partners.Partners
	Bot      *bot.Bot
	HTTP     *http.Server
	listener net.Listener

	// Requests keeps the requests sent to organisations (with
	// DATABASE_URL); RequestOrgs and RequestPeople are where a request's
	// news goes (the organisations' side, the person's side, built with
	// the bot); Clock carries out the timed steps once all three are set.
	Requests      *reqpg.Store
	RequestOrgs   requests.Organisations
	RequestPeople requests.People
	Clock         *requests.Clock

	closers []func() // run last first by Close
}

// defaultRedisURL is used when REDIS_URL is not set (development).
const defaultRedisURL = "redis://127.0.0.1:6379/0"

// Open opens and builds everything, in dependency order. On error what was
// opened stays for Close.
func (m *Main) Open(ctx context.Context) error {
	cfg, log := m.Config, m.Log
	if err := m.openRedis(ctx); err != nil {
		return err
	}
	if cfg.DatabaseURL == "" {
		log.Warn("DATABASE_URL not set; answering from the built-in demo catalogue in memory")
		mem := catalogue.NewMemory(catalogue.Demo())
		m.Matcher, m.Ranker = mem, mem
	} else {
		pool, err := openPool(ctx, cfg.DatabaseURL)
		if err != nil {
			return err
		}
		m.DB = pool
		m.onClose(pool.Close)
		res, err := migrateAll(ctx, pool)
		if err != nil {
			return fmt.Errorf("DATABASE_URL: %w", err)
		}
		log.Info("schema up to date", "catalogue_version", res.Version, "applied", strings.Join(res.Applied, ","))
		if err := m.openCatalogue(ctx); err != nil {
			return err
		}
		m.Trees = treestore.New(pool)
		m.Records = handoff.NewRecords(pool)
		m.openRequests()
	}
	tr, err := locales.Load()
	if err != nil {
		return fmt.Errorf("locales: %w", err)
	}
	m.T = tr
	if err := m.openEngine(ctx); err != nil {
		return err
	}
	client, err := connectTelegram(ctx, cfg, log)
	if err != nil {
		return err
	}
	m.Telegram = client
	log.Info("connected to Telegram", "bot", client.Self.Username)
	if err := m.openBot(); err != nil {
		return err
	}
	m.openClock()
	return nil
}

// onClose adds f to what Close runs (last added, first run).
func (m *Main) onClose(f func()) { m.closers = append(m.closers, f) }

// Close releases what Open opened, in reverse order. Call it once, after
// Run has returned (or when Open failed).
func (m *Main) Close() {
	for i := len(m.closers) - 1; i >= 0; i-- {
		m.closers[i]()
	}
	m.closers = nil
}

func (m *Main) openRedis(ctx context.Context) error {
	redisURL := m.Config.RedisURL
	if redisURL == "" {
		redisURL = defaultRedisURL
		m.Log.Warn("REDIS_URL not set; using a local Redis", "url", redisURL)
	}
	rcfg, err := parseRedisURL(redisURL)
	if err != nil {
		return err
	}
	redis.SetLogger(redisLog{m.Log})
	m.Redis = rcfg.client()
	m.onClose(func() { m.Redis.Close() })
	m.Log.Info("Redis", "mode", rcfg.Kind, "addrs", strings.Join(rcfg.Addrs(), ","))
	pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := m.Redis.Ping(pctx).Err(); err != nil {
		// The bot starts anyway: users are told to try again until Redis is back.
		m.Log.Error("Redis is not reachable yet; the bot will keep trying", "err", err)
	}
	return nil
}

// poolAppName names serve's connections in pg_stat_activity unless
// DATABASE_URL names them (application_name=).
const poolAppName = "dalil"

// defaultPoolConns is the pool's size when DATABASE_URL does not say
// (pool_max_conns=): pgx's default (4 on a small box) would leave three
// connections beside the tree watcher's for the bot, the referral log, the
// handoff records and the console, which five pools of four shared before.
const defaultPoolConns = 8

// openPool opens the process's one PostgreSQL pool.
func openPool(ctx context.Context, databaseURL string) (*pgxpool.Pool, error) {
	pc, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, &ConfigError{"DATABASE_URL", "is not a PostgreSQL URL pgx accepts"}
	}
	if u, err := url.Parse(databaseURL); err == nil && !u.Query().Has("pool_max_conns") {
		pc.MaxConns = max(pc.MaxConns, defaultPoolConns)
	}
	if pc.ConnConfig.RuntimeParams["application_name"] == "" {
		pc.ConnConfig.RuntimeParams["application_name"] = poolAppName
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL: connecting to PostgreSQL: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("DATABASE_URL: connecting to PostgreSQL: %w", err)
	}
	return pool, nil
}

// openCatalogue opens the PostgreSQL catalogue on the pool, loads the demo
// catalogue into an empty one (a fresh install answers; the first real
// import deactivates it) and builds the match index, once.
func (m *Main) openCatalogue(ctx context.Context) error {
	labels, err := locales.Default()
	if err != nil {
		return fmt.Errorf("locales: %w", err)
	}
	pg, err := postgres.New(ctx, m.DB, labels)
	if err != nil {
		return fmt.Errorf("DATABASE_URL: %w", err)
	}
	m.Catalogue, m.Matcher = pg, pg
	m.onClose(pg.Close)
	svcs, err := pg.Services(ctx)
	if err != nil {
		return fmt.Errorf("reading the catalogue: %w", err)
	}
	if len(svcs) == 0 {
		m.Log.Warn("the catalogue is empty; loading the built-in demo catalogue (a real import replaces it)")
		if _, err := pg.Import(ctx, catalogue.Demo(), postgres.ImportOptions{}); err != nil {
			return fmt.Errorf("loading the demo catalogue: %w", err)
		}
	}
	if err := pg.LoadIndex(ctx); err != nil {
		// Without the index the engine asks the tree as written.
		m.Log.Error("loading the catalogue's ranking index; every question will be asked", "err", err)
	} else {
		m.Ranker = pg.Ranker()
	}
	return nil
}

// openBot builds the adviser desk (with ADVISERS_CHAT_ID), the bot, and
// the HTTP server around the bot's handler.
func (m *Main) openBot() error {
	cfg := m.Config
	opts := bot.Options{
		Client: m.Telegram, Store: redisstore.New(m.Redis, redisstore.Options{TTL: cfg.StateTTL}), Engine: m.Engine,
		Matcher: m.Matcher, T: m.T, RateLimit: cfg.RateLimit, ChatInterval: chatInterval(cfg.ChatRate),
		WebhookURL: cfg.WebhookURL, WebhookSecret: cfg.WebhookSecret, AdvisersChatID: cfg.AdvisersChatID, Log: m.Log,
	}
	if m.Catalogue != nil {
		opts.Ready = append(opts.Ready, bot.Check{Name: "postgres", Fn: m.Catalogue.Ping})
	}
	if m.Requests != nil && m.Catalogue != nil {
		// Requests to organisations (issue 17): the services' names come
		// from the catalogue; "send my request" shows once RequestOrgs is
		// set too (bot/partners, built after the bot: see openClock).
		opts.Finder, opts.Requests, opts.Timing = m.Catalogue, m.Requests, m.Requests.Timing
	}
	var collectors []prometheus.Collector
	if cfg.AdvisersChatID == 0 {
		m.Log.Warn("ADVISERS_CHAT_ID not set: requests for an adviser are only logged")
	} else {
		desk, err := m.newDesk()
		if err != nil {
			return err
		}
		m.Desk = desk
		wireDesk(desk, &opts)
		collectors = append(collectors, desk.Collectors()...)
	}
	if m.Requests != nil {
		p, err := m.newPartners()
		if err != nil {
			return err
		}
		m.Partners, m.RequestOrgs = p, p
		wirePartners(p, &opts)
	}
	b, err := bot.New(opts)
	if err != nil {
		return err
	}
	m.Bot = b
	if m.Requests != nil {
		m.RequestPeople = b // the person hears of their requests through the bot
	}
	if err := b.Register(collectors...); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("HTTP_ADDR %s: %w", cfg.HTTPAddr, err)
	}
	m.listener = ln
	m.onClose(func() { ln.Close() })
	mux := b.Handler(nil)
	if err := m.mountConsole(mux); err != nil {
		return err
	}
	m.HTTP = bot.NewHTTPServer(mux, bot.HTTPTimeouts{Read: cfg.HTTPReadTimeout, Write: cfg.HTTPWriteTimeout, Idle: cfg.HTTPIdleTimeout})
	return nil
}

// Run runs the parts until ctx ends, and returns once they all stopped
// (so that Close finds nothing still using the pool).
func (m *Main) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	if m.live != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.followTrees(ctx)
		}()
	}
	if m.Desk != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.Desk.Run(ctx, 30*time.Second)
		}()
	}
	if m.Partners != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.Partners.RunDigests(ctx)
		}()
	}
	if m.Clock != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.Clock.Run(ctx)
		}()
	}
	if err := m.Bot.Setup(ctx); err != nil {
		m.Log.Warn("publishing command menus and descriptions", "err", err)
	}
	httpDone := make(chan error, 1)
	go func() { httpDone <- m.HTTP.Serve(m.listener) }()
	mode := "long polling"
	if m.Config.WebhookURL != "" {
		mode = "webhook"
	}
	m.Log.Info("serving", "mode", mode, "http", m.listener.Addr().String())

	runErr := m.Bot.Run(ctx)
	cancel()
	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer scancel()
	_ = m.HTTP.Shutdown(sctx)
	err := <-httpDone
	wg.Wait()
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("HTTP server: %w", err)
	}
	m.Log.Info("stopped")
	return runErr
}

// redisLog sends go-redis's own messages (failed dials…) to the log.
type redisLog struct{ log *slog.Logger }

func (l redisLog) Printf(ctx context.Context, format string, v ...any) {
	l.log.WarnContext(ctx, "redis: "+fmt.Sprintf(format, v...))
}

// connectTelegram checks the token with getMe, retrying while the Bot API
// cannot be reached; a refused token stops the program.
func connectTelegram(ctx context.Context, cfg *Config, log *slog.Logger) (*telegram.Client, error) {
	wait := time.Second
	for {
		cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		c, err := telegram.New(cctx, cfg.TelegramToken, cfg.TelegramAPIURL, nil)
		cancel()
		if err == nil {
			return c, nil
		}
		var te *telegram.Error
		if errors.As(err, &te) && (te.Code == 401 || te.Code == 404) {
			return nil, &ConfigError{"TELEGRAM_BOT_TOKEN", "was refused by the Bot API (" + te.Message + ")"}
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		log.Warn("cannot reach the Bot API yet; retrying", "err", err, "in", wait)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
		wait = min(wait*2, 30*time.Second)
	}
}

// chatInterval turns TELEGRAM_CHAT_RATE_LIMIT into the bot's per-chat
// interval; negative turns the per-chat and per-group limits off.
func chatInterval(perSecond float64) time.Duration {
	if perSecond <= 0 {
		return -1
	}
	return time.Duration(float64(time.Second) / perSecond)
}
