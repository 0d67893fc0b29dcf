package bot

import (
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"time"

	"github.com/dalil-tt/dalil/bot/telegram"
	"github.com/dalil-tt/dalil/internal/jsonenc"
)

// out is one rendered Bot API call owed to a chat, as kept in the outbox.
type out struct {
	Method string            `json:"m"`
	Params map[string]string `json:"p"`
	// After names the hook (Options.AfterSend) told once the call is sent
	// or given up on, with Note (see outbox.AfterSend); empty for replies.
	After string            `json:"k,omitempty"`
	Note  map[string]string `json:"a,omitempty"`
}

// appendJSON appends o as encoding/json would write it (keys sorted): it is
// encoded for the outbox for every reply.
func (o out) appendJSON(b []byte) []byte {
	b = append(b, `{"m":`...)
	b = jsonenc.AppendString(b, o.Method)
	if o.Params == nil {
		b = append(b, `,"p":null`...)
	} else {
		b = append(b, `,"p":`...)
		b = appendMap(b, o.Params)
	}
	if o.After != "" {
		b = append(b, `,"k":`...)
		b = jsonenc.AppendString(b, o.After)
	}
	if len(o.Note) > 0 {
		b = append(b, `,"a":`...)
		b = appendMap(b, o.Note)
	}
	return append(b, '}')
}

// appendMap appends m as encoding/json would (keys sorted).
func appendMap(b []byte, m map[string]string) []byte {
	b = append(b, '{')
	keys := make([]string, 0, 8)
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonenc.AppendString(b, k)
		b = append(b, ':')
		b = jsonenc.AppendString(b, m[k])
	}
	return append(b, '}')
}

// outOf renders a typed Bot API call as kept in the outbox.
func outOf(r telegram.Request) out { return out{Method: r.Method(), Params: r.Params()} }

// countsInChat reports whether Telegram counts the call as a message in the
// chat's own limit (an edit or a callback answer does not).
func (o out) countsInChat() bool {
	_, counts := telegram.Limit(o.Method)
	return counts
}

// sender makes the bot's Bot API calls through the shared telegram.Sender
// (one error policy for the bot and the desk) under the bot's rate limits,
// which it owns and counts.
type sender struct {
	tg     telegram.Sender
	limits *limits
	m      *metrics
}

func newSender(client telegram.Caller, l *limits, m *metrics, log *slog.Logger, attempts int, backoff, timeout time.Duration,
	migrated func(ctx context.Context, from, to int64)) *sender {
	s := &sender{limits: l, m: m}
	s.tg = telegram.Sender{API: client, Limits: s, Log: log, Attempts: attempts, Backoff: backoff, Timeout: timeout,
		Hooks: telegram.Hooks{
			Call:     func(method string) { m.apiCalls.WithLabelValues(method).Inc() },
			Error:    m.apiError,
			Waited:   m.waited,
			Migrated: migrated,
		}}
	return s
}

// WaitTurn waits until a message to chat may go under the limits, and
// counts the wait (a wait cut short by a stop is not counted).
func (s *sender) WaitTurn(ctx context.Context, chat int64, perChat bool) error {
	d, why, err := s.limits.wait(ctx, chat, perChat)
	if err == nil && d > 0 {
		s.m.waited(string(why), d)
	}
	return err
}

// do sends o to chat under the one error policy (telegram.Sender.Do):
// errors are *telegram.SendError.
func (s *sender) do(ctx context.Context, chat int64, o out) (json.RawMessage, error) {
	return s.tg.Do(ctx, chat, o.Method, o.Params)
}
