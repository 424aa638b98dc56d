package main

import (
	"context"
	"log/slog"
	"net"
	"strings"

	"github.com/spf13/cobra"

	"github.com/webhookd/webhookd/internal/codec"
	"github.com/webhookd/webhookd/internal/config"
	"github.com/webhookd/webhookd/internal/httpserve"
	"github.com/webhookd/webhookd/internal/provider"
	"github.com/webhookd/webhookd/workflows"
)

func (c *cli) ingressCmd() *cobra.Command {
	return c.command("ingress", config.Ingress, "the HTTP ingress alone (production)", cobra.NoArgs,
		func(ctx context.Context, s *config.Settings, _ *cobra.Command, _ []string) error {
			return c.runIngress(ctx, s)
		})
}

func (c *cli) workerCmd() *cobra.Command {
	return c.command("worker", config.Worker, "the Temporal worker and the sweep alone (production); health and metrics on --http", cobra.NoArgs,
		func(ctx context.Context, s *config.Settings, _ *cobra.Command, _ []string) error {
			return c.runWorker(ctx, s)
		})
}

// runIngress serves the HTTP ingress alone. It needs PostgreSQL to record
// events; while Temporal is unreachable it answers 202 and the workers'
// sweep starts the runs later.
func (c *cli) runIngress(ctx context.Context, s *config.Settings) error {
	logger := newLogger(c.stderr, s.LogLevel)
	providers, err := prodProviders(s, c.getenv, logger)
	if err != nil {
		return err
	}
	a, err := openApp(ctx, s, logger)
	if err != nil {
		return err
	}
	defer a.Close()
	codec.LogPrivacy(logger, s.EncryptionKeys)
	h, err := a.ingressHandler(providers)
	if err != nil {
		return err
	}
	if _, err := a.startAPI(ctx); err != nil {
		return err
	}
	l, err := httpserve.Listen(s.HTTPAddr, s.MaxConnections, "--http / WEBHOOKD_HTTP")
	if err != nil {
		return err
	}
	return httpserve.Serve(ctx, l, h, logger, func(addr net.Addr) {
		logger.Info("ingress listening", "addr", addr.String(), "providers", strings.Join(provider.Names(providers), ","),
			"temporal", s.TemporalAddress, "temporal_namespace", s.TemporalNamespace, "temporal_connection", s.TemporalTLS())
	})
}

// runWorker runs the Temporal worker and the sweep alone. Its HTTP port
// serves /healthz, /readyz, /metrics and, with encryption keys, the codec
// server.
func (c *cli) runWorker(ctx context.Context, s *config.Settings) error {
	logger := newLogger(c.stderr, s.LogLevel)
	a, err := openApp(ctx, s, logger)
	if err != nil {
		return err
	}
	defer a.Close()
	codec.LogPrivacy(logger, s.EncryptionKeys)
	stop, dests, err := a.startWorker(ctx)
	if err != nil {
		return err
	}
	defer stop()
	if _, err := a.startAPI(ctx); err != nil {
		return err
	}
	logger.Info("worker started", "task_queue", workflows.TaskQueue, "outputs", dests,
		"temporal", s.TemporalAddress, "temporal_namespace", s.TemporalNamespace, "temporal_connection", s.TemporalTLS())
	l, err := httpserve.Listen(s.HTTPAddr, 0, "--http / WEBHOOKD_HTTP")
	if err != nil {
		return err
	}
	return httpserve.Serve(ctx, l, a.opsHandler(l.Addr()), logger, nil)
}

// prodProviders are the providers the ingress serves (provider.Served).
func prodProviders(s *config.Settings, getenv func(string) string, logger *slog.Logger) (map[string]*provider.Provider, error) {
	served, unset, err := provider.Served(s.ConfigFile, getenv)
	if err == nil && len(unset) > 0 {
		logger.Info("built-in providers without a secret are not served", "unset", strings.Join(unset, ","))
	}
	return served, err
}
