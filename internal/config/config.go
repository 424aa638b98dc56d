// Package config is the one typed configuration of every webhookd command:
// each setting declared once in Table with its flag, its environment
// variable, its default, its check and the commands that take it. Bind adds
// a command's settings to its flag set, Apply reads the variables and checks
// them all; Reference renders docs/configuration.md's table.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"

	"github.com/webhookd/webhookd/internal/codec"
	"github.com/webhookd/webhookd/internal/email"
	"github.com/webhookd/webhookd/internal/envfile"
)

// Settings is the one typed configuration of every command. Each field is
// declared once in Table: its flag, its variable, its default, its
// help and the commands that take it.
type Settings struct {
	DataDir           string
	DatabaseURL       string
	TemporalAddress   string
	TemporalNamespace string
	// Temporal is Temporal's own client configuration (temporal.go): the
	// profile file and the TEMPORAL_* variables as the Temporal CLI reads
	// them: TLS, API key, gRPC headers. Address and namespace are the two
	// fields above.
	Temporal      envconfig.ClientConfigProfile
	temporalOpts  *client.Options // Temporal's options as loaded (TLS files read once)
	TemporalUIURL string
	// TemporalCompression is the gRPC compression of requests to Temporal:
	// gzip (the SDK's default) or none.
	TemporalCompression    string
	ConfigFile             string
	HTTPAddr               string
	BodyLimit              int64
	InFlightBytes          int64
	MaxConnections         int
	TrustedProxies         string
	PublicURL              string
	SMTPURL                string
	ResendAPIKey           string
	EmailFrom              string
	SlackWebhookURL        string
	SlackBotToken          string
	SlackChannel           string
	DiscordWebhookURL      string
	AlertSummaryInterval   time.Duration
	AlertSignatureFailures int
	AlertBacklogAfter      time.Duration
	IncidentQuiet          time.Duration
	RetryAttempts          int
	RetryInitial           time.Duration
	DispatchAfter          time.Duration
	LogLevel               string
	TemporalPort           int
	UIPort                 int
	TemporalStore          string
	PProfPort              int
	IngressURL             string
	NamespaceRetention     time.Duration
	SetupTimeout           time.Duration
	EncryptionKeys         string
	CodecAuthToken         string
	PayloadRetention       time.Duration
	APIHTTP                string
	APITokens              string
	NotifyURL              string
	NotifySecret           string
}

// Setting declares one setting. Help, the variable fallback, validation
// errors and docs/configuration.md's table all come from here.
type Setting struct {
	Flag, Env string
	// def is the default as text; defs overrides it per command.
	def  string
	defs map[string]string
	// docDefault, when set, is the default column of the docs table.
	docDefault string
	help       string
	Cmds       []string
	// field returns the setting's field: *string, *int, *int64 or
	// *time.Duration.
	field func(*Settings) any
	// check validates the parsed value; its error needs no name, the
	// caller prefixes "--flag / VAR".
	check func(*Settings) error
}

// The commands that take settings.
const (
	Dev     = "dev"
	Ingress = "ingress"
	Worker  = "worker"
	Migrate = "migrate"
	Send    = "send"
	Events  = "events"
	Setup   = "setup"
	Users   = "users"
)

// allServing is every command that reads settings.
var allServing = []string{Dev, Ingress, Worker, Migrate, Send, Events, Setup, Users}

// Table is every setting, in the order help and the docs list them.
var Table = []Setting{
	{Flag: "data-dir", Env: "WEBHOOKD_DATA_DIR", def: ".data", Cmds: []string{Dev, Send, Events, Migrate, Users},
		help:  "dev's Temporal file, PostgreSQL cluster, outbox and dev secrets; send, events and migrate find a running dev through it",
		field: func(s *Settings) any { return &s.DataDir }},
	{Flag: "database-url", Env: "DATABASE_URL", docDefault: "dev: managed; events, migrate, users: dev's", Cmds: []string{Dev, Ingress, Worker, Events, Migrate, Users},
		help:  "PostgreSQL URL, e.g. postgres://user:pass@host:5432/webhookd?sslmode=disable",
		field: func(s *Settings) any { return &s.DatabaseURL }, check: checkDatabaseURL},
	{Flag: "temporal-address", Env: "TEMPORAL_ADDRESS", def: "127.0.0.1:7233", Cmds: []string{Ingress, Worker, Events, Setup, Users},
		docDefault: "the profile's, else 127.0.0.1:7233",
		help:       "Temporal frontend host:port; TLS, API key and headers come from Temporal's own TEMPORAL_* variables and profile file (docs/production.md)",
		field:      func(s *Settings) any { return &s.TemporalAddress }, check: hostPort(func(s *Settings) string { return s.TemporalAddress })},
	{Flag: "temporal-namespace", Env: "TEMPORAL_NAMESPACE", def: "default", Cmds: []string{Ingress, Worker, Events, Setup, Users},
		docDefault: "the profile's, else default",
		help:       "Temporal namespace (needs webhookd's search attributes)",
		field:      func(s *Settings) any { return &s.TemporalNamespace }, check: nonEmpty(func(s *Settings) string { return s.TemporalNamespace })},
	{Flag: "temporal-ui-url", Env: "TEMPORAL_UI_URL", def: "http://127.0.0.1:8233", Cmds: []string{Worker, Events},
		help:  "Temporal Web UI base URL, for the run links of alerts and 'events show'",
		field: func(s *Settings) any { return &s.TemporalUIURL }, check: checkUIURL},
	{Flag: "temporal-grpc-compression", Env: "TEMPORAL_GRPC_COMPRESSION", def: "gzip", Cmds: []string{Ingress, Worker, Events, Users},
		help:  "compression of gRPC requests to Temporal and of its answers: gzip or none (cheaper where the network is fast; dev always uses none)",
		field: func(s *Settings) any { return &s.TemporalCompression }, check: oneOf(func(s *Settings) string { return s.TemporalCompression }, "gzip", "none")},
	{Flag: "config", Env: "WEBHOOKD_CONFIG", Cmds: []string{Dev, Ingress, Send},
		help:  "providers file (YAML) adding to or replacing the built-in providers dodo, resend and stripe; see deploy/providers.yaml",
		field: func(s *Settings) any { return &s.ConfigFile }, check: checkConfigFile},
	{Flag: "http", Env: "WEBHOOKD_HTTP", def: ":8080", defs: map[string]string{Dev: "127.0.0.1:8080", Worker: ":9090"}, docDefault: ":8080 (dev 127.0.0.1:8080, worker :9090)", Cmds: []string{Dev, Ingress, Worker},
		help:  "listen address: the ingress (dev, ingress), or health and metrics (worker)",
		field: func(s *Settings) any { return &s.HTTPAddr }, check: hostPort(func(s *Settings) string { return s.HTTPAddr })},
	{Flag: "body-limit", Env: "WEBHOOKD_BODY_LIMIT", def: "1048576", Cmds: []string{Dev, Ingress},
		help:  "largest accepted body in bytes; larger bodies get 413",
		field: func(s *Settings) any { return &s.BodyLimit }, check: func(s *Settings) error { return positive(s.BodyLimit) }},
	{Flag: "max-inflight-bytes", Env: "WEBHOOKD_MAX_INFLIGHT_BYTES", def: "67108864", Cmds: []string{Dev, Ingress},
		help:  "budget of request bodies being read at once, in bytes; past it a request gets 503 with Retry-After before its body is read",
		field: func(s *Settings) any { return &s.InFlightBytes }, check: func(s *Settings) error {
			if err := positive(s.InFlightBytes); err != nil {
				return err
			}
			if s.InFlightBytes < s.BodyLimit {
				return fmt.Errorf("%d is less than --body-limit %d", s.InFlightBytes, s.BodyLimit)
			}
			return nil
		}},
	{Flag: "max-connections", Env: "WEBHOOKD_MAX_CONNECTIONS", def: "1024", Cmds: []string{Dev, Ingress},
		help:  "open connections the ingress accepts at once; more wait in the kernel's queue",
		field: func(s *Settings) any { return &s.MaxConnections }, check: func(s *Settings) error { return positive(int64(s.MaxConnections)) }},
	{Flag: "trusted-proxies", Env: "WEBHOOKD_TRUSTED_PROXIES", Cmds: []string{Dev, Ingress},
		help:  "comma-separated CIDRs or IPs of proxies whose X-Forwarded-For is believed; otherwise the TCP peer is the client",
		field: func(s *Settings) any { return &s.TrustedProxies }, check: checkCIDRs},
	{Flag: "public-url", Env: "WEBHOOKD_PUBLIC_URL", docDefault: "the request's scheme and Host", Cmds: []string{Dev, Ingress},
		help:  "base URL providers call (https://hooks.example.com), for the schemes that sign the URL (twilio, square): behind a proxy the ingress cannot know it",
		field: func(s *Settings) any { return &s.PublicURL }, check: optionalURL(func(s *Settings) string { return s.PublicURL })},
	{Flag: "smtp-url", Env: "SMTP_URL", docDefault: "dev: outbox", Cmds: []string{Dev, Worker},
		help:  "SMTP server: smtp://user:pass@host:587 (STARTTLS if offered), smtps://…, ?tls=none for Mailpit; unset in dev: .eml files in <data-dir>/outbox",
		field: func(s *Settings) any { return &s.SMTPURL }, check: checkSMTP},
	{Flag: "resend-api-key", Env: "RESEND_API_KEY", Cmds: []string{Dev, Worker},
		help:  "send email through Resend's API instead of SMTP (its ids then match Resend's webhooks); not with --smtp-url",
		field: func(s *Settings) any { return &s.ResendAPIKey }, check: func(s *Settings) error {
			if s.ResendAPIKey != "" && s.SMTPURL != "" {
				return errors.New("set either this or --smtp-url / SMTP_URL, not both")
			}
			return nil
		}},
	{Flag: "email-from", Env: "EMAIL_FROM", def: "webhookd <no-reply@webhookd.local>", Cmds: []string{Dev, Worker},
		help:  "sender of every email",
		field: func(s *Settings) any { return &s.EmailFrom }, check: nonEmpty(func(s *Settings) string { return s.EmailFrom })},
	{Flag: "slack-webhook-url", Env: "SLACK_WEBHOOK_URL", Cmds: []string{Dev, Worker},
		help:  "Slack incoming webhook for alerts",
		field: func(s *Settings) any { return &s.SlackWebhookURL }, check: func(s *Settings) error {
			if s.SlackWebhookURL != "" && s.SlackBotToken != "" {
				return errors.New("set either this or --slack-bot-token / SLACK_BOT_TOKEN, not both")
			}
			return optionalURL(func(s *Settings) string { return s.SlackWebhookURL })(s)
		}},
	{Flag: "slack-bot-token", Env: "SLACK_BOT_TOKEN", Cmds: []string{Dev, Worker},
		help:  "Slack bot token (chat:write) for alerts, with --slack-channel",
		field: func(s *Settings) any { return &s.SlackBotToken }},
	{Flag: "slack-channel", Env: "SLACK_CHANNEL", Cmds: []string{Dev, Worker},
		help:  "Slack channel for alerts with a bot token",
		field: func(s *Settings) any { return &s.SlackChannel }, check: func(s *Settings) error {
			if s.SlackBotToken != "" && s.SlackChannel == "" {
				return errors.New("required with --slack-bot-token / SLACK_BOT_TOKEN")
			}
			return nil
		}},
	{Flag: "discord-webhook-url", Env: "DISCORD_WEBHOOK_URL", Cmds: []string{Dev, Worker},
		help:  "Discord webhook for alerts (an embed per alert), beside or instead of Slack",
		field: func(s *Settings) any { return &s.DiscordWebhookURL }, check: optionalURL(func(s *Settings) string { return s.DiscordWebhookURL })},
	{Flag: "alert-summary-interval", Env: "WEBHOOKD_ALERT_SUMMARY_INTERVAL", def: "5m", Cmds: []string{Dev, Worker},
		help:  "an incident posts its first failure at once and at most one follow-up per this interval",
		field: func(s *Settings) any { return &s.AlertSummaryInterval }, check: func(s *Settings) error { return positiveDuration(s.AlertSummaryInterval) }},
	{Flag: "alert-signature-failures", Env: "WEBHOOKD_ALERT_SIGNATURE_FAILURES", def: "10", Cmds: []string{Dev, Ingress},
		help:  "open an incident when a provider's deliveries are rejected for their signature this many times within 5 minutes (0: never)",
		field: func(s *Settings) any { return &s.AlertSignatureFailures }, check: func(s *Settings) error {
			if s.AlertSignatureFailures < 0 {
				return fmt.Errorf("must not be negative, got %d", s.AlertSignatureFailures)
			}
			return nil
		}},
	{Flag: "alert-backlog-after", Env: "WEBHOOKD_ALERT_BACKLOG_AFTER", def: "2m", Cmds: []string{Dev, Worker},
		help:  "post an incident when events have waited this long for Temporal (recorded, not started), and its resolution when none wait",
		field: func(s *Settings) any { return &s.AlertBacklogAfter }, check: func(s *Settings) error { return positiveDuration(s.AlertBacklogAfter) }},
	{Flag: "incident-quiet", Env: "WEBHOOKD_INCIDENT_QUIET", def: "30m", Cmds: []string{Dev, Worker},
		help:  "an incident with no failure for this long resolves once an event of its provider and type succeeds",
		field: func(s *Settings) any { return &s.IncidentQuiet }, check: func(s *Settings) error { return positiveDuration(s.IncidentQuiet) }},
	{Flag: "retry-attempts", Env: "WEBHOOKD_RETRY_ATTEMPTS", def: "5", Cmds: []string{Dev, Worker},
		help:  "attempts per activity before the event fails",
		field: func(s *Settings) any { return &s.RetryAttempts }, check: func(s *Settings) error { return positive(int64(s.RetryAttempts)) }},
	{Flag: "retry-initial-interval", Env: "WEBHOOKD_RETRY_INITIAL_INTERVAL", def: "1s", Cmds: []string{Dev, Worker},
		help:  "first retry delay; doubles each attempt, capped at 1m",
		field: func(s *Settings) any { return &s.RetryInitial }, check: func(s *Settings) error { return positiveDuration(s.RetryInitial) }},
	{Flag: "dispatch-after", Env: "WEBHOOKD_DISPATCH_AFTER", def: "10s", Cmds: []string{Dev, Worker},
		help:  "the sweep starts runs for events left received this long (and settles events left dispatched without a run ID this long, at least 1m)",
		field: func(s *Settings) any { return &s.DispatchAfter }, check: func(s *Settings) error { return positiveDuration(s.DispatchAfter) }},
	{Flag: "temporal-port", Env: "WEBHOOKD_TEMPORAL_PORT", def: "7233", Cmds: []string{Dev},
		help:  "embedded Temporal frontend gRPC port (0: any free port)",
		field: func(s *Settings) any { return &s.TemporalPort }, check: func(s *Settings) error { return checkPort(s.TemporalPort) }},
	{Flag: "ui-port", Env: "WEBHOOKD_UI_PORT", def: "8233", Cmds: []string{Dev},
		help:  "embedded Temporal Web UI port (0: any free port)",
		field: func(s *Settings) any { return &s.UIPort }, check: func(s *Settings) error { return checkPort(s.UIPort) }},
	{Flag: "temporal-store", Env: "WEBHOOKD_TEMPORAL_STORE", def: "sqlite", Cmds: []string{Dev},
		help:  "where the embedded Temporal persists: sqlite (a file in the data dir) or postgres (databases in the dev PostgreSQL)",
		field: func(s *Settings) any { return &s.TemporalStore }, check: oneOf(func(s *Settings) string { return s.TemporalStore }, "sqlite", "postgres")},
	{Flag: "pprof-port", Env: "WEBHOOKD_PPROF_PORT", def: "0", docDefault: "off", Cmds: []string{Dev},
		help:  "serve Go's pprof endpoints for the whole process on this localhost port (0: off)",
		field: func(s *Settings) any { return &s.PProfPort }, check: func(s *Settings) error { return checkPort(s.PProfPort) }},
	{Flag: "url", Env: "WEBHOOKD_URL", docDefault: "dev's ingress, else http://127.0.0.1:8080", Cmds: []string{Send},
		help:  "ingress base URL, or the full /webhooks/{provider} URL (default: the running dev of --data-dir, else http://127.0.0.1:8080)",
		field: func(s *Settings) any { return &s.IngressURL }, check: optionalURL(func(s *Settings) string { return s.IngressURL })},
	{Flag: "encryption-keys", Env: "WEBHOOKD_ENCRYPTION_KEYS", docDefault: "dev: a key kept in the data dir; else off", Cmds: []string{Dev, Ingress, Worker, Events},
		help:  "encrypt every payload sent to Temporal (AES-256-GCM): comma-separated id:base64key (32 bytes, `openssl rand -base64 32`); the first encrypts, all decrypt; unset: plain payloads",
		field: func(s *Settings) any { return &s.EncryptionKeys }, check: func(s *Settings) error {
			_, err := codec.ParseKeys(s.EncryptionKeys)
			return err
		}},
	{Flag: "codec-auth-token", Env: "WEBHOOKD_CODEC_AUTH_TOKEN", Cmds: []string{Dev, Worker},
		help:  "bearer token the codec server (/codec/encode, /codec/decode on --http of dev and worker) requires; unset, the codec server is served only on a loopback --http",
		field: func(s *Settings) any { return &s.CodecAuthToken }},
	{Flag: "api-http", Env: "WEBHOOKD_API_HTTP", defs: map[string]string{Dev: "127.0.0.1:8081"}, docDefault: "dev 127.0.0.1:8081; ingress, worker: off", Cmds: []string{Dev, Ingress, Worker},
		help:  "listen address of the management API for the product (docs/api.md), never the webhook port; empty or off: not served",
		field: func(s *Settings) any { return &s.APIHTTP }, check: func(s *Settings) error {
			if s.APIHTTP == "" || s.APIHTTP == "off" {
				return nil
			}
			return hostPort(func(s *Settings) string { return s.APIHTTP })(s)
		}},
	{Flag: "api-tokens", Env: "WEBHOOKD_API_TOKENS", docDefault: "dev: one kept in the data dir", Cmds: []string{Dev, Ingress, Worker},
		help:  "bearer tokens of the management API, comma-separated (two during a rotation); outside dev the API does not start without one",
		field: func(s *Settings) any { return &s.APITokens }},
	{Flag: "notify-url", Env: "WEBHOOKD_NOTIFY_URL", Cmds: []string{Dev, Worker},
		help:  "the product's receiver: every change a run applies (payment.recorded, user.plan_changed, …) is POSTed to it, signed the Standard Webhooks way (docs/api.md); unset: nothing is sent",
		field: func(s *Settings) any { return &s.NotifyURL }, check: optionalURL(func(s *Settings) string { return s.NotifyURL })},
	{Flag: "notify-secret", Env: "WEBHOOKD_NOTIFY_SECRET", Cmds: []string{Dev, Worker},
		help:  "signing secret of the notifications, whsec_ and base64 (whsec_$(openssl rand -base64 32)); required with --notify-url",
		field: func(s *Settings) any { return &s.NotifySecret }, check: func(s *Settings) error {
			if s.NotifyURL != "" && !strings.HasPrefix(s.NotifySecret, "whsec_") {
				return errors.New("required with WEBHOOKD_NOTIFY_URL: whsec_ and a base64 key")
			}
			return nil
		}},
	{Flag: "payload-retention", Env: "WEBHOOKD_PAYLOAD_RETENTION", def: "720h", Cmds: []string{Dev, Worker},
		help:  "raw envelopes (and their data) older than this are deleted by a daily sweep, keeping each event's audit row; 0 keeps them",
		field: func(s *Settings) any { return &s.PayloadRetention }, check: func(s *Settings) error {
			if s.PayloadRetention < 0 {
				return fmt.Errorf("%s is negative", s.PayloadRetention)
			}
			return nil
		}},
	{Flag: "namespace-retention", Env: "TEMPORAL_NAMESPACE_RETENTION", def: "168h", Cmds: []string{Setup},
		help:  "how long Temporal keeps closed runs, for a namespace setup creates (an existing namespace keeps its own)",
		field: func(s *Settings) any { return &s.NamespaceRetention }, check: func(s *Settings) error {
			if s.NamespaceRetention < 24*time.Hour {
				return fmt.Errorf("%s is less than Temporal's minimum of 24h", s.NamespaceRetention)
			}
			return nil
		}},
	{Flag: "timeout", Env: "WEBHOOKD_SETUP_TIMEOUT", def: "5m", Cmds: []string{Setup},
		help:  "how long setup retries while Temporal is not up yet before it fails",
		field: func(s *Settings) any { return &s.SetupTimeout }, check: func(s *Settings) error { return positiveDuration(s.SetupTimeout) }},
	{Flag: "log-level", Env: "LOG_LEVEL", def: "info", Cmds: allServing,
		help:  "debug, info, warn or error (JSON lines on stderr)",
		field: func(s *Settings) any { return &s.LogLevel }, check: oneOf(func(s *Settings) string { return s.LogLevel }, "debug", "info", "warn", "error")},
}

// name is how errors and help refer to a setting.
func (st Setting) name() string { return "--" + st.Flag + " / " + st.Env }

func (st Setting) defaultFor(cmd string) string {
	if d, ok := st.defs[cmd]; ok {
		return d
	}
	return st.def
}

// Bind adds the command's settings to fs, bound to s. The help of
// each names its variable.
func Bind(fs *pflag.FlagSet, cmd string, s *Settings) {
	for _, st := range Table {
		if !slices.Contains(st.Cmds, cmd) {
			continue
		}
		def, help := st.defaultFor(cmd), st.help+" (env "+st.Env+")"
		switch p := st.field(s).(type) {
		case *string:
			fs.StringVar(p, st.Flag, def, help)
		case *int:
			fs.IntVar(p, st.Flag, 0, help)
		case *int64:
			fs.Int64Var(p, st.Flag, 0, help)
		case *time.Duration:
			fs.DurationVar(p, st.Flag, 0, help)
		default:
			panic("settings: unsupported field type for --" + st.Flag)
		}
		if f := fs.Lookup(st.Flag); def != "" && f.Value.Type() != "string" {
			// Parse numeric defaults through the flag so they print as given.
			if err := f.Value.Set(def); err != nil {
				panic("settings: default of --" + st.Flag + ": " + err.Error())
			}
			f.DefValue = f.Value.String()
		}
	}
}

// Apply fills every setting not given as a flag from its variable,
// then validates them all. Errors name the flag and the variable.
func Apply(fs *pflag.FlagSet, cmd string, s *Settings, getenv func(string) string) error {
	var errs []error
	for _, st := range Table {
		if !slices.Contains(st.Cmds, cmd) {
			continue
		}
		f := fs.Lookup(st.Flag)
		v, err := envfile.Lookup(getenv, st.Env)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", st.name(), err))
			continue
		}
		if v != "" && !f.Changed {
			if err := f.Value.Set(v); err != nil {
				errs = append(errs, fmt.Errorf("%s: %q is not %s", st.name(), v, kindOf(f.Value.Type())))
				continue
			}
		}
		if st.check != nil {
			if err := st.check(s); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", st.name(), err))
			}
		}
	}
	s.TemporalUIURL = strings.TrimRight(s.TemporalUIURL, "/")
	if fs.Lookup("temporal-address") != nil {
		if err := s.loadTemporal(fs, getenv); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func kindOf(flagType string) string {
	switch flagType {
	case "duration":
		return "a duration (e.g. 30s, 5m)"
	case "int", "int64":
		return "a whole number"
	}
	return "valid"
}

func positive(n int64) error {
	if n <= 0 {
		return fmt.Errorf("must be positive, got %d", n)
	}
	return nil
}

func positiveDuration(d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("must be positive, got %s", d)
	}
	return nil
}

func checkPort(p int) error {
	if p < 0 || p > 65535 {
		return fmt.Errorf("%d is not a port (0-65535)", p)
	}
	return nil
}

func oneOf(get func(*Settings) string, allowed ...string) func(*Settings) error {
	return func(s *Settings) error {
		if v := get(s); !slices.Contains(allowed, v) {
			return fmt.Errorf("%q: want one of %s", v, strings.Join(allowed, ", "))
		}
		return nil
	}
}

func nonEmpty(get func(*Settings) string) func(*Settings) error {
	return func(s *Settings) error {
		if strings.TrimSpace(get(s)) == "" {
			return errors.New("must not be empty")
		}
		return nil
	}
}

func optionalURL(get func(*Settings) string) func(*Settings) error {
	return func(s *Settings) error {
		v := get(s)
		if v == "" {
			return nil
		}
		if u, err := url.Parse(v); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return fmt.Errorf("%q is not an http(s) URL", v)
		}
		return nil
	}
}

func checkDatabaseURL(s *Settings) error {
	if s.DatabaseURL == "" {
		return nil
	}
	if u, err := url.Parse(s.DatabaseURL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return errors.New("not a postgres:// URL")
	}
	return nil
}

func checkUIURL(s *Settings) error {
	if u, err := url.Parse(s.TemporalUIURL); err != nil || u.Host == "" {
		return fmt.Errorf("%q is not a URL", s.TemporalUIURL)
	}
	return nil
}

// hostPort accepts host:port, and :port (a listen address on every interface).
func hostPort(get func(*Settings) string) func(*Settings) error {
	return func(s *Settings) error {
		v := get(s)
		_, port, err := net.SplitHostPort(v)
		if err != nil {
			return fmt.Errorf("%q: want host:port", v)
		}
		n, err := strconv.Atoi(port)
		if err != nil || n < 0 || n > 65535 {
			return fmt.Errorf("%q: %q is not a port (0-65535)", v, port)
		}
		return nil
	}
}

func checkCIDRs(s *Settings) error {
	for _, c := range s.TrustedProxyList() {
		if _, err := netip.ParsePrefix(c); err == nil {
			continue
		}
		if _, err := netip.ParseAddr(c); err != nil {
			return fmt.Errorf("%q is not a CIDR or IP", c)
		}
	}
	return nil
}

func checkConfigFile(s *Settings) error {
	if s.ConfigFile == "" {
		return nil
	}
	if _, err := os.Stat(s.ConfigFile); err != nil {
		return fmt.Errorf("%q: %w", s.ConfigFile, errors.Unwrap(err))
	}
	return nil
}

func checkSMTP(s *Settings) error {
	if s.SMTPURL == "" {
		return nil
	}
	_, err := email.NewSMTP(s.SMTPURL)
	return err
}

func (s *Settings) TrustedProxyList() []string {
	var out []string
	for _, p := range strings.Split(s.TrustedProxies, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Reference renders docs/configuration.md's table from
// Table: one row per setting, then the providers' secrets.
func Reference() string {
	var b strings.Builder
	b.WriteString("| flag | variable | default | used by | meaning |\n|---|---|---|---|---|\n")
	for _, st := range Table {
		def := st.docDefault
		if def == "" {
			def = st.def
		}
		if def == "" {
			def = "none"
		} else {
			def = "`" + def + "`"
		}
		used := strings.Join(st.Cmds, ", ")
		if slices.Equal(st.Cmds, allServing) {
			used = "all"
		}
		fmt.Fprintf(&b, "| `--%s` | `%s` | %s | %s | %s |\n", st.Flag, st.Env, def, used, strings.ReplaceAll(st.help, "|", "\\|"))
	}
	b.WriteString("| — | `WEBHOOKD_SECRET_<PROVIDER>` | dev, send: the generated dev secret | dev, ingress, send | the provider's signing secrets, comma-separated (the first signs, any verifies); or `WEBHOOKD_SECRET_<PROVIDER>_FILE`, a file holding them |\n")
	return b.String()
}
