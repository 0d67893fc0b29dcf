// Command dalil-load plays many simulated users against a fake Telegram Bot
// API server (bot/bottest) served by the real bot (bot.Bot with the dialog
// engine, Redis and PostgreSQL), then against a bare echo bot built on the
// same Telegram client in the same run, and reports updates per second and
// handling latencies of both, and Redis memory per stored conversation.
//
//	go run ./cmd/dalil-load -users 3000 -steps 8
//
// Each user is a closed loop: it sends an update (/start, a language, a
// tree button, sometimes free text), waits for the bot's answer, thinks
// -think, and goes on. With -think 0 the bots run flat out (capacity).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"github.com/dalil-tt/dalil/bot"
	"github.com/dalil-tt/dalil/bot/bottest"
	"github.com/dalil-tt/dalil/bot/telegram"
	"github.com/dalil-tt/dalil/catalogue"
	"github.com/dalil-tt/dalil/catalogue/postgres"
	"github.com/dalil-tt/dalil/dialog"
	"github.com/dalil-tt/dalil/dialog/nlu"
	"github.com/dalil-tt/dalil/dialog/redisstore"
	"github.com/dalil-tt/dalil/dialog/trees"
	"github.com/dalil-tt/dalil/internal/gctune"
	"github.com/dalil-tt/dalil/locales"
)

func main() {
	users := flag.Int("users", 2000, "simulated users, each in its own private chat")
	steps := flag.Int("steps", 8, "updates each user sends")
	think := flag.Duration("think", 0, "pause of a user between getting an answer and sending the next update (jittered ±50%)")
	chatLimit := flag.Bool("chat-limit", false, "apply the per-chat limit (1 message/s, bursts of 5); off measures the bot's own capacity")
	redisURL := flag.String("redis", "", "Redis URL (keys under a unique prefix, removed at the end); default: a redis-server of its own on a free port, so that other users of a shared Redis do not skew the figures")
	pgURL := flag.String("pg", envOr("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"),
		"PostgreSQL server URL (a temporary database is created and dropped)")
	skipEcho := flag.Bool("no-echo", false, "skip the echo bot")
	flag.BoolVar(&timeline, "timeline", false, "print Dalil's handling latency for each 250 ms of the run")
	flag.BoolVar(&redisSocket, "redis-socket", true, "connect to the redis-server of its own through a unix socket, as a one-server deployment can (REDIS_URL=unix://…); false: TCP on 127.0.0.1, about a tenth more CPU per update")
	flag.BoolVar(&echoDuties, "echo-duties", false, "the echo bot also does what Telegram asks of a bot with buttons: its echo carries two buttons, and a press is answered (answerCallbackQuery), its keyboard removed (editMessageReplyMarkup) and echoed with new buttons, as Dalil does; users press them as they press Dalil's")
	flag.IntVar(&replicas, "replicas", 0, "N > 0: play the users against 1 then N bots sharing Redis and PostgreSQL, in webhook mode behind a round-robin front, and check per-chat ordering (replaces the Dalil/echo comparison)")
	flag.BoolVar(&replayRun, "replay", false, "also play the users against a bot that makes, for each update, exactly the Bot API calls Dalil made for it, with no engine, Redis or PostgreSQL: the throughput of Dalil's Telegram traffic alone (see replay.go)")
	flag.IntVar(&rounds, "rounds", 1, "repeat the comparison this many times and print the median ratios (the box's speed drifts between seconds)")
	flag.BoolVar(&memCatalogue, "memory-catalogue", false, "match services in memory instead of PostgreSQL (isolates PostgreSQL's share)")
	flag.Func("requests", "comma-separated rates (requests/s): play the requests scenario instead (users send requests to organisations whose groups are linked; time from the last yes to the card, requests.go)", func(v string) error {
		for _, f := range strings.Split(v, ",") {
			r, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
			if err != nil || r <= 0 {
				return fmt.Errorf("%q is not a positive rate", f)
			}
			requestRates = append(requestRates, r)
		}
		return nil
	})
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	memProfile := flag.String("memprofile", "", "write a profile of the whole run's allocations to this file")
	flag.Parse()
	if *memProfile != "" {
		// Every allocation sampled, so that one update's share can be read.
		runtime.MemProfileRate = 4096
		defer writeHeapProfile(*memProfile)
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "dalil-load:", err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if err := run(*users, *steps, *think, *chatLimit, *redisURL, *pgURL, *skipEcho); err != nil {
		fmt.Fprintln(os.Stderr, "dalil-load:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

var (
	rounds       int
	replayRun    bool
	redisSocket  bool
	echoDuties   bool
	memCatalogue bool
	replicas     int
	requestRates []float64 // -requests
)

func writeHeapProfile(path string) {
	f, err := os.Create(path)
	if err == nil {
		err = pprof.Lookup("allocs").WriteTo(f, 0)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "dalil-load: memory profile:", err)
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// result is one bot's figures.
type result struct {
	name      string
	updates   int
	elapsed   time.Duration
	handling  []time.Duration // receipt to durable save (Dalil only)
	reply     []time.Duration // delivery by getUpdates to first reply message
	timeouts  int64
	apiErrors int
	notes     []string // CPU and calls per update, steady window
}

func (r result) rate() float64 { return float64(r.updates) / r.elapsed.Seconds() }

func pct(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

func (r result) String() string {
	s := fmt.Sprintf("%-6s %6d updates in %6.2fs = %7.0f updates/s; first reply p50 %6.2fms p99 %6.2fms",
		r.name, r.updates, r.elapsed.Seconds(), r.rate(), ms(pct(r.reply, .5)), ms(pct(r.reply, .99)))
	if len(r.handling) > 0 {
		s += fmt.Sprintf("; handling p50 %5.2fms p99 %5.2fms", ms(pct(r.handling, .5)), ms(pct(r.handling, .99)))
	}
	if r.timeouts > 0 {
		s += fmt.Sprintf("; %d unanswered", r.timeouts)
	}
	for _, n := range r.notes {
		s += "\n       " + n
	}
	return s
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func run(users, steps int, think time.Duration, chatLimit bool, redisURL, pgURL string, skipEcho bool) error {
	ctx := context.Background()
	if redisURL == "" {
		url, stop, err := ownRedis()
		if err != nil {
			return err
		}
		defer stop()
		redisURL = url
	}
	ropt, err := redis.ParseURL(redisURL)
	if err != nil {
		return fmt.Errorf("redis URL: %w", err)
	}
	ropt.PoolSize = 64
	rdb := redis.NewClient(ropt)
	defer rdb.Close()
	if err := rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("Redis at %s: %w (start redis-server or pass -redis)", redisURL, err)
	}
	dbURL, drop, err := tempDB(ctx, pgURL)
	if err != nil {
		return err
	}
	defer drop()
	if err := postgres.Migrate(ctx, dbURL); err != nil {
		return err
	}
	pg, err := postgres.Open(ctx, dbURL, locales.MustDefault())
	if err != nil {
		return err
	}
	defer pg.Close()
	if _, err := pg.Import(ctx, catalogue.Demo(), postgres.ImportOptions{}); err != nil {
		return err
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))

	// The bots here run as dalil serve runs them, garbage collector included.
	gc := gctune.Apply(os.Getenv, "/sys/fs/cgroup")
	fmt.Printf("%d users × %d updates, think %v, per-chat limit %v, GOMAXPROCS=%d, GOGC %s\n", users, steps, think, chatLimit, runtimeProcs(), gcSetting(gc))
	if len(requestRates) > 0 {
		return runRequests(ctx, rdb, dbURL, pg, users, requestRates, chatLimit)
	}
	if replicas > 0 {
		return runReplicas(ctx, redisURL, pg, users, steps, think, replicas, chatLimit)
	}
	var ratios struct{ replay, echo, bound []float64 }
	var conv string
	for round := range rounds {
		if rounds > 1 {
			fmt.Printf("round %d of %d\n", round+1, rounds)
		}
		r, err := compare(ctx, rdb, pg, users, steps, think, chatLimit, skipEcho)
		if err != nil {
			return err
		}
		conv = r.conv
		if r.replay > 0 {
			ratios.replay = append(ratios.replay, r.dalil/r.replay)
		}
		if r.echo > 0 {
			ratios.echo = append(ratios.echo, r.dalil/r.echo)
		}
		if r.replay > 0 && r.echo > 0 {
			ratios.bound = append(ratios.bound, r.replay/r.echo)
		}
	}
	if rounds > 1 {
		// The box's speed drifts from one second to the next (a shared
		// host): the median of ratios taken a few seconds apart is what
		// compares.
		for _, r := range []struct {
			name string
			v    []float64
		}{{"dalil/replay", ratios.replay}, {"dalil/echo", ratios.echo}, {"replay/echo", ratios.bound}} {
			if len(r.v) > 0 {
				slices.Sort(r.v)
				fmt.Printf("%s throughput over %d rounds: median %.2f, range %.2f–%.2f\n", r.name, len(r.v), r.v[len(r.v)/2], r.v[0], r.v[len(r.v)-1])
			}
		}
	}
	fmt.Println(conv)
	return nil
}

// rates are one round's throughputs (updates/s; 0 for a bot not run) and
// Redis memory per conversation.
type rates struct {
	dalil, replay, echo float64
	conv                string
}

// compare runs Dalil, then (-replay) the replay bot on the calls Dalil
// made, then the echo bot, printing each one's figures.
func compare(ctx context.Context, rdb *redis.Client, pg *postgres.Store, users, steps int, think time.Duration, chatLimit, skipEcho bool) (rates, error) {
	prefix := fmt.Sprintf("load%d", time.Now().UnixNano())
	defer cleanup(rdb, prefix)
	var tr *traffic
	if replayRun {
		tr = newTraffic(users, steps)
		stepHook = tr.sending
	}
	d, conv, err := runDalil(ctx, rdb, prefix, pg, users, steps, think, chatLimit, tr)
	stepHook = nil
	if err != nil {
		return rates{}, err
	}
	fmt.Println(d)
	out := rates{dalil: d.rate(), conv: conv}
	if tr != nil {
		r, err := runReplay(ctx, rdb, tr, users, steps, think)
		if err != nil {
			return rates{}, err
		}
		fmt.Println(r)
		out.replay = r.rate()
		fmt.Printf("dalil/replay throughput: %.2f (Dalil beside its own Telegram traffic)\n", out.dalil/out.replay)
	}
	if !skipEcho {
		e, err := runEcho(ctx, rdb, users, steps, think)
		if err != nil {
			return rates{}, err
		}
		fmt.Println(e)
		out.echo = e.rate()
		fmt.Printf("dalil/echo throughput: %.2f\n", out.dalil/out.echo)
		if out.replay > 0 {
			// What Dalil could reach against the echo bot if its own work
			// cost nothing: its Telegram traffic alone.
			fmt.Printf("replay/echo throughput: %.2f (Dalil's calls and nothing else, against the echo)\n", out.replay/out.echo)
		}
	}
	return out, nil
}

// ownRedis starts a redis-server without persistence on a free port.
func ownRedis() (string, func(), error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	args := []string{"--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"}
	sock := ""
	if redisSocket {
		dir, err := os.MkdirTemp("", "dalil-load-redis")
		if err != nil {
			return "", nil, err
		}
		defer func() {
			if sock == "" {
				os.RemoveAll(dir)
			}
		}()
		sock = filepath.Join(dir, "redis.sock")
		args = append(args, "--unixsocket", sock, "--unixsocketperm", "700")
	}
	cmd := exec.Command("redis-server", args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // never outlive this process
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("starting redis-server (install it, or pass -redis URL): %w", err)
	}
	stop := func() {
		cmd.Process.Kill()
		cmd.Wait()
		if sock != "" {
			os.RemoveAll(filepath.Dir(sock))
		}
	}
	for range 250 {
		if c, err := net.Dial("tcp", "127.0.0.1:"+port); err == nil {
			c.Close()
			if sock != "" {
				for range 250 { // the socket comes right after the port
					if _, err := os.Stat(sock); err == nil {
						return "unix://" + sock + "?db=0", stop, nil
					}
					time.Sleep(10 * time.Millisecond)
				}
			}
			return "redis://127.0.0.1:" + port + "/0", stop, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	return "", nil, fmt.Errorf("redis-server did not start on port %s", port)
}

func runtimeProcs() int { return runtimeGOMAXPROCS() }

func gcSetting(a gctune.Applied) string {
	if a.Percent == 0 {
		return os.Getenv("GOGC") + " (environment)"
	}
	return strconv.Itoa(a.Percent)
}

// tempDB creates a database for the run on the server at url.
func tempDB(ctx context.Context, url string) (string, func(), error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return "", nil, fmt.Errorf("PostgreSQL at %s: %w (start it or pass -pg)", url, err)
	}
	name := fmt.Sprintf("dalil_load_%d", time.Now().UnixNano())
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		conn.Close(ctx)
		return "", nil, fmt.Errorf("create database: %w", err)
	}
	cfg := conn.Config()
	dbURL := fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", cfg.User, cfg.Host, cfg.Port, name)
	if cfg.Password != "" {
		dbURL = fmt.Sprintf("postgres://%s:%s@%s:%d/%s?sslmode=disable", cfg.User, cfg.Password, cfg.Host, cfg.Port, name)
	}
	return dbURL, func() {
		_, _ = conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		conn.Close(context.Background())
	}, nil
}

func cleanup(rdb *redis.Client, prefix string) {
	ctx := context.Background()
	it := rdb.Scan(ctx, 0, prefix+":*", 1000).Iterator()
	var keys []string
	for it.Next(ctx) {
		keys = append(keys, it.Val())
		if len(keys) == 1000 {
			rdb.Del(ctx, keys...)
			keys = keys[:0]
		}
	}
	if len(keys) > 0 {
		rdb.Del(ctx, keys...)
	}
}

// inbox routes what the fake server sends to each simulated user.
type inbox struct {
	delivered sync.Map // update id -> time handed out by getUpdates
	replied   sync.Map // update id -> first reply latency
	chans     []chan bottest.Message
	base      int64
	// firstSend and lastSend are each user's first and last update: while
	// every user is playing, the offered rate is steady.
	firstSend, lastSend []time.Time
}

// firstChat is the first simulated user's chat id; user u's is firstChat+u.
const firstChat = 7_000_000

func newInbox(users int) *inbox {
	in := &inbox{chans: make([]chan bottest.Message, users), base: firstChat,
		firstSend: make([]time.Time, users), lastSend: make([]time.Time, users)}
	for i := range in.chans {
		// A whole answer (a referral page: cards, places, "more") fits;
		// more would only grow the heap the collector marks, which slows
		// the bot under test.
		in.chans[i] = make(chan bottest.Message, 32)
	}
	return in
}

func (in *inbox) onSend(chat int64, m *bottest.Message) {
	if i := chat - in.base; i >= 0 && i < int64(len(in.chans)) {
		select {
		case in.chans[i] <- *m:
		default:
		}
	}
}

func (in *inbox) onDeliver(ids []int64) {
	now := time.Now()
	for _, id := range ids {
		in.delivered.Store(id, now)
	}
}

// play runs every user's loop and returns the reply latencies.
func play(srv *bottest.Server, in *inbox, users, steps int, think time.Duration, echo bool) ([]time.Duration, int64, time.Duration) {
	var mu sync.Mutex
	lat := make([]time.Duration, 0, users*steps)
	var timeouts atomic.Int64
	var wg sync.WaitGroup
	langs := []string{"fr", "ar", "ary"}
	texts := []string{"je cherche un microcrédit pour ma coopérative à Tanger", "بغيت تمويل لمشروع ديال الفلاحة فشفشاون",
		"أبحث عن تكوين في التسويق", "bghit n7al chi projet f tetouan", "formation en comptabilité à Larache"}
	start := time.Now()
	for u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(u), 7))
			chat := in.base + int64(u)
			var last *bottest.Message // last message with buttons
			for k := range steps {
				if think > 0 {
					time.Sleep(think/2 + time.Duration(r.Int64N(int64(think))))
				}
				if stepHook != nil {
					stepHook(chat, k)
				}
				var up map[string]any
				switch {
				case k == 0 && !echo:
					up = srv.Text(chat, "/start")
				case echo || last == nil:
					up = srv.Text(chat, texts[r.IntN(len(texts))])
				default:
					var data []string
					for _, row := range last.Buttons {
						for _, b := range row {
							if strings.HasPrefix(b.Data, "c:") || strings.HasPrefix(b.Data, "yn:") || strings.HasPrefix(b.Data, "lang:") {
								data = append(data, b.Data)
							}
						}
					}
					if k == 1 {
						data = []string{"lang:" + langs[u%3]}
					}
					if len(data) == 0 || r.IntN(6) == 0 {
						up = srv.Text(chat, texts[r.IntN(len(texts))])
					} else {
						up = srv.Press(*last, data[r.IntN(len(data))])
						// Its keyboard goes: an answer without buttons
						// leaves nothing to press, as in the app.
						last = nil
					}
				}
				id, _ := up["update_id"].(int64)
				if k == 0 {
					in.firstSend[u] = time.Now()
				}
				in.lastSend[u] = time.Now()
				if sentHook != nil {
					sentHook(chat, id)
				}
				// Wait for the first reply, then for the rest of the answer
				// (a question with buttons, or a short quiet time).
				var first time.Time
				timeout := time.NewTimer(10 * time.Second)
			collect:
				for {
					var quiet <-chan time.Time
					if !first.IsZero() {
						if echo {
							break collect
						}
						quiet = time.After(25 * time.Millisecond)
					}
					select {
					case m := <-in.chans[u]:
						if first.IsZero() {
							first = m.At
						}
						if len(m.Buttons) > 0 {
							last = &m
							if !echo {
								break collect
							}
						}
					case <-quiet:
						break collect
					case <-timeout.C:
						timeouts.Add(1)
						break collect
					}
				}
				timeout.Stop()
				if !first.IsZero() {
					if at, ok := in.delivered.Load(id); ok {
						in.replied.Store(id, first.Sub(at.(time.Time)))
						mu.Lock()
						lat = append(lat, first.Sub(at.(time.Time)))
						mu.Unlock()
					}
				}
			}
		}()
	}
	wg.Wait()
	return lat, timeouts.Load(), time.Since(start)
}

func runDalil(ctx context.Context, rdb *redis.Client, prefix string, pg *postgres.Store, users, steps int, think time.Duration, chatLimit bool, calls *traffic) (result, string, error) {
	in := newInbox(users)
	opts := bottest.Options{NoRecord: true, OnSend: in.onSend, OnDeliver: in.onDeliver}
	if calls != nil {
		opts.OnCall = calls.onCall
	}
	srv := bottest.New(opts)
	defer srv.Close()
	client, err := telegram.New(ctx, srv.Token(), srv.APIURL(), nil)
	if err != nil {
		return result{}, "", err
	}
	tree, err := dialog.Parse(trees.Default)
	if err != nil {
		return result{}, "", err
	}
	tr, err := locales.Load()
	if err != nil {
		return result{}, "", err
	}
	store := redisstore.New(rdb, redisstore.Options{Prefix: prefix})
	var matcher catalogue.Matcher = pg
	if memCatalogue {
		matcher = catalogue.NewMemory(catalogue.Demo())
	}
	var hmu sync.Mutex
	handling := make([]time.Duration, 0, users*steps)
	handled := make(map[int64]time.Duration, users*steps)
	b, err := bot.New(bot.Options{
		Client: client, Store: store, Engine: &dialog.Engine{Tree: tree, NLU: nlu.Default(), T: tr},
		Matcher: matcher, T: tr, RateLimit: 0, ChatInterval: botChatInterval(chatLimit),
		OnHandled: func(id int64, d time.Duration) {
			hmu.Lock()
			handling = append(handling, d)
			handled[id] = d
			hmu.Unlock()
		},
	})
	if err != nil {
		return result{}, "", err
	}
	before, _ := usedMemory(ctx, rdb)
	bctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- b.Run(bctx) }()
	if gdump := os.Getenv("DALIL_LOAD_GOROUTINES"); gdump != "" {
		time.AfterFunc(3*time.Second, func() {
			f, err := os.Create(gdump)
			if err == nil {
				pprof.Lookup("goroutine").WriteTo(f, 1)
				f.Close()
			}
		})
	}
	cpu := newCPUMeter(ctx, rdb)
	lat, timeouts, elapsed := play(srv, in, users, steps, think, false)
	cancel()
	if err := <-done; err != nil {
		return result{}, "", err
	}
	notes := []string{cpu.since(ctx, users*steps), callsPerUpdate(srv.Counts(), users*steps)}
	rec := httptest.NewRecorder()
	b.Handler(nil).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, line := range strings.Split(rec.Body.String(), "\n") {
		for _, p := range []string{"dalil_updates_total", "dalil_messages_failed_total", "dalil_botapi_errors_total", "dalil_ratelimit_waits_total"} {
			if strings.HasPrefix(line, p) {
				fmt.Println("  ", line)
			}
		}
	}
	after, _ := usedMemory(ctx, rdb)
	conv := conversationMemory(ctx, rdb, store, in.base, users, after-before)
	hmu.Lock()
	defer hmu.Unlock()
	notes = append(notes, steady(in, handled))
	return result{name: "dalil", updates: users * steps, elapsed: elapsed, handling: handling, reply: lat, timeouts: timeouts, notes: notes}, conv, nil
}

func usedMemory(ctx context.Context, rdb *redis.Client) (int64, error) {
	fields, err := redisInfo(ctx, rdb, "memory")
	if err != nil {
		return 0, err
	}
	v, ok := fields["used_memory"]
	if !ok {
		return 0, fmt.Errorf("no used_memory in INFO")
	}
	return strconv.ParseInt(v, 10, 64)
}

// conversationMemory measures the stored conversations: MEMORY USAGE of a
// sample of records, and Redis's whole memory growth per user.
func conversationMemory(ctx context.Context, rdb *redis.Client, store *redisstore.Store, base int64, users int, grown int64) string {
	var total, n, biggest int64
	for i := 0; i < users; i += max(1, users/500) {
		m, err := rdb.MemoryUsage(ctx, store.Key(base+int64(i), "state")).Result()
		if err != nil {
			continue
		}
		total += m
		biggest = max(biggest, m)
		n++
	}
	if n == 0 {
		return "redis: no conversation stored"
	}
	return fmt.Sprintf("redis: %d bytes per conversation on average (MEMORY USAGE of %d records, largest %d); used_memory grew %d bytes per user",
		total/n, n, biggest, grown/int64(users))
}

// runEcho is the baseline: the same fake server and users, and a bot that
// only echoes each text, built on the same Telegram client.
func runEcho(ctx context.Context, rdb redis.UniversalClient, users, steps int, think time.Duration) (result, error) {
	return runBare(ctx, rdb, "echo", users, steps, think, !echoDuties, func(ctx context.Context, c *telegram.Client, up *telegram.Update) {
		echo(ctx, c, up)
	})
}

// runBare plays the users against a bot with no storage: each getUpdates
// batch is answered by answer, an update per goroutine, before the next
// batch is asked for. textsOnly: the users only type (the echo bot's
// answers have no buttons to press).
func runBare(ctx context.Context, rdb redis.UniversalClient, name string, users, steps int, think time.Duration, textsOnly bool,
	answer func(context.Context, *telegram.Client, *telegram.Update)) (result, error) {
	in := newInbox(users)
	srv := bottest.New(bottest.Options{NoRecord: true, OnSend: in.onSend, OnDeliver: in.onDeliver})
	defer srv.Close()
	client, err := telegram.New(ctx, srv.Token(), srv.APIURL(), nil)
	if err != nil {
		return result{}, err
	}
	bctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		var offset int64
		for bctx.Err() == nil {
			ups, err := client.GetUpdates(bctx, offset, 100, time.Second, nil)
			if err != nil {
				continue
			}
			var wg sync.WaitGroup
			for _, up := range ups {
				wg.Add(1)
				go func() {
					defer wg.Done()
					answer(bctx, client, &up)
				}()
			}
			wg.Wait()
			if len(ups) > 0 {
				offset = ups[len(ups)-1].UpdateID + 1
			}
		}
	}()
	cpu := newCPUMeter(ctx, rdb)
	lat, timeouts, elapsed := play(srv, in, users, steps, think, textsOnly)
	cancel()
	<-done
	notes := []string{cpu.since(ctx, users*steps), callsPerUpdate(srv.Counts(), users*steps), steady(in, nil)}
	return result{name: name, updates: users * steps, elapsed: elapsed, reply: lat, timeouts: timeouts, notes: notes}, nil
}

// echo answers one update: a text is sent back; with -echo-duties it
// carries two buttons, and a press is answered, its keyboard removed and
// its data sent back with new buttons.
func echo(ctx context.Context, c *telegram.Client, up *telegram.Update) {
	var kb *telegram.InlineKeyboard
	if echoDuties {
		kb = &telegram.InlineKeyboard{InlineKeyboard: [][]telegram.InlineButton{{
			{Text: "A", CallbackData: "c:a"}, {Text: "B", CallbackData: "c:b"}}}}
	}
	switch {
	case up.Message != nil:
		_, _ = c.SendMessage(ctx, up.Message.Chat.ID, up.Message.Text, kb)
	case up.CallbackQuery != nil && echoDuties && up.CallbackQuery.Message != nil:
		cq := up.CallbackQuery
		chat := strconv.FormatInt(cq.Message.Chat.ID, 10)
		_, _ = c.Call(ctx, "answerCallbackQuery", telegram.Params{"callback_query_id": cq.ID})
		_, _ = c.Call(ctx, "editMessageReplyMarkup", telegram.Params{"chat_id": chat,
			"message_id": strconv.FormatInt(cq.Message.MessageID, 10), "reply_markup": `{"inline_keyboard":[]}`})
		_, _ = c.SendMessage(ctx, cq.Message.Chat.ID, cq.Data, kb)
	}
}

// botChatInterval is bot.Options.ChatInterval for -chat-limit: the
// default (one message a second) or off.
func botChatInterval(on bool) time.Duration {
	if on {
		return 0
	}
	return -1
}
