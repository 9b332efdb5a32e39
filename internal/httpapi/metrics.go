package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/stratus-iaas/stratus/internal/policy"
)

type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "stratus_http_requests_total", Help: "HTTP requests by service, method and status.",
		}, []string{"service", "method", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "stratus_http_request_duration_seconds", Help: "HTTP request latency by service.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 5},
		}, []string{"service"}),
	}
	m.reg.MustRegister(m.requests, m.latency, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Every label has a bounded set of values, whatever clients send: the
// service is a group name, the method one of metricMethods or "other",
// the code a valid HTTP status or "other". No label carries a path.
func (m *metrics) observe(service, method string, status int, d time.Duration) {
	m.requests.WithLabelValues(service, metricMethod(method), metricCode(status)).Inc()
	m.latency.WithLabelValues(service).Observe(d.Seconds())
}

var metricMethods = map[string]bool{"GET": true, "HEAD": true, "POST": true, "PUT": true, "PATCH": true,
	"DELETE": true, "COPY": true, "OPTIONS": true}

// metricMethod is method when it is one the services serve, else "other":
// the raw method is client-chosen text.
func metricMethod(method string) string {
	if metricMethods[method] {
		return method
	}
	return "other"
}

func metricCode(status int) string {
	if status < 100 || status > 599 {
		return "other"
	}
	return strconv.Itoa(status)
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Registry lets services register their own collectors (job queue depth, ...).
func (m *Mux) Registry() *prometheus.Registry { return m.stats.reg }

// MetricsGroup serves GET /metrics on the API listener to cloud admins
// only: the figures describe every tenant's traffic. A node that exposes
// metrics on a separate listener serves MetricsHandler there instead.
func (m *Mux) MetricsGroup() Group {
	h := m.MetricsHandler()
	return Group{Name: "metrics", Dialect: Plain, RoutesOnly: true, Routes: []Route{{
		Method: http.MethodGet, Pattern: "/metrics", Policy: policy.Admin,
		Handler: func(w http.ResponseWriter, r *http.Request) error { h.ServeHTTP(w, r); return nil },
	}}}
}
