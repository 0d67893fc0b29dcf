package handoff

import (
	"context"
	"testing"
	"time"

	"github.com/dalil-tt/dalil/internal/lang"
	"github.com/dalil-tt/dalil/internal/pseudonym"
)

// handoffsOf counts the handoff rows and kept texts stored under any of keys.
func handoffsOf(t *testing.T, h *harness, keys ...string) (rows, texts int) {
	t.Helper()
	err := h.pool.QueryRow(context.Background(), `SELECT count(*), (SELECT count(*) FROM handoff_messages m
		JOIN handoffs h ON h.id = m.handoff_id WHERE h.user_key = ANY($1)) FROM handoffs WHERE user_key = ANY($1)`, keys).Scan(&rows, &texts)
	if err != nil {
		t.Fatal(err)
	}
	return rows, texts
}

// The keys in PostgreSQL come from PSEUDONYM_KEY, not the bot token: a bot
// restarted with a new token (and the same key) still erases everything,
// kept texts and call-back numbers included. After a key rotation (the old
// key among the old keys) /forget erases records made under either key, and
// a user who comes back has their records moved to the current key.
func TestForgetAcrossTokenAndKeyChanges(t *testing.T) {
	oldKey := randomKey()
	h := newHarness(t, true, func(o *Options) {
		o.Retention = time.Hour
		o.Pseudonyms, _ = pseudonym.New(oldKey)
	})
	ctx := context.Background()
	leaving := int64(1)<<33 + randInt(1e9)
	returning := int64(1)<<34 + randInt(1e9)
	for _, u := range []int64{leaving, returning} {
		h.open(u, "Amina", demoState(lang.FR))
		h.wait(h.srv.Text(u, "Mon numéro est le 0612345678, rappelez-moi"))
	}
	before, _ := pseudonym.New(oldKey)
	if rows, texts := handoffsOf(t, h, before.Of(leaving)); rows != 1 || texts != 1 {
		t.Fatalf("before: %d handoffs, %d texts", rows, texts)
	}

	// The bot token is replaced (the harness's desk never saw it: the
	// key is the setting's) and the pseudonym key is rotated.
	h.halt()
	newKey := randomKey()
	h.opts.Pseudonyms, _ = pseudonym.New(newKey, oldKey)
	h.start()
	// The returning user comes back: their old record moves to the new key.
	if err := h.desk.close(ctx, returning, 0, "", "user_restart", false); err != nil {
		t.Fatal(err)
	}
	h.open(returning, "Amina", demoState(lang.FR))
	if rows, _ := handoffsOf(t, h, h.opts.Pseudonyms.Of(returning)); rows != 2 {
		t.Fatalf("returning user: %d handoffs under the current key, want 2", rows)
	}
	if err := h.desk.Forget(ctx, leaving); err != nil {
		t.Fatal(err)
	}
	if rows, texts := handoffsOf(t, h, h.opts.Pseudonyms.All(leaving)...); rows != 0 || texts != 0 {
		t.Fatalf("after /forget under a rotated key: %d handoffs, %d texts (phone number) left", rows, texts)
	}
	// Once the old key is dropped, the returning user is still erased.
	h.halt()
	h.opts.Pseudonyms, _ = pseudonym.New(newKey)
	h.start()
	if err := h.desk.Forget(ctx, returning); err != nil {
		t.Fatal(err)
	}
	if rows, texts := handoffsOf(t, h, h.opts.Pseudonyms.All(returning)...); rows != 0 || texts != 0 {
		t.Fatalf("returning user after /forget: %d handoffs, %d texts", rows, texts)
	}
}
