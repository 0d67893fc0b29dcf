package redistest

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// SharedURL is the shared test Redis the storage tests run against:
// TEST_REDIS_URL (deploy/services.sh sets it), or a local default.
func SharedURL() string {
	if u := os.Getenv("TEST_REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

// Client connects to the shared test Redis (SharedURL), failing t when it is not
// reachable; it is closed when the test ends.
func Client(t testing.TB) *redis.Client {
	t.Helper()
	url := SharedURL()
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("TEST_REDIS_URL %q: %v", url, err)
	}
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { rdb.Close() })
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("Redis is not reachable at %s (%v): start it with `redis-server` or set TEST_REDIS_URL", url, err)
	}
	return rdb
}

// Prefix is a key prefix of the test's own on the shared Redis (name and
// the time), whose keys are deleted when the test ends, so that tests
// sharing one server never see each other's keys.
func Prefix(t testing.TB, rdb *redis.Client, name string) string {
	t.Helper()
	prefix := fmt.Sprintf("%s%d", name, time.Now().UnixNano())
	t.Cleanup(func() {
		ctx := context.Background()
		if keys, _ := rdb.Keys(ctx, prefix+":*").Result(); len(keys) > 0 {
			rdb.Del(ctx, keys...)
		}
	})
	return prefix
}
