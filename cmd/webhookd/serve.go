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
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	tally "github.com/uber-go/tally/v4"
	tallyprom "github.com/uber-go/tally/v4/prometheus"
	"go.temporal.io/sdk/client"
	sdktally "go.temporal.io/sdk/contrib/tally"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/webhookd/webhookd/activities"
	"github.com/webhookd/webhookd/ingress"
	"github.com/webhookd/webhookd/internal/config"
	"github.com/webhookd/webhookd/internal/dispatch"
	"github.com/webhookd/webhookd/internal/email"
	"github.com/webhookd/webhookd/internal/store"
	"github.com/webhookd/webhookd/workflows"
)

func openStore(ctx context.Context, s *settings) (*store.Store, error) {
	if s.DatabaseURL == "" {
		return nil, errors.New("--database-url / DATABASE_URL: required")
	}
	return store.Open(ctx, s.DatabaseURL)
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

// mailer is SMTP when configured, else the outbox under the data dir.
func mailer(s *settings) (activities.Mailer, string, error) {
	if s.SMTPURL != "" {
		m, err := email.NewSMTP(s.SMTPURL)
		return m, "smtp " + redactURL(s.SMTPURL), err
	}
	if s.DataDir == "" {
		return nil, "", errors.New("--smtp-url / SMTP_URL: required (the outbox needs a data dir, dev only)")
	}
	dir := filepath.Join(s.DataDir, "outbox")
	return email.Outbox{Dir: dir}, "outbox " + dir, nil
}

// newWorker registers the workflow and the activities on the task queue.
func newWorker(c client.Client, st *store.Store, s *settings, logger *slog.Logger) (worker.Worker, []string, error) {
	m, mailDest, err := mailer(s)
	if err != nil {
		return nil, nil, err
	}
	al := s.alerter(logger)
	w := worker.New(c, workflows.TaskQueue, worker.Options{})
	w.RegisterWorkflowWithOptions(workflows.ProcessWebhook, workflow.RegisterOptions{Name: "ProcessWebhook"})
	w.RegisterActivity(&activities.Activities{Store: st, Mailer: m, Alerter: al, From: s.EmailFrom})
	return w, []string{"email: " + mailDest, "alerts: " + al.Destination()}, nil
}

// newIngress builds the router.
func newIngress(s *settings, providers map[string]*config.Provider, st *store.Store, d *dispatch.Dispatcher, reg *prometheus.Registry, logger *slog.Logger) (http.Handler, error) {
	gin.SetMode(gin.ReleaseMode)
	return ingress.New(ingress.Options{
		Providers: providers, Recorder: st, Starter: d, BodyLimit: s.BodyLimit,
		TrustedProxies: s.trustedProxies(), Logger: logger, Registry: reg,
	})
}

// serveHTTP serves h on addr until ctx ends, then shuts down gracefully.
// ready, if set, is called with the bound address.
func serveHTTP(ctx context.Context, addr string, h http.Handler, logger *slog.Logger, ready func(net.Addr)) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("--http %s: %w", addr, err)
	}
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

// backends are the connections every serving command opens.
type backends struct {
	st  *store.Store
	reg *prometheus.Registry
	c   client.Client
}

func openBackends(ctx context.Context, s *settings, logger *slog.Logger) (*backends, error) {
	st, err := openStore(ctx, s)
	if err != nil {
		return nil, err
	}
	reg := newRegistry()
	c, err := dialTemporal(s, logger, reg)
	if err != nil {
		st.Close()
		return nil, err
	}
	return &backends{st: st, reg: reg, c: c}, nil
}

func (b *backends) Close() {
	b.c.Close()
	b.st.Close()
}

// startWorker starts the worker once Temporal answers, and the dispatcher
// beside it. The returned func stops both.
func startWorker(ctx context.Context, b *backends, s *settings, d *dispatch.Dispatcher, logger *slog.Logger) (func(), []string, error) {
	w, dests, err := newWorker(b.c, b.st, s, logger)
	if err != nil {
		return nil, nil, err
	}
	if err := waitTemporal(ctx, b.c, logger); err != nil {
		return nil, nil, err
	}
	if err := w.Start(); err != nil {
		return nil, nil, fmt.Errorf("worker: %w", err)
	}
	dctx, cancel := context.WithCancel(ctx)
	go d.Run(dctx, b.st, 2*time.Second, dispatch.DefaultAges(s.DispatchAfter))
	return func() { cancel(); w.Stop() }, dests, nil
}
