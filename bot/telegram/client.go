// Package telegram is Dalil's thin Bot API client. It sits on
// go-telegram-bot-api v5.5.1's raw MakeRequest call and decodes raw JSON
// itself, which gives it what that library version lacks: contexts, newer
// methods and fields (secret_token, message_thread_id, forum topics) and
// typed errors carrying retry_after.
package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// Params are a method's parameters, form-encoded by the library. Objects
// (reply_markup…) are JSON strings; see Params.JSON.
type Params = tgbotapi.Params

// Client calls the Bot API. It is safe for concurrent use.
type Client struct {
	api  *tgbotapi.BotAPI
	http *http.Client
	// poll carries getUpdates on a connection of its own, so that a long
	// poll never queues behind hundreds of replies for a pooled connection.
	poll *http.Client
	// Self is the bot's own user, from getMe.
	Self User
}

// Error is a Bot API error answer (ok: false).
type Error struct {
	Method     string
	Code       int // error_code: 400, 403, 409, 429, 5xx…
	Message    string
	RetryAfter time.Duration // set on 429
	MigrateTo  int64         // a group that became a supergroup
}

func (e *Error) Error() string {
	return fmt.Sprintf("telegram %s: %d %s", e.Method, e.Code, e.Message)
}

// Temporary reports whether trying again later may succeed.
func (e *Error) Temporary() bool { return e.Code == 429 || e.Code >= 500 }

// maxConns bounds the connections to the Bot API server. Beyond the idle
// pool, Go's default closes a connection after each call and dials anew:
// hundreds of calls at once then churn through thousands of sockets (in
// TIME_WAIT, dials stalled) instead of reusing a few busy ones. Calls over
// the bound wait for a free connection, in order.
const maxConns = 256

// NewHTTPClient returns an HTTP client tuned for many concurrent calls to one
// host (the Bot API server).
func NewHTTPClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = maxConns
	tr.MaxIdleConnsPerHost = maxConns
	tr.MaxConnsPerHost = maxConns
	tr.IdleConnTimeout = 90 * time.Second
	return &http.Client{Transport: tr}
}

// New connects to the Bot API at apiURL (https://api.telegram.org or a
// test server) and checks the token with getMe.
func New(ctx context.Context, token, apiURL string, hc *http.Client) (*Client, error) {
	if hc == nil {
		hc = NewHTTPClient()
	}
	// The library's constructor calls getMe with the client it is given; a
	// context-bound client makes that call cancellable too.
	api, err := tgbotapi.NewBotAPIWithClient(token, apiURL+"/bot%s/%s", ctxClient{ctx, hc, nil})
	if err != nil {
		return nil, fmt.Errorf("telegram getMe: %w", convert("getMe", hideToken(err, token)))
	}
	api.Client = hc
	c := &Client{api: api, http: hc, poll: hc}
	if tr, ok := hc.Transport.(*http.Transport); ok {
		pt := tr.Clone()
		pt.MaxConnsPerHost, pt.MaxIdleConnsPerHost = 2, 2
		c.poll = &http.Client{Transport: pt, Timeout: hc.Timeout, Jar: hc.Jar, CheckRedirect: hc.CheckRedirect}
	}
	c.Self = User{ID: api.Self.ID, IsBot: api.Self.IsBot, FirstName: api.Self.FirstName, Username: api.Self.UserName}
	return c, nil
}

// ctxClient binds a context to every request, since the library's
// MakeRequest takes none, and notes the HTTP status for answers that are
// not Bot API JSON.
type ctxClient struct {
	ctx    context.Context
	hc     *http.Client
	status *int
}

func (c ctxClient) Do(req *http.Request) (*http.Response, error) {
	resp, err := c.hc.Do(req.WithContext(c.ctx))
	if err == nil && c.status != nil {
		*c.status = resp.StatusCode
	}
	return resp, err
}

// Call calls method and returns its raw result. API errors are *Error.
func (c *Client) Call(ctx context.Context, method string, p Params) (json.RawMessage, error) {
	return c.call(ctx, c.http, method, p)
}

func (c *Client) call(ctx context.Context, hc *http.Client, method string, p Params) (json.RawMessage, error) {
	// A shallow copy of the library's client per call carries this call's
	// context; it holds no lock, only the token, endpoint and HTTP client.
	api := *c.api
	status := 0
	api.Client = ctxClient{ctx, hc, &status}
	resp, err := api.MakeRequest(method, p)
	if err != nil {
		err = convert(method, hideToken(err, c.api.Token))
		if Code(err) == 0 && status >= 400 {
			// An answer that is not Bot API JSON (a proxy's error page, a
			// server without this method): its HTTP status says what it is.
			return nil, &Error{Method: method, Code: status, Message: http.StatusText(status)}
		}
		return nil, err
	}
	return resp.Result, nil
}

// CallInto calls method and decodes its result into out (which may be nil).
func (c *Client) CallInto(ctx context.Context, method string, p Params, out any) error {
	raw, err := c.Call(ctx, method, p)
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("telegram %s: decoding result: %w", method, err)
	}
	return nil
}

// hideToken takes the token out of a transport error, which names the
// request's URL (and so the token): errors end up in logs.
func hideToken(err error, token string) error {
	var ue *url.Error
	if token != "" && errors.As(err, &ue) {
		ue.URL = strings.ReplaceAll(ue.URL, token, "<token>")
	}
	return err
}

func convert(method string, err error) error {
	var te *tgbotapi.Error
	if errors.As(err, &te) {
		return &Error{Method: method, Code: te.Code, Message: te.Message,
			RetryAfter: time.Duration(te.RetryAfter) * time.Second, MigrateTo: te.MigrateToChatID}
	}
	var tv tgbotapi.Error
	if errors.As(err, &tv) {
		return &Error{Method: method, Code: tv.Code, Message: tv.Message,
			RetryAfter: time.Duration(tv.RetryAfter) * time.Second, MigrateTo: tv.MigrateToChatID}
	}
	return fmt.Errorf("telegram %s: %w", method, err)
}

// Code returns the Bot API error code of err, 0 for a network or decoding
// error, -1 for no error; for metrics.
func Code(err error) int {
	if err == nil {
		return -1
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return 0
}

// IsNetwork reports whether err is a transport failure (no API answer).
func IsNetwork(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || Code(err) == 0
}

// GetUpdates long-polls for updates from offset, waiting up to timeout.
func (c *Client) GetUpdates(ctx context.Context, offset int64, limit int, timeout time.Duration, allowed []string) ([]Update, error) {
	var ups []Update
	return ups, c.getUpdates(ctx, offset, limit, timeout, allowed, &ups)
}

// GetUpdatesRaw is GetUpdates leaving each update as the JSON Telegram sent.
func (c *Client) GetUpdatesRaw(ctx context.Context, offset int64, limit int, timeout time.Duration, allowed []string) ([]json.RawMessage, error) {
	var ups []json.RawMessage
	return ups, c.getUpdates(ctx, offset, limit, timeout, allowed, &ups)
}

func (c *Client) getUpdates(ctx context.Context, offset int64, limit int, timeout time.Duration, allowed []string, out any) error {
	p := Params{"offset": strconv.FormatInt(offset, 10), "limit": strconv.Itoa(limit),
		"timeout": strconv.Itoa(int(timeout / time.Second))}
	if allowed != nil {
		setJSON(p, "allowed_updates", allowed)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout+15*time.Second)
	defer cancel()
	raw, err := c.call(ctx, c.poll, "getUpdates", p)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("telegram getUpdates: decoding result: %w", err)
	}
	return nil
}

// SetWebhook registers url with a secret token Telegram sends back in the
// X-Telegram-Bot-Api-Secret-Token header.
func (c *Client) SetWebhook(ctx context.Context, url, secret string, allowed []string) error {
	p := Params{"url": url, "secret_token": secret, "max_connections": "40"}
	if allowed != nil {
		setJSON(p, "allowed_updates", allowed)
	}
	return c.CallInto(ctx, "setWebhook", p, nil)
}

// DeleteWebhook switches the bot back to getUpdates.
func (c *Client) DeleteWebhook(ctx context.Context) error {
	return c.CallInto(ctx, "deleteWebhook", Params{}, nil)
}

// SendMessage sends a text with an optional inline keyboard.
func (c *Client) SendMessage(ctx context.Context, chatID int64, text string, kb *InlineKeyboard) (*Message, error) {
	p := Params{"chat_id": strconv.FormatInt(chatID, 10), "text": text}
	if kb != nil {
		setJSON(p, "reply_markup", kb)
	}
	var m Message
	if err := c.CallInto(ctx, "sendMessage", p, &m); err != nil {
		return nil, err
	}
	return &m, nil
}
