package devstack

import (
	"fmt"
	"io"
	"time"

	"github.com/webhookd/webhookd/internal/codec"
	"github.com/webhookd/webhookd/internal/config"
)

// Banner is what `webhookd dev` prints once everything is up, beside the
// stack's own addresses.
type Banner struct {
	IngressURL, TaskQueue string
	// Outputs say where email and alerts go.
	Outputs []string
	// Providers are one line each: name, scheme and the secret when dev
	// generated it (never one from the environment).
	Providers []string
	// Try is the first command to run.
	Try string
	// Payloads says how payloads reach Temporal.
	Payloads string
	// API is the management API's line: its URL and token (dev's own
	// only), or why it is off.
	API  string
	Took time.Duration
}

// WriteBanner says where everything is.
func (s *Stack) WriteBanner(w io.Writer, b Banner) {
	pg := "DATABASE_URL " + config.RedactURL(s.DatabaseURL)
	if s.Postgres != nil {
		pg = "managed PostgreSQL in " + s.Postgres.Dir()
	}
	fmt.Fprintf(w, "\nwebhookd dev is up (%s)\n\n", b.Took.Round(100*time.Millisecond))
	fmt.Fprintf(w, "  ingress       %s/webhooks/{provider}   (/healthz /readyz /metrics)\n", b.IngressURL)
	fmt.Fprintf(w, "  temporal ui   %s\n", s.Temporal.UIURL())
	fmt.Fprintf(w, "  temporal      %s  namespace default, task queue %s\n", s.Temporal.Address(), b.TaskQueue)
	fmt.Fprintf(w, "                %s\n", s.Temporal.Storage())
	fmt.Fprintf(w, "  postgres      %s\n", pg)
	if s.Postgres != nil {
		fmt.Fprintf(w, "                %s\n", s.DatabaseURL)
	}
	fmt.Fprintf(w, "  data dir      %s\n", s.DataDir)
	if b.API != "" {
		fmt.Fprintf(w, "  product api   %s\n", b.API)
	}
	for _, d := range b.Outputs {
		fmt.Fprintf(w, "  %s\n", d)
	}
	fmt.Fprintf(w, "\n  providers (signing secrets generated for dev; set WEBHOOKD_SECRET_<PROVIDER> to override):\n")
	for _, line := range b.Providers {
		fmt.Fprintf(w, "    %s\n", line)
	}
	fmt.Fprintf(w, "\n  try: %s\n", b.Try)
	fmt.Fprintf(w, "  Ctrl-C stops everything; data stays in the data dir.\n\n")
	fmt.Fprintf(w, "  payloads in Temporal: %s\n\n", b.Payloads)
}

// PayloadsLine is the banner's word on payloads: the key (from the
// environment, or dev's own) and where the codec server is (codec.Mount).
func PayloadsLine(s *config.Settings, keyFromEnv bool, ingressURL string, loopback bool) string {
	keys, _ := codec.ParseKeys(s.EncryptionKeys)
	key := "key " + keys[0].ID + ", kept in " + KeyFile(s.DataDir)
	if keyFromEnv {
		key = "key " + keys[0].ID + " from WEBHOOKD_ENCRYPTION_KEYS"
	}
	switch {
	case s.CodecAuthToken != "":
		return fmt.Sprintf("encrypted (%s); %s/codec wants WEBHOOKD_CODEC_AUTH_TOKEN, so the UI shows them encrypted", key, ingressURL)
	case !loopback:
		return fmt.Sprintf("encrypted (%s); no codec server: --http is reachable beyond this host and WEBHOOKD_CODEC_AUTH_TOKEN is unset", key)
	}
	return fmt.Sprintf("encrypted (%s); the UI decodes them through %s/codec", key, ingressURL)
}
