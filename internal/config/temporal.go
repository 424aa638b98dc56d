package config

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
)

// Temporal's defaults when neither a flag, a variable nor a profile says.
const (
	defaultTemporalAddress   = "127.0.0.1:7233"
	defaultTemporalNamespace = "default"
)

// loadTemporal reads Temporal's client configuration the way the Temporal
// CLI and SDKs do (go.temporal.io/sdk/contrib/envconfig): the profile
// TEMPORAL_PROFILE (default "default") of the TOML file TEMPORAL_CONFIG_FILE
// (default ~/.config/temporalio/temporal.toml, none is fine), then the
// TEMPORAL_* variables over it (TEMPORAL_API_KEY, TEMPORAL_TLS,
// TEMPORAL_TLS_CLIENT_CERT_PATH, …, TEMPORAL_GRPC_META_*). webhookd's
// --temporal-address and --temporal-namespace, when given, win; the
// profile's, else the defaults, fill them otherwise. The TLS files are read
// once here, so a wrong path is a usage error at start.
func (s *Settings) loadTemporal(fs *pflag.FlagSet, getenv func(string) string) error {
	prof, err := envconfig.LoadClientConfigProfile(envconfig.LoadClientConfigProfileOptions{EnvLookup: envLookup(getenv)})
	if err != nil {
		return fmt.Errorf("temporal client configuration (TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE): %w", err)
	}
	given := func(flag, env string) bool { return fs.Lookup(flag).Changed || getenv(env) != "" }
	if !given("temporal-address", "TEMPORAL_ADDRESS") {
		s.TemporalAddress = firstOf(prof.Address, defaultTemporalAddress)
	}
	if !given("temporal-namespace", "TEMPORAL_NAMESPACE") {
		s.TemporalNamespace = firstOf(prof.Namespace, defaultTemporalNamespace)
	}
	s.Temporal = prof
	opts, err := s.TemporalClientOptions()
	if err != nil {
		return fmt.Errorf("temporal client configuration (TEMPORAL_TLS_*, TEMPORAL_API_KEY, profile): %w", err)
	}
	s.temporalOpts = &opts
	return nil
}

// TemporalClientOptions are the client options of the Temporal
// configuration with the settings' address and namespace: TLS, API key
// credentials and gRPC headers. The caller adds its logger, converters and
// metrics.
func (s *Settings) TemporalClientOptions() (client.Options, error) {
	if s.temporalOpts != nil {
		// Read once at start (the TLS files); the address and namespace
		// may have changed since (a dev's state attached).
		opts := *s.temporalOpts
		opts.HostPort, opts.Namespace = s.TemporalAddress, s.TemporalNamespace
		return opts, nil
	}
	prof := s.Temporal
	prof.Address, prof.Namespace = s.TemporalAddress, s.TemporalNamespace
	prof.Codec = nil // payloads are encoded by webhookd's own codec
	return prof.ToClientOptions(envconfig.ToClientOptionsRequest{})
}

// TemporalTLS says how the settings reach Temporal, for the start banner:
// "plaintext", "TLS", "mTLS", with ", API key" when one is set.
func (s *Settings) TemporalTLS() string {
	opts, err := s.TemporalClientOptions()
	if err != nil {
		return "invalid"
	}
	mode := "plaintext"
	if t := opts.ConnectionOptions.TLS; t != nil {
		mode = "TLS"
		if len(t.Certificates) > 0 || t.GetClientCertificate != nil {
			mode = "mTLS"
		}
	}
	if s.Temporal.APIKey != "" {
		mode += ", API key"
	}
	return mode
}

func firstOf(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// envLookup is envconfig's view of the settings' environment: a variable
// set to "" is unset, as everywhere in webhookd.
type envLookup func(string) string

func (e envLookup) LookupEnv(k string) (string, bool) {
	v := e(k)
	return v, v != ""
}

// Environ lists the TEMPORAL_GRPC_META_* variables (the only ones
// envconfig enumerates) of the process, with their values as e reads them.
func (e envLookup) Environ() []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "TEMPORAL_GRPC_META_") {
			out = append(out, k+"="+e(k))
		}
	}
	return out
}
