package main

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/webhookd/webhookd/internal/codec"
	"github.com/webhookd/webhookd/internal/config"
	"github.com/webhookd/webhookd/internal/provider"
)

const testSecret = "whsec_c2VjcmV0LWZyb20tdGhlLWVudmlyb25tZW50"

// ingress and worker serve the built-in providers whose secret is set, with
// no providers file.
func TestProdProvidersBuiltInWithEnvironmentSecrets(t *testing.T) {
	logger := slog.New(slog.DiscardHandler)
	env := map[string]string{"WEBHOOKD_SECRET_DODO": testSecret}
	ps, err := prodProviders(&config.Settings{}, func(k string) string { return env[k] }, logger)
	if err != nil || ps["dodo"] == nil || ps["resend"] != nil || len(ps) != 1 {
		t.Fatalf("providers = %v, %v; want dodo alone", provider.Names(ps), err)
	}
	if _, err := prodProviders(&config.Settings{}, func(string) string { return "" }, logger); err == nil ||
		!strings.Contains(err.Error(), "WEBHOOKD_SECRET_DODO or WEBHOOKD_SECRET_RESEND or WEBHOOKD_SECRET_STRIPE") {
		t.Errorf("no secrets: %v, want an error naming the variables", err)
	}
	file := filepath.Join(t.TempDir(), "providers.yaml")
	os.WriteFile(file, []byte("providers:\n  - name: acme\n    scheme: hmac-hex\n"), 0o600)
	if _, err := prodProviders(&config.Settings{ConfigFile: file}, func(k string) string { return env[k] }, logger); err == nil ||
		!strings.Contains(err.Error(), "WEBHOOKD_SECRET_ACME: required for provider acme") {
		t.Errorf("file provider without secret: %v", err)
	}
}

// The ingress's own answer to a signed request is the proof that send
// signed with the secret of the environment, not the dev one.
func TestSendSignsWithTheEnvironmentSecret(t *testing.T) {
	dir := t.TempDir()
	if _, err := provider.EnsureDevSecrets(dir); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"WEBHOOKD_SECRET_DODO": testSecret}
	providers, err := provider.LoadProviders("", true, func(k string) string { return env[k] }, nil)
	if err != nil {
		t.Fatal(err)
	}
	verifier := providers["dodo"].Verifier()
	var status int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		status = 200
		if _, err := verifier.Verify(r.Header, b, time.Now()); err != nil {
			status = 401
		}
		w.WriteHeader(status)
	}))
	defer srv.Close()
	if _, _, err := runCLI([]string{"send", "--data-dir", dir, "--url", srv.URL}, env); err != nil || status != 200 {
		t.Errorf("send with WEBHOOKD_SECRET_DODO: %v, ingress answered %d", err, status)
	}
	if _, _, err := runCLI([]string{"send", "--data-dir", dir, "--url", srv.URL}, nil); err == nil || status != 401 {
		t.Errorf("send with the dev secret against the environment's: %v, %d; want 401", err, status)
	}
}

// The worker's port serves health and metrics only, and the codec server
// when payloads are encrypted: behind its token, or without one on a
// loopback port only.
func TestWorkerPortServesHealthAndMetricsOnly(t *testing.T) {
	wide := &net.TCPAddr{IP: net.IPv6zero, Port: 9090}
	local := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9090}
	a := &app{s: &config.Settings{}, logger: slog.New(slog.DiscardHandler), reg: newRegistry()}
	h := a.opsHandler(wide)
	keyed := &app{s: &config.Settings{EncryptionKeys: codec.NewKey("k1"), CodecAuthToken: "t0ken"}, logger: slog.New(slog.DiscardHandler), reg: newRegistry()}
	hk := keyed.opsHandler(wide)
	open := &app{s: &config.Settings{EncryptionKeys: codec.NewKey("k1")}, logger: slog.New(slog.DiscardHandler), reg: newRegistry()}
	hWide, hLocal := open.opsHandler(wide), open.opsHandler(local)
	for _, tc := range []struct {
		h            http.Handler
		method, path string
		want         int
	}{
		{h, "GET", "/healthz", 200}, {h, "GET", "/metrics", 200},
		{h, "POST", "/webhooks/dodo", 404}, {h, "GET", "/", 404}, {h, "POST", "/codec/decode", 404},
		{hk, "POST", "/codec/decode", 401}, {hk, "GET", "/healthz", 200},
		{hWide, "POST", "/codec/decode", 404}, {hLocal, "POST", "/codec/decode", 400},
	} {
		h := tc.h
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(tc.method, tc.path, nil))
		if w.Code != tc.want {
			t.Errorf("%s %s = %d, want %d", tc.method, tc.path, w.Code, tc.want)
		}
	}
}

// The banner shows the secrets dev generated, never one from the environment.
func TestBannerMasksEnvironmentSecrets(t *testing.T) {
	dev := map[string]string{"dodo": "whsec_ZGV2LWRvZG8tc2VjcmV0", "resend": "whsec_ZGV2LXJlc2VuZC1zZWNyZXQ=", "stripe": "whsec_c3RyaXBlLWRldg=="}
	env := map[string]string{"WEBHOOKD_SECRET_RESEND": testSecret}
	providers, err := provider.LoadProviders("", true, func(k string) string { return env[k] }, dev)
	if err != nil {
		t.Fatal(err)
	}
	out := strings.Join(provider.DevLines(providers, dev), "\n")
	if !strings.Contains(out, dev["dodo"]) || strings.Contains(out, testSecret) || !strings.Contains(out, "(from WEBHOOKD_SECRET_RESEND)") {
		t.Errorf("banner providers:\n%s", out)
	}
}
