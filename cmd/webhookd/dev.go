package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/webhookd/webhookd/internal/config"
	"github.com/webhookd/webhookd/internal/devstack"
	"github.com/webhookd/webhookd/internal/dispatch"
	"github.com/webhookd/webhookd/migrations"
	"github.com/webhookd/webhookd/workflows"
)

// Demo user of the dev database; the example payloads refer to it.
const (
	demoUserID    = "usr_demo"
	demoUserEmail = "demo@example.com"
)

func runDev(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var s settings
	groups := fData | fDB | fHTTP | fWorker | fProviders
	fs, b := newFlags("dev", groups, &s, getenv, stderr)
	temporalPort := fs.Int("temporal-port", 7233, "embedded Temporal frontend gRPC port")
	uiPort := fs.Int("ui-port", 8233, "embedded Temporal Web UI port")
	temporalStore := fs.String("temporal-store", firstNonEmpty(getenv("WEBHOOKD_TEMPORAL_STORE"), "sqlite"),
		"where the embedded Temporal persists: sqlite (a file in the data dir) or postgres (databases in the dev PostgreSQL) (env WEBHOOKD_TEMPORAL_STORE)")
	pprofPort := fs.Int("pprof-port", 0, "serve Go's pprof endpoints for the whole process on this localhost port (0: off)")
	if err := b.parse(args, &s); err != nil {
		return err
	}
	logger := newLogger(stderr, s.LogLevel)
	s.TemporalNamespace = "default"

	// Generate dev secrets before anything reads providers.
	if _, err := config.EnsureDevSecrets(s.DataDir); err != nil {
		return err
	}
	providers, err := s.providers(true, getenv)
	if err != nil {
		return err
	}

	start := time.Now()
	stack, err := devstack.Start(ctx, devstack.Options{
		DataDir: s.DataDir, TemporalPort: *temporalPort, UIPort: *uiPort,
		DatabaseURL: s.DatabaseURL, TemporalStore: *temporalStore, SearchAttributes: workflows.SearchAttributeNames(), Logger: logger,
		PProfPort: *pprofPort,
	})
	if err != nil {
		return err
	}
	defer stack.Stop()
	s.DataDir = stack.DataDir
	s.DatabaseURL = stack.DatabaseURL
	s.TemporalAddress = stack.Temporal.Address()
	s.TemporalUIURL = stack.Temporal.UIURL()
	// The server is in this process: compressing its gRPC traffic only
	// costs CPU (gzip was 4 % of the process's CPU under load).
	s.TemporalCompression = "none"

	be, err := openBackends(ctx, &s, logger)
	if err != nil {
		return err
	}
	defer be.Close()
	if err := migrations.Up(ctx, be.st.DB()); err != nil {
		return err
	}
	if err := be.st.UpsertUser(ctx, demoUserID, demoUserEmail); err != nil {
		return err
	}
	d := &dispatch.Dispatcher{Client: be.c, Providers: providers, Retry: s.retry(), Logger: logger}
	stop, dests, err := startWorker(ctx, be, &s, d, logger)
	if err != nil {
		return err
	}
	defer stop()
	h, err := newIngress(&s, providers, be.st, d, be.reg, logger)
	if err != nil {
		return err
	}
	return serveHTTP(ctx, s.HTTPAddr, h, logger, func(addr net.Addr) {
		ingressURL := "http://" + localHost(addr)
		// Written once the ingress is bound, so a reader finds it serving.
		if err := writeDevState(&s, ingressURL); err != nil {
			logger.Warn("dev state not written", slog.String("error", err.Error()))
		}
		printBanner(stdout, stack, providers, ingressURL, dests, time.Since(start))
	})
}

// localHost turns a wildcard listen address into one a local client dials.
func localHost(addr net.Addr) string {
	host := addr.String()
	if strings.HasPrefix(host, "[::]:") || strings.HasPrefix(host, "0.0.0.0:") {
		host = "127.0.0.1:" + host[strings.LastIndex(host, ":")+1:]
	}
	return host
}

func printBanner(w io.Writer, stack *devstack.Stack, providers map[string]*config.Provider, ingressURL string, dests []string, took time.Duration) {
	pg := "DATABASE_URL " + redactURL(stack.DatabaseURL)
	if stack.Postgres != nil {
		pg = "managed PostgreSQL in " + stack.Postgres.Dir()
	}
	fprintf(w, "\nwebhookd dev is up (%s)\n\n", took.Round(100*time.Millisecond))
	fprintf(w, "  ingress       %s/webhooks/{provider}   (/healthz /readyz /metrics)\n", ingressURL)
	fprintf(w, "  temporal ui   %s\n", stack.Temporal.UIURL())
	fprintf(w, "  temporal      %s  namespace default, task queue %s\n", stack.Temporal.Address(), workflows.TaskQueue)
	fprintf(w, "                %s\n", stack.Temporal.Storage())
	fprintf(w, "  postgres      %s\n", pg)
	if stack.Postgres != nil {
		fprintf(w, "                %s\n", stack.DatabaseURL)
	}
	fprintf(w, "  data dir      %s\n", stack.DataDir)
	for _, d := range dests {
		fprintf(w, "  %s\n", d)
	}
	fprintf(w, "\n  providers (signing secrets for dev only; set WEBHOOKD_SECRET_<PROVIDER> to override):\n")
	for _, name := range config.Names(providers) {
		p := providers[name]
		secret := "(no secret: set " + config.SecretEnv(name) + ")"
		if len(p.Secrets) > 0 {
			secret = p.Secrets[0]
		}
		fprintf(w, "    %-10s %-18s %s\n", name, p.Scheme, secret)
	}
	fprintf(w, "\n  try: webhookd send --provider dodo --type payment.succeeded   (demo user %s <%s>)\n", demoUserID, demoUserEmail)
	fprintf(w, "  Ctrl-C stops everything; data stays in the data dir.\n\n")
}

// devState is what `webhookd dev` writes to <data-dir>/dev-state.json so
// that `events` and `migrate` on the same machine find its database and
// Temporal with no variables set.
type devState struct {
	IngressURL      string `json:"ingress_url"`
	DatabaseURL     string `json:"database_url"`
	TemporalAddress string `json:"temporal_address"`
	TemporalUIURL   string `json:"temporal_ui_url"`
}

func devStateFile(dataDir string) string { return filepath.Join(dataDir, "dev-state.json") }

func writeDevState(s *settings, ingressURL string) error {
	b, _ := json.MarshalIndent(devState{ingressURL, s.DatabaseURL, s.TemporalAddress, s.TemporalUIURL}, "", "  ")
	return os.WriteFile(devStateFile(s.DataDir), b, 0o600)
}

// readDevState reads the state file of a dev stack in dataDir.
func readDevState(dataDir string) (devState, bool) {
	var st devState
	raw, err := os.ReadFile(devStateFile(dataDir))
	if err != nil || json.Unmarshal(raw, &st) != nil {
		return devState{}, false
	}
	return st, true
}

// applyDevState fills what the environment and flags left unset from a
// running dev stack's state file, if there is one.
func applyDevState(s *settings, getenv func(string) string) {
	if s.DatabaseURL != "" || s.DataDir == "" {
		return
	}
	st, ok := readDevState(s.DataDir)
	if !ok {
		return
	}
	s.DatabaseURL = st.DatabaseURL
	if getenv("TEMPORAL_ADDRESS") == "" && st.TemporalAddress != "" {
		s.TemporalAddress = st.TemporalAddress
	}
	if getenv("TEMPORAL_UI_URL") == "" && st.TemporalUIURL != "" {
		s.TemporalUIURL = st.TemporalUIURL
	}
}
