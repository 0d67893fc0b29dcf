package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/dalil-tt/dalil/bot/telegram"
	"github.com/dalil-tt/dalil/internal/jsonenc"
)

// out is one rendered Bot API call owed to a chat, as kept in the outbox.
type out struct {
	Method string            `json:"m"`
	Params map[string]string `json:"p"`
}

// appendJSON appends o as encoding/json would write it (keys sorted): it is
// encoded for the outbox for every reply.
func (o out) appendJSON(b []byte) []byte {
	b = append(b, `{"m":`...)
	b = jsonenc.AppendString(b, o.Method)
	if o.Params == nil {
		return append(b, `,"p":null}`...)
	}
	b = append(b, `,"p":{`...)
	keys := make([]string, 0, 8)
	for k := range o.Params {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonenc.AppendString(b, k)
		b = append(b, ':')
		b = jsonenc.AppendString(b, o.Params[k])
	}
	return append(b, '}', '}')
}

// countsInChat reports whether Telegram counts the call as a message in the
// chat's own limit (an edit or a callback answer does not).
func (o out) countsInChat() bool {
	switch o.Method {
	case "editMessageReplyMarkup", "editMessageText", "answerCallbackQuery", "sendChatAction", "deleteMessage":
		return false
	}
	return true
}

// sendErr classifies a call that finally failed.
type sendErr struct {
	reason string // blocked, rejected, gave_up, stopped
	err    error
}

func (e *sendErr) Error() string { return e.reason + ": " + e.err.Error() }
func (e *sendErr) Unwrap() error { return e.err }

// sender makes Bot API calls under the rate limits, retrying what may
// succeed later.
type sender struct {
	client   *telegram.Client
	limits   *limits
	m        *metrics
	log      *slog.Logger
	attempts int           // tries for network errors and 5xx
	backoff  time.Duration // first wait between them, doubled each time
	timeout  time.Duration // per call
}

// waitTurn waits until a message to chat may go under the limits, and
// counts the wait (a wait cut short by a stop is not counted).
func (s *sender) waitTurn(ctx context.Context, chat int64, perChat bool) error {
	d, why, err := s.limits.wait(ctx, chat, perChat)
	if err == nil && d > 0 {
		s.m.waited(string(why), d)
	}
	return err
}

// do sends o to chat. It waits for the limits, waits retry_after on 429,
// retries network errors and 5xx with backoff, and returns a *sendErr when
// it gives up. A 403 (the user blocked the bot, or left the group) is
// returned at once as "blocked".
func (s *sender) do(ctx context.Context, chat int64, o out) (json.RawMessage, error) {
	limited := o.Method != "answerCallbackQuery" && o.Method != "sendChatAction"
	var last error
	for attempt := 0; ; attempt++ {
		if limited {
			if err := s.waitTurn(ctx, chat, o.countsInChat()); err != nil {
				return nil, &sendErr{"stopped", err}
			}
		}
		cctx, cancel := context.WithTimeout(ctx, s.timeout)
		s.m.apiCalls.WithLabelValues(o.Method).Inc()
		res, err := s.client.Call(cctx, o.Method, o.Params)
		cancel()
		if err == nil {
			return res, nil
		}
		if ctx.Err() != nil {
			return nil, &sendErr{"stopped", ctx.Err()}
		}
		code := telegram.Code(err)
		s.m.apiError(o.Method, code)
		last = err
		var te *telegram.Error
		errors.As(err, &te)
		switch {
		case code == 429:
			wait := te.RetryAfter
			if wait <= 0 {
				wait = time.Second
			}
			s.m.waited("retry_after", wait)
			if attempt >= s.attempts+5 {
				return nil, &sendErr{"gave_up", last}
			}
			s.log.Warn("Bot API asked to slow down; waiting and retrying", "method", o.Method,
				"chat", chatHash(chat), "retry_after", wait, "attempt", attempt+1)
			if err := sleepUntil(ctx, time.Now().Add(wait)); err != nil {
				return nil, &sendErr{"stopped", err}
			}
			continue
		case code == 403:
			return nil, &sendErr{"blocked", err}
		case code == 400 && te != nil && te.MigrateTo != 0:
			// A group became a supergroup: send there instead.
			o.Params["chat_id"] = fmt.Sprint(te.MigrateTo)
			continue
		case code == 400 && te != nil && strings.HasPrefix(o.Method, "edit") &&
			(strings.Contains(te.Message, "message is not modified") || strings.Contains(te.Message, "message to edit not found")):
			// The message already reads so (two quick taps on one keyboard
			// both remove it, and Telegram refuses the second), or the user
			// deleted it: nothing is left to do.
			return nil, nil
		case code >= 400 && code < 500:
			return nil, &sendErr{"rejected", err}
		}
		// Network error, timeout, or 5xx: back off and retry.
		if attempt+1 >= s.attempts {
			return nil, &sendErr{"gave_up", last}
		}
		s.log.Warn("Bot API call failed; retrying", "method", o.Method, "chat", chatHash(chat),
			"code", code, "err", err, "in", s.backoff<<attempt, "attempt", attempt+1)
		if err := sleepUntil(ctx, time.Now().Add(s.backoff<<attempt)); err != nil {
			return nil, &sendErr{"stopped", err}
		}
	}
}
