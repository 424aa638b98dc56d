package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

func applyWorker(t *testing.T, args []string, env map[string]string) (*Settings, error) {
	t.Helper()
	fs := pflag.NewFlagSet("worker", pflag.ContinueOnError)
	var s Settings
	Bind(fs, Worker, &s)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return &s, Apply(fs, Worker, &s, func(k string) string { return env[k] })
}

// Temporal's client configuration is read as the Temporal CLI reads it: a
// profile file, the TEMPORAL_* variables over it, webhookd's flags over
// both; TLS files are checked at start.
func TestTemporalClientConfiguration(t *testing.T) {
	dir := t.TempDir()
	toml := filepath.Join(dir, "temporal.toml")
	os.WriteFile(toml, []byte(`[profile.cloud]
address = "acme.a1b2c.tmprl.cloud:7233"
namespace = "acme.a1b2c"
api_key = "from-the-profile"
`), 0o600)

	s, err := applyWorker(t, nil, map[string]string{"TEMPORAL_CONFIG_FILE": toml, "TEMPORAL_PROFILE": "cloud"})
	if err != nil {
		t.Fatal(err)
	}
	opts, err := s.TemporalClientOptions()
	if err != nil {
		t.Fatal(err)
	}
	if opts.HostPort != "acme.a1b2c.tmprl.cloud:7233" || opts.Namespace != "acme.a1b2c" || opts.Credentials == nil || opts.ConnectionOptions.TLS == nil {
		t.Errorf("profile: %+v", opts)
	}
	if got := s.TemporalTLS(); got != "TLS, API key" {
		t.Errorf("connection = %q", got)
	}

	// Variables over the profile, flags over both.
	s, err = applyWorker(t, []string{"--temporal-namespace", "flagged"}, map[string]string{"TEMPORAL_CONFIG_FILE": toml, "TEMPORAL_PROFILE": "cloud",
		"TEMPORAL_ADDRESS": "10.0.0.1:7233", "TEMPORAL_NAMESPACE": "from-env", "TEMPORAL_TLS": "false", "TEMPORAL_API_KEY": ""})
	if err != nil {
		t.Fatal(err)
	}
	if s.TemporalAddress != "10.0.0.1:7233" || s.TemporalNamespace != "flagged" || s.TemporalTLS() != "plaintext, API key" {
		t.Errorf("precedence: %s %s %s", s.TemporalAddress, s.TemporalNamespace, s.TemporalTLS())
	}

	// Nothing said: the defaults, in plain text.
	s, err = applyWorker(t, nil, map[string]string{"TEMPORAL_CONFIG_FILE": filepath.Join(dir, "none.toml")})
	if err != nil || s.TemporalAddress != "127.0.0.1:7233" || s.TemporalNamespace != "default" || s.TemporalTLS() != "plaintext" {
		t.Errorf("defaults: %v %s %s %s", err, s.TemporalAddress, s.TemporalNamespace, s.TemporalTLS())
	}

	// A profile that is not there, a certificate that cannot be read.
	if _, err := applyWorker(t, nil, map[string]string{"TEMPORAL_CONFIG_FILE": toml, "TEMPORAL_PROFILE": "nope"}); err == nil || !strings.Contains(err.Error(), "TEMPORAL_PROFILE") {
		t.Errorf("missing profile: %v", err)
	}
	_, err = applyWorker(t, nil, map[string]string{"TEMPORAL_TLS_CLIENT_CERT_PATH": filepath.Join(dir, "no.pem"), "TEMPORAL_TLS_CLIENT_KEY_PATH": filepath.Join(dir, "no.key")})
	if err == nil || !strings.Contains(err.Error(), "TEMPORAL_TLS_") {
		t.Errorf("unreadable client certificate: %v", err)
	}
}

// Any setting can come from a file named by NAME_FILE, not both.
func TestSettingsFromFiles(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "db")
	os.WriteFile(file, []byte("postgres://w:secret@db:5432/webhookd\n"), 0o600)
	s, err := applyWorker(t, nil, map[string]string{"DATABASE_URL_FILE": file})
	if err != nil || s.DatabaseURL != "postgres://w:secret@db:5432/webhookd" {
		t.Errorf("DATABASE_URL_FILE: %v %q", err, s.DatabaseURL)
	}
	if _, err := applyWorker(t, nil, map[string]string{"DATABASE_URL_FILE": file, "DATABASE_URL": "postgres://x@y/z"}); err == nil || !strings.Contains(err.Error(), "set one") {
		t.Errorf("both set: %v", err)
	}
	if _, err := applyWorker(t, nil, map[string]string{"SLACK_BOT_TOKEN_FILE": filepath.Join(dir, "missing")}); err == nil || !strings.Contains(err.Error(), "SLACK_BOT_TOKEN_FILE") {
		t.Errorf("missing file: %v", err)
	}
}
