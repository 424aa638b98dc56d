package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	tally "github.com/uber-go/tally/v4"
	tallyprom "github.com/uber-go/tally/v4/prometheus"
	"go.temporal.io/sdk/client"
	sdktally "go.temporal.io/sdk/contrib/tally"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"golang.org/x/net/netutil"

	"github.com/webhookd/webhookd/activities"
	"github.com/webhookd/webhookd/alerts"
	"github.com/webhookd/webhookd/ingress"
	"github.com/webhookd/webhookd/internal/codec"
	"github.com/webhookd/webhookd/internal/email"
	"github.com/webhookd/webhookd/internal/lifecycle"
	"github.com/webhookd/webhookd/internal/provider"
	"github.com/webhookd/webhookd/internal/runs"
	"github.com/webhookd/webhookd/internal/store"
	"github.com/webhookd/webhookd/internal/temporalui"
	"github.com/webhookd/webhookd/workflows"
)

// app is what dev, ingress and worker share: the settings, the logger,
// the database, Temporal, the metrics registry and the event life over
// them. openApp builds it the same way for all three.
type app struct {
	s      *settings
	logger *slog.Logger
	st     *store.Store
	reg    *prometheus.Registry
	c      client.Client
	events *lifecycle.Service
	// incidents groups failures into Incident workflows (ingress and
	// worker alike).
	incidents *runs.Incidents
}

// openApp connects to the database and (lazily) to Temporal.
func openApp(ctx context.Context, s *settings, logger *slog.Logger) (*app, error) {
	if s.DatabaseURL == "" {
		return nil, errors.New("--database-url / DATABASE_URL: required")
	}
	st, err := store.Open(ctx, s.DatabaseURL)
	if err != nil {
		return nil, err
	}
	reg := newRegistry()
	c, err := dialTemporal(s, logger, reg)
	if err != nil {
		st.Close()
		return nil, err
	}
	return newApp(s, logger, st, c, reg), nil
}

// newApp assembles an app over open connections.
func newApp(s *settings, logger *slog.Logger, st *store.Store, c client.Client, reg *prometheus.Registry) *app {
	svc := &lifecycle.Service{Store: st, Runs: &runs.Temporal{Client: c, Retry: s.retry()}, Logger: logger}
	inc := &runs.Incidents{Client: c, SummaryInterval: s.AlertSummaryInterval, Quiet: s.IncidentQuiet}
	svc.OnRecovered = func(ctx context.Context, r lifecycle.Result, prevError string) error {
		return inc.Recovered(ctx, r.Provider, r.EventType, r.EventID, prevError)
	}
	return &app{s: s, logger: logger, st: st, reg: reg, c: c, events: svc, incidents: inc}
}

func (a *app) Close() {
	a.c.Close()
	a.st.Close()
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level)) // validated with the settings
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

func (s *settings) retry() workflows.RetryConfig {
	return workflows.RetryConfig{MaximumAttempts: int32(s.RetryAttempts), InitialInterval: s.RetryInitial}
}

// dialTemporal connects lazily: the ingress must start (and answer 202)
// while Temporal is down. With a registry, the SDK's client and worker
// metrics (temporal_*) are exported beside webhookd's own.
func dialTemporal(s *settings, logger *slog.Logger, reg *prometheus.Registry) (client.Client, error) {
	opts := client.Options{
		HostPort:  s.TemporalAddress,
		Namespace: s.TemporalNamespace,
		Logger:    sdklog.NewStructuredLogger(logger.With(slog.String("component", "temporal-sdk"))),
	}
	if s.TemporalCompression == "none" {
		opts.ConnectionOptions.GrpcCompression = &client.GrpcCompressionNone{}
	}
	if keys, err := codec.ParseKeys(s.EncryptionKeys); err != nil {
		return nil, fmt.Errorf("--encryption-keys / WEBHOOKD_ENCRYPTION_KEYS: %w", err)
	} else if len(keys) > 0 {
		opts.DataConverter, opts.FailureConverter, _ = codec.DataConverter(keys)
	}
	if reg != nil {
		reporter := tallyprom.NewReporter(tallyprom.Options{
			Registerer:      reg,
			OnRegisterError: func(err error) { logger.Warn("sdk metric not registered", slog.String("error", err.Error())) },
		})
		scope, _ := tally.NewRootScope(tally.ScopeOptions{
			CachedReporter:  reporter,
			Separator:       tallyprom.DefaultSeparator,
			SanitizeOptions: &sdktally.PrometheusSanitizeOptions,
		}, time.Second)
		opts.MetricsHandler = sdktally.NewMetricsHandler(scope)
	}
	c, err := client.NewLazyClient(opts)
	if err != nil {
		return nil, fmt.Errorf("--temporal-address / TEMPORAL_ADDRESS: %w", err)
	}
	return c, nil
}

func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// mailer is Resend or SMTP when configured, else the outbox under the
// data dir.
func mailer(s *settings) (activities.Mailer, string, error) {
	if s.ResendAPIKey != "" {
		m, err := email.NewResend(s.ResendAPIKey, "")
		return m, "resend api", err
	}
	if s.SMTPURL != "" {
		m, err := email.NewSMTP(s.SMTPURL)
		if err != nil {
			return nil, "", fmt.Errorf("--smtp-url / SMTP_URL: %w", err)
		}
		return m, "smtp " + redactURL(s.SMTPURL), nil
	}
	if s.DataDir == "" {
		return nil, "", errors.New("--smtp-url / SMTP_URL or --resend-api-key / RESEND_API_KEY: required (the outbox needs a data dir, dev only)")
	}
	dir := filepath.Join(s.DataDir, "outbox")
	return email.Outbox{Dir: dir}, "outbox " + dir, nil
}

// ui is the Temporal Web UI that run links point into.
func (s *settings) ui() temporalui.UI {
	return temporalui.UI{Base: s.TemporalUIURL, Namespace: s.TemporalNamespace}
}

// alerter posts to every configured sink: Slack (incoming webhook, or a bot
// token and channel) and Discord; with none, the log.
func (s *settings) alerter(logger *slog.Logger, reg prometheus.Registerer) *alerts.Alerter {
	hc := &http.Client{Timeout: 10 * time.Second}
	var sinks []alerts.Sink
	switch {
	case s.SlackWebhookURL != "":
		sinks = append(sinks, alerts.NewSlackWebhook(s.SlackWebhookURL, hc))
	case s.SlackBotToken != "":
		sinks = append(sinks, alerts.NewSlackBot(s.SlackBotToken, s.SlackChannel, "", hc))
	}
	if s.DiscordWebhookURL != "" {
		sinks = append(sinks, &alerts.Discord{URL: s.DiscordWebhookURL, HTTP: hc})
	}
	return alerts.NewAlerter(sinks, s.ui(), reg, alerts.Log{Logger: logger})
}

// startWorker starts the worker once Temporal answers, and the sweep
// beside it. The returned func stops both; the strings say where email and
// alerts go.
func (a *app) startWorker(ctx context.Context) (func(), []string, error) {
	w, dests, err := a.newWorker()
	if err != nil {
		return nil, nil, err
	}
	if err := waitTemporal(ctx, a.c, a.logger); err != nil {
		return nil, nil, err
	}
	if err := w.Start(); err != nil {
		return nil, nil, fmt.Errorf("worker: %w", err)
	}
	sctx, cancel := context.WithCancel(ctx)
	go a.events.RunSweeps(sctx, 2*time.Second, lifecycle.DefaultAges(a.s.DispatchAfter))
	go a.watchBacklog(sctx, 10*time.Second)
	if a.s.PayloadRetention > 0 {
		go a.events.RunPurges(sctx, a.s.PayloadRetention, time.Minute, 24*time.Hour)
	}
	return func() { cancel(); w.Stop() }, dests, nil
}

// watchBacklog checks the backlog of events waiting for Temporal every
// interval, posting its incident straight to the sinks.
func (a *app) watchBacklog(ctx context.Context, interval time.Duration) {
	al := a.s.alerter(a.logger, nil)
	post := func(ctx context.Context, msg alerts.Alert) error {
		_, err := al.Post(ctx, msg, nil)
		return err
	}
	lifecycle.Every(ctx, interval, func() {
		if err := alerts.CheckBacklog(ctx, a.st, a.s.AlertBacklogAfter, time.Now(), post); err != nil && ctx.Err() == nil {
			a.logger.Warn("backlog check failed", slog.String("error", err.Error()))
		}
	})
}

// newWorker registers the workflow and the activities on the task queue,
// and alerts on-call of events whose run the sweep cannot start.
func (a *app) newWorker() (worker.Worker, []string, error) {
	m, mailDest, err := mailer(a.s)
	if err != nil {
		return nil, nil, err
	}
	al := a.s.alerter(a.logger, a.reg)
	a.events.OnStartFailed = func(_ context.Context, ev store.Event, reason string) {
		a.openIncident(alerts.Failure{Provider: ev.Provider, EventType: ev.EventType, EventID: ev.EventID, WorkflowID: ev.WorkflowID, Error: reason})
	}
	w := worker.New(a.c, workflows.TaskQueue, worker.Options{})
	w.RegisterWorkflowWithOptions(workflows.ProcessWebhook, workflow.RegisterOptions{Name: "ProcessWebhook"})
	w.RegisterWorkflowWithOptions(workflows.Incident, workflow.RegisterOptions{Name: "Incident"})
	w.RegisterActivity(&activities.Activities{Store: a.st, Mailer: m, Alerter: al, Incidents: a.incidents, Events: a.events, From: a.s.EmailFrom})
	return w, []string{"email: " + mailDest, "alerts: " + al.Destination()}, nil
}

// waitTemporal blocks until Temporal answers a health check, so a worker
// started before (or while) Temporal restarts waits instead of exiting.
func waitTemporal(ctx context.Context, c client.Client, logger *slog.Logger) error {
	delay := 200 * time.Millisecond
	for i := 0; ; i++ {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := c.CheckHealth(cctx, &client.CheckHealthRequest{})
		cancel()
		if err == nil {
			return nil
		}
		if i%10 == 5 {
			logger.Warn("waiting for Temporal", slog.String("error", err.Error()))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		delay = min(2*delay, 5*time.Second)
	}
}

// ingressHandler is the ingress router over the app's event life.
func (a *app) ingressHandler(providers map[string]*provider.Provider) (http.Handler, error) {
	gin.SetMode(gin.ReleaseMode)
	h, err := ingress.New(ingress.Options{
		Providers: providers, Events: a.events, BodyLimit: a.s.BodyLimit, InFlightBytes: a.s.InFlightBytes,
		TrustedProxies: a.s.trustedProxies(), Logger: a.logger, Registry: a.reg,
		SignatureFailures: a.s.AlertSignatureFailures, SignatureWindow: 5 * time.Minute,
		UnavailableAnswers: 5,
		OnUnavailable: func(count int) {
			a.openIncident(alerts.Failure{Provider: "ingress", EventType: workflows.DatabaseIncident,
				Error: fmt.Sprintf("%d deliveries answered 503 within 1m: PostgreSQL unreachable; providers are retrying", count),
				Hint:  "DATABASE_URL / --database-url: is PostgreSQL up and reachable from the ingress?"})
		},
		OnSignatureFailures: func(name string, count int, reasons map[string]int) {
			a.openIncident(alerts.Failure{Provider: name, EventType: workflows.SignatureIncident,
				Error: fmt.Sprintf("%d deliveries rejected within 5m: invalid signature (%s)", count, reasonList(reasons)),
				Hint:  provider.SecretEnv(name) + ": the provider's signing secret (rotated at the provider but not here?)"})
		},
	})
	if err != nil {
		return nil, fmt.Errorf("--trusted-proxies / WEBHOOKD_TRUSTED_PROXIES: %w", err)
	}
	return h, nil
}

// openIncident adds f to the incident of its cause; a failure to reach
// Temporal is logged.
func (a *app) openIncident(f alerts.Failure) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.incidents.Failed(ctx, f); err != nil {
		a.logger.Error("incident not told", slog.String("provider", f.Provider), slog.String("event_type", f.EventType),
			slog.String("event_id", f.EventID), slog.String("error", err.Error()))
	}
}

// reasonList is "mismatch 12, stale 3", in a stable order.
func reasonList(reasons map[string]int) string {
	var parts []string
	for _, r := range []string{"mismatch", "stale", "missing", "malformed"} {
		if n := reasons[r]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", r, n))
		}
	}
	return strings.Join(parts, ", ")
}

// codecServer is the codec server of the app's keys under /codec/ (nil
// without keys): the Temporal UI's origin may call it from the browser.
func (a *app) codecServer() http.Handler {
	keys, _ := codec.ParseKeys(a.s.EncryptionKeys)
	if len(keys) == 0 {
		return nil
	}
	codecs, _ := codec.Codecs(keys)
	var origins []string
	if u, err := url.Parse(a.s.TemporalUIURL); err == nil && u.Host != "" {
		origins = append(origins, u.Scheme+"://"+u.Host)
		if host, port, _ := net.SplitHostPort(u.Host); host == "127.0.0.1" {
			origins = append(origins, u.Scheme+"://localhost:"+port)
		} else if host == "localhost" {
			origins = append(origins, u.Scheme+"://127.0.0.1:"+port)
		}
	}
	return http.StripPrefix("/codec", codec.Server(codecs, codec.ServerOptions{
		Token: a.s.CodecAuthToken, Origins: origins, Namespace: a.s.TemporalNamespace,
	}))
}

// logPayloadPrivacy says once at start whether payloads sent to Temporal
// are encrypted.
func (a *app) logPayloadPrivacy() {
	keys, _ := codec.ParseKeys(a.s.EncryptionKeys)
	if len(keys) == 0 {
		a.logger.Warn("payload encryption off: Temporal stores event data (names, addresses) as plain JSON; set WEBHOOKD_ENCRYPTION_KEYS")
		return
	}
	a.logger.Info("payloads encrypted before they reach Temporal", slog.String("key_id", keys[0].ID), slog.Int("keys", len(keys)))
}

// opsHandler is the worker's HTTP port: /healthz, /readyz (PostgreSQL and
// Temporal), /metrics and, with encryption keys, the codec server under
// /codec/; nothing else.
func (a *app) opsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		status, checks := ingress.Readiness(ctx, a.events.Ready, a.logger)
		writeJSON(w, status, checks)
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.reg, promhttp.HandlerOpts{}))
	if cs := a.codecServer(); cs != nil {
		mux.Handle("/codec/", cs)
		if a.s.CodecAuthToken == "" {
			a.logger.Warn("codec server on --http /codec/ without WEBHOOKD_CODEC_AUTH_TOKEN: whoever reaches the port can decrypt payloads")
		}
	}
	return mux
}

// serveHTTP serves h on addr until ctx ends, then shuts down gracefully,
// with at most maxConns connections open at once (0: no limit). ready, if
// set, is called with the bound address.
func serveHTTP(ctx context.Context, addr string, maxConns int, h http.Handler, logger *slog.Logger, ready func(net.Addr)) error {
	l, err := listen(addr, maxConns)
	if err != nil {
		return err
	}
	return serve(ctx, l, h, logger, ready)
}

// listen binds the --http address, accepting at most maxConns connections
// at once (0: no cap).
func listen(addr string, maxConns int) (net.Listener, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--http / WEBHOOKD_HTTP %s: %w", addr, err)
	}
	if maxConns > 0 {
		l = netutil.LimitListener(l, maxConns)
	}
	return l, nil
}

// serve serves h on l until ctx ends, then shuts down within 5 s.
func serve(ctx context.Context, l net.Listener, h http.Handler, logger *slog.Logger, ready func(net.Addr)) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	if ready != nil {
		ready(l.Addr())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("http shutdown: %w", err)
	}
	return nil
}

func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(invalid URL)"
	}
	return u.Redacted()
}

func fprintf(w io.Writer, format string, args ...any) { fmt.Fprintf(w, format, args...) }
