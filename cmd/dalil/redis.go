package main

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// REDIS_URL is a go-redis URL in one of three forms; its query decides
// which client is built, each parsed by go-redis itself:
//
//	redis://[user:pass@]host:6379/0                    one server (redis.ParseURL);
//	                                                   rediss:// for TLS, unix:///path/redis.sock?db=0
//	redis://[user:pass@]host1:6379?addr=host2:6379&addr=host3:6379
//	                                                   Redis Cluster (redis.ParseClusterURL): the
//	                                                   nodes to start from; with one node only,
//	                                                   add cluster=true
//	redis://[suser:spass@]sentinel1:26379/0?master_name=mymaster&addr=sentinel2:26379&password=pass
//	                                                   Sentinel (redis.ParseFailoverURL): the
//	                                                   sentinels, the master's name; the user and
//	                                                   password before @ are the sentinels', the
//	                                                   master's are username= and password=
//
// go-redis's own options (pool_size, dial_timeout…) go in the query of each.
const (
	redisSingle   = "single"
	redisCluster  = "cluster"
	redisSentinel = "sentinel"
)

// redisConfig is a parsed REDIS_URL: Kind says which of the options is set.
type redisConfig struct {
	Kind     string
	Single   *redis.Options
	Cluster  *redis.ClusterOptions
	Failover *redis.FailoverOptions
}

// Defaults where the URL sets nothing: enough connections for the bot's
// concurrent handlers, and a short retry so that a user waits little
// before "try again" while Redis is away.
const (
	redisPoolSize   = 64
	redisMaxRetries = 2
)

// parseRedisURL reads REDIS_URL. Its errors are *ConfigError naming
// REDIS_URL and never repeat the URL (it may hold a password).
func parseRedisURL(raw string) (redisConfig, error) {
	bad := func(reason string) (redisConfig, error) {
		return redisConfig{}, &ConfigError{"REDIS_URL", reason}
	}
	goRedis := func(err error) (redisConfig, error) {
		return bad("is not a Redis URL: " + strings.TrimPrefix(err.Error(), "redis: "))
	}
	u, err := url.Parse(raw)
	if err != nil {
		return bad("is not a valid URL")
	}
	switch u.Scheme {
	case "redis", "rediss", "unix":
	default:
		return bad("must start with redis://, rediss:// or unix:// (got " + strconv.Quote(u.Scheme+"://") + ")")
	}
	q := u.Query()
	master, sentinel := q.Get("master_name"), q.Has("master_name")
	cluster := q.Has("addr") && !sentinel
	if q.Has("cluster") {
		on, err := strconv.ParseBool(q.Get("cluster"))
		if err != nil {
			return bad("cluster=" + strconv.Quote(q.Get("cluster")) + " is not true or false")
		}
		if on && sentinel {
			return bad("cannot be both Redis Cluster (cluster=true) and Sentinel (master_name=)")
		}
		if !on && cluster {
			return bad("lists several nodes (addr=) but says cluster=false; for Sentinel give master_name=")
		}
		cluster = on
		// Dalil's own parameter: go-redis would refuse it as unknown.
		q.Del("cluster")
		u.RawQuery = q.Encode()
	}
	if u.Scheme == "unix" && (cluster || sentinel) {
		return bad("a unix:// socket reaches one server only; Cluster and Sentinel need redis:// or rediss://")
	}

	var c redisConfig
	switch {
	case sentinel:
		if master == "" {
			return bad("master_name= is empty: give the name the sentinels monitor (sentinel monitor NAME …)")
		}
		o, err := redis.ParseFailoverURL(u.String())
		if err != nil {
			return goRedis(err)
		}
		o.PoolSize = orInt(o.PoolSize, redisPoolSize)
		o.MaxRetries = orInt(o.MaxRetries, redisMaxRetries)
		c = redisConfig{Kind: redisSentinel, Failover: o}
	case cluster:
		// go-redis ignores the path of a cluster URL; a database other
		// than 0 would be silently lost, so it is refused.
		if p := strings.Trim(u.Path, "/"); p != "" && p != "0" {
			return bad("selects database " + strconv.Quote(p) + ", but Redis Cluster has only database 0 (end the URL with /0 or nothing)")
		}
		u.Path = ""
		o, err := redis.ParseClusterURL(u.String())
		if err != nil {
			return goRedis(err)
		}
		o.PoolSize = orInt(o.PoolSize, redisPoolSize)
		o.MaxRetries = orInt(o.MaxRetries, redisMaxRetries)
		c = redisConfig{Kind: redisCluster, Cluster: o}
	default:
		o, err := redis.ParseURL(u.String())
		if err != nil {
			return goRedis(err)
		}
		o.PoolSize = orInt(o.PoolSize, redisPoolSize)
		o.MaxRetries = orInt(o.MaxRetries, redisMaxRetries)
		c = redisConfig{Kind: redisSingle, Single: o}
	}
	return c, nil
}

func orInt(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// Addrs are the addresses the client starts from (for the log: no secret).
func (c redisConfig) Addrs() []string {
	switch c.Kind {
	case redisCluster:
		return c.Cluster.Addrs
	case redisSentinel:
		return c.Failover.SentinelAddrs
	default:
		return []string{c.Single.Addr}
	}
}

// client builds the client of c's kind. Each is a redis.UniversalClient;
// the store tells Cluster from the others where it must (a scan of every
// master).
func (c redisConfig) client() redis.UniversalClient {
	switch c.Kind {
	case redisCluster:
		return redis.NewClusterClient(c.Cluster)
	case redisSentinel:
		return redis.NewFailoverClient(c.Failover)
	default:
		return redis.NewClient(c.Single)
	}
}
