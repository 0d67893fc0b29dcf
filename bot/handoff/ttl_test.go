package handoff

import (
	"context"
	"testing"
	"time"

	"github.com/dalil-tt/dalil/internal/lang"
)

// Every Redis key the desk writes expires, within STATE_TTL, or within the
// handoff retention when that is shorter: a whole handoff (topic, relays
// both ways, take, call-back number, close, the user back, /pending) and
// then a scan of every key under the desk's prefix.
func TestEveryKeyExpires(t *testing.T) {
	for _, c := range []struct {
		forum            bool
		state, retention time.Duration
		bound            time.Duration
	}{
		{true, 48 * time.Hour, 0, 48 * time.Hour},
		{false, 48 * time.Hour, 0, 48 * time.Hour},
		{true, 720 * time.Hour, 2 * time.Hour, 2 * time.Hour},
	} {
		h := newHarness(t, c.forum, func(o *Options) {
			o.StateTTL, o.Retention, o.Wait = c.state, c.retention, time.Minute
		})
		ctx := context.Background()
		user := int64(1)<<33 + randInt(1e9)
		adviser := int64(1)<<33 + randInt(1e9)
		h.srv.SetMember(h.group, adviser, "member")
		h.open(user, "Amina", demoState(lang.FR))
		card := h.received(h.group)[0]
		to := func(text string) map[string]any {
			f := map[string]any{"text": text}
			if c.forum {
				return inTopic(card.ThreadID, f)
			}
			f["reply_to_message"] = h.srv.Ref(card)
			return f
		}
		h.wait(h.srv.Text(user, "Bonjour"))
		h.clock.Add(time.Hour)
		if err := h.desk.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		h.wait(h.srv.Text(user, "0612345678"))
		h.adviser(adviser, "Nadia", to("/pending"))
		h.adviser(adviser, "Nadia", to("Je vous rappelle."))
		h.adviser(adviser, "Nadia", to("/close"))
		h.open(user, "Amina", demoState(lang.FR))
		h.wait(h.srv.Text(user, "Encore moi"))

		keys, err := h.rdb.Keys(ctx, h.opts.Prefix+"*").Result()
		if err != nil {
			t.Fatal(err)
		}
		if len(keys) < 8 {
			t.Fatalf("only %d keys: %q", len(keys), keys)
		}
		for _, k := range keys {
			ttl, err := h.rdb.TTL(ctx, k).Result()
			if err != nil {
				t.Fatal(err)
			}
			if ttl <= 0 || ttl > c.bound {
				t.Errorf("forum %v, STATE_TTL %v, retention %v: key %s has TTL %v, want at most %v",
					c.forum, c.state, c.retention, k, ttl, c.bound)
			}
		}
	}
}
