package main

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/dalil-tt/dalil/bot/handoff"
	"github.com/dalil-tt/dalil/internal/pseudonym"
)

// Config is every setting of DESIGN.md, read from the environment. Each
// subcommand checks only the settings it needs, so `dalil chat` runs with none.
type Config struct {
	TelegramToken  string
	TelegramAPIURL string
	DatabaseURL    string
	RedisURL       string
	AdvisersChatID int64 // 0 when unset
	HTTPAddr       string
	WebhookURL     string
	WebhookSecret  string
	RateLimit      int           // messages per second overall; 0 = no overall limit
	ChatRate       float64       // messages per second in one chat; 0 = no per-chat or group limit
	StateTTL       time.Duration // idle conversations expire after this
	LogLevel       string
	// TrustedProxies are the addresses of the reverse proxies in front
	// (TRUSTED_PROXIES): only a request coming from one of them has its
	// X-Forwarded-For and X-Forwarded-Proto believed.
	TrustedProxies []netip.Prefix
	// HTTP server timeouts (HTTP_READ_TIMEOUT, HTTP_WRITE_TIMEOUT,
	// HTTP_IDLE_TIMEOUT): a request must arrive whole, and its answer
	// leave, within them; an idle keep-alive connection is closed after
	// the last.
	HTTPReadTimeout  time.Duration
	HTTPWriteTimeout time.Duration
	HTTPIdleTimeout  time.Duration
	// Pseudonyms turn Telegram ids into the keys stored in PostgreSQL
	// (PSEUDONYM_KEY, PSEUDONYM_KEYS_OLD); not Valid when unset.
	Pseudonyms pseudonym.Keys
	// Requests' deadlines: REQUEST_REMIND_DAYS and REQUEST_LAPSE_DAYS in
	// working days (HANDOFF_HOURS), FOLLOWUP_DAYS in days (requestTiming).
	RequestRemindDays, RequestLapseDays, FollowUpDays int
	// Handoff holds the adviser handoff's optional settings (HANDOFF_*).
	Handoff handoff.Settings
	// AdminBehindProxy (ADMIN_BEHIND_PROXY=1) marks the console's cookies
	// Secure: a TLS-terminating proxy is in front.
	AdminBehindProxy bool
}

// ConfigError names the one setting that is missing or malformed.
type ConfigError struct {
	Var    string
	Reason string
}

func (e *ConfigError) Error() string { return fmt.Sprintf("setting %s: %s", e.Var, e.Reason) }

// loadConfig reads the environment (through getenv, for tests) by the
// settings table. It checks the format of every setting that is present;
// need lists the ones that must be.
func loadConfig(getenv func(string) string, need ...string) (*Config, error) {
	for _, v := range need {
		if strings.TrimSpace(getenv(v)) == "" {
			return nil, &ConfigError{v, "is required but not set"}
		}
	}
	// A secret copied from an example file is public: refuse to run on it.
	for _, v := range secretSettings {
		if isPlaceholder(getenv(v)) {
			return nil, &ConfigError{v, "still holds the placeholder of the example file: put the real value"}
		}
	}
	c := &Config{}
	for _, s := range settings {
		if s.parse == nil {
			continue
		}
		v := getenv(s.Name)
		if strings.TrimSpace(v) == "" {
			v = s.Default
		}
		if v == "" {
			continue
		}
		if err := s.parse(c, v); err != nil {
			return nil, &ConfigError{s.Name, err.Error()}
		}
	}
	if c.WebhookURL != "" && c.WebhookSecret == "" {
		return nil, &ConfigError{"WEBHOOK_SECRET", "is required when WEBHOOK_URL is set"}
	}
	if err := c.loadPseudonyms(getenv); err != nil {
		return nil, err
	}
	hs, err := handoff.LoadSettings(getenv)
	if err != nil {
		var se *handoff.SettingError
		if errors.As(err, &se) {
			return nil, &ConfigError{se.Name, se.Problem}
		}
		return nil, err
	}
	c.Handoff = hs
	return c, nil
}

// loadPseudonyms reads PSEUDONYM_KEY and PSEUDONYM_KEYS_OLD when set.
func (c *Config) loadPseudonyms(getenv func(string) string) error {
	cur, old := getenv("PSEUDONYM_KEY"), getenv("PSEUDONYM_KEYS_OLD")
	if strings.TrimSpace(cur) == "" {
		if strings.TrimSpace(old) != "" {
			return &ConfigError{"PSEUDONYM_KEY", "is required when PSEUDONYM_KEYS_OLD is set"}
		}
		return nil
	}
	k, err := pseudonym.Parse(cur, old)
	var pe *pseudonym.ParseError
	if errors.As(err, &pe) {
		if pe.Old {
			return &ConfigError{"PSEUDONYM_KEYS_OLD", pe.Reason}
		}
		return &ConfigError{"PSEUDONYM_KEY", pe.Reason}
	} else if err != nil {
		return &ConfigError{"PSEUDONYM_KEY", err.Error()}
	}
	c.Pseudonyms = k
	return nil
}

// checkScheme checks raw is a URL with a host in one of schemes.
func checkScheme(raw string, schemes ...string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return reason("is not a valid URL")
	}
	for _, s := range schemes {
		if u.Scheme == s {
			if u.Host == "" && s != "unix" {
				return reason("has no host")
			}
			return nil
		}
	}
	return reason(fmt.Sprintf("scheme %q is not one of %s", u.Scheme, strings.Join(schemes, ", ")))
}

// secretSettings are the settings whose example values (deploy/.env.example,
// deploy/k8s/secret.example.yaml) are placeholders.
var secretSettings = [...]string{"TELEGRAM_BOT_TOKEN", "WEBHOOK_SECRET", "DATABASE_URL", "REDIS_URL"}

// isPlaceholder recognises the placeholders of the example files
// ("PLACEHOLDER-replace-with-…", "REPLACE_WITH_…").
func isPlaceholder(v string) bool {
	v = strings.ToLower(v)
	return strings.Contains(v, "placeholder") || strings.Contains(v, "replace_with") || strings.Contains(v, "replace-with")
}

// minWebhookSecret is our floor: Telegram accepts a 1-character secret
// token, which anyone could guess. Eight of its 64 characters are 2^48
// guesses, far beyond what an attacker can send over HTTP, and do not break
// the shorter secrets existing deployments use; the examples generate 64.
const minWebhookSecret = 8

// parseProxies reads a comma-separated list of addresses or CIDR ranges.
func parseProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not an IP address or CIDR range (such as 10.0.0.0/8)", f)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

func validSecret(s string) bool {
	if len(s) < minWebhookSecret || len(s) > 256 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// envGetter returns os.Getenv, after loading a .env file from the working
// directory if there is one (development convenience; the environment wins).
func envGetter() func(string) string {
	if data, err := os.ReadFile(".env"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			line = strings.TrimSpace(line)
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				continue
			}
			k = strings.TrimSpace(strings.TrimPrefix(k, "export "))
			if _, set := os.LookupEnv(k); !set {
				os.Setenv(k, strings.Trim(strings.TrimSpace(v), `"'`))
			}
		}
	}
	return os.Getenv
}
