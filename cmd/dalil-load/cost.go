package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// The figures below do not depend on the run being alone on the box: CPU
// time spent per update and Bot API calls per update are what an update
// costs, however busy the machine; the steady window reports latency at the
// rate actually offered while every user plays (the whole run's average
// rate also counts the ramp up and the stragglers).

// cpuMeter reads the CPU time used so far by this process (bot, fake Bot
// API server and simulated users together) and by Redis.
type cpuMeter struct {
	rdb         redis.UniversalClient
	self, redis time.Duration
	// Read and write system calls (of this process, of redis-server when it
	// is local): round trips, which batching saves.
	selfCalls, redisCalls int64
	redisPID              string
}

func newCPUMeter(ctx context.Context, rdb redis.UniversalClient) *cpuMeter {
	server, _ := redisInfo(ctx, rdb, "server")
	m := &cpuMeter{rdb: rdb, redisPID: server["process_id"]}
	m.self, m.redis = selfCPU(), redisCPU(ctx, rdb)
	m.selfCalls, m.redisCalls = ioCalls("self"), ioCalls(m.redisPID)
	return m
}

// since returns the CPU used since the meter was made, per update.
func (m *cpuMeter) since(ctx context.Context, updates int) string {
	self, red := selfCPU()-m.self, redisCPU(ctx, m.rdb)-m.redis
	per := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(max(updates, 1)) }
	s := fmt.Sprintf("CPU per update %4.0fµs (this process: bot, fake server and users %4.0fµs; redis-server %3.0fµs)",
		per(self+red), per(self), per(red))
	if sc := ioCalls("self") - m.selfCalls; m.selfCalls > 0 && sc > 0 {
		s += fmt.Sprintf("; read+write system calls per update: this process %.1f", float64(sc)/float64(max(updates, 1)))
		if rc := ioCalls(m.redisPID) - m.redisCalls; m.redisCalls > 0 && rc > 0 {
			s += fmt.Sprintf(", redis-server %.1f", float64(rc)/float64(max(updates, 1)))
		}
	}
	return s
}

// ioCalls reads the read and write system calls of a process so far
// (/proc/PID/io), 0 when unknown (another machine's Redis).
func ioCalls(pid string) int64 {
	if pid == "" {
		return 0
	}
	b, err := os.ReadFile("/proc/" + pid + "/io")
	if err != nil {
		return 0
	}
	var n int64
	for _, line := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(line, ": ")
		if k == "syscr" || k == "syscw" {
			c, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			n += c
		}
	}
	return n
}

// redisInfo reads the fields of a section of INFO (nil rdb: none).
func redisInfo(ctx context.Context, rdb redis.UniversalClient, section string) (map[string]string, error) {
	if rdb == nil {
		return nil, nil
	}
	info, err := rdb.Info(ctx, section).Result()
	if err != nil {
		return nil, err
	}
	fields := map[string]string{}
	for _, line := range strings.Split(info, "\r\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			fields[k] = v
		}
	}
	return fields, nil
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// redisCPU is redis-server's own CPU time (INFO cpu), 0 when unknown.
func redisCPU(ctx context.Context, rdb redis.UniversalClient) time.Duration {
	fields, _ := redisInfo(ctx, rdb, "cpu")
	sys, _ := strconv.ParseFloat(fields["used_cpu_sys"], 64)
	user, _ := strconv.ParseFloat(fields["used_cpu_user"], 64)
	return time.Duration((sys + user) * float64(time.Second))
}

// callsPerUpdate formats the Bot API calls the fake server answered, by
// method, per update (getUpdates left out).
func callsPerUpdate(counts map[string]int, updates int) string {
	methods := make([]string, 0, len(counts))
	total := 0
	for m, n := range counts {
		if m == "getUpdates" || m == "getMe" || m == "deleteWebhook" || m == "setWebhook" {
			continue
		}
		methods = append(methods, m)
		total += n
	}
	sort.Strings(methods)
	parts := make([]string, 0, len(methods))
	for _, m := range methods {
		parts = append(parts, fmt.Sprintf("%s %.2f", m, float64(counts[m])/float64(max(updates, 1))))
	}
	return fmt.Sprintf("Bot API calls per update %.2f (%s); getUpdates %.2f", float64(total)/float64(max(updates, 1)),
		strings.Join(parts, ", "), float64(counts["getUpdates"])/float64(max(updates, 1)))
}

// steady reports the updates delivered while every user was playing: their
// rate and latencies. handled maps update ids to their handling latency
// (nil for the echo bot).
func steady(in *inbox, handled map[int64]time.Duration) string {
	var from, to time.Time
	for i := range in.firstSend {
		if in.firstSend[i].IsZero() {
			continue
		}
		if in.firstSend[i].After(from) {
			from = in.firstSend[i]
		}
		if to.IsZero() || in.lastSend[i].Before(to) {
			to = in.lastSend[i]
		}
	}
	if !to.After(from) {
		return "steady window: none (every user's first update came after another's last: use more steps)"
	}
	var n int
	var reply, handling []time.Duration
	in.delivered.Range(func(k, v any) bool {
		at := v.(time.Time)
		if at.Before(from) || at.After(to) {
			return true
		}
		n++
		id := k.(int64)
		if d, ok := in.replied.Load(id); ok {
			reply = append(reply, d.(time.Duration))
		}
		if d, ok := handled[id]; ok {
			handling = append(handling, d)
		}
		return true
	})
	if timeline && handled != nil {
		printTimeline(in, handled, from)
	}
	slices.Sort(reply)
	slices.Sort(handling)
	s := fmt.Sprintf("steady window %.1fs: %5.0f updates/s; first reply p50 %6.2fms p99 %6.2fms",
		to.Sub(from).Seconds(), float64(n)/to.Sub(from).Seconds(), ms(pct(reply, .5)), ms(pct(reply, .99)))
	if len(handling) > 0 {
		s += fmt.Sprintf("; handling p50 %5.2fms p99 %5.2fms p99.9 %5.2fms", ms(pct(handling, .5)), ms(pct(handling, .99)), ms(pct(handling, .999)))
	}
	return s
}

// timeline, with -timeline, prints the handling latency of each 250 ms of
// the run: a tail that comes in bursts points at something periodic (a
// collection, a timer) rather than at load.
var timeline bool

func printTimeline(in *inbox, handled map[int64]time.Duration, from time.Time) {
	buckets := map[int][]time.Duration{}
	in.delivered.Range(func(k, v any) bool {
		if d, ok := handled[k.(int64)]; ok {
			b := int(v.(time.Time).Sub(from) / (250 * time.Millisecond))
			buckets[b] = append(buckets[b], d)
		}
		return true
	})
	keys := make([]int, 0, len(buckets))
	for k := range buckets {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		ds := buckets[k]
		slices.Sort(ds)
		fmt.Printf("  t=%+6.2fs n=%4d handling p50 %6.2fms p99 %6.2fms max %6.2fms\n", float64(k)*0.25, len(ds),
			ms(pct(ds, .5)), ms(pct(ds, .99)), ms(ds[len(ds)-1]))
	}
}
