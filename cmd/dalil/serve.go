package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/dalil-tt/dalil/bot"
	"github.com/dalil-tt/dalil/bot/telegram"
	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/catalogue/postgres"
	"github.com/dalil-tt/dalil/dialog"
	"github.com/dalil-tt/dalil/dialog/redisstore"
	"github.com/dalil-tt/dalil/internal/gctune"
	"github.com/dalil-tt/dalil/locales"
)

// defaultRedisURL is used when REDIS_URL is not set (development).
const defaultRedisURL = "redis://127.0.0.1:6379/0"

// forgetHooks erase what later features keep about a user in PostgreSQL
// (adviser handoffs, needs statistics…); /forget runs them all.
var forgetHooks []func(ctx context.Context, chat int64) error

// adviserHook hands a conversation to the advisers (set by the handoff).
var adviserHook func(ctx context.Context, chat int64, st dialog.State) error

// httpMounts add pages to serve's HTTP server (the staff console…). Each
// gets the mux that already serves /healthz, /readyz, /metrics and the
// webhook; it returns a function to call at stop (or nil). Other files
// append to it from init.
var httpMounts []func(ctx context.Context, cfg *Config, mux *http.ServeMux) (stop func(), err error)

// serveDeps are what serve has opened, for botPlugins.
type serveDeps struct {
	Cfg    *Config
	Redis  redis.UniversalClient
	Client *telegram.Client
	T      *locales.Catalog
	Log    *slog.Logger
	// Metrics adds collectors to the bot's /metrics (registered once the
	// bot exists).
	Metrics func(cs ...prometheus.Collector)
}

// botPlugins extend the bot (the adviser handoff…): each may set options
// (Intercept, Adviser; wrap Forget to erase its own data) and return a
// function that serve runs beside the bot until it stops (or nil). Other
// files append to it from init.
var botPlugins []func(ctx context.Context, deps serveDeps, o *bot.Options) (run func(ctx context.Context), err error)

// serveEngine gives the dialog engine the bot runs (the built-in tree by
// default; a live tree published in PostgreSQL when that is wired here).
var serveEngine = func(ctx context.Context, cfg *Config, cat catalogue.Ranker) (bot.Engine, error) {
	return engineOn(cat)
}

// runServe runs the Telegram bot and the HTTP server.
//
// REDIS_URL defaults to a local Redis. Without DATABASE_URL the bot runs on
// the built-in demo catalogue in memory (it says so in its log); with it,
// the schema is migrated at start and, when the catalogue is still empty,
// the demo catalogue is loaded so that a fresh install answers (the first
// real import deactivates it).
func runServe(ctx context.Context, args []string, s stdio) error {
	if len(args) > 0 {
		return fmt.Errorf("serve takes no arguments (settings come from the environment)")
	}
	cfg, err := loadConfig(s.getenv, "TELEGRAM_BOT_TOKEN")
	if err != nil {
		return err
	}
	if cfg.DatabaseURL != "" && !cfg.Pseudonyms.Valid() {
		// PostgreSQL keeps users under pseudonyms (handoff records): without
		// a key of its own /forget could not find them after a rotation.
		// Without PostgreSQL nothing is kept under them.
		return &ConfigError{"PSEUDONYM_KEY", "is required with DATABASE_URL (at least 32 random bytes, hex: openssl rand -hex 32)"}
	}
	log := slog.Default()
	if gc := gctune.Apply(s.getenv, "/sys/fs/cgroup"); gc.Percent != 0 {
		log.Info("garbage collector tuned for a server", "gogc", gc.Percent, "memory_limit_bytes", gc.MemoryLimit)
	}

	redisURL := cfg.RedisURL
	if redisURL == "" {
		redisURL = defaultRedisURL
		log.Warn("REDIS_URL not set; using a local Redis", "url", redisURL)
	}
	rcfg, err := parseRedisURL(redisURL)
	if err != nil {
		return err
	}
	redis.SetLogger(redisLog{log})
	rdb := rcfg.client()
	defer rdb.Close()
	log.Info("Redis", "mode", rcfg.Kind, "addrs", strings.Join(rcfg.Addrs(), ","))
	pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	if err := rdb.Ping(pctx).Err(); err != nil {
		// The bot starts anyway: users are told to try again until Redis is back.
		log.Error("Redis is not reachable yet; the bot will keep trying", "err", err)
	}
	cancel()
	store := redisstore.New(rdb, redisstore.Options{TTL: cfg.StateTTL})

	var matcher catalogue.Matcher
	var ranker catalogue.Ranker
	var checks []bot.Check
	if cfg.DatabaseURL == "" {
		log.Warn("DATABASE_URL not set; answering from the built-in demo catalogue in memory")
		mem := catalogue.NewMemory(catalogue.Demo())
		matcher, ranker = mem, mem
	} else {
		pg, err := openCatalogue(ctx, cfg.DatabaseURL, log)
		if err != nil {
			return err
		}
		defer pg.Close()
		matcher = pg
		if err := pg.LoadIndex(ctx); err != nil {
			// Without the index the engine asks the tree as written.
			log.Error("loading the catalogue's ranking index; every question will be asked", "err", err)
		} else {
			ranker = pg.Ranker()
		}
		checks = append(checks, bot.Check{Name: "postgres", Fn: pg.Ping})
	}

	engine, err := serveEngine(ctx, cfg, ranker)
	if err != nil {
		return err
	}
	tr, err := locales.Load()
	if err != nil {
		return fmt.Errorf("locales: %w", err)
	}

	client, err := connectTelegram(ctx, cfg, log)
	if err != nil {
		return err
	}
	log.Info("connected to Telegram", "bot", client.Self.Username)

	opts := bot.Options{
		Client: client, Store: store, Engine: engine, Matcher: matcher, T: tr,
		RateLimit: cfg.RateLimit, ChatInterval: chatInterval(cfg.ChatRate), WebhookURL: cfg.WebhookURL, WebhookSecret: cfg.WebhookSecret,
		Ready: checks, Adviser: adviserHook, Forget: forgetAll, AdvisersChatID: cfg.AdvisersChatID, Log: log,
	}
	var beside []func(ctx context.Context)
	var collectors []prometheus.Collector
	addMetrics := func(cs ...prometheus.Collector) { collectors = append(collectors, cs...) }
	for _, plug := range botPlugins {
		run, err := plug(ctx, serveDeps{Cfg: cfg, Redis: rdb, Client: client, T: tr, Log: log, Metrics: addMetrics}, &opts)
		if err != nil {
			return err
		}
		if run != nil {
			beside = append(beside, run)
		}
	}
	b, err := bot.New(opts)
	if err != nil {
		return err
	}
	if err := b.Register(collectors...); err != nil {
		return err
	}
	for _, f := range botStarted {
		f(b)
	}
	for _, run := range beside {
		go run(ctx)
	}
	if err := b.Setup(ctx); err != nil {
		log.Warn("publishing command menus and descriptions", "err", err)
	}

	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("HTTP_ADDR %s: %w", cfg.HTTPAddr, err)
	}
	mux := b.Handler(nil)
	for _, mount := range httpMounts {
		stop, err := mount(ctx, cfg, mux)
		if err != nil {
			ln.Close()
			return err
		}
		if stop != nil {
			defer stop()
		}
	}
	srv := bot.NewHTTPServer(mux, bot.HTTPTimeouts{Read: cfg.HTTPReadTimeout, Write: cfg.HTTPWriteTimeout, Idle: cfg.HTTPIdleTimeout})
	httpDone := make(chan error, 1)
	go func() { httpDone <- srv.Serve(ln) }()
	mode := "long polling"
	if cfg.WebhookURL != "" {
		mode = "webhook"
	}
	log.Info("serving", "mode", mode, "http", ln.Addr().String())

	runErr := b.Run(ctx)
	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer scancel()
	_ = srv.Shutdown(sctx)
	if err := <-httpDone; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("HTTP server: %w", err)
	}
	log.Info("stopped")
	return runErr
}

// redisLog sends go-redis's own messages (failed dials…) to the log.
type redisLog struct{ log *slog.Logger }

func (l redisLog) Printf(ctx context.Context, format string, v ...any) {
	l.log.WarnContext(ctx, "redis: "+fmt.Sprintf(format, v...))
}

func forgetAll(ctx context.Context, chat int64) error {
	for _, f := range forgetHooks {
		if err := f(ctx, chat); err != nil {
			return err
		}
	}
	return nil
}

// openCatalogue migrates the schema, opens the PostgreSQL catalogue and
// loads the demo catalogue into an empty one.
func openCatalogue(ctx context.Context, url string, log *slog.Logger) (*postgres.Store, error) {
	if err := postgres.Migrate(ctx, url); err != nil {
		return nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	pg, err := postgres.Open(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	svcs, err := pg.Services(ctx)
	if err != nil {
		pg.Close()
		return nil, fmt.Errorf("reading the catalogue: %w", err)
	}
	if len(svcs) == 0 {
		log.Warn("the catalogue is empty; loading the built-in demo catalogue (a real import replaces it)")
		if _, err := pg.Import(ctx, catalogue.Demo(), postgres.ImportOptions{}); err != nil {
			pg.Close()
			return nil, fmt.Errorf("loading the demo catalogue: %w", err)
		}
	}
	return pg, nil
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
