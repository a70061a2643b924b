package web

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/ingest"
	"blameful.dev/blameful/internal/org"
)

// metrics is what /metrics reports, in Prometheus' text format: requests
// by route and status with their latency, the background jobs' runs and
// what they sent, and, counted when scraped, open incidents by severity,
// overdue follow-ups and the outbox by state. Its registry is the
// server's own, so two servers in one process (tests) do not share one.
type metrics struct {
	reg         *prometheus.Registry
	requests    *prometheus.CounterVec
	latency     *prometheus.HistogramVec
	jobRuns     *prometheus.CounterVec
	jobNotices  *prometheus.CounterVec
	jobFlags    prometheus.Counter
	lastJobsRun prometheus.Gauge
	ingest      *prometheus.CounterVec
	ingestAlert *prometheus.CounterVec
}

func newMetrics(a *app.App) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "blameful_http_requests_total",
			Help: "HTTP requests answered, by route pattern, method and status code."}, []string{"route", "method", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "blameful_http_request_duration_seconds",
			Help:    "How long requests took to answer, by route pattern and method.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10}}, []string{"route", "method"}),
		jobRuns: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "blameful_jobs_runs_total",
			Help: "Runs of the background jobs, by outcome (ok or error)."}, []string{"outcome"}),
		jobNotices: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "blameful_followup_notices_total",
			Help: "Reminders and escalations this server's jobs sent (F4), by kind."}, []string{"kind"}),
		jobFlags: prometheus.NewCounter(prometheus.CounterOpts{Name: "blameful_postmortem_overdue_flags_total",
			Help: "I5 flags this server's postmortem due check raised (F5)."}),
		lastJobsRun: prometheus.NewGauge(prometheus.GaugeOpts{Name: "blameful_jobs_last_run_timestamp_seconds",
			Help: "When this server last ran the background jobs, as a Unix time."}),
	}
	m.ingest = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "blameful_ingest_deliveries_total",
		Help: "Deliveries to the alert hooks, by source and outcome (accepted, invalid, refused, too_large, unavailable, not_configured, error)."},
		[]string{"source", "outcome"})
	m.ingestAlert = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "blameful_ingest_alerts_total",
		Help: "Alert events in accepted deliveries, by source and outcome: recorded (new) or repeated (a retry already stored)."},
		[]string{"source", "outcome"})
	m.reg.MustRegister(m.requests, m.latency, m.jobRuns, m.jobNotices, m.jobFlags, m.lastJobsRun, m.ingest, m.ingestAlert,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), &gauges{app: a})
	return m
}

// observe records one answered request.
func (m *metrics) observe(r *http.Request, status int, took time.Duration) {
	route := r.Pattern
	if route == "" {
		route = "unmatched"
	}
	m.requests.WithLabelValues(route, r.Method, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(route, r.Method).Observe(took.Seconds())
}

// observeIngest counts one delivery to an alert hook.
func (m *metrics) observeIngest(src ingest.Source, res hookReply, err error) {
	m.ingest.WithLabelValues(string(src), outcomeOf(err)).Inc()
	if err == nil {
		m.ingestAlert.WithLabelValues(string(src), "recorded").Add(float64(res.Recorded))
		m.ingestAlert.WithLabelValues(string(src), "repeated").Add(float64(res.Repeated))
	}
}

// ObserveJobs records one run of the background jobs; serve passes it to
// the jobs as their observer.
func (s *Server) ObserveJobs(rep app.JobReport, err error) {
	m := s.metrics
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	m.jobRuns.WithLabelValues(outcome).Inc()
	m.jobNotices.WithLabelValues("reminder").Add(float64(rep.Reminders))
	m.jobNotices.WithLabelValues("escalation").Add(float64(rep.Escalations))
	m.jobFlags.Add(float64(rep.Flags))
	m.lastJobsRun.Set(float64(rep.At.Unix()))
}

// getMetrics answers a scrape. Scrapers authenticate like any API client,
// with a bearer token (Prometheus: authorization.credentials_file).
func (s *Server) getMetrics(w http.ResponseWriter, r *http.Request, actor org.Actor) error {
	promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}).ServeHTTP(w, r)
	return nil
}

// gauges counts the figures of the moment when scraped.
type gauges struct{ app *app.App }

var (
	openIncidentsDesc = prometheus.NewDesc("blameful_incidents_open", "Incidents not yet resolved, by severity.", []string{"severity"}, nil)
	overdueDesc       = prometheus.NewDesc("blameful_followups_overdue", "Open follow-ups past their due date.", nil, nil)
	outboxDesc        = prometheus.NewDesc("blameful_outbox_deliveries", "Notification deliveries by state; undispatched counts messages no delivery pass has seen yet.", []string{"state"}, nil)
	gaugeErrorDesc    = prometheus.NewDesc("blameful_gauges_up", "1 when the figures of the moment could be read from the database, else 0.", nil, nil)
)

func (g *gauges) Describe(ch chan<- *prometheus.Desc) {
	ch <- openIncidentsDesc
	ch <- overdueDesc
	ch <- outboxDesc
	ch <- gaugeErrorDesc
}

func (g *gauges) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	v, err := g.app.Gauges(ctx, org.System("metrics"))
	if err != nil {
		ch <- prometheus.MustNewConstMetric(gaugeErrorDesc, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(gaugeErrorDesc, prometheus.GaugeValue, 1)
	for _, sev := range []string{"SEV1", "SEV2", "SEV3", "SEV4"} {
		ch <- prometheus.MustNewConstMetric(openIncidentsDesc, prometheus.GaugeValue, float64(v.OpenIncidents[sev]), sev)
	}
	ch <- prometheus.MustNewConstMetric(overdueDesc, prometheus.GaugeValue, float64(v.OverdueFollowUps))
	for state, n := range v.Outbox {
		ch <- prometheus.MustNewConstMetric(outboxDesc, prometheus.GaugeValue, float64(n), state)
	}
}
