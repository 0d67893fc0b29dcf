package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestConfigDefaults(t *testing.T) {
	c, err := loadConfig(env())
	if err != nil {
		t.Fatal(err)
	}
	if c.TelegramAPIURL != "https://api.telegram.org" || c.HTTPAddr != "127.0.0.1:8080" || c.RateLimit != 30 || c.ChatRate != 1 || c.StateTTL.Hours() != 720 {
		t.Fatalf("unexpected defaults: %+v", c)
	}
}

func TestConfigErrorsNameTheSetting(t *testing.T) {
	cases := []struct {
		env  func(string) string
		need []string
		want string
	}{
		{env(), []string{"TELEGRAM_BOT_TOKEN"}, "TELEGRAM_BOT_TOKEN"},
		{env("TELEGRAM_RATE_LIMIT", "fast"), nil, "TELEGRAM_RATE_LIMIT"},
		{env("TELEGRAM_RATE_LIMIT", "-1"), nil, "TELEGRAM_RATE_LIMIT"},
		{env("ADVISERS_CHAT_ID", "advisers"), nil, "ADVISERS_CHAT_ID"},
		{env("DATABASE_URL", "mysql://x"), nil, "DATABASE_URL"},
		{env("REDIS_URL", "127.0.0.1:6379"), nil, "REDIS_URL"},
		{env("TELEGRAM_API_URL", "ftp://x"), nil, "TELEGRAM_API_URL"},
		{env("WEBHOOK_URL", "https://bot.example.org/hook"), nil, "WEBHOOK_SECRET"},
		{env("WEBHOOK_URL", "https://bot.example.org/hook", "WEBHOOK_SECRET", "bad secret!"), nil, "WEBHOOK_SECRET"},
		{env("STATE_TTL", "forever"), nil, "STATE_TTL"},
		{env("TELEGRAM_CHAT_RATE_LIMIT", "NaN"), nil, "TELEGRAM_CHAT_RATE_LIMIT"},
		{env("TELEGRAM_CHAT_RATE_LIMIT", "-1"), nil, "TELEGRAM_CHAT_RATE_LIMIT"},
		{env("TELEGRAM_CHAT_RATE_LIMIT", "1/s"), nil, "TELEGRAM_CHAT_RATE_LIMIT"},
		{env("TELEGRAM_BOT_TOKEN", "nocolon"), nil, "TELEGRAM_BOT_TOKEN"},
		{env("TRUSTED_PROXIES", "10.0.0.0/8, ingress"), nil, "TRUSTED_PROXIES"},
		{env("HTTP_READ_TIMEOUT", "0s"), nil, "HTTP_READ_TIMEOUT"},
		{env("HTTP_WRITE_TIMEOUT", "long"), nil, "HTTP_WRITE_TIMEOUT"},
		{env("HTTP_IDLE_TIMEOUT", "-1s"), nil, "HTTP_IDLE_TIMEOUT"},
		{env("TELEGRAM_BOT_TOKEN", "123:abc"), []string{"TELEGRAM_BOT_TOKEN", "PSEUDONYM_KEY"}, "PSEUDONYM_KEY"},
		{env("PSEUDONYM_KEY", "REPLACE_WITH_openssl_rand_hex_32"), nil, "PSEUDONYM_KEY"},
		{env("PSEUDONYM_KEY", "0123456789abcdef"), nil, "PSEUDONYM_KEY"},
		{env("PSEUDONYM_KEY", testPseudonymKey, "PSEUDONYM_KEYS_OLD", "xyz"), nil, "PSEUDONYM_KEYS_OLD"},
		{env("PSEUDONYM_KEYS_OLD", testPseudonymKey), nil, "PSEUDONYM_KEY"},
	}
	for _, c := range cases {
		_, err := loadConfig(c.env, c.need...)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("want one line naming %s, got %v", c.want, err)
		}
	}
}

func TestConfigReadsEverySetting(t *testing.T) {
	c, err := loadConfig(env(
		"TELEGRAM_BOT_TOKEN", "123:abc", "TELEGRAM_API_URL", "http://127.0.0.1:9/",
		"DATABASE_URL", "postgres://u@h/db", "REDIS_URL", "redis://h:6379/1",
		"ADVISERS_CHAT_ID", "-1001234", "HTTP_ADDR", ":9090", "WEBHOOK_URL", "https://x.org/tg",
		"WEBHOOK_SECRET", "s3cr-t_0123456789", "TELEGRAM_RATE_LIMIT", "0", "STATE_TTL", "48h", "TELEGRAM_CHAT_RATE_LIMIT", "0.5"),
		"TELEGRAM_BOT_TOKEN")
	if err != nil {
		t.Fatal(err)
	}
	if c.TelegramAPIURL != "http://127.0.0.1:9" || c.AdvisersChatID != -1001234 || c.RateLimit != 0 || c.ChatRate != 0.5 || c.StateTTL.Hours() != 48 || c.HTTPAddr != ":9090" {
		t.Fatalf("settings misread: %+v", c)
	}
}

// The audit started serve on the example files' placeholders and on a
// one-character webhook secret: both must stop it with one line naming
// the setting.
func TestConfigRefusesPlaceholdersAndWeakWebhookSecret(t *testing.T) {
	hook := "https://bot.example.org/hook"
	cases := []struct {
		env  func(string) string
		want string
	}{
		// deploy/k8s/secret.example.yaml
		{env("TELEGRAM_BOT_TOKEN", "123456789:PLACEHOLDER-replace-with-the-BotFather-token"), "TELEGRAM_BOT_TOKEN"},
		{env("WEBHOOK_URL", hook, "WEBHOOK_SECRET", "PLACEHOLDER-replace-with-openssl-rand-hex-32"), "WEBHOOK_SECRET"},
		{env("DATABASE_URL", "postgres://dalil:PLACEHOLDER@postgres.example.internal:5432/dalil?sslmode=require"), "DATABASE_URL"},
		{env("REDIS_URL", "rediss://:PLACEHOLDER@redis.example.internal:6379/0"), "REDIS_URL"},
		// deploy/.env.example
		{env("TELEGRAM_BOT_TOKEN", "123456789:REPLACE_WITH_THE_TOKEN_FROM_BOTFATHER"), "TELEGRAM_BOT_TOKEN"},
		{env("DATABASE_URL", "postgres://dalil:REPLACE_WITH_POSTGRES_PASSWORD@127.0.0.1:5432/dalil?sslmode=disable"), "DATABASE_URL"},
		// Telegram takes 1 to 256 characters; a short one is guessable.
		{env("WEBHOOK_URL", hook, "WEBHOOK_SECRET", "x"), "WEBHOOK_SECRET"},
		{env("WEBHOOK_URL", hook, "WEBHOOK_SECRET", "0123456"), "WEBHOOK_SECRET"},
		{env("WEBHOOK_URL", hook, "WEBHOOK_SECRET", strings.Repeat("a", 257)), "WEBHOOK_SECRET"},
	}
	for _, c := range cases {
		_, err := loadConfig(c.env)
		if err == nil || !strings.HasPrefix(err.Error(), "setting "+c.want+":") || strings.Contains(err.Error(), "\n") {
			t.Errorf("want one line naming %s, got %v", c.want, err)
		}
	}
	// 8 characters is enough.
	if _, err := loadConfig(env("WEBHOOK_URL", hook, "WEBHOOK_SECRET", "01234567")); err != nil {
		t.Errorf("an 8-character secret: %v", err)
	}
}

func TestConfigTrustedProxiesAndHTTPTimeouts(t *testing.T) {
	c, err := loadConfig(env("TRUSTED_PROXIES", " 10.0.0.0/8, 192.168.1.7 ,fd00::/8", "HTTP_READ_TIMEOUT", "5s",
		"HTTP_WRITE_TIMEOUT", "7s", "HTTP_IDLE_TIMEOUT", "9s"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range c.TrustedProxies {
		got = append(got, p.String())
	}
	if strings.Join(got, ",") != "10.0.0.0/8,192.168.1.7/32,fd00::/8" {
		t.Errorf("TRUSTED_PROXIES read as %v", got)
	}
	if c.HTTPReadTimeout != 5*time.Second || c.HTTPWriteTimeout != 7*time.Second || c.HTTPIdleTimeout != 9*time.Second {
		t.Errorf("timeouts read as %v %v %v", c.HTTPReadTimeout, c.HTTPWriteTimeout, c.HTTPIdleTimeout)
	}
	d, err := loadConfig(env())
	if err != nil {
		t.Fatal(err)
	}
	if d.HTTPReadTimeout <= 0 || d.HTTPWriteTimeout <= 0 || d.HTTPIdleTimeout <= 0 || len(d.TrustedProxies) != 0 {
		t.Errorf("defaults: %+v", d)
	}
}

// PSEUDONYM_KEY is read as hex, with the old keys after a rotation; the
// keys it gives do not depend on the bot token.
func TestConfigPseudonymKey(t *testing.T) {
	const old = "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e8d"
	a, err := loadConfig(env("TELEGRAM_BOT_TOKEN", "123:abc", "PSEUDONYM_KEY", testPseudonymKey, "PSEUDONYM_KEYS_OLD", old))
	if err != nil {
		t.Fatal(err)
	}
	b, err := loadConfig(env("TELEGRAM_BOT_TOKEN", "456:new-token", "PSEUDONYM_KEY", testPseudonymKey))
	if err != nil {
		t.Fatal(err)
	}
	const id = int64(1) << 40
	if !a.Pseudonyms.Valid() || a.Pseudonyms.Of(id) != b.Pseudonyms.Of(id) {
		t.Fatal("the pseudonym changed with the bot token")
	}
	if all := a.Pseudonyms.All(id); len(all) != 2 || all[1] == all[0] {
		t.Fatalf("old keys not read: %q", all)
	}
	c, err := loadConfig(env())
	if err != nil || c.Pseudonyms.Valid() {
		t.Fatalf("no key set: %v %v", c, err)
	}
}

// The settings table is the one list: each row is documented, read by the
// config or by a named part, its default parses, and README names it.
func TestSettingsTable(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, s := range settings {
		if seen[s.Name] {
			t.Errorf("%s is twice in the table", s.Name)
		}
		seen[s.Name] = true
		if s.Doc == "" || (s.parse == nil) == (s.ReadBy == "") {
			t.Errorf("%s: want a doc, and either a parse or ReadBy", s.Name)
		}
		if s.Default != "" && s.parse != nil {
			if err := s.parse(&Config{}, s.Default); err != nil {
				t.Errorf("%s: its default %q does not parse: %v", s.Name, s.Default, err)
			}
		}
		if !strings.Contains(string(readme), "`"+s.Name) {
			t.Errorf("README's settings paragraph does not name %s", s.Name)
		}
	}
}
