// Package ingress is webhookd's HTTP front door: a Gin router that verifies
// each webhook (IP allow-list, body limit, signature on the raw bytes,
// envelope) and hands it to the event life (internal/lifecycle), answering
// each error as its table says (errors.go, documented in docs/http.md).
package ingress

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sync/semaphore"

	"github.com/webhookd/webhookd/internal/httpserve"
	"github.com/webhookd/webhookd/internal/lifecycle"
	"github.com/webhookd/webhookd/internal/provider"
	"github.com/webhookd/webhookd/internal/signature"
	"github.com/webhookd/webhookd/internal/store"
)

// DefaultBodyLimit is the largest body accepted (1 MiB), and
// DefaultInFlightBytes the default budget of bodies being read at once.
const (
	DefaultBodyLimit     = 1 << 20
	DefaultInFlightBytes = 64 << 20
)

// Events is the event life the ingress hands verified events to;
// *lifecycle.Service is the real one.
type Events interface {
	Accept(ctx context.Context, e store.NewEvent) (lifecycle.Accepted, error)
	Ready(ctx context.Context) map[string]error
}

// Options configures the ingress.
type Options struct {
	Providers map[string]*provider.Provider
	Events    Events
	// BodyLimit in bytes (default 1 MiB).
	BodyLimit int64
	// InFlightBytes bounds the bodies being read at once, across requests
	// (default 64 MiB); past it the answer is 503 with Retry-After.
	InFlightBytes int64
	// TrustedProxies are the CIDRs whose X-Forwarded-For is believed; none
	// by default, so the client IP is the TCP peer.
	TrustedProxies []string
	// PublicURL is the base URL providers call (https://hooks.example.com),
	// for the schemes that sign the URL (twilio, square): behind a proxy
	// the ingress cannot know it. Empty: the request's own scheme and Host.
	PublicURL string
	// RetryAfter is sent with 503 answers.
	RetryAfter time.Duration
	Logger     *slog.Logger
	// Registry receives the ingress metrics and serves /metrics.
	Registry *prometheus.Registry
	// Now is the clock (tests).
	Now func() time.Time
	// OnSignatureFailures, when set, is told once when a provider's
	// signature rejections reach SignatureFailures within
	// SignatureWindow (default DefaultSignatureWindow; no threshold: never): after a
	// secret rotation every delivery is rejected, and the provider soon
	// gives up.
	OnSignatureFailures func(provider string, count int, reasons map[string]int)
	SignatureFailures   int
	SignatureWindow     time.Duration
	// OnUnavailable, when set, is told once when UnavailableAnswers
	// (default DefaultUnavailableAnswers) deliveries within
	// UnavailableWindow were answered 503 because the database could not
	// record them.
	OnUnavailable      func(count int)
	UnavailableAnswers int
}

const (
	// DefaultSignatureWindow is the window of SignatureFailures.
	DefaultSignatureWindow = 5 * time.Minute
	// UnavailableWindow is the window of UnavailableAnswers.
	UnavailableWindow = time.Minute
	// DefaultUnavailableAnswers: a few 503s are a blip, this many within
	// UnavailableWindow an outage.
	DefaultUnavailableAnswers = 5
)

type server struct {
	Options
	metrics *metrics
	budget  *semaphore.Weighted
	shares  *shares
	watch   *burstWatch // signature rejections, per provider
	down    *burstWatch // 503s: the database unreachable
}

// New returns the ingress router.
func New(opts Options) (*gin.Engine, error) {
	if opts.BodyLimit <= 0 {
		opts.BodyLimit = DefaultBodyLimit
	}
	if opts.InFlightBytes <= 0 {
		opts.InFlightBytes = DefaultInFlightBytes
	}
	opts.InFlightBytes = max(opts.InFlightBytes, opts.BodyLimit)
	if opts.RetryAfter <= 0 {
		opts.RetryAfter = 5 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Registry == nil {
		opts.Registry = prometheus.NewRegistry()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.SignatureWindow <= 0 {
		opts.SignatureWindow = DefaultSignatureWindow
	}
	if opts.UnavailableAnswers <= 0 {
		opts.UnavailableAnswers = DefaultUnavailableAnswers
	}
	s := &server{Options: opts, metrics: newMetrics(opts.Registry), budget: semaphore.NewWeighted(opts.InFlightBytes), shares: &shares{held: map[string]int64{}},
		watch: &burstWatch{threshold: opts.SignatureFailures, window: opts.SignatureWindow, report: opts.OnSignatureFailures,
			seen: map[string][]rejection{}, fired: map[string]bool{}}}
	if opts.OnUnavailable != nil {
		s.down = &burstWatch{threshold: opts.UnavailableAnswers, window: UnavailableWindow, seen: map[string][]rejection{}, fired: map[string]bool{},
			report: func(_ string, n int, _ map[string]int) { opts.OnUnavailable(n) }}
	}
	r := gin.New()
	r.HandleMethodNotAllowed = true
	// Only X-Forwarded-For, and only from TrustedProxies (gin would also
	// believe X-Real-IP).
	r.RemoteIPHeaders = []string{"X-Forwarded-For"}
	if err := r.SetTrustedProxies(opts.TrustedProxies); err != nil {
		return nil, err
	}
	r.Use(gin.Recovery(), s.logRequest)
	r.POST("/webhooks/:provider", s.receive)
	// A provider that checks the URL with HEAD before saving it (Intercom).
	r.HEAD("/webhooks/:provider", func(c *gin.Context) {
		if _, ok := s.Providers[c.Param("provider")]; !ok {
			c.Status(http.StatusNotFound)
			return
		}
		c.Status(http.StatusOK)
	})
	r.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	r.GET("/readyz", s.ready)
	r.GET("/metrics", gin.WrapH(promhttp.HandlerFor(opts.Registry, promhttp.HandlerOpts{})))
	r.NoRoute(func(c *gin.Context) { c.JSON(http.StatusNotFound, gin.H{"error": "not found"}) })
	r.NoMethod(func(c *gin.Context) { c.JSON(http.StatusMethodNotAllowed, gin.H{"error": "method not allowed"}) })
	return r, nil
}

// Response is the body of 200 and 202 answers.
type Response struct {
	Received   bool   `json:"received"`
	EventID    string `json:"event_id"`
	WorkflowID string `json:"workflow_id"`
	Duplicate  bool   `json:"duplicate"`
	// Queued: recorded, the run starts when Temporal is reachable (202).
	Queued bool `json:"queued,omitempty"`
}

// fail answers err as the answers table says.
func (s *server) fail(c *gin.Context, err error) {
	a := answerFor(err)
	status, msg := Status(err)
	if status == http.StatusServiceUnavailable {
		c.Header("Retry-After", strconv.Itoa(int(s.RetryAfter.Seconds())))
	}
	if a.outcome == "db_unavailable" {
		s.down.add("postgres", "unavailable", s.Now())
	}
	c.Set("outcome", a.outcome)
	c.Set("level", a.level)
	c.Set("error", err.Error())
	c.AbortWithStatusJSON(status, gin.H{"error": msg})
}

func (s *server) receive(c *gin.Context) {
	name := c.Param("provider")
	p, ok := s.Providers[name]
	if !ok {
		s.fail(c, ErrUnknownProvider)
		return
	}
	c.Set("provider", p.Name)
	if !allowed(p, c.ClientIP()) {
		s.fail(c, ErrForbidden)
		return
	}
	body, release, err := s.readBody(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	defer release()
	if a, ok := p.UnsignedHandshake(c.Request.Header, body); ok {
		s.answer(c, a)
		return
	}
	req := signature.Request{Header: c.Request.Header, Body: body, Now: s.Now()}
	if signature.SignsURL(p.Scheme) {
		req.URL = s.publicURL(c)
	}
	meta, err := p.Verifier().VerifyRequest(req)
	if err != nil {
		s.metrics.verifyFailures.WithLabelValues(p.Name, signature.ReasonOf(err)).Inc()
		s.watch.add(p.Name, signature.ReasonOf(err), s.Now())
		s.fail(c, err)
		return
	}
	if a, ok := p.AnswerHandshake(body); ok {
		s.answer(c, a)
		return
	}
	env, err := p.ParseEnvelope(c.Request.Header, body, meta.ID, meta.Timestamp, s.Now())
	if err != nil {
		s.fail(c, err)
		return
	}
	if env.Payload != nil {
		body = env.Payload // a form body, recorded as its fields
	}
	c.Set("event_id", env.ID)
	c.Set("event_type", env.Type)
	if env.OccurredAt.IsZero() {
		env.OccurredAt = s.Now().UTC()
	}
	acc, err := s.Events.Accept(c.Request.Context(), store.NewEvent{
		Provider: p.Name, EventID: env.ID, EventType: env.Type, Payload: body, Data: env.Data, Format: p.SpecJSON(),
		OccurredAt: env.OccurredAt,
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Set("outcome", string(acc.Outcome))
	if acc.BodyChanged {
		s.metrics.changedBodies.WithLabelValues(p.Name).Inc()
		s.Logger.Warn("redelivery with a different body; the recorded one stays",
			slog.String("provider", p.Name), slog.String("event_id", env.ID))
	}
	resp := Response{Received: true, EventID: env.ID, WorkflowID: acc.Event.WorkflowID,
		Duplicate: acc.Outcome == lifecycle.Duplicate, Queued: acc.StartQueued}
	status := http.StatusOK
	if acc.Outcome == lifecycle.Queued {
		status = http.StatusAccepted
	}
	if status = p.SuccessStatus(status); status == http.StatusNoContent {
		c.Status(status)
		return
	}
	c.JSON(status, resp)
}

// answer replies to a provider's handshake; nothing is recorded.
func (s *server) answer(c *gin.Context, a provider.Answer) {
	c.Set("outcome", "handshake")
	if a.Body == nil {
		c.Status(a.Status)
		return
	}
	c.Data(a.Status, "application/json", a.Body)
}

// publicURL is the URL the provider called: --public-url's base with the
// request's path and query, else the request's own scheme and Host.
func (s *server) publicURL(c *gin.Context) string {
	base := strings.TrimRight(s.PublicURL, "/")
	if base == "" {
		scheme := "http"
		if c.Request.TLS != nil {
			scheme = "https"
		}
		base = scheme + "://" + c.Request.Host
	}
	return base + c.Request.URL.RequestURI()
}

// How a body is read: in chunks, each charged to the in-flight budget
// (and the client's share of it) before it is read, at a minimum rate.
const (
	readChunk = 32 << 10
	// MinBodyRate is the slowest a body may arrive after its first
	// second; slower, the connection is answered 408 and closed.
	MinBodyRate = 16 << 10
	bodyGrace   = time.Second
	// clientShare is the part of the budget one client IP may hold.
	clientShare = 4
)

// readBody reads the body within the limits: the body limit; the in-flight
// budget shared by every request being read, charged for the bytes as they
// arrive (a chunk at a time, before it is read), not for the length a
// request declares; a client IP's share of that budget (a quarter, at least
// one body); and a minimum rate, MinBodyRate after the first second, within
// httpserve.ReadTimeout. Past the budget or the share the answer is 503;
// too slow, 408. The caller releases the body's charge once the request is
// answered.
func (s *server) readBody(c *gin.Context) ([]byte, func(), error) {
	r := c.Request
	if r.ContentLength > s.BodyLimit {
		return nil, nil, ErrBodyTooLarge
	}
	ip := c.ClientIP()
	var held int64
	release := func() {
		s.budget.Release(held)
		s.shares.give(ip, held)
		held = 0
	}
	start := time.Now()
	rc := http.NewResponseController(c.Writer)
	defer rc.SetReadDeadline(time.Time{})
	// The buffer grows with what has arrived and been charged, never with
	// what a request merely declares.
	var buf bytes.Buffer
	body := http.MaxBytesReader(c.Writer, r.Body, s.BodyLimit)
	for {
		chunk := min(readChunk, s.BodyLimit)
		if !s.budget.TryAcquire(chunk) {
			s.metrics.overBudget.Inc()
			release()
			return nil, nil, ErrBusy
		}
		if !s.shares.take(ip, chunk, max(s.InFlightBytes/clientShare, s.BodyLimit+readChunk)) {
			s.budget.Release(chunk)
			s.metrics.overBudget.Inc()
			release()
			return nil, nil, ErrBusy
		}
		held += chunk
		buf.Grow(int(chunk))
		due := bodyGrace + time.Duration(float64(buf.Len())+float64(chunk))*time.Second/MinBodyRate
		_ = rc.SetReadDeadline(start.Add(min(due, httpserve.ReadTimeout)))
		n, err := buf.ReadFrom(io.LimitReader(body, chunk))
		if unused := chunk - n; err == nil && unused > 0 {
			// The body ended: give back what it did not use.
			s.budget.Release(unused)
			s.shares.give(ip, unused)
			held -= unused
			return buf.Bytes(), release, nil
		}
		if err == nil {
			continue
		}
		var tooLarge *http.MaxBytesError
		var netErr net.Error
		switch {
		case errors.As(err, &tooLarge):
			err = ErrBodyTooLarge
		case errors.As(err, &netErr) && netErr.Timeout():
			err = ErrTimeout
		default:
			err = fmt.Errorf("%w: reading the body: %v", provider.ErrBadEnvelope, err)
		}
		release()
		return nil, nil, err
	}
}

// shares counts the budget each client IP holds.
type shares struct {
	mu   sync.Mutex
	held map[string]int64
}

// take charges n to ip unless that would put it over limit.
func (s *shares) take(ip string, n, limit int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.held[ip]+n > limit {
		return false
	}
	s.held[ip] += n
	return true
}

// give returns n of ip's charge.
func (s *shares) give(ip string, n int64) {
	if n == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.held[ip] -= n; s.held[ip] <= 0 {
		delete(s.held, ip)
	}
}

func allowed(p *provider.Provider, ip string) bool {
	if len(p.Prefixes) == 0 {
		return true
	}
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	addr = addr.Unmap()
	for _, pfx := range p.Prefixes {
		if pfx.Contains(addr) {
			return true
		}
	}
	return false
}

// ready needs PostgreSQL only: without Temporal the ingress still records
// every event and answers 202 (the sweep starts it later), so a load
// balancer must keep sending it traffic. Temporal's state is reported.
func (s *server) ready(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 3*time.Second)
	defer cancel()
	status, checks := Readiness(ctx, s.Events.Ready, s.Logger, "postgres")
	c.JSON(status, checks)
}

// Readiness runs the checks and returns 200 with "ok" for each, or 503
// when one of needs (all of them when none are named) is unavailable. The
// errors go to the log.
func Readiness(ctx context.Context, check func(context.Context) map[string]error, logger *slog.Logger, needs ...string) (int, map[string]string) {
	status, out := http.StatusOK, map[string]string{}
	for name, err := range check(ctx) {
		out[name] = "ok"
		if err != nil {
			out[name] = "unavailable"
			if len(needs) == 0 || slices.Contains(needs, name) {
				status = http.StatusServiceUnavailable
			}
			logger.Warn("readiness check failed", slog.String("check", name), slog.String("error", err.Error()))
		}
	}
	return status, out
}

// logRequest writes one JSON line per request: never secrets, signatures
// or bodies.
func (s *server) logRequest(c *gin.Context) {
	start := time.Now()
	c.Next()
	elapsed := time.Since(start)
	provider := c.GetString("provider")
	if provider == "" && c.FullPath() == "/webhooks/:provider" {
		provider = "unknown"
	}
	outcome := c.GetString("outcome")
	if provider != "" {
		s.metrics.requests.WithLabelValues(provider, outcome).Inc()
		s.metrics.latency.WithLabelValues(provider).Observe(elapsed.Seconds())
	}
	if c.FullPath() == "/metrics" || c.FullPath() == "/healthz" {
		return
	}
	attrs := []slog.Attr{
		slog.String("method", c.Request.Method),
		slog.String("path", c.FullPath()),
		slog.Int("status", c.Writer.Status()),
		slog.Float64("latency_ms", float64(elapsed.Microseconds())/1000),
		slog.String("client_ip", c.ClientIP()),
	}
	for _, k := range []string{"provider", "event_id", "event_type", "outcome", "error"} {
		if v := c.GetString(k); v != "" {
			attrs = append(attrs, slog.String(k, v))
		}
	}
	level := slog.LevelInfo
	if l, ok := c.Get("level"); ok {
		level = l.(slog.Level)
	}
	s.Logger.LogAttrs(c.Request.Context(), level, "request", attrs...)
}

type metrics struct {
	overBudget     prometheus.Counter
	changedBodies  *prometheus.CounterVec
	requests       *prometheus.CounterVec
	verifyFailures *prometheus.CounterVec
	latency        *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "webhookd_ingress_requests_total",
			Help: "Webhook requests by provider and outcome (" + outcomes() + ").",
		}, []string{"provider", "outcome"}),
		verifyFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "webhookd_ingress_signature_failures_total",
			Help: "Signature verification failures by provider and reason (missing, malformed, stale, mismatch).",
		}, []string{"provider", "reason"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "webhookd_ingress_request_duration_seconds",
			Help:    "Time to answer a webhook request.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"provider"}),
	}
	m.overBudget = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "webhookd_ingress_over_budget_total",
		Help: "Requests answered 503 before their body was read: the in-flight body budget was spent.",
	})
	m.changedBodies = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "webhookd_ingress_redelivery_changed_body_total",
		Help: "Redeliveries of a recorded event id whose body differs from the recorded one (the recorded one stays).",
	}, []string{"provider"})
	reg.MustRegister(m.requests, m.verifyFailures, m.latency, m.overBudget, m.changedBodies)
	return m
}
