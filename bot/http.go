package bot

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/dalil-tt/dalil/bot/telegram"
)

// DefaultWebhookPath serves updates when WebhookURL has no path.
const DefaultWebhookPath = "/telegram/webhook"

// MaxUpdateBytes is the largest webhook body taken: Telegram's updates
// are a few KiB.
const MaxUpdateBytes = 1 << 20

// HTTPTimeouts bound how long one connection may hold the server.
type HTTPTimeouts struct {
	// Read is for a whole request, body included (a body trickled a
	// byte at a time is cut off); Write for its answer; Idle for a
	// keep-alive connection between requests.
	Read, Write, Idle time.Duration
}

// NewHTTPServer returns the server for handler with every limit set: a
// server with only ReadHeaderTimeout kept a slow body or an idle
// keep-alive connection open forever (1,000 of them held 1,041
// descriptors).
func NewHTTPServer(handler http.Handler, t HTTPTimeouts) *http.Server {
	return &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: min(10*time.Second, t.Read),
		ReadTimeout:       t.Read,
		WriteTimeout:      t.Write,
		IdleTimeout:       t.Idle,
		MaxHeaderBytes:    64 << 10,
	}
}

// Handler serves /healthz, /readyz, /metrics and, in webhook mode, the
// webhook path. mux may hold other pages (staff pages); nil makes a new one.
func (b *Bot) Handler(mux *http.ServeMux) *http.ServeMux {
	if mux == nil {
		mux = http.NewServeMux()
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", b.ready)
	mux.Handle("GET /metrics", promhttp.HandlerFor(b.m.reg, promhttp.HandlerOpts{}))
	if b.o.WebhookURL != "" {
		mux.HandleFunc("POST "+b.WebhookPath(), b.webhook)
	}
	return mux
}

// WebhookPath is the path of WebhookURL, where Telegram posts updates.
func (b *Bot) WebhookPath() string {
	u, err := url.Parse(b.o.WebhookURL)
	if err != nil || u.Path == "" || u.Path == "/" {
		return DefaultWebhookPath
	}
	return u.Path
}

// ready reports whether Redis and every other dependency answer.
func (b *Bot) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	status := map[string]string{}
	ok := true
	checks := append([]Check{{Name: "redis", Fn: b.store.Ping}}, b.o.Ready...)
	for _, c := range checks {
		if err := c.Fn(ctx); err != nil {
			status[c.Name] = "unavailable"
			ok = false
			b.log.Warn("readiness check failed", "check", c.Name, "err", err)
		} else {
			status[c.Name] = "ok"
		}
	}
	w.Header().Set("Content-Type", "application/json")
	if !ok {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	json.NewEncoder(w).Encode(status)
}

// webhook takes an update from Telegram: it checks the secret token,
// queues the update in Redis and only then answers 200. When Redis is
// down it answers 503 and Telegram delivers the update again later.
func (b *Bot) webhook(w http.ResponseWriter, r *http.Request) {
	got := r.Header.Get("X-Telegram-Bot-Api-Secret-Token")
	if subtle.ConstantTimeCompare([]byte(got), []byte(b.o.WebhookSecret)) != 1 {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxUpdateBytes))
	if tooLarge := new(http.MaxBytesError); errors.As(err, &tooLarge) {
		b.m.updates.WithLabelValues("unreadable").Inc()
		http.Error(w, "update too large", http.StatusRequestEntityTooLarge)
		return
	}
	if err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	// Only what routes it is read here; the consumer decodes the whole
	// update from the queue.
	h, err := telegram.ReadHead(raw)
	if err != nil || h.UpdateID == 0 {
		// Not an update: acknowledging it stops Telegram from resending it.
		b.log.Warn("webhook: unreadable update dropped", "err", err)
		b.m.updates.WithLabelValues("unreadable").Inc()
		return
	}
	if err := b.enqueue(r.Context(), raw, partitionOf(h.Chat)); err != nil {
		b.log.Error("webhook: queueing update", "err", err)
		http.Error(w, "try again", http.StatusServiceUnavailable)
		return
	}
	// Only 200, no method call in the reply: a button press is answered
	// by its handler, which may say something (the adviser desk's "an
	// adviser is answering you"), and Telegram takes one answer per press.
	w.WriteHeader(http.StatusOK)
}
