package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/webhookd/webhookd/internal/codec"
	"github.com/webhookd/webhookd/internal/devstack"
	"github.com/webhookd/webhookd/internal/provider"
	"github.com/webhookd/webhookd/internal/store"
	"github.com/webhookd/webhookd/migrations"
	"github.com/webhookd/webhookd/workflows"
)

// Demo user of the dev database; the example payloads refer to it.
const (
	demoUserID    = "usr_demo"
	demoUserEmail = "demo@example.com"
)

func (c *cli) devCmd() *cobra.Command {
	return c.command("dev", cmdDev, "everything on one machine: embedded Temporal + UI, managed PostgreSQL, worker, ingress", cobra.NoArgs,
		func(ctx context.Context, s *settings, _ *cobra.Command, _ []string) error { return c.runDev(ctx, s) })
}

func (c *cli) runDev(ctx context.Context, s *settings) error {
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
		if s.EncryptionKeys, err = devEncryptionKey(s.DataDir); err != nil {
			return err
		}
	}
	// Bound before the stack starts: the UI is told the codec server's URL.
	l, err := listen(s.HTTPAddr, s.MaxConnections)
	if err != nil {
		return err
	}
	defer l.Close()
	ingressURL := "http://" + localHost(l.Addr())
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
	mux := http.NewServeMux()
	mux.Handle("/codec/", a.codecServer())
	mux.Handle("/", h)
	return serve(ctx, l, mux, logger, func(net.Addr) {
		// Written once the ingress serves, so a reader finds it serving.
		if err := writeDevState(s, ingressURL); err != nil {
			logger.Warn("dev state not written", slog.String("error", err.Error()))
		}
		printBanner(c.stdout, stack, providers, devSecrets, ingressURL, dests, time.Since(start))
		fprintf(c.stdout, "  payloads in Temporal: encrypted (%s); the UI decodes them through %s/codec\n\n", keySource(c.getenv, s), ingressURL)
	})
}

// devKeyFile keeps dev's payload encryption key, like its signing secrets.
func devKeyFile(dataDir string) string { return filepath.Join(dataDir, "encryption-keys") }

// readDevKey is dev's key, if it has made one.
func readDevKey(dataDir string) (string, bool) {
	b, err := os.ReadFile(devKeyFile(dataDir))
	return strings.TrimSpace(string(b)), err == nil
}

// devEncryptionKey returns dev's key, generating it on first use.
func devEncryptionKey(dataDir string) (string, error) {
	if key, ok := readDevKey(dataDir); ok {
		return key, nil
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", err
	}
	key := codec.NewKey("dev-1")
	if err := os.WriteFile(devKeyFile(dataDir), []byte(key+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("dev encryption key: %w", err)
	}
	return key, nil
}

func keySource(getenv func(string) string, s *settings) string {
	keys, _ := codec.ParseKeys(s.EncryptionKeys)
	if getenv("WEBHOOKD_ENCRYPTION_KEYS") != "" {
		return "key " + keys[0].ID + " from WEBHOOKD_ENCRYPTION_KEYS"
	}
	return "key " + keys[0].ID + ", kept in " + devKeyFile(s.DataDir)
}

// localHost turns a wildcard listen address into one a local client dials.
func localHost(addr net.Addr) string {
	host := addr.String()
	if strings.HasPrefix(host, "[::]:") || strings.HasPrefix(host, "0.0.0.0:") {
		host = "127.0.0.1:" + host[strings.LastIndex(host, ":")+1:]
	}
	return host
}

// printBanner says where everything is. It prints the secrets it generated
// (dev only) and never one from the environment.
func printBanner(w io.Writer, stack *devstack.Stack, providers map[string]*provider.Provider, devSecrets map[string]string, ingressURL string, dests []string, took time.Duration) {
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
	fprintf(w, "\n  providers (signing secrets generated for dev; set WEBHOOKD_SECRET_<PROVIDER> to override):\n")
	for _, line := range providerLines(providers, devSecrets) {
		fprintf(w, "    %s\n", line)
	}
	fprintf(w, "\n  try: webhookd send --provider dodo --type payment.succeeded   (demo user %s <%s>)\n", demoUserID, demoUserEmail)
	fprintf(w, "  Ctrl-C stops everything; data stays in the data dir.\n\n")
}

// providerLines are the banner's provider rows. A secret is shown only
// when dev generated it: one from the environment is a real secret.
func providerLines(providers map[string]*provider.Provider, devSecrets map[string]string) []string {
	var lines []string
	for _, name := range provider.Names(providers) {
		p := providers[name]
		secret := "(no secret: set " + provider.SecretEnv(name) + ")"
		switch {
		case len(p.Secrets) > 0 && p.Secrets[0] == devSecrets[name]:
			secret = p.Secrets[0]
		case len(p.Secrets) > 0:
			secret = "(from " + provider.SecretEnv(name) + ")"
		}
		lines = append(lines, fmt.Sprintf("%-10s %-18s %s", name, p.Scheme, secret))
	}
	return lines
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
// dev stack's state file, if there is one, and reports whether it did.
func applyDevState(s *settings, getenv func(string) string) bool {
	if s.DatabaseURL != "" || s.DataDir == "" {
		return false
	}
	st, ok := readDevState(s.DataDir)
	if !ok {
		return false
	}
	s.DatabaseURL = st.DatabaseURL
	if key, ok := readDevKey(s.DataDir); ok && s.EncryptionKeys == "" {
		s.EncryptionKeys = key
	}
	if getenv("TEMPORAL_ADDRESS") == "" && st.TemporalAddress != "" {
		s.TemporalAddress = st.TemporalAddress
	}
	if getenv("TEMPORAL_UI_URL") == "" && st.TemporalUIURL != "" {
		s.TemporalUIURL = st.TemporalUIURL
	}
	return true
}

// openCLIStore opens the database for a command run by hand (events,
// migrate): DATABASE_URL, else that of the dev stack in the data dir. It
// checks the database answers, and says what to do when it does not.
func openCLIStore(ctx context.Context, s *settings, getenv func(string) string) (*store.Store, error) {
	fromDev := applyDevState(s, getenv)
	if s.DatabaseURL == "" {
		return nil, fmt.Errorf("no webhookd dev on %s (no dev-state.json) and no --database-url / DATABASE_URL: start `make dev` or set DATABASE_URL", s.DataDir)
	}
	st, err := store.Open(ctx, s.DatabaseURL)
	if err != nil {
		return nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := st.Ping(pctx); err != nil {
		st.Close()
		if fromDev {
			return nil, fmt.Errorf("no webhookd dev on %s (dev-state.json says %s, which does not answer): start `make dev` or set DATABASE_URL", s.DataDir, hostOf(s.DatabaseURL))
		}
		return nil, fmt.Errorf("--database-url / DATABASE_URL %s: %w", redactURL(s.DatabaseURL), err)
	}
	return st, nil
}

func hostOf(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Host != "" {
		return u.Host
	}
	return redactURL(raw)
}
