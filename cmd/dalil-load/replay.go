package main

import (
	"context"
	"maps"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dalil-tt/dalil/bot/telegram"
)

// The replay bot is the third yardstick (-replay). A bare echo bot makes
// one small call per update; Dalil must make about three, bigger ones (each
// press answered, its keyboard removed, questions with keyboards, service
// cards and places). The replay bot makes, for each update, exactly the
// calls Dalil made for it in the same run, and nothing else: no engine, no
// Redis, no PostgreSQL. Its throughput is what Dalil's Telegram traffic
// alone allows on this box, so Dalil's ratio to it says how much its own
// work costs beside that traffic: one half means as much again.

// traffic is the calls Dalil made, by user and by the update they answer.
type traffic struct {
	step  []atomic.Int32 // per user: the update being answered
	mu    sync.Mutex
	calls [][][]replayCall // user, update, calls in order
	// answers are the recorded calls by user, as the replay bot gives
	// them out (see queue and take).
	answers [][][]replayCall
}

type replayCall struct {
	method string
	params map[string]string
}

func newTraffic(users, steps int) *traffic {
	t := &traffic{step: make([]atomic.Int32, users), calls: make([][][]replayCall, users)}
	for i := range t.calls {
		t.calls[i] = make([][]replayCall, steps)
	}
	return t
}

// sending notes that user u sends update k next: calls for its chat are
// its answer from now on (a late call of the update before is counted with
// this one, which changes nothing to the traffic's cost).
func (t *traffic) sending(chat int64, k int) {
	if i := chat - firstChat; i >= 0 && i < int64(len(t.step)) {
		t.step[i].Store(int32(k))
	}
}

// onCall records a call of a user's chat. Calls without a chat (set-up,
// answerCallbackQuery) are left out: the replay bot answers each press
// itself, once, as Dalil does.
func (t *traffic) onCall(method string, params map[string]string) {
	chat, err := strconv.ParseInt(params["chat_id"], 10, 64)
	i := chat - firstChat
	if err != nil || i < 0 || i >= int64(len(t.step)) {
		return
	}
	k := t.step[i].Load()
	t.mu.Lock()
	t.calls[i][k] = append(t.calls[i][k], replayCall{method, maps.Clone(params)})
	t.mu.Unlock()
}

// queue turns the calls recorded into each user's answers, in order: the
// steps that have calls. Some have none: under load a user may take the end
// of a long answer (a referral's cards) for the answer to its next update,
// whose own answer then comes with the update after.
func (t *traffic) queue() {
	t.answers = make([][][]replayCall, len(t.calls))
	for i, steps := range t.calls {
		for _, cs := range steps {
			if len(cs) > 0 {
				t.answers[i] = append(t.answers[i], cs)
			}
		}
	}
}

// take returns the calls that answer user i's update k (of steps): the next
// answer, split after its first message when the answers left are fewer
// than the updates, so that every update gets a message; the last update
// takes whatever is left, so that the whole traffic is replayed.
func (t *traffic) take(i int64, k, steps int) []replayCall {
	t.mu.Lock()
	defer t.mu.Unlock()
	left := t.answers[i]
	if len(left) == 0 {
		return nil
	}
	if k >= steps-1 {
		t.answers[i] = nil
		var all []replayCall
		for _, cs := range left {
			all = append(all, cs...)
		}
		return all
	}
	first := left[0]
	if len(left) < steps-k {
		for j, c := range first {
			if c.method != "editMessageReplyMarkup" && c.method != "sendChatAction" && j < len(first)-1 {
				left[0] = first[j+1:]
				return first[:j+1]
			}
		}
	}
	t.answers[i] = left[1:]
	return first
}

// runReplay plays the same users against the replay bot.
func runReplay(ctx context.Context, rdb *redis.Client, tr *traffic, users, steps int, think time.Duration) (result, error) {
	tr.queue()
	seen := make([]atomic.Int32, users) // per user: updates received
	return runBare(ctx, rdb, "replay", users, steps, think, false, func(ctx context.Context, c *telegram.Client, up *telegram.Update) {
		i := up.ChatID() - firstChat
		if i < 0 || i >= int64(users) {
			return
		}
		k := int(seen[i].Add(1) - 1)
		replay(ctx, c, up, tr.take(i, k, steps))
	})
}

// replay answers one update with the calls Dalil made for it: a press is
// answered first, and the keyboard it removes is the pressed message's.
func replay(ctx context.Context, c *telegram.Client, up *telegram.Update, calls []replayCall) {
	cq := up.CallbackQuery
	if cq != nil {
		_, _ = c.Call(ctx, "answerCallbackQuery", telegram.Params{"callback_query_id": cq.ID})
	}
	for _, rc := range calls {
		p := telegram.Params(maps.Clone(rc.params))
		if rc.method == "editMessageReplyMarkup" && cq != nil && cq.Message != nil {
			p["message_id"] = strconv.FormatInt(cq.Message.MessageID, 10)
		}
		_, _ = c.Call(ctx, rc.method, p)
	}
}
