package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// setting is one environment variable of the binary. loadConfig reads the
// ones with a parse; the others are read, under the same name, by the part
// named in ReadBy (they come in groups or before the config exists).
// deploy/deploy_test.go reads this table from the source: a setting added
// here must be documented in the deployment files, and a getenv("X") of a
// name missing here fails there.
type setting struct {
	Name    string
	Default string // used when the variable is unset or blank
	Doc     string
	ReadBy  string // who reads it when parse is nil
	// parse checks v (the default when unset; never called on "") and
	// stores it in c; its error is the reason of the *ConfigError.
	parse func(c *Config, v string) error
}

// settings are every setting of DESIGN.md, in the order the docs list them.
var settings = [...]setting{
	{Name: "TELEGRAM_BOT_TOKEN", Doc: "the bot's token from @BotFather (required by serve)",
		parse: func(c *Config, v string) error {
			if !strings.Contains(v, ":") {
				return reason("does not look like a bot token (123456:ABC…)")
			}
			c.TelegramToken = v
			return nil
		}},
	{Name: "TELEGRAM_API_URL", Default: "https://api.telegram.org", Doc: "the Bot API server (a local one in tests)",
		parse: func(c *Config, v string) error {
			c.TelegramAPIURL = strings.TrimRight(v, "/")
			return checkScheme(c.TelegramAPIURL, "http", "https")
		}},
	{Name: "DATABASE_URL", Doc: "PostgreSQL (pgx URL; pool_max_conns sets serve's one pool); unset: the demo catalogue in memory",
		parse: func(c *Config, v string) error { c.DatabaseURL = v; return checkScheme(v, "postgres", "postgresql") }},
	{Name: "REDIS_URL", Doc: "Redis: one server, a Cluster or a Sentinel-watched master (see redis.go); unset: " + defaultRedisURL,
		parse: func(c *Config, v string) error { c.RedisURL = v; return checkScheme(v, "redis", "rediss", "unix") }},
	{Name: "ADVISERS_CHAT_ID", Doc: "the advisers' supergroup; unset: requests for an adviser are only logged",
		parse: func(c *Config, v string) error {
			id, err := strconv.ParseInt(v, 10, 64)
			if err != nil || id == 0 {
				return reason(fmt.Sprintf("%q is not a Telegram chat id (a number such as -1001234567890)", v))
			}
			c.AdvisersChatID = id
			return nil
		}},
	{Name: "HTTP_ADDR", Default: "127.0.0.1:8080", Doc: "where serve listens (/healthz, /readyz, /metrics, /admin, the webhook)",
		parse: func(c *Config, v string) error { c.HTTPAddr = v; return nil }},
	{Name: "WEBHOOK_URL", Doc: "the public HTTPS address of the webhook; unset: long polling",
		parse: func(c *Config, v string) error { c.WebhookURL = v; return checkScheme(v, "https", "http") }},
	{Name: "WEBHOOK_SECRET", Doc: "the webhook's secret token (required with WEBHOOK_URL)",
		parse: func(c *Config, v string) error {
			if !validSecret(v) {
				return reason(fmt.Sprintf("must be %d to 256 characters of A-Z, a-z, 0-9, _ and - (openssl rand -hex 32)", minWebhookSecret))
			}
			c.WebhookSecret = v
			return nil
		}},
	{Name: "TELEGRAM_RATE_LIMIT", Default: "30", Doc: "messages a second in all, shared by the replicas (0: no limit)",
		parse: func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return reason(fmt.Sprintf("%q is not a whole number of messages per second (0 turns the limit off)", v))
			}
			c.RateLimit = n
			return nil
		}},
	{Name: "TELEGRAM_CHAT_RATE_LIMIT", Default: "1", Doc: "messages a second in one chat (groups get 20 a minute); 0 turns both off",
		parse: func(c *Config, v string) error {
			r, err := strconv.ParseFloat(v, 64)
			if err != nil || !(r >= 0 && r <= 100) { // also refuses NaN
				return reason(fmt.Sprintf("%q is not a number of messages per second in one chat, such as 1 or 0.5 (0 turns the limit off)", v))
			}
			c.ChatRate = r
			return nil
		}},
	{Name: "STATE_TTL", Default: "720h", Doc: "idle conversations expire after this",
		parse: func(c *Config, v string) error { return positiveDuration(&c.StateTTL, v, "720h") }},
	{Name: "TRUSTED_PROXIES", Doc: "the reverse proxies (addresses or CIDR ranges) whose X-Forwarded-For and -Proto are believed",
		parse: func(c *Config, v string) error {
			ps, err := parseProxies(v)
			if err != nil {
				return err
			}
			c.TrustedProxies = ps
			return nil
		}},
	{Name: "HTTP_READ_TIMEOUT", Default: "60s", Doc: "a request must arrive whole within it",
		parse: func(c *Config, v string) error { return positiveDuration(&c.HTTPReadTimeout, v, "60s") }},
	{Name: "HTTP_WRITE_TIMEOUT", Default: "60s", Doc: "an answer must leave within it",
		parse: func(c *Config, v string) error { return positiveDuration(&c.HTTPWriteTimeout, v, "60s") }},
	{Name: "HTTP_IDLE_TIMEOUT", Default: "120s", Doc: "an idle keep-alive connection is closed after it",
		parse: func(c *Config, v string) error { return positiveDuration(&c.HTTPIdleTimeout, v, "60s") }},
	{Name: "ADMIN_BEHIND_PROXY", Doc: "1: a TLS-terminating proxy is in front (the console's cookies are Secure)",
		parse: func(c *Config, v string) error {
			on, err := strconv.ParseBool(v)
			if err != nil {
				return reason(fmt.Sprintf("%q is not 1 or 0", v))
			}
			c.AdminBehindProxy = on
			return nil
		}},
	{Name: "LOG_LEVEL", Default: "info", Doc: "debug, info, warn or error",
		parse: func(c *Config, v string) error {
			switch v {
			case "debug", "info", "warn", "error":
				c.LogLevel = v
				return nil
			}
			return reason(fmt.Sprintf("%q is not one of debug, info, warn, error", v))
		}},
	{Name: "LOG_FORMAT", Doc: "json for one JSON object a line; anything else gives text lines", ReadBy: "setupLogging (before any command)"},
	{Name: "PSEUDONYM_KEY", Doc: "the key that pseudonymises Telegram ids in PostgreSQL (required with DATABASE_URL)", ReadBy: "Config.loadPseudonyms (with PSEUDONYM_KEYS_OLD)"},
	{Name: "PSEUDONYM_KEYS_OLD", Doc: "earlier keys after a rotation", ReadBy: "Config.loadPseudonyms"},
	{Name: "HANDOFF_HOURS", Doc: "the advisers' office hours (Mon-Fri 09:00-17:00)", ReadBy: "handoff.LoadSettings (with HANDOFF_TZ)"},
	{Name: "HANDOFF_TZ", Doc: "their time zone (Africa/Casablanca)", ReadBy: "handoff.LoadSettings"},
	{Name: "HANDOFF_WAIT", Doc: "office time without an answer before the user is told (30m)", ReadBy: "handoff.LoadSettings"},
	{Name: "HANDOFF_HIDE_NAME", Doc: "hide the adviser's first name from the user", ReadBy: "handoff.LoadSettings"},
	{Name: "HANDOFF_RETENTION", Doc: "how long handoff texts are kept (0: none)", ReadBy: "handoff.LoadSettings"},
	{Name: "REQUEST_REMIND_DAYS", Default: "1", Doc: "working days before an organisation is reminded of an unanswered request (0: no reminder)",
		parse: func(c *Config, v string) error { return days(&c.RequestRemindDays, v, 0) }},
	{Name: "REQUEST_LAPSE_DAYS", Default: "3", Doc: "working days without an answer before the person is offered another way",
		parse: func(c *Config, v string) error { return days(&c.RequestLapseDays, v, 1) }},
	{Name: "FOLLOWUP_DAYS", Default: "7", Doc: "days after sending a request before the person is asked whether it helped",
		parse: func(c *Config, v string) error { return days(&c.FollowUpDays, v, 1) }},
	{Name: "GOGC", Doc: "the garbage collector's target (serve's default 400)", ReadBy: "the Go runtime; gctune.Apply"},
	{Name: "GOMEMLIMIT", Doc: "the memory limit (serve's default: 80% of the container's)", ReadBy: "the Go runtime; gctune.Apply"},
	{Name: "DALIL_AUTHOR", Doc: "the author the staff commands record without --author (default: the login name)", ReadBy: "defaultAuthor"},
}

// reason is a setting's problem, without its name (loadConfig adds it).
type reason string

func (r reason) Error() string { return string(r) }

// days reads a whole number of days, at least least and at most a year.
func days(to *int, v string, least int) error {
	n, err := strconv.Atoi(v)
	if err != nil || n < least || n > 365 {
		return reason(fmt.Sprintf("%q is not a whole number of days from %d to 365", v, least))
	}
	*to = n
	return nil
}

func positiveDuration(to *time.Duration, v, example string) error {
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return reason(fmt.Sprintf("%q is not a positive duration such as %s", v, example))
	}
	*to = d
	return nil
}
