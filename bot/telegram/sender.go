package telegram

import (
	"context"
	"encoding/json"
	"log/slog"
	"strconv"
	"time"
)

// Caller makes one raw Bot API call (*Client).
type Caller interface {
	Call(ctx context.Context, method string, p Params) (json.RawMessage, error)
}

// Limiter makes a call wait its turn under the bot's send limits (overall,
// and the chat's own when countsInChat).
type Limiter interface {
	WaitTurn(ctx context.Context, chat int64, countsInChat bool) error
}

// SendError is a call the sender gave up on, with the policy's class and
// why: "blocked", "rejected", "gave_up" (retries spent) or "stopped"
// (the context ended).
type SendError struct {
	Class  Class
	Reason string
	Err    error
}

func (e *SendError) Error() string { return e.Reason + ": " + e.Err.Error() }
func (e *SendError) Unwrap() error { return e.Err }

// Hooks let the owner count what the sender does (metrics); any may be nil.
type Hooks struct {
	Call   func(method string)
	Error  func(method string, code int)
	Waited func(why string, d time.Duration)
	// Migrated is told when a group became a supergroup (a new chat id),
	// for what keeps the old id (an organisation's linked group).
	Migrated func(ctx context.Context, from, to int64)
}

// Sender makes Bot API calls under the send limits with the one error
// policy (Classify): it waits retry_after on 429 however long, retries
// network errors and 5xx with backoff, follows a migrated group, returns a
// 403 at once as blocked and any other 4xx as rejected. The bot and the
// adviser desk share it.
type Sender struct {
	API    Caller
	Limits Limiter // nil: only Telegram's 429s slow calls down
	Hooks  Hooks
	Log    *slog.Logger
	// Attempts bounds tries on network errors and 5xx (default 3); 429s
	// get Attempts+5 tries, since Telegram says when to come back.
	Attempts int
	Backoff  time.Duration // first wait between tries, doubled each time (default 500ms)
	Timeout  time.Duration // per call (default 30s)
}

// Do calls method with p for chat. A migrated chat's chat_id is changed in
// p. The result is nil for an edit with nothing left to do (Done). Errors
// are *SendError.
func (s *Sender) Do(ctx context.Context, chat int64, method string, p Params) (json.RawMessage, error) {
	attempts, backoff, timeout := s.Attempts, s.Backoff, s.Timeout
	if attempts <= 0 {
		attempts = 3
	}
	if backoff <= 0 {
		backoff = 500 * time.Millisecond
	}
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	log := s.Log
	if log == nil {
		log = slog.Default()
	}
	limited, counts := Limit(method)
	for attempt := 0; ; attempt++ {
		if limited && s.Limits != nil {
			if err := s.Limits.WaitTurn(ctx, chat, counts); err != nil {
				return nil, &SendError{RetryLater, "stopped", err}
			}
		}
		// A stop does not cut a call short: once sent, a message must be
		// known as sent, or the next sender would send it again.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
		if s.Hooks.Call != nil {
			s.Hooks.Call(method)
		}
		res, err := s.API.Call(cctx, method, p)
		cancel()
		if err == nil {
			return res, nil
		}
		if ctx.Err() != nil {
			return nil, &SendError{RetryLater, "stopped", ctx.Err()}
		}
		if s.Hooks.Error != nil {
			s.Hooks.Error(method, Code(err))
		}
		v := Classify(method, err)
		switch v.Class {
		case Done:
			return nil, nil
		case Blocked:
			return nil, &SendError{Blocked, "blocked", err}
		case Rejected:
			return nil, &SendError{Rejected, "rejected", err}
		case Migrated:
			p["chat_id"] = strconv.FormatInt(v.MigrateTo, 10)
			if s.Hooks.Migrated != nil {
				s.Hooks.Migrated(ctx, chat, v.MigrateTo)
			}
			chat = v.MigrateTo
			if attempt >= attempts {
				return nil, &SendError{Rejected, "rejected", err}
			}
			continue
		}
		var wait time.Duration
		if Code(err) == 429 {
			wait = v.RetryAfter
			if wait <= 0 {
				wait = time.Second
			}
			if attempt >= attempts+5 {
				return nil, &SendError{RetryLater, "gave_up", err}
			}
			if s.Hooks.Waited != nil {
				s.Hooks.Waited("retry_after", wait)
			}
			log.Warn("Bot API asked to slow down; waiting and retrying", "method", method,
				"retry_after", wait, "attempt", attempt+1)
		} else {
			if attempt+1 >= attempts {
				return nil, &SendError{RetryLater, "gave_up", err}
			}
			wait = backoff << attempt
			log.Warn("Bot API call failed; retrying", "method", method, "code", Code(err),
				"err", err, "in", wait, "attempt", attempt+1)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, &SendError{RetryLater, "stopped", ctx.Err()}
		case <-t.C:
		}
	}
}
