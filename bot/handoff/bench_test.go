package handoff

import (
	"context"
	"testing"

	"github.com/dalil-tt/dalil/bot/telegram"
)

// The cost the desk adds to every private update when nobody holds the
// conversation (the common case): one Redis HGETALL.
func BenchmarkInterceptIdle(b *testing.B) {
	rdb, pool := services(b)
	d, err := New(Options{API: nopCaller{}, Redis: rdb, Records: NewRecords(pool), T: nopT{}, AdvisersChatID: -100123,
		Pseudonyms: testKeys(), Prefix: "bench:ho"})
	if err != nil {
		b.Fatal(err)
	}
	up := &telegram.Update{UpdateID: 1, Message: &telegram.Message{MessageID: 1, Text: "bonjour",
		Chat: telegram.Chat{ID: 42, Type: "private"}, From: &telegram.User{ID: 42}}}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if d.Intercept(ctx, up) {
			b.Fatal("intercepted a conversation nobody holds")
		}
	}
}
