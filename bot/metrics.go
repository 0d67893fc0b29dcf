package bot

import (
	"slices"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/dalil-tt/dalil/internal/vocab"
)

// metrics are the bot's Prometheus series, on a registry of its own so that
// several bots can run in one test process.
type metrics struct {
	reg        *prometheus.Registry
	updates    *prometheus.CounterVec
	handling   prometheus.Histogram
	replying   prometheus.Histogram
	apiErrors  *prometheus.CounterVec
	apiCalls   *prometheus.CounterVec
	waits      *prometheus.CounterVec
	waitSecs   *prometheus.CounterVec
	effects    *prometheus.CounterVec
	failedSend *prometheus.CounterVec
	scheduled  prometheus.Counter
	// referrals: outcome (matched, widened, none, error) and the needs and
	// provinces asked for (codes of the shared vocabulary: a bounded set).
	referrals     *prometheus.CounterVec
	referralCodes *prometheus.CounterVec
	referralPages prometheus.Counter
	servicesShown prometheus.Counter
}

func newMetrics() *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.updates = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dalil_updates_total", Help: "Telegram updates received, by outcome.",
	}, []string{"outcome"})
	buckets := []float64{.001, .002, .005, .01, .02, .05, .1, .25, .5, 1, 2.5, 5, 10}
	m.handling = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "dalil_update_handling_seconds", Buckets: buckets,
		Help: "Time from receiving an update to its new state and replies being durably saved.",
	})
	m.replying = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "dalil_update_reply_seconds", Buckets: buckets,
		Help: "Time from receiving an update to its first reply accepted by Telegram.",
	})
	m.apiCalls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dalil_botapi_requests_total", Help: "Bot API calls, by method.",
	}, []string{"method"})
	m.apiErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dalil_botapi_errors_total", Help: "Bot API errors, by method and error code (0 = network).",
	}, []string{"method", "code"})
	m.waits = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dalil_ratelimit_waits_total", Help: "Messages that waited for a rate limit, by limit (global, chat, group, retry_after).",
	}, []string{"limit"})
	m.waitSecs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dalil_ratelimit_wait_seconds_total", Help: "Time spent waiting for rate limits, by limit.",
	}, []string{"limit"})
	m.effects = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dalil_effects_total", Help: "Engine effects carried out (adviser, forget).",
	}, []string{"kind"})
	m.failedSend = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dalil_messages_failed_total", Help: "Messages given up after retries, by reason.",
	}, []string{"reason"})
	m.scheduled = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "dalil_scheduled_dispatched_total", Help: "Scheduled messages put in their chat's outbox by this replica once due.",
	})
	m.referrals = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dalil_referrals_total", Help: "Referrals looked up, by outcome (matched, widened: found after relaxing facets, none, error).",
	}, []string{"outcome"})
	m.referralCodes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dalil_referral_codes_total", Help: "Needs and provinces of the referrals looked up, by facet and code.",
	}, []string{"facet", "code"})
	m.referralPages = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "dalil_referral_pages_total", Help: "Further pages of a referral shown (the \"more\" button).",
	})
	m.servicesShown = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "dalil_referral_services_shown_total", Help: "Services shown to users in referrals.",
	})
	m.reg.MustRegister(m.updates, m.handling, m.replying, m.apiCalls, m.apiErrors, m.waits, m.waitSecs, m.effects, m.failedSend, m.scheduled,
		m.referrals, m.referralCodes, m.referralPages, m.servicesShown,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// waited counts a message that waited d for a limit (global, chat, group,
// retry_after).
func (m *metrics) waited(limit string, d time.Duration) {
	m.waits.WithLabelValues(limit).Inc()
	m.waitSecs.WithLabelValues(limit).Add(d.Seconds())
}

func (m *metrics) apiError(method string, code int) {
	m.apiErrors.WithLabelValues(method, strconv.Itoa(code)).Inc()
}

// referral counts a referral looked up with codes, by outcome.
func (m *metrics) referral(outcome string, codes vocab.Codes) {
	m.referrals.WithLabelValues(outcome).Inc()
	for _, f := range []vocab.Facet{vocab.Needs, vocab.Provinces} {
		for _, c := range codes.Get(f) {
			if slices.Contains(vocab.Values[f], c) { // never a label from user text
				m.referralCodes.WithLabelValues(string(f), c).Inc()
			}
		}
	}
}
