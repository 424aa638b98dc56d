package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/webhookd/webhookd/internal/config"
	"github.com/webhookd/webhookd/internal/devstack"
	"github.com/webhookd/webhookd/internal/httpserve"
	"github.com/webhookd/webhookd/internal/provider"
	"github.com/webhookd/webhookd/migrations"
	"github.com/webhookd/webhookd/workflows"
)

// Demo user of the dev database; the example payloads refer to it.
const (
	demoUserID    = "usr_demo"
	demoUserEmail = "demo@example.com"
)

func (c *cli) devCmd() *cobra.Command {
	return c.command("dev", config.Dev, "everything on one machine: embedded Temporal + UI, managed PostgreSQL, worker, ingress", cobra.NoArgs,
		func(ctx context.Context, s *config.Settings, _ *cobra.Command, _ []string) error {
			return c.runDev(ctx, s)
		})
}

func (c *cli) runDev(ctx context.Context, s *config.Settings) error {
	logger := newLogger(c.stderr, s.LogLevel)
	s.TemporalNamespace = "default"
	// Generate dev secrets before anything reads providers.
	devSecrets, err := provider.EnsureDevSecrets(s.DataDir)
	if err != nil {
		return err
	}
	providers, err := provider.LoadProviders(s.ConfigFile, true, c.getenv, devSecrets)
	if err != nil {
		return err
	}
	if s.EncryptionKeys == "" {
		if s.EncryptionKeys, err = devstack.EncryptionKey(s.DataDir); err != nil {
			return err
		}
	}
	// Bound before the stack starts: the UI is told the codec server's URL.
	l, err := httpserve.Listen(s.HTTPAddr, s.MaxConnections, "--http / WEBHOOKD_HTTP")
	if err != nil {
		return err
	}
	defer l.Close()
	ingressURL := "http://" + httpserve.LocalHost(l.Addr())
	start := time.Now()
	stack, err := devstack.Start(ctx, devstack.Options{
		DataDir: s.DataDir, TemporalPort: s.TemporalPort, UIPort: s.UIPort, CodecEndpoint: ingressURL + "/codec",
		DatabaseURL: s.DatabaseURL, TemporalStore: s.TemporalStore, SearchAttributes: workflows.SearchAttributeNames(), Logger: logger,
		PProfPort: s.PProfPort,
	})
	if err != nil {
		return err
	}
	defer stack.Stop()
	s.DataDir, s.DatabaseURL = stack.DataDir, stack.DatabaseURL
	s.TemporalAddress, s.TemporalUIURL = stack.Temporal.Address(), stack.Temporal.UIURL()
	// The server is in this process: compressing its gRPC traffic only
	// costs CPU (gzip costs ~4 % of the process's CPU under load).
	s.TemporalCompression = "none"

	a, err := openApp(ctx, s, logger)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := migrations.Up(ctx, a.st.DB()); err != nil {
		return err
	}
	if err := a.st.UpsertUser(ctx, demoUserID, demoUserEmail); err != nil {
		return err
	}
	stop, dests, err := a.startWorker(ctx)
	if err != nil {
		return err
	}
	defer stop()
	h, err := a.ingressHandler(providers)
	if err != nil {
		return err
	}
	apiLine, apiURL, err := c.devAPI(ctx, a)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	if cs := a.codecServer(l.Addr()); cs != nil {
		mux.Handle("/codec/", cs)
	}
	mux.Handle("/", h)
	return httpserve.Serve(ctx, l, mux, logger, func(net.Addr) {
		// Written once the ingress serves, so a reader finds it serving.
		if err := devstack.WriteState(s.DataDir, devstack.State{IngressURL: ingressURL, DatabaseURL: s.DatabaseURL, TemporalAddress: s.TemporalAddress, TemporalUIURL: s.TemporalUIURL, APIURL: apiURL}); err != nil {
			logger.Warn("dev state not written", slog.String("error", err.Error()))
		}
		stack.WriteBanner(c.stdout, devstack.Banner{IngressURL: ingressURL, TaskQueue: workflows.TaskQueue, Outputs: dests,
			Providers: provider.DevLines(providers, devSecrets), Took: time.Since(start),
			Try:      fmt.Sprintf("webhookd send --provider dodo --type payment.succeeded   (demo user %s <%s>)", demoUserID, demoUserEmail),
			Payloads: devstack.PayloadsLine(s, c.getenv("WEBHOOKD_ENCRYPTION_KEYS") != "", ingressURL, httpserve.Loopback(l.Addr())), API: apiLine})
	})
}

// devAPI serves the management API with dev's own token unless
// WEBHOOKD_API_TOKENS names others; it returns the banner's line and the
// API's URL.
func (c *cli) devAPI(ctx context.Context, a *app) (string, string, error) {
	from, err := devstack.APITokens(a.s)
	if err != nil {
		return "", "", err
	}
	url, err := a.startAPI(ctx)
	if err != nil || url == "" {
		return "off (--api-http)", "", err
	}
	return url + "/v1   " + from, url, nil
}
