package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dalil-tt/dalil/bot/bottest"
	"github.com/dalil-tt/dalil/catalogue/postgres/pgtest"
	"github.com/dalil-tt/dalil/internal/redistest"
)

func TestParseRedisURL(t *testing.T) {
	type want struct {
		kind  string
		addrs []string
		db    int
		pool  int
		retry int
		user  string
		pass  string
		mastr string // sentinel: master name
		spass string // sentinel: the sentinels' password
		tls   bool
	}
	for _, tc := range []struct {
		url  string
		want want
		err  string // part of the error; "" = no error
	}{
		// One server: go-redis's ParseURL, with Dalil's pool defaults.
		{url: "redis://127.0.0.1:6379/0", want: want{kind: redisSingle, addrs: []string{"127.0.0.1:6379"}, pool: 64, retry: 2}},
		{url: "redis://:s3cret@redis.internal:6380/2", want: want{kind: redisSingle, addrs: []string{"redis.internal:6380"}, db: 2, pool: 64, retry: 2, pass: "s3cret"}},
		{url: "rediss://app:pw@r.example:6379/0?pool_size=10&max_retries=-1", want: want{kind: redisSingle, addrs: []string{"r.example:6379"}, pool: 10, retry: -1, user: "app", pass: "pw", tls: true}},
		{url: "unix:///run/redis/redis.sock?db=3", want: want{kind: redisSingle, addrs: []string{"/run/redis/redis.sock"}, db: 3, pool: 64, retry: 2}},
		{url: "redis://h:6379/0?cluster=false", want: want{kind: redisSingle, addrs: []string{"h:6379"}, pool: 64, retry: 2}},
		// Cluster: several nodes (addr=), or one with cluster=true.
		{url: "redis://:pw@n1:7000?addr=n2:7000&addr=n3:7000", want: want{kind: redisCluster, addrs: []string{"n1:7000", "n2:7000", "n3:7000"}, pool: 64, retry: 2, pass: "pw"}},
		{url: "redis://n1:7000/0?addr=n2:7000&read_timeout=2s", want: want{kind: redisCluster, addrs: []string{"n1:7000", "n2:7000"}, pool: 64, retry: 2}},
		{url: "rediss://n1:7000?cluster=true", want: want{kind: redisCluster, addrs: []string{"n1:7000"}, pool: 64, retry: 2, tls: true}},
		{url: "redis://n1:7000?cluster=1&addr=n2:7000&pool_size=8", want: want{kind: redisCluster, addrs: []string{"n1:7000", "n2:7000"}, pool: 8, retry: 2}},
		// Sentinel: master_name=; the userinfo is the sentinels', password= the master's.
		{url: "redis://s1:26379/1?master_name=mymaster&addr=s2:26379&addr=s3:26379&password=mpw", want: want{kind: redisSentinel, addrs: []string{"s1:26379", "s2:26379", "s3:26379"}, db: 1, pool: 64, retry: 2, mastr: "mymaster", pass: "mpw"}},
		{url: "redis://:spw@s1:26379?master_name=m", want: want{kind: redisSentinel, addrs: []string{"s1:26379"}, pool: 64, retry: 2, mastr: "m", spass: "spw"}},

		// Malformed: each names what is wrong, never the URL.
		{url: "redis://h:6379/0?pool_size=ten", err: "pool_size"},
		{url: "redis://h:6379/0?nonsense=1", err: "unexpected option: nonsense"},
		{url: "redis://h:6379/abc", err: "invalid database number"},
		{url: "http://h:6379/0", err: "must start with redis://"},
		{url: "redis://n1:7000/3?addr=n2:7000", err: "only database 0"},
		{url: "redis://n1:7000?addr=n2", err: "addr param: n2"},
		{url: "redis://n1:7000?addr=n2:7000&cluster=false", err: "cluster=false"},
		{url: "redis://n1:7000?cluster=maybe", err: "not true or false"},
		{url: "redis://s1:26379?master_name=m&cluster=true", err: "both Redis Cluster"},
		{url: "redis://s1:26379?master_name=", err: "master_name= is empty"},
		{url: "redis://s1:26379?master_name=m&db=x", err: "database number"},
		{url: "unix:///run/redis.sock?cluster=true", err: "unix:// socket"},
		{url: "redis://:p%zz@h:6379/0", err: "is not a valid URL"},
	} {
		t.Run(tc.url, func(t *testing.T) {
			c, err := parseRedisURL(tc.url)
			if tc.err != "" {
				var ce *ConfigError
				if err == nil || !errors.As(err, &ce) || ce.Var != "REDIS_URL" || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want a REDIS_URL ConfigError with %q", err, tc.err)
				}
				if strings.Contains(err.Error(), "://") && !strings.Contains(tc.err, "://") || strings.Contains(err.Error(), "\n") {
					t.Fatalf("error repeats the URL or spans lines: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got want
			got.kind, got.addrs = c.Kind, c.Addrs()
			switch c.Kind {
			case redisSingle:
				o := c.Single
				got.db, got.pool, got.retry, got.user, got.pass, got.tls = o.DB, o.PoolSize, o.MaxRetries, o.Username, o.Password, o.TLSConfig != nil
			case redisCluster:
				o := c.Cluster
				got.pool, got.retry, got.user, got.pass, got.tls = o.PoolSize, o.MaxRetries, o.Username, o.Password, o.TLSConfig != nil
			case redisSentinel:
				o := c.Failover
				got.db, got.pool, got.retry, got.user, got.pass, got.tls = o.DB, o.PoolSize, o.MaxRetries, o.Username, o.Password, o.TLSConfig != nil
				got.mastr, got.spass = o.MasterName, o.SentinelPassword
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("got  %+v\nwant %+v", got, tc.want)
			}
			rdb := c.client()
			defer rdb.Close()
			wantType := map[string]string{redisSingle: "*redis.Client", redisCluster: "*redis.ClusterClient", redisSentinel: "*redis.Client"}[c.Kind]
			if typ := fmt.Sprintf("%T", rdb); typ != wantType {
				t.Fatalf("client %s, want %s", typ, wantType)
			}
		})
	}
}

// A malformed REDIS_URL stops serve at start with one line naming it,
// before anything is dialled, and without repeating the password.
func TestServeBadRedisURL(t *testing.T) {
	code, _, stderr := runWithEnv(t, map[string]string{
		"TELEGRAM_BOT_TOKEN": "123:abc", "TELEGRAM_API_URL": "http://127.0.0.1:1", "PSEUDONYM_KEY": testPseudonymKey,
		"REDIS_URL": "redis://:hunter2@n1:7000/5?addr=n2:7000",
	}, "", "serve")
	// Log lines (time=…) may come first; the error is one line of its own.
	var errLines []string
	for _, l := range strings.Split(strings.TrimSpace(stderr), "\n") {
		if !strings.HasPrefix(l, "time=") {
			errLines = append(errLines, l)
		}
	}
	if code == 0 || len(errLines) != 1 || !strings.HasPrefix(errLines[0], "dalil serve: setting REDIS_URL: ") ||
		!strings.Contains(errLines[0], "only database 0") || strings.Contains(stderr, "hunter2") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

// redisWatch records what Dalil's Redis client does wrong: every command
// error other than a missing key, a script not yet loaded (the store then
// sends it whole) and a consumer group that exists.
type redisWatch struct {
	mu   sync.Mutex
	errs []string
}

func (w *redisWatch) note(cmd redis.Cmder) {
	err := cmd.Err()
	if err == nil || errors.Is(err, redis.Nil) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return
	}
	if s := err.Error(); strings.HasPrefix(s, "NOSCRIPT") || strings.HasPrefix(s, "BUSYGROUP") {
		return
	}
	w.mu.Lock()
	w.errs = append(w.errs, cmd.Name()+": "+err.Error())
	w.mu.Unlock()
}

func (w *redisWatch) DialHook(next redis.DialHook) redis.DialHook { return next }

func (w *redisWatch) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		w.note(cmd)
		return err
	}
}

func (w *redisWatch) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		for _, c := range cmds {
			w.note(c)
		}
		return err
	}
}

func (w *redisWatch) errors() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.errs)
}

// watchRedis makes a watch of the Redis client serve opens: give its
// attach to serveWith.
func watchRedis(*testing.T) *redisWatch { return &redisWatch{} }

// attach hooks m's Redis client for the rest of the test.
func (w *redisWatch) attach(m *Main) { m.Redis.AddHook(w) }

// masterOf returns the address of the master serving key's slot.
func masterOf(ctx context.Context, t *testing.T, c *redis.ClusterClient, key string) string {
	t.Helper()
	slot, err := c.ClusterKeySlot(ctx, key).Result()
	if err != nil {
		t.Fatal(err)
	}
	ranges, err := c.ClusterSlots(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range ranges {
		if int64(r.Start) <= slot && slot <= int64(r.End) {
			return r.Nodes[0].Addr
		}
	}
	t.Fatalf("no master serves slot %d", slot)
	return ""
}

// mentions lists, on one master, the keys whose name or content holds one
// of needles (a chat id, a name, a message).
func mentions(ctx context.Context, c *redis.Client, needles ...string) ([]string, error) {
	var found []string
	it := c.Scan(ctx, 0, "*", 1000).Iterator()
	for it.Next(ctx) {
		k := it.Val()
		typ, err := c.Type(ctx, k).Result()
		if err != nil {
			return nil, err
		}
		var vals []string
		switch typ {
		case "string":
			v, _ := c.Get(ctx, k).Result()
			vals = []string{v}
		case "hash":
			m, _ := c.HGetAll(ctx, k).Result()
			for f, v := range m {
				vals = append(vals, f, v)
			}
		case "set":
			vals, _ = c.SMembers(ctx, k).Result()
		case "zset":
			vals, _ = c.ZRange(ctx, k, 0, -1).Result()
		case "list":
			vals, _ = c.LRange(ctx, k, 0, -1).Result()
		case "stream":
			ms, _ := c.XRange(ctx, k, "-", "+").Result()
			for _, m := range ms {
				vals = append(vals, fmt.Sprint(m.Values))
			}
		}
		all := k + "\x00" + strings.Join(vals, "\x00")
		for _, n := range needles {
			if strings.Contains(all, n) {
				found = append(found, c.Options().Addr+" "+typ+" "+k)
				break
			}
		}
	}
	return found, it.Err()
}

// The real `dalil serve` on a three-master Redis Cluster through a
// REDIS_URL with several nodes: a conversation, a handoff to the advisers
// (the user's keys and the group's on different masters), then /forget.
// No command is refused (CROSSSLOT or other), and afterwards no key on any
// master names the user or holds what they said.
func TestServeRedisCluster(t *testing.T) {
	redistest.Need(t)
	nodes := redistest.Cluster(t, 3)
	addrs := redistest.Addrs(nodes)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs})
	defer cc.Close()

	const group = -1001234567890
	groupMaster := masterOf(ctx, t, cc, "{chat:"+strconv.Itoa(group)+"}")
	// A user whose keys live on another master than the group's.
	user := int64(5551019283)
	for masterOf(ctx, t, cc, "{chat:"+strconv.FormatInt(user, 10)+"}") == groupMaster {
		user++
	}
	const adviser = 7001
	srv := bottest.New(bottest.Options{})
	t.Cleanup(srv.Close)
	srv.SetGroup(group, "Conseillers", true)
	srv.SetMember(group, adviser, "member")
	srv.SetName(user, "Zoubida")
	url := "redis://" + addrs[0] + "/0?addr=" + addrs[1] + "&addr=" + addrs[2]
	watch := watchRedis(t)
	env := map[string]string{
		"TELEGRAM_BOT_TOKEN": srv.Token(), "TELEGRAM_API_URL": srv.APIURL(),
		"REDIS_URL": url, "DATABASE_URL": pgtest.NewDB(t),
		"ADVISERS_CHAT_ID": strconv.Itoa(group), "HANDOFF_HOURS": "Mon-Sun 00:00-24:00",
	}
	_, stop := serveWith(t, env, watch.attach)
	wait := func(chat int64, n int) []bottest.Message {
		t.Helper()
		ms, err := srv.WaitReceived(chat, n, 10*time.Second)
		if err != nil {
			t.Fatalf("%v (Redis errors: %v)", err, watch.errors())
		}
		return ms
	}
	srv.Text(user, "/start")
	srv.Press(wait(user, 1)[0], "lang:fr")
	q := wait(user, 2)[1]
	if len(q.Buttons) == 0 {
		t.Fatalf("no question after the language: %s", q.Text)
	}
	srv.Text(user, "/adviser")
	wait(user, 4)
	card := wait(group, 1)[0]
	if card.ThreadID == 0 || !strings.Contains(card.Text, "Zoubida") {
		t.Fatalf("card: %+v", card)
	}
	const said = "Ma coopérative de tissage cherche un local"
	srv.Text(user, said)
	if g := wait(group, 2); g[1].Text != "💬 La personne écrit :\n"+said {
		t.Fatalf("user → topic: %s", bottest.Texts(g))
	}
	topic := func(text string) {
		srv.GroupMessage(group, adviser, map[string]any{"text": text, "message_thread_id": card.ThreadID, "is_topic_message": true,
			"from": map[string]any{"id": adviser, "is_bot": false, "first_name": "Karim"}})
	}
	topic("Bonjour, je vous écoute.")
	if u := wait(user, 6); u[5].Text != "Bonjour, je vous écoute." {
		t.Fatalf("adviser → user: %s", bottest.Texts(u))
	}
	topic("/close")
	wait(user, 8)

	id := strconv.FormatInt(user, 10)
	needles := []string{id, "Zoubida", "tissage"}
	held := map[string]bool{}
	var mu sync.Mutex
	if err := cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
		found, err := mentions(ctx, c, needles...)
		mu.Lock()
		defer mu.Unlock()
		if len(found) > 0 {
			held[c.Options().Addr] = true
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(held) == 0 {
		t.Fatal("before /forget no master holds anything of the user: the check below would prove nothing")
	}

	srv.Text(user, "/forget")
	confirm := wait(user, 9)[8]
	if len(confirm.Buttons) == 0 {
		t.Fatalf("/forget asks nothing: %s", confirm.Text)
	}
	srv.Press(confirm, confirm.Buttons[0][0].Data)
	wait(user, 10)
	// What is left of the user, on every master (acknowledged updates leave
	// the queue a moment after they are handled).
	var left []string
	for deadline := time.Now().Add(5 * time.Second); ; {
		left = nil
		err := cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
			found, err := mentions(ctx, c, needles...)
			mu.Lock()
			left = append(left, found...)
			mu.Unlock()
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(left) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(left) > 0 {
		t.Errorf("after /forget, keys still name the user or hold what they said:\n%s", strings.Join(left, "\n"))
	}
	if err := stop(); err != nil {
		t.Fatalf("serve stopped with %v", err)
	}
	for _, e := range watch.errors() {
		t.Errorf("Redis refused a command on the cluster: %s", e)
	}
	t.Logf("user %s on %v, group on %s, masters %v", id, keysOf(held), groupMaster, addrs)
}

func keysOf(m map[string]bool) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// The real `dalil serve` through Sentinel (REDIS_URL names the sentinel and
// the master): a conversation begins, the master is killed and the replica
// promoted, and the conversation goes on where it was — its state read
// from the new master and written there.
func TestServeRedisSentinel(t *testing.T) {
	redistest.Need(t)
	set := redistest.Sentinel(t)
	srv := bottest.New(bottest.Options{})
	t.Cleanup(srv.Close)
	watch := watchRedis(t)
	env := map[string]string{
		"TELEGRAM_BOT_TOKEN": srv.Token(), "TELEGRAM_API_URL": srv.APIURL(), "REDIS_URL": set.URL(),
	}
	_, stop := serveWith(t, env, watch.attach)
	const user = 5552029384
	wait := func(n int, within time.Duration) []bottest.Message {
		t.Helper()
		ms, err := srv.WaitReceived(user, n, within)
		if err != nil {
			t.Fatalf("%v (Redis errors: %v)", err, watch.errors())
		}
		return ms
	}
	srv.Text(user, "/start")
	srv.Press(wait(1, 10*time.Second)[0], "lang:fr")
	q := wait(2, 10*time.Second)[1]
	if len(q.Buttons) == 0 {
		t.Fatalf("no question after the language: %s", q.Text)
	}
	// The record is on the master under the user's key.
	mc := set.Master.Client(t)
	key := "dalil:{chat:" + strconv.Itoa(user) + "}:state"
	if n, err := mc.Exists(context.Background(), key).Result(); err != nil || n != 1 {
		t.Fatalf("%s on the master: %d %v", key, n, err)
	}

	old := set.Master.Addr
	began := time.Now()
	set.KillMasterAndFailover(t)
	t.Logf("failover from %s to %s in %v", old, set.Master.Addr, time.Since(began).Round(time.Millisecond))

	// Answering the question asked before the failover: the bot must find
	// the conversation (a lost one would start again with the languages).
	srv.Press(q, q.Buttons[0][0].Data)
	ms := wait(3, 20*time.Second)
	after := ms[2:]
	if strings.Contains(bottest.Texts(after), "العربية") || strings.Contains(bottest.Texts(after), q.Text) || len(after[len(after)-1].Buttons) == 0 {
		t.Fatalf("the conversation was lost in the failover: %s", bottest.Texts(after))
	}
	// And written on the new master: another step follows from it.
	nc := set.Master.Client(t)
	v1, err := nc.Get(context.Background(), key).Result()
	if err != nil {
		t.Fatalf("%s on the new master: %v", key, err)
	}
	srv.Text(user, "/back")
	wait(len(ms)+1, 10*time.Second)
	v2, err := nc.Get(context.Background(), key).Result()
	if err != nil || v2 == v1 {
		t.Fatalf("the step after the failover was not saved on the new master (%v)", err)
	}
	if err := stop(); err != nil {
		t.Fatalf("serve stopped with %v", err)
	}
	t.Logf("Redis errors seen by the client during the failover (expected while the master is down): %d", len(watch.errors()))
}
