package main

import (
	"strings"
	"testing"
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
		"WEBHOOK_SECRET", "s3cr-t_", "TELEGRAM_RATE_LIMIT", "0", "STATE_TTL", "48h", "TELEGRAM_CHAT_RATE_LIMIT", "0.5"),
		"TELEGRAM_BOT_TOKEN")
	if err != nil {
		t.Fatal(err)
	}
	if c.TelegramAPIURL != "http://127.0.0.1:9" || c.AdvisersChatID != -1001234 || c.RateLimit != 0 || c.ChatRate != 0.5 || c.StateTTL.Hours() != 48 || c.HTTPAddr != ":9090" {
		t.Fatalf("settings misread: %+v", c)
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
