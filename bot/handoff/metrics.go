package handoff

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the desk's Prometheus series. They are registered on the
// bot's registry by cmd/dalil (Desk.Collectors), one set per desk so that
// tests with several desks do not share counts.
type metrics struct {
	requests *prometheus.CounterVec // hours: office, off_hours
	posted   prometheus.Counter
	taken    *prometheus.CounterVec // how: answer, button, command
	wait     prometheus.Histogram
	closed   *prometheus.CounterVec // outcome: closed, user_restart, forgotten
	relayed  *prometheus.CounterVec // direction: to_advisers, to_user
	failures *prometheus.CounterVec // kind (see the fail* constants)
	waiting  *prometheus.GaugeVec   // arrived: office, off_hours
}

// Kinds of failure counted in dalil_handoff_failures_total.
const (
	failOpen      = "open"              // the card or topic could not be posted, or the request not saved
	failToAdviser = "relay_to_advisers" // a user's message did not reach the group
	failToUser    = "relay_to_user"     // an adviser's message did not reach the user
	failBlocked   = "blocked"           // the user blocked the bot: an adviser's message was dropped
	failState     = "state"             // reading or saving a handoff's state or record failed (Redis, PostgreSQL)
	failNotify    = "notify"            // a card edit, a note or a word to the user was lost
	failTick      = "tick"              // the waiting-time / office-hours round failed
	failMember    = "member"            // getChatMember failed: a group message was not relayed (fails closed)
)

func newMetrics() *metrics {
	return &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dalil_handoff_requests_total",
			Help: "Requests for an adviser opened, by when they arrived (office, off_hours).",
		}, []string{"hours"}),
		posted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "dalil_handoff_cards_posted_total",
			Help: "Summary cards posted in the advisers' group.",
		}),
		taken: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dalil_handoff_taken_total",
			Help: "Conversations taken (or taken over) by an adviser, by how (answer, button, command).",
		}, []string{"how"}),
		wait: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "dalil_handoff_wait_seconds",
			Help:    "Time from a request to the first adviser taking it (wall clock, office hours or not).",
			Buckets: []float64{30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400, 43200, 86400, 259200},
		}),
		closed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dalil_handoff_closed_total",
			Help: "Handoffs ended, by outcome (closed by an adviser, user_restart, forgotten).",
		}, []string{"outcome"}),
		relayed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dalil_handoff_messages_relayed_total",
			Help: "Messages relayed between a user and the advisers, by direction (to_advisers, to_user).",
		}, []string{"direction"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dalil_handoff_failures_total",
			Help: "Handoff steps that failed, by kind (open, relay_to_advisers, relay_to_user, blocked, state, notify, tick, member).",
		}, []string{"kind"}),
		waiting: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "dalil_handoff_waiting",
			Help: "Open requests no adviser has taken yet, by when they arrived (office, off_hours); set at each tick (every replica reports the same count).",
		}, []string{"arrived"}),
	}
}

// Collectors are the desk's metrics, for the registry /metrics serves.
func (d *Desk) Collectors() []prometheus.Collector {
	m := d.m
	return []prometheus.Collector{m.requests, m.posted, m.taken, m.wait, m.closed, m.relayed, m.failures, m.waiting}
}

func (m *metrics) fail(kind string) { m.failures.WithLabelValues(kind).Inc() }

// counted marks an error already counted under its own kind, so that the
// caller does not count it again as a state failure.
type counted struct{ error }

func (c counted) Unwrap() error { return c.error }

// failed counts err as a state failure unless it was counted already.
func (m *metrics) failed(err error) {
	var c counted
	if !errors.As(err, &c) {
		m.fail(failState)
	}
}

func hoursLabel(off bool) string {
	if off {
		return "off_hours"
	}
	return "office"
}
