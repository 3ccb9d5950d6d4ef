package hub

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics holds the server's Prometheus registry (one per server, so
// several servers in one process, as in tests, do not collide).
type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "exporthub_http_requests_total",
			Help: "HTTP requests by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "exporthub_http_request_duration_seconds",
			Help:    "HTTP request latency by route pattern.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
	}
	m.registry.MustRegister(m.requests, m.latency,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// observer returns the function recording one request of route.
func (m *metrics) observer(route string) func(method, code string, d time.Duration) {
	lat := m.latency.WithLabelValues(route)
	return func(method, code string, d time.Duration) {
		m.requests.WithLabelValues(route, method, code).Inc()
		lat.Observe(d.Seconds())
	}
}

// Registry returns the server's Prometheus registry, for components that
// export their own metrics (they appear on /metrics).
func (s *Server) Registry() *prometheus.Registry { return s.metrics.registry }

// handleMetrics serves /metrics.
func (s *Server) handleMetrics() http.Handler {
	return promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{})
}
