package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"

	"github.com/spf13/cobra"

	"github.com/webhookd/webhookd/internal/provider"
	"github.com/webhookd/webhookd/workflows"
)

func (c *cli) ingressCmd() *cobra.Command {
	return c.command("ingress", cmdIngress, "the HTTP ingress alone (production)", cobra.NoArgs,
		func(ctx context.Context, s *settings, _ *cobra.Command, _ []string) error {
			return c.runIngress(ctx, s)
		})
}

func (c *cli) workerCmd() *cobra.Command {
	return c.command("worker", cmdWorker, "the Temporal worker and the sweep alone (production); health and metrics on --http", cobra.NoArgs,
		func(ctx context.Context, s *settings, _ *cobra.Command, _ []string) error { return c.runWorker(ctx, s) })
}

// runIngress serves the HTTP ingress alone. It needs PostgreSQL to record
// events; while Temporal is unreachable it answers 202 and the workers'
// sweep starts the runs later.
func (c *cli) runIngress(ctx context.Context, s *settings) error {
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
	a.logPayloadPrivacy()
	h, err := a.ingressHandler(providers)
	if err != nil {
		return err
	}
	return serveHTTP(ctx, s.HTTPAddr, s.MaxConnections, h, logger, func(addr net.Addr) {
		logger.Info("ingress listening", "addr", addr.String(), "providers", strings.Join(provider.Names(providers), ","))
	})
}

// runWorker runs the Temporal worker and the sweep alone. Its HTTP port
// serves /healthz, /readyz, /metrics and, with encryption keys, the codec
// server.
func (c *cli) runWorker(ctx context.Context, s *settings) error {
	logger := newLogger(c.stderr, s.LogLevel)
	a, err := openApp(ctx, s, logger)
	if err != nil {
		return err
	}
	defer a.Close()
	a.logPayloadPrivacy()
	stop, dests, err := a.startWorker(ctx)
	if err != nil {
		return err
	}
	defer stop()
	logger.Info("worker started", "task_queue", workflows.TaskQueue, "outputs", dests)
	return serveHTTP(ctx, s.HTTPAddr, 0, a.opsHandler(), logger, nil)
}

// prodProviders are the built-in providers and the file's, with secrets
// from WEBHOOKD_SECRET_<PROVIDER> only. A built-in provider whose variable
// is unset is not served (its deliveries get 404), a file's provider
// without a secret is an error, and so is a set with no provider at all.
func prodProviders(s *settings, getenv func(string) string, logger *slog.Logger) (map[string]*provider.Provider, error) {
	all, err := provider.LoadProviders(s.ConfigFile, true, getenv, nil)
	if err != nil {
		return nil, err
	}
	out := map[string]*provider.Provider{}
	var unset []string
	for _, name := range provider.Names(all) {
		p := all[name]
		switch {
		case len(p.Secrets) > 0:
			out[name] = p
		case !p.BuiltIn:
			return nil, fmt.Errorf("%s: required for provider %s of --config / WEBHOOKD_CONFIG %s", provider.SecretEnv(name), name, s.ConfigFile)
		default:
			unset = append(unset, provider.SecretEnv(name))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no provider has a secret: set %s (built-in providers), or list providers in --config / WEBHOOKD_CONFIG", strings.Join(unset, " or "))
	}
	if len(unset) > 0 {
		logger.Info("built-in providers without a secret are not served", "unset", strings.Join(unset, ","))
	}
	return out, nil
}
