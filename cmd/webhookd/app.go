package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/webhookd/webhookd/activities"
	"github.com/webhookd/webhookd/alerts"
	"github.com/webhookd/webhookd/ingress"
	"github.com/webhookd/webhookd/internal/api"
	"github.com/webhookd/webhookd/internal/codec"
	"github.com/webhookd/webhookd/internal/config"
	"github.com/webhookd/webhookd/internal/httpserve"
	"github.com/webhookd/webhookd/internal/lifecycle"
	"github.com/webhookd/webhookd/internal/notify"
	"github.com/webhookd/webhookd/internal/provider"
	"github.com/webhookd/webhookd/internal/runs"
	"github.com/webhookd/webhookd/internal/store"
	"github.com/webhookd/webhookd/internal/users"
	"github.com/webhookd/webhookd/workflows"
)

// app is what dev, ingress and worker share: the settings, the logger,
// the database, Temporal, the metrics registry and the event life over
// them. openApp builds it the same way for all three.
type app struct {
	s      *config.Settings
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
func openApp(ctx context.Context, s *config.Settings, logger *slog.Logger) (*app, error) {
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
func newApp(s *config.Settings, logger *slog.Logger, st *store.Store, c client.Client, reg *prometheus.Registry) *app {
	svc := &lifecycle.Service{Store: st, Runs: &runs.Temporal{Client: c}, Logger: logger}
	inc := &runs.Incidents{Client: c, SummaryInterval: s.AlertSummaryInterval, Quiet: s.IncidentQuiet}
	svc.OnRecovered = func(ctx context.Context, r lifecycle.Result, prevError string) error {
		return inc.Recovered(ctx, r.Provider, r.EventType, r.EventID, prevError)
	}
	return &app{s: s, logger: logger, st: st, reg: reg, c: c, events: svc, incidents: inc}
}

func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
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

func retryConfig(s *config.Settings) workflows.RetryConfig {
	return workflows.RetryConfig{MaximumAttempts: int32(s.RetryAttempts), InitialInterval: s.RetryInitial}
}

// dialTemporal reaches Temporal with the settings' address, namespace,
// compression and keys; reg (optional) gets the SDK's metrics.
func dialTemporal(s *config.Settings, logger *slog.Logger, reg prometheus.Registerer) (client.Client, error) {
	keys, _ := codec.ParseKeys(s.EncryptionKeys) // validated with the settings
	opts, err := s.TemporalClientOptions()
	if err != nil {
		return nil, err
	}
	c, err := runs.Dial(runs.DialOptions{Client: opts,
		NoCompression: s.TemporalCompression == "none", EncryptionKeys: keys, Logger: logger, Registry: reg})
	if err != nil {
		return nil, fmt.Errorf("--temporal-address / TEMPORAL_ADDRESS: %w", err)
	}
	return c, nil
}

// startWorker starts the worker once Temporal answers, with the sweep, the
// backlog watch and the payload retention beside it. The returned func
// stops them all; the strings say where email and alerts go.
func (a *app) startWorker(ctx context.Context) (func(), []string, error) {
	w, al, dests, err := a.newWorker()
	if err != nil {
		return nil, nil, err
	}
	if err := runs.WaitReady(ctx, a.c, a.logger); err != nil {
		return nil, nil, err
	}
	if err := w.Start(); err != nil {
		return nil, nil, fmt.Errorf("worker: %w", err)
	}
	sctx, cancel := context.WithCancel(ctx)
	go a.events.RunSweeps(sctx, lifecycle.SweepInterval, lifecycle.DefaultAges(a.s.DispatchAfter))
	go alerts.WatchBacklog(sctx, a.st, a.s.AlertBacklogAfter, al, a.logger)
	if a.s.PayloadRetention > 0 {
		go a.events.RunPurges(sctx, a.s.PayloadRetention, lifecycle.PurgeFirstAfter, lifecycle.PurgeInterval)
	}
	return func() { cancel(); w.Stop() }, dests, nil
}

// newWorker registers the workflows and the activities on the task queue
// with the one alerter of the process, and alerts on-call of events whose
// run the sweep cannot start.
func (a *app) newWorker() (worker.Worker, *alerts.Alerter, []string, error) {
	m, mailDest, err := a.s.Mailer()
	if err != nil {
		return nil, nil, nil, err
	}
	al := alerts.New(alerts.Sinks{SlackWebhookURL: a.s.SlackWebhookURL, SlackBotToken: a.s.SlackBotToken,
		SlackChannel: a.s.SlackChannel, DiscordWebhookURL: a.s.DiscordWebhookURL}, a.s.UI(), a.reg, a.logger)
	a.events.OnStartFailed = func(_ context.Context, ev store.Event, reason string) {
		a.openIncident(alerts.Failure{Provider: ev.Provider, EventType: ev.EventType, EventID: ev.EventID, WorkflowID: ev.WorkflowID, Error: reason})
	}
	keys, _ := codec.ParseKeys(a.s.EncryptionKeys) // validated with the settings
	acts := &activities.Activities{Store: a.st, Mailer: m, Alerter: al, Incidents: a.incidents, Events: a.events, From: a.s.EmailFrom,
		Routes: &runs.RouteChecker{Client: a.c, Failures: runs.FailureConverter(keys)}}
	if a.s.NotifyURL != "" {
		if acts.Notifier, err = notify.NewSender(a.s.NotifyURL, a.s.NotifySecret); err != nil {
			return nil, nil, nil, usageError{err}
		}
	}
	w := worker.New(a.c, workflows.TaskQueue, worker.Options{})
	proc := workflows.Processor{Retry: retryConfig(a.s), RouteCheckAfter: a.s.AlertBacklogAfter}
	w.RegisterWorkflowWithOptions(proc.ProcessWebhook, workflow.RegisterOptions{Name: "ProcessWebhook"})
	w.RegisterWorkflowWithOptions(workflows.Incident, workflow.RegisterOptions{Name: "Incident"})
	w.RegisterActivity(acts)
	return w, al, []string{"email: " + mailDest, "alerts: " + al.Destination()}, nil
}

// ingressHandler is the ingress router over the app's event life.
func (a *app) ingressHandler(providers map[string]*provider.Provider) (http.Handler, error) {
	gin.SetMode(gin.ReleaseMode)
	h, err := ingress.New(ingress.Options{
		Providers: providers, Events: a.events, BodyLimit: a.s.BodyLimit, InFlightBytes: a.s.InFlightBytes,
		TrustedProxies: a.s.TrustedProxyList(), PublicURL: a.s.PublicURL, Logger: a.logger, Registry: a.reg,
		SignatureFailures: a.s.AlertSignatureFailures,
		OnUnavailable: func(count int) {
			a.openIncident(alerts.DatabaseUnreachable(count, ingress.UnavailableWindow))
		},
		OnSignatureFailures: func(name string, count int, reasons map[string]int) {
			a.openIncident(alerts.SignatureRejected(name, count, ingress.DefaultSignatureWindow, reasons, provider.SecretEnv(name)))
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

// codecServer is the codec server of the app's keys under /codec/ on a
// listener at addr (codec.Mount).
func (a *app) codecServer(addr net.Addr) http.Handler {
	return codec.Mount(codec.MountOptions{Keys: a.s.EncryptionKeys, Token: a.s.CodecAuthToken, UIURL: a.s.TemporalUIURL,
		Namespace: a.s.TemporalNamespace, Loopback: httpserve.Loopback(addr)}, a.logger)
}

// startAPI serves the management API on --api-http (api.Serve).
func (a *app) startAPI(ctx context.Context) (string, error) {
	url, err := api.Serve(ctx, a.s.APIHTTP, api.Options{Store: a.st, UI: a.s.UI(), Logger: a.logger, Tokens: strings.Split(a.s.APITokens, ","),
		Users: &users.Service{Store: a.st, Runs: &runs.Eraser{Client: a.c, Namespace: a.s.TemporalNamespace}}})
	if errors.Is(err, api.ErrNoToken) {
		return "", usageError{err}
	}
	return url, err
}

// opsHandler is the worker's HTTP port at addr.
func (a *app) opsHandler(addr net.Addr) http.Handler {
	return httpserve.Ops(func(ctx context.Context) (int, map[string]string) {
		return ingress.Readiness(ctx, a.events.Ready, a.logger)
	}, a.reg, a.codecServer(addr))
}
