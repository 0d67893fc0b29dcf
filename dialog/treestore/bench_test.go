package treestore_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dalil-tt/dalil/dialog/trees"
	"github.com/dalil-tt/dalil/dialog/treestore"
)

// The default tree against a copy with one text changed in the middle.
func BenchmarkLineDiffDefaultTree(b *testing.B) {
	a := string(trees.Default)
	lines := strings.Split(a, "\n")
	lines[len(lines)/2] += " # edited"
	c := strings.Join(lines, "\n")
	b.ReportAllocs()
	for b.Loop() {
		if len(treestore.LineDiff(a, c)) == 0 {
			b.Fatal("empty diff")
		}
	}
}

// From the start of a publish to a watcher on another pool being told:
// what "a running bot switches within 2 seconds" rests on.
func BenchmarkPublishToWatcher(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, url := newStore(b)
	w := openStore(b, url)
	seen := make(chan int, 1)
	go w.Watch(ctx, func(l treestore.Live) { seen <- l.TreeVersion.N }, treestore.WatchOptions{})
	<-seen
	var worst time.Duration
	i := 0
	for b.Loop() {
		i++
		start := time.Now()
		tree := fmt.Sprintf("id: t\nstart: bye\nnodes:\n  - id: bye\n    kind: end\n    text: {fr: v%d, ar: ب, ary: ب}\n", i)
		if _, err := s.Publish(ctx, treestore.KindTree, []byte(tree), "bench", ""); err != nil {
			b.Fatal(err)
		}
		if n := <-seen; n != i {
			b.Fatalf("saw %d, want %d", n, i)
		}
		worst = max(worst, time.Since(start))
	}
	b.ReportMetric(float64(worst.Microseconds())/1000, "worst-ms")
}
