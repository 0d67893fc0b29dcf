package main

// Process mode (-replicas N -processes): each replica is a real `dalil
// serve` process in webhook mode, all sharing one Redis and one PostgreSQL
// database, behind a round-robin front; with -replica-cpu each runs in a
// cgroup of its own held to that many cores, as a Kubernetes CPU limit
// holds a pod. The users, the fake Bot API and the front run in this
// process, outside any quota.
//
// A process has no OnHandled hook, so order is read back from Redis: a
// conversation keeps the keys of the last 12 updates it handled, oldest
// first (redisstore.Conversation.Seen), and the front notes the key of
// every update it forwards.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dalil-tt/dalil/bot"
	"github.com/dalil-tt/dalil/bot/bottest"
	"github.com/dalil-tt/dalil/bot/telegram"
	"github.com/dalil-tt/dalil/dialog/redisstore"
)

var (
	procMode   bool
	dalilBin   string
	replicaCPU float64
)

func init() {
	flag.BoolVar(&procMode, "processes", false, "with -replicas: run each replica as a `dalil serve` process in webhook mode instead of a bot inside this process")
	flag.StringVar(&dalilBin, "dalil-bin", "", "with -processes: the dalil binary (default: go build ./cmd/dalil into a temporary directory)")
	flag.Float64Var(&replicaCPU, "replica-cpu", 0, "with -processes: CPU quota of each replica, in cores, in a cgroup of its own (as a Kubernetes CPU limit); 0 = none")
}

// seenKept is how many update keys a conversation keeps
// (dialog/redisstore): the order check needs every update of a chat there.
const seenKept = 12

// partitions is the number of update queue partitions (bot/doc.go).
const partitions = 16

// procConfig is what every replica process of a run shares.
type procConfig struct {
	bin      string
	dbURL    string
	redisURL string
	cpu      float64 // cores per replica; 0 = no quota
	// chatLimit keeps serve's per-chat limit on (TELEGRAM_CHAT_RATE_LIMIT).
	chatLimit bool
}

// procResult is one process-mode measurement.
type procResult struct {
	result
	lost, twice, disorder, chats int
	unknown                      int       // keys in Seen the front never forwarded
	handledBy                    []float64 // dalil_updates_total{outcome="handled"} per replica
	duplicates                   float64
	chatWaits                    float64   // messages that waited for the per-chat limit
	distinct                     int       // distinct updates sent
	cores                        []float64 // CPU used per replica during the closed loop, in cores
	throttled                    []float64 // share of CFS periods held back by the quota
	toolCores, boxBusy           float64
	load0, load1                 string
	handlingP50, handlingP99     time.Duration // from the replicas' histograms
	example                      string
	cpu                          float64 // the quota, cores per replica
}

func (r procResult) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s; handling p50 ~%.1fms p99 ~%.0fms (replicas' histograms)\n", r.result, ms(r.handlingP50), ms(r.handlingP99))
	fmt.Fprintf(&b, "       load average before %s, after %s; box CPU busy %.0f%%, this tool (users, fake Bot API, front) %.2f cores\n",
		r.load0, r.load1, 100*r.boxBusy, r.toolCores)
	for i := range r.handledBy {
		fmt.Fprintf(&b, "       replica %d: handled %.0f updates, %.2f cores", i+1, r.handledBy[i], r.cores[i])
		if r.throttled != nil {
			fmt.Fprintf(&b, ", throttled in %.0f%% of CFS periods", 100*r.throttled[i])
		}
		b.WriteString("\n")
	}
	var sum, cores float64
	for _, h := range r.handledBy {
		sum += h
	}
	for i, c := range r.cores {
		cores += c
		if r.cpu > 0 && c < .9*r.cpu && r.throttled[i] < .5 {
			fmt.Fprintf(&b, "       NOTE replica %d was not held by its quota (%.2f of %.2f cores used): too few users to saturate it, or the busy box starved it; this run does not measure the quota's capacity\n", i+1, c, r.cpu)
		}
	}
	fmt.Fprintf(&b, "       replicas' CPU per update: %.0fµs\n", cores*r.elapsed.Seconds()/float64(r.updates)*1e6)
	fmt.Fprintf(&b, "       %d chats: %d updates lost, %d handled twice, %d chats out of order; replicas counted %.0f handled for %d distinct updates sent, %.0f redeliveries dropped",
		r.chats, r.lost, r.twice, r.disorder, sum, r.distinct, r.duplicates)
	fmt.Fprintf(&b, "; %.0f messages waited for the per-chat limit", r.chatWaits)
	if r.unknown > 0 {
		fmt.Fprintf(&b, "; %d handled keys unknown to the front (has bot.UpdateKey changed since the replicas were built?)", r.unknown)
	}
	if r.example != "" {
		fmt.Fprintf(&b, "\n       out of order, for example: %s", r.example)
	}
	return b.String()
}

// runProcessReplicas plays the users against 1 then n `dalil serve`
// processes and compares.
func runProcessReplicas(ctx context.Context, redisURL string, users, steps int, think time.Duration, n int, chatLimit bool) error {
	if steps+2 > seenKept {
		return fmt.Errorf("-processes reads order from the %d update keys a conversation keeps: -steps must be at most %d", seenKept, seenKept-2)
	}
	if f := flag.Lookup("redis"); f != nil && f.Value.String() != "" {
		// Each measurement starts from an empty Redis (FLUSHDB) and the
		// processes use the default key prefix.
		return fmt.Errorf("-processes needs the Redis of its own this tool starts: leave -redis unset")
	}
	bin, rmBin, err := dalilBinary(ctx)
	if err != nil {
		return err
	}
	defer rmBin()
	dbURL, drop, err := tempDB(ctx, flag.Lookup("pg").Value.String())
	if err != nil {
		return err
	}
	defer drop()
	c := procConfig{bin: bin, dbURL: dbURL, redisURL: redisURL, cpu: replicaCPU, chatLimit: chatLimit}
	if c.cpu > 0 {
		removeStaleGroups()
		g, err := newCPUGroup(fmt.Sprintf("dalil-load-%d-probe", os.Getpid()), c.cpu)
		if err != nil {
			fmt.Printf("no CPU quota (cgroups not usable here: %v): replicas share every core\n", err)
			c.cpu = 0
		} else {
			g.remove()
			fmt.Printf("each replica limited to %.2f cores (cgroup %s, CFS period %dµs)\n", c.cpu, map[bool]string{true: "v2", false: "v1"}[g.v2], cfsPeriod)
		}
	}
	var rates []float64
	for _, k := range []int{1, n} {
		res, err := runServeReplicas(ctx, c, users, steps, think, k)
		if err != nil {
			return err
		}
		fmt.Println(res)
		rates = append(rates, res.rate())
	}
	fmt.Printf("throughput %d replicas / 1 replica: %.2f\n", n, rates[1]/rates[0])
	return nil
}

// dalilBinary returns -dalil-bin, or builds ./cmd/dalil into a temporary
// directory (removed by the function returned).
func dalilBinary(ctx context.Context) (string, func(), error) {
	if dalilBin != "" {
		return dalilBin, func() {}, nil
	}
	dir, err := os.MkdirTemp("", "dalil-load-bin")
	if err != nil {
		return "", nil, err
	}
	bin := filepath.Join(dir, "dalil")
	out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/dalil-tt/dalil/cmd/dalil").CombinedOutput()
	if err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("go build ./cmd/dalil (run from the repository, or pass -dalil-bin): %v\n%s", err, out)
	}
	return bin, func() { os.RemoveAll(dir) }, nil
}

// runServeReplicas runs one measurement with n processes, from an empty
// Redis.
func runServeReplicas(ctx context.Context, c procConfig, users, steps int, think time.Duration, n int) (procResult, error) {
	ropt, err := redis.ParseURL(c.redisURL)
	if err != nil {
		return procResult{}, err
	}
	rdb := redis.NewClient(ropt)
	defer rdb.Close()
	if err := rdb.FlushDB(ctx).Err(); err != nil {
		return procResult{}, fmt.Errorf("emptying Redis: %w", err)
	}

	in := newInbox(users)
	srv := bottest.New(bottest.Options{NoRecord: true, OnSend: in.onSend})
	defer srv.Close()
	led := newLedger(n)
	sentHook = led.onSent
	defer func() { sentHook = nil }()
	fr := newFront(in, true)
	defer fr.Close()
	webhook := fr.URL + bot.DefaultWebhookPath

	var procs []*serveProc
	defer func() {
		for _, p := range procs {
			p.stop()
		}
	}()
	// One pseudonym key shared by the replicas (serve requires one).
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	for i := range n {
		p, err := startServe(ctx, c, i, map[string]string{
			"TELEGRAM_BOT_TOKEN": srv.Token(), "TELEGRAM_API_URL": srv.APIURL(), "PSEUDONYM_KEY": hex.EncodeToString(key),
			"DATABASE_URL": c.dbURL, "REDIS_URL": c.redisURL,
			"WEBHOOK_URL": webhook, "WEBHOOK_SECRET": "load-secret-0123456789",
			"TELEGRAM_RATE_LIMIT": "0", "TELEGRAM_CHAT_RATE_LIMIT": map[bool]string{true: "1", false: "0"}[c.chatLimit],
			"LOG_LEVEL": "warn",
		})
		if err != nil {
			return procResult{}, err
		}
		procs = append(procs, p)
	}
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 512}}
	proxies := make([]http.Handler, n)
	for i, p := range procs {
		proxies[i] = proxy(hc, p.addr)
	}
	fr.backends.Store(&proxies)
	if !waitUntil(10*time.Second, func() bool { u, _ := srv.Webhook(); return u == webhook }) {
		return procResult{}, fmt.Errorf("no replica registered the webhook %s", webhook)
	}
	if err := waitBalanced(ctx, rdb, n); err != nil {
		return procResult{}, err
	}

	cpu0 := make([]time.Duration, n)
	thr0 := make([][2]int64, n)
	for i, p := range procs {
		cpu0[i] = procCPU(p.cmd.Process.Pid)
		if p.group != nil {
			thr0[i][0], thr0[i][1], _ = p.group.throttling()
		}
	}
	tool0 := procCPU(os.Getpid())
	busy0, total0 := boxCPU()
	load0 := loadAverage()
	lat, timeouts, elapsed := play(srv, in, users, steps, think, false)
	load1 := loadAverage()
	busy1, total1 := boxCPU()
	res := procResult{
		result:    result{name: fmt.Sprintf("%dx", n), updates: users * steps, elapsed: elapsed, reply: lat, timeouts: timeouts},
		cpu:       c.cpu,
		load0:     load0,
		load1:     load1,
		toolCores: (procCPU(os.Getpid()) - tool0).Seconds() / elapsed.Seconds(),
	}
	if total1 > total0 {
		res.boxBusy = float64(busy1-busy0) / float64(total1-total0)
	}
	for i, p := range procs {
		res.cores = append(res.cores, (procCPU(p.cmd.Process.Pid)-cpu0[i]).Seconds()/elapsed.Seconds())
		if p.group != nil {
			per, thr, _ := p.group.throttling()
			if d := per - thr0[i][0]; d > 0 {
				res.throttled = append(res.throttled, float64(thr-thr0[i][1])/float64(d))
			} else {
				res.throttled = append(res.throttled, 0)
			}
		}
	}

	// Handling latency of the closed loop only: the burst below queues
	// three updates per user at once.
	var handling hist
	for _, p := range procs {
		m, err := p.metrics()
		if err != nil {
			return procResult{}, err
		}
		handling.add(m.histogram("dalil_update_handling_seconds"))
	}
	res.handlingP50, res.handlingP99 = handling.quantile(.5), handling.quantile(.99)

	burst(srv, in, users, &fr.acked, led)

	for _, p := range procs {
		m, err := p.metrics()
		if err != nil {
			return procResult{}, err
		}
		res.handledBy = append(res.handledBy, m.counter(`dalil_updates_total{outcome="handled"}`))
		res.duplicates += m.counter(`dalil_updates_total{outcome="duplicate"}`)
		res.chatWaits += m.counter(`dalil_ratelimit_waits_total{limit="chat"}`)
	}

	// Read back, per chat, the updates handled and their order.
	store := redisstore.New(rdb, redisstore.Options{})
	for _, chat := range led.chats() {
		conv, _, err := store.Load(ctx, chat)
		if err != nil {
			return procResult{}, err
		}
		var ids []int64
		for _, k := range conv.Seen {
			if id, ok := fr.keys.Load(k); ok {
				ids = append(ids, id.(int64))
			} else {
				res.unknown++
			}
		}
		led.setHandled(chat, ids)
	}
	res.lost, res.twice, res.disorder, _, res.chats, res.example = led.check()
	res.distinct = led.distinct()
	for _, p := range procs {
		if err := p.stop(); err != nil {
			return procResult{}, err
		}
	}
	procs = nil
	return res, nil
}

// front is the load balancer: Telegram posts here; it notes the delivery
// time (the latency's start) and, keyed, the update's key, and hands each
// update to the next replica: a bot's handler in this process, or a proxy
// to a dalil serve process.
type front struct {
	*httptest.Server
	in       *inbox
	keyed    bool // note keys (process replicas are checked from Redis by key)
	backends atomic.Pointer[[]http.Handler]
	next     atomic.Uint64
	keys     sync.Map // update key (as the bot computes it) -> update id
	acked    sync.Map // update id -> *ack, done once a replica queued it
}

func newFront(in *inbox, keyed bool) *front {
	f := &front{in: in, keyed: keyed}
	f.Server = httptest.NewServer(f)
	return f
}

func (f *front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	head, _ := telegram.ReadHead(body)
	f.in.delivered.LoadOrStore(head.UpdateID, time.Now()) // a redelivery keeps the first time
	if f.keyed {
		var up telegram.Update
		_ = json.Unmarshal(body, &up)
		f.keys.Store(bot.UpdateKey(&up), up.UpdateID)
	}
	bs := f.backends.Load()
	if bs == nil || len(*bs) == 0 {
		http.Error(w, "no replica yet", http.StatusServiceUnavailable)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	rec := &statusWriter{ResponseWriter: w, code: http.StatusOK}
	(*bs)[int(f.next.Add(1)%uint64(len(*bs)))].ServeHTTP(rec, r)
	if rec.code == http.StatusOK {
		a, _ := f.acked.LoadOrStore(head.UpdateID, newAck())
		a.(*ack).done()
	}
}

// proxy forwards webhook posts to a dalil serve process at addr; its
// answer goes back as it came, as a load balancer passes it.
func proxy(hc *http.Client, addr string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body) // a sized body, as Telegram sends
		req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, "http://"+addr+r.URL.Path, bytes.NewReader(body))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", r.Header.Get("X-Telegram-Bot-Api-Secret-Token"))
		resp, err := hc.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		if ct := resp.Header.Get("Content-Type"); ct != "" {
			w.Header().Set("Content-Type", ct)
		}
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
	})
}

// serveProc is one `dalil serve` process.
type serveProc struct {
	cmd    *exec.Cmd
	addr   string
	logs   *tail
	exited chan struct{}
	group  *cpuGroup
	dir    string
	once   sync.Once
	err    error
}

// startServe starts replica i with env (plus HTTP_ADDR, PATH, HOME), in a
// cgroup of its own when c.cpu > 0, and waits until it is ready.
func startServe(ctx context.Context, c procConfig, i int, env map[string]string) (*serveProc, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "dalil-load-replica")
	if err != nil {
		return nil, err
	}
	p := &serveProc{addr: "127.0.0.1:" + strconv.Itoa(port), logs: &tail{max: 64 << 10}, exited: make(chan struct{}), dir: dir}
	if c.cpu > 0 {
		p.group, err = newCPUGroup(fmt.Sprintf("dalil-load-%d-%d", os.Getpid(), i), c.cpu)
		if err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		// The shell enters the group and becomes dalil: the quota holds
		// from the first instruction, so Go sizes GOMAXPROCS by it.
		p.cmd = exec.Command("/bin/sh", "-c", `echo $$ >"$1" && exec "$2" serve`, "sh", p.group.procsFile(), c.bin)
	} else {
		p.cmd = exec.Command(c.bin, "serve")
	}
	// Its own empty directory: serve reads a .env file from there.
	p.cmd.Dir = dir
	p.cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + dir, "HTTP_ADDR=" + p.addr}
	for k, v := range env {
		p.cmd.Env = append(p.cmd.Env, k+"="+v)
	}
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // never outlive the tool
	if err := p.cmd.Start(); err != nil {
		p.cleanup()
		return nil, fmt.Errorf("starting %s serve: %w", c.bin, err)
	}
	go func() { p.cmd.Wait(); close(p.exited) }()
	ready := waitUntil(30*time.Second, func() bool {
		select {
		case <-p.exited:
			return true
		default:
		}
		code, _ := httpGet(ctx, "http://"+p.addr+"/readyz")
		return code == http.StatusOK
	})
	select {
	case <-p.exited:
		p.stop()
		return nil, fmt.Errorf("replica %d: dalil serve exited at start (%v); its log:\n%s", i+1, p.cmd.ProcessState, p.logs)
	default:
	}
	if !ready {
		p.stop()
		return nil, fmt.Errorf("replica %d: /readyz not 200 within 30s; its log:\n%s", i+1, p.logs)
	}
	return p, nil
}

// stop sends SIGTERM (a clean stop gives the partitions back), kills after
// 15 s, and removes the cgroup and directory. It reports a replica that
// had already died.
func (p *serveProc) stop() error {
	p.once.Do(func() {
		select {
		case <-p.exited:
			p.err = fmt.Errorf("dalil serve on %s died during the run (%v); its log:\n%s", p.addr, p.cmd.ProcessState, p.logs)
		default:
			p.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-p.exited:
			case <-time.After(15 * time.Second):
				p.cmd.Process.Kill()
				<-p.exited
			}
		}
		p.cleanup()
	})
	return p.err
}

func (p *serveProc) cleanup() {
	if p.group != nil {
		if err := p.group.remove(); err != nil {
			fmt.Fprintln(os.Stderr, "dalil-load:", err)
		}
	}
	os.RemoveAll(p.dir)
}

// metrics reads the replica's /metrics.
func (p *serveProc) metrics() (promText, error) {
	code, body := httpGet(context.Background(), "http://"+p.addr+"/metrics")
	if code != http.StatusOK {
		return "", fmt.Errorf("replica %s: /metrics answered %d", p.addr, code)
	}
	return promText(body), nil
}

// waitBalanced waits until every replica holds its share of the update
// queue's partitions, so that the measurement does not include the
// hand-over.
func waitBalanced(ctx context.Context, rdb *redis.Client, n int) error {
	store := redisstore.New(rdb, redisstore.Options{})
	keys := make([]string, partitions)
	for p := range keys {
		keys[p] = store.GlobalKey("{updates:" + strconv.Itoa(p) + "}:lease")
	}
	var held map[string]int
	if waitUntil(30*time.Second, func() bool {
		vals, err := rdb.MGet(ctx, keys...).Result()
		if err != nil {
			return false
		}
		held = map[string]int{}
		for _, v := range vals {
			if s, ok := v.(string); ok {
				held[s]++
			}
		}
		if len(held) != n {
			return false
		}
		for _, k := range held {
			if k < partitions/n {
				return false
			}
		}
		return true
	}) {
		return nil
	}
	return fmt.Errorf("the %d replicas did not share the %d partitions within 30s (holders: %v)", n, partitions, held)
}

// promText is a Prometheus text exposition.
type promText string

// counter is the value of the sample named exactly series (labels
// included, as printed), 0 when absent.
func (t promText) counter(series string) float64 {
	for _, line := range strings.Split(string(t), "\n") {
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			v, _ := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			return v
		}
	}
	return 0
}

// histogram returns the cumulative buckets of a histogram (upper bound ->
// count, +Inf included).
func (t promText) histogram(name string) hist {
	h := hist{}
	for _, line := range strings.Split(string(t), "\n") {
		rest, ok := strings.CutPrefix(line, name+`_bucket{le="`)
		if !ok {
			continue
		}
		le, val, ok := strings.Cut(rest, `"} `)
		if !ok {
			continue
		}
		bound, err := strconv.ParseFloat(le, 64) // "+Inf" parses as +Inf
		if err != nil {
			continue
		}
		v, _ := strconv.ParseFloat(strings.TrimSpace(val), 64)
		h[bound] = v
	}
	return h
}

// hist is a cumulative histogram: upper bound in seconds -> count.
type hist map[float64]float64

func (h *hist) add(o hist) {
	if *h == nil {
		*h = hist{}
	}
	for k, v := range o {
		(*h)[k] += v
	}
}

// quantile interpolates linearly within the bucket, as PromQL's
// histogram_quantile does.
func (h hist) quantile(q float64) time.Duration {
	bounds := make([]float64, 0, len(h))
	for b := range h {
		bounds = append(bounds, b)
	}
	sort.Float64s(bounds)
	if len(bounds) == 0 || h[bounds[len(bounds)-1]] == 0 {
		return 0
	}
	rank := q * h[bounds[len(bounds)-1]]
	lower, below := 0.0, 0.0
	for _, b := range bounds {
		if h[b] >= rank {
			if math.IsInf(b, 1) {
				return time.Duration(lower * float64(time.Second)) // beyond the last bound
			}
			frac := 0.0
			if h[b] > below {
				frac = (rank - below) / (h[b] - below)
			}
			return time.Duration((lower + (b-lower)*frac) * float64(time.Second))
		}
		lower, below = b, h[b]
	}
	return 0
}

// procCPU is the CPU time (user + system, all threads) of a process so far.
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// The command name may hold spaces: fields start after its ')'.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / clockTicks
}

// clockTicks is USER_HZ, 100 on every Linux architecture Go supports.
const clockTicks = 100

// boxCPU returns the machine's busy and total CPU time so far (ticks).
func boxCPU() (busy, total uint64) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return 0, 0
	}
	for i, s := range f[1:] {
		v, _ := strconv.ParseUint(s, 10, 64)
		if i < 8 { // user nice system idle iowait irq softirq steal (guest is in user)
			total += v
			if i != 3 && i != 4 {
				busy += v
			}
		}
	}
	return busy, total
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func httpGet(ctx context.Context, url string) (int, string) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, ""
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func waitUntil(d time.Duration, ok func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if ok() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// tail keeps the last max bytes written (a replica's log).
type tail struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = t.b[len(t.b)-t.max:]
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}
