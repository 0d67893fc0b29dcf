package bot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/dalil-tt/dalil/bot/outbox"
	"hash/fnv"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dalil-tt/dalil/bot/telegram"
)

// The update queue is split into partitions so that a chat's updates keep
// their order across replicas: a chat always goes to the same partition, and
// a partition is read by one replica at a time, the holder of its lease.
// Within the holder, the chat's actor keeps the order.
const (
	// partitions is fixed: changing it would send a chat's queued and new
	// updates to different partitions.
	partitions = 16
	leaseTTL   = 10 * time.Second
	// leaseRenew is also how soon replicas notice one came or went.
	leaseRenew = time.Second
	// partitionConsumer is the one consumer name of every partition's group:
	// the entries a holder read but did not acknowledge stay in that
	// consumer's pending list for the next holder, which reads them first,
	// in stream order.
	partitionConsumer = "holder"
)

// partitionKey is a partition's stream; each carries its own hash tag, so
// partitions spread over a Redis Cluster.
func (b *Bot) partitionKey(p int) string {
	return b.store.GlobalKey("{updates:" + strconv.Itoa(p) + "}")
}

func (b *Bot) leaseKey(p int) string {
	return b.store.GlobalKey("{updates:" + strconv.Itoa(p) + "}:lease")
}

// replicasKey is a sorted set of replica ids by last heartbeat (ms).
func (b *Bot) replicasKey() string { return b.store.GlobalKey("replicas") }

// partitionOf maps a chat to its partition.
func partitionOf(chat int64) int {
	h := fnv.New32a()
	h.Write([]byte(strconv.FormatInt(chat, 10)))
	return int(h.Sum32() % partitions)
}

// rawPartition finds the partition of a raw update (0 when unreadable: the
// consumer drops it).
func rawPartition(raw []byte) int {
	h, err := telegram.ReadHead(raw)
	if err != nil {
		return 0
	}
	return partitionOf(h.Chat)
}

func replicaID() string {
	host, _ := os.Hostname()
	var r [4]byte
	_, _ = rand.Read(r[:])
	return host + "/" + strconv.Itoa(os.Getpid()) + "/" + hex.EncodeToString(r[:])
}

// liveHere are the replicas running in this process.
var liveHere sync.Map

// deadHere reports whether a replica id names a process of this host that
// is gone: the previous life of a process restarted in place (systemd, a
// container restarted in its pod), whose partitions are taken back at once
// rather than when their leases run out.
func deadHere(id string) bool {
	host, _ := os.Hostname()
	parts := strings.Split(id, "/")
	if len(parts) != 3 || host == "" || parts[0] != host {
		return false
	}
	pid, err := strconv.Atoi(parts[1])
	if err != nil || pid <= 0 {
		return false
	}
	if pid == os.Getpid() {
		// In a container the restarted process often has the same pid.
		_, live := liveHere.Load(id)
		return !live
	}
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

// takeoverScript moves a lease from a dead holder to us.
var takeoverScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0`)

// held is a partition this replica reads.
type held struct {
	cancel   context.CancelFunc
	stopping bool
	read     chan struct{}  // closed when the reader has stopped
	inflight sync.WaitGroup // this partition's updates being handled
}

// queueAck is a handled update to remove from its partition, or (synced
// set) a request to remove those before and say so.
type queueAck struct {
	stream, id string
	synced     chan struct{}
}

// consume holds a fair share of the partitions and handles their updates
// until ctx is cancelled.
func (b *Bot) consume(ctx context.Context) error {
	rdb := b.store.Client()
	me := replicaID()
	liveHere.Store(me, true)
	defer liveHere.Delete(me)
	acks := make(chan queueAck, maxInFlight)
	acked := make(chan struct{})
	go b.acker(acks, acked)
	sem := make(chan struct{}, maxInFlight)
	hs := map[int]*held{}
	released := make(chan int, partitions)
	// Spread replicas' first picks so that they rarely race for a lease.
	first := int(fnv32(me) % partitions)
	legacyDone := false

	stop := func(p int, h *held) {
		h.stopping = true
		h.cancel()
		go func() {
			<-h.read
			h.inflight.Wait()
			// Acknowledged before the lease goes, so that the next holder
			// does not read them again.
			synced := make(chan struct{})
			acks <- queueAck{synced: synced}
			<-synced
			released <- p
		}()
	}
	defer func() {
		for p, h := range hs {
			if !h.stopping {
				stop(p, h)
			}
		}
		// The leases are kept while what was taken is finished, then given
		// back, so that the next holders start at once.
		renew := time.NewTicker(leaseRenew)
		defer renew.Stop()
		for len(hs) > 0 {
			select {
			case p := <-released:
				delete(hs, p)
				cctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
				_ = outbox.ReleaseLease(cctx, rdb, b.leaseKey(p), me)
				cancel()
			case <-renew.C:
				for p := range hs {
					cctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
					_, _ = outbox.AcquireLease(cctx, rdb, b.leaseKey(p), me, leaseTTL)
					cancel()
				}
			}
		}
		close(acks)
		<-acked
		cctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		_ = rdb.ZRem(cctx, b.replicasKey(), me).Err()
	}()

	tick := time.NewTimer(0)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case p := <-released:
			delete(hs, p)
			cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
			_ = outbox.ReleaseLease(cctx, rdb, b.leaseKey(p), me)
			cancel()
			continue
		case <-tick.C:
		}
		tick.Reset(leaseRenew)
		if !legacyDone {
			legacyDone = b.migrateLegacy(ctx) == nil
		}
		share, live, err := b.heartbeat(ctx, me)
		if err == nil {
			// Telegram's limit is the bot's, whatever the replicas.
			if n, changed := b.send.limits.share(live); changed {
				b.log.Info("overall send limit shared among replicas", "replicas", live, "per_second_here", n)
			}
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			b.log.Warn("update queue unavailable; retrying", "err", err)
		}
		// Keep (renew) what we hold; a lease lost (expired while Redis was
		// out of reach) stops its reader at once.
		active := 0
		for p, h := range hs {
			ok, err := outbox.AcquireLease(ctx, rdb, b.leaseKey(p), me, leaseTTL)
			if (err != nil || !ok) && !h.stopping {
				if err == nil {
					b.log.Warn("update partition lease lost", "partition", p)
				}
				stop(p, h)
			}
			if !h.stopping {
				active++
			}
		}
		if err != nil {
			continue
		}
		if active > share {
			// Give back the highest partitions to the replicas that came.
			ps := make([]int, 0, len(hs))
			for p, h := range hs {
				if !h.stopping {
					ps = append(ps, p)
				}
			}
			sort.Sort(sort.Reverse(sort.IntSlice(ps)))
			for _, p := range ps[:active-share] {
				stop(p, hs[p])
			}
			continue
		}
		for i := 0; i < partitions && active < share; i++ {
			p := (first + i) % partitions
			if hs[p] != nil {
				continue
			}
			ok, err := outbox.AcquireLease(ctx, rdb, b.leaseKey(p), me, leaseTTL)
			if err == nil && !ok {
				if old, _ := rdb.Get(ctx, b.leaseKey(p)).Result(); deadHere(old) {
					var took int
					took, err = takeoverScript.Run(ctx, rdb, []string{b.leaseKey(p)}, old, me, leaseTTL.Milliseconds()).Int()
					ok = took == 1
				}
			}
			if err != nil || !ok {
				continue
			}
			rctx, cancel := context.WithCancel(ctx)
			h := &held{cancel: cancel, read: make(chan struct{})}
			hs[p] = h
			active++
			go func() {
				defer close(h.read)
				b.readPartition(rctx, p, h, sem, acks)
			}()
		}
	}
}

// heartbeat records this replica as alive and returns its fair share of
// partitions among the live replicas, and how many are live.
func (b *Bot) heartbeat(ctx context.Context, me string) (int, int, error) {
	now := time.Now().UnixMilli()
	pipe := b.store.Client().TxPipeline()
	pipe.ZAdd(ctx, b.replicasKey(), redis.Z{Score: float64(now), Member: me})
	pipe.ZRemRangeByScore(ctx, b.replicasKey(), "-inf", strconv.FormatInt(now-leaseTTL.Milliseconds(), 10))
	ids := pipe.ZRange(ctx, b.replicasKey(), 0, -1)
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, 0, fmt.Errorf("replica heartbeat: %w", err)
	}
	live := 0
	for _, id := range ids.Val() {
		if deadHere(id) {
			_ = b.store.Client().ZRem(ctx, b.replicasKey(), id).Err()
			continue
		}
		live++
	}
	live = max(live, 1)
	return (partitions + live - 1) / live, live, nil
}

// readPartition handles a partition's updates while this replica holds it:
// first those a previous holder read but did not finish, in order, then
// new ones.
func (b *Bot) readPartition(ctx context.Context, p int, h *held, sem chan struct{}, acks chan<- queueAck) {
	rdb := b.store.Client()
	key := b.partitionKey(p)
	backoff := 100 * time.Millisecond
	groupReady := false
	last := "0" // reading the pending list from there; ">" once it is done
	for ctx.Err() == nil {
		if !groupReady {
			err := rdb.XGroupCreateMkStream(ctx, key, streamGroup, "0").Err()
			if err != nil && !isBusyGroup(err) {
				if ctx.Err() != nil {
					return
				}
				b.log.Warn("update queue unavailable; retrying", "err", err)
				_ = sleepUntil(ctx, time.Now().Add(backoff))
				backoff = min(backoff*2, 5*time.Second)
				continue
			}
			groupReady = true
		}
		args := &redis.XReadGroupArgs{Group: streamGroup, Consumer: partitionConsumer,
			Streams: []string{key, last}, Count: 200}
		if last == ">" {
			args.Block = time.Second
		}
		streams, err := rdb.XReadGroup(ctx, args).Result()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			b.log.Warn("reading the update queue; retrying", "err", err)
			groupReady = false // the stream may have gone with a Redis restart
			last = "0"         // redelivered updates are dropped as duplicates
			_ = sleepUntil(ctx, time.Now().Add(backoff))
			backoff = min(backoff*2, 5*time.Second)
			continue
		}
		backoff = 100 * time.Millisecond
		var msgs []redis.XMessage
		for _, s := range streams {
			msgs = append(msgs, s.Messages...)
		}
		var crashed map[string]int64
		if last != ">" {
			crashed = b.crashedDeliveries(ctx, key, msgs)
		}
		if last != ">" {
			if len(msgs) == 0 {
				last = ">"
				continue
			}
			last = msgs[len(msgs)-1].ID
		}
		for _, m := range msgs {
			raw, _ := m.Values["u"].(string)
			var up telegram.Update
			if err := json.Unmarshal([]byte(raw), &up); err != nil {
				// (A pending entry deleted meanwhile has no values.)
				b.log.Error("unreadable update in the queue, dropped", "err", err)
				acks <- queueAck{stream: key, id: m.ID}
				continue
			}
			if n := crashed[m.ID]; n > 0 {
				b.setAside(&up, "unfinished", int(n), true)
				acks <- queueAck{stream: key, id: m.ID}
				continue
			}
			at := time.Now()
			if t, _ := m.Values["t"].(string); t != "" {
				if ns, err := strconv.ParseInt(t, 10, 64); err == nil {
					at = time.Unix(0, ns)
				}
			}
			sem <- struct{}{}
			h.inflight.Add(1)
			id := m.ID
			b.dispatch(&up, at, func() {
				acks <- queueAck{stream: key, id: id}
				<-sem
				h.inflight.Done()
			})
		}
	}
}

// migrateLegacy moves what is left in the single queue of earlier versions
// (dalil:updates) to the partitions. Replicas doing it at once, or a crash
// midway, only queue duplicates, which are dropped.
func (b *Bot) migrateLegacy(ctx context.Context) error {
	rdb := b.store.Client()
	old := b.streamKey()
	for {
		msgs, err := rdb.XRangeN(ctx, old, "-", "+", 100).Result()
		if err != nil {
			return fmt.Errorf("reading the old update queue: %w", err)
		}
		if len(msgs) == 0 {
			return nil
		}
		pipe := rdb.Pipeline()
		ids := make([]string, len(msgs))
		for i, m := range msgs {
			ids[i] = m.ID
			raw, _ := m.Values["u"].(string)
			vals := []any{"u", raw}
			if t, _ := m.Values["t"].(string); t != "" {
				vals = append(vals, "t", t)
			}
			pipe.XAdd(ctx, &redis.XAddArgs{Stream: b.partitionKey(rawPartition([]byte(raw))), Values: vals})
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return fmt.Errorf("moving the old update queue: %w", err)
		}
		if err := rdb.XDel(ctx, old, ids...).Err(); err != nil {
			return fmt.Errorf("moving the old update queue: %w", err)
		}
		b.log.Info("moved updates from the old queue", "n", len(msgs))
	}
}

func fnv32(s string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(s))
	return h.Sum32()
}
