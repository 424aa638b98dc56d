package main

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

	"github.com/webhookd/webhookd/internal/codec"
	"github.com/webhookd/webhookd/internal/email"
)

// settings is the one typed configuration of every command. Each field is
// declared once in settingsTable: its flag, its variable, its default, its
// help and the commands that take it.
type settings struct {
	DataDir           string
	DatabaseURL       string
	TemporalAddress   string
	TemporalNamespace string
	TemporalUIURL     string
	// TemporalCompression is the gRPC compression of requests to Temporal:
	// gzip (the SDK's default) or none.
	TemporalCompression    string
	ConfigFile             string
	HTTPAddr               string
	BodyLimit              int64
	InFlightBytes          int64
	MaxConnections         int
	TrustedProxies         string
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
}

// setting declares one setting. Help, the variable fallback, validation
// errors and the README's configuration table all come from here.
type setting struct {
	flag, env string
	// def is the default as text; defs overrides it per command.
	def  string
	defs map[string]string
	// readmeDefault, when set, is the default column of the README table.
	readmeDefault string
	help          string
	cmds          []string
	// field returns the setting's field: *string, *int, *int64 or
	// *time.Duration.
	field func(*settings) any
	// check validates the parsed value; its error needs no name, the
	// caller prefixes "--flag / VAR".
	check func(*settings) error
}

const (
	cmdDev     = "dev"
	cmdIngress = "ingress"
	cmdWorker  = "worker"
	cmdMigrate = "migrate"
	cmdSend    = "send"
	cmdEvents  = "events"
	cmdSetup   = "setup"
)

var allServing = []string{cmdDev, cmdIngress, cmdWorker, cmdMigrate, cmdSend, cmdEvents, cmdSetup}

var settingsTable = []setting{
	{flag: "data-dir", env: "WEBHOOKD_DATA_DIR", def: ".data", cmds: []string{cmdDev, cmdSend, cmdEvents, cmdMigrate},
		help:  "dev's Temporal file, PostgreSQL cluster, outbox and dev secrets; send, events and migrate find a running dev through it",
		field: func(s *settings) any { return &s.DataDir }},
	{flag: "database-url", env: "DATABASE_URL", readmeDefault: "dev: managed; events, migrate: dev's", cmds: []string{cmdDev, cmdIngress, cmdWorker, cmdEvents, cmdMigrate},
		help:  "PostgreSQL URL, e.g. postgres://user:pass@host:5432/webhookd?sslmode=disable",
		field: func(s *settings) any { return &s.DatabaseURL }, check: checkDatabaseURL},
	{flag: "temporal-address", env: "TEMPORAL_ADDRESS", def: "127.0.0.1:7233", cmds: []string{cmdIngress, cmdWorker, cmdEvents, cmdSetup},
		help:  "Temporal frontend host:port",
		field: func(s *settings) any { return &s.TemporalAddress }, check: hostPort(func(s *settings) string { return s.TemporalAddress })},
	{flag: "temporal-namespace", env: "TEMPORAL_NAMESPACE", def: "default", cmds: []string{cmdIngress, cmdWorker, cmdEvents, cmdSetup},
		help:  "Temporal namespace (needs webhookd's search attributes)",
		field: func(s *settings) any { return &s.TemporalNamespace }, check: nonEmpty(func(s *settings) string { return s.TemporalNamespace })},
	{flag: "temporal-ui-url", env: "TEMPORAL_UI_URL", def: "http://127.0.0.1:8233", cmds: []string{cmdWorker, cmdEvents},
		help:  "Temporal Web UI base URL, for the run links of alerts and 'events show'",
		field: func(s *settings) any { return &s.TemporalUIURL }, check: checkUIURL},
	{flag: "temporal-grpc-compression", env: "TEMPORAL_GRPC_COMPRESSION", def: "gzip", cmds: []string{cmdIngress, cmdWorker, cmdEvents},
		help:  "compression of gRPC requests to Temporal and of its answers: gzip or none (cheaper where the network is fast; dev always uses none)",
		field: func(s *settings) any { return &s.TemporalCompression }, check: oneOf(func(s *settings) string { return s.TemporalCompression }, "gzip", "none")},
	{flag: "config", env: "WEBHOOKD_CONFIG", cmds: []string{cmdDev, cmdIngress, cmdSend},
		help:  "providers file (YAML) adding to or replacing the built-in providers dodo, resend and stripe; see deploy/providers.yaml",
		field: func(s *settings) any { return &s.ConfigFile }, check: checkConfigFile},
	{flag: "http", env: "WEBHOOKD_HTTP", def: ":8080", defs: map[string]string{cmdWorker: ":9090"}, readmeDefault: ":8080 (worker :9090)", cmds: []string{cmdDev, cmdIngress, cmdWorker},
		help:  "listen address: the ingress (dev, ingress), or health and metrics (worker)",
		field: func(s *settings) any { return &s.HTTPAddr }, check: hostPort(func(s *settings) string { return s.HTTPAddr })},
	{flag: "body-limit", env: "WEBHOOKD_BODY_LIMIT", def: "1048576", cmds: []string{cmdDev, cmdIngress},
		help:  "largest accepted body in bytes; larger bodies get 413",
		field: func(s *settings) any { return &s.BodyLimit }, check: func(s *settings) error { return positive(s.BodyLimit) }},
	{flag: "max-inflight-bytes", env: "WEBHOOKD_MAX_INFLIGHT_BYTES", def: "67108864", cmds: []string{cmdDev, cmdIngress},
		help:  "budget of request bodies being read at once, in bytes; past it a request gets 503 with Retry-After before its body is read",
		field: func(s *settings) any { return &s.InFlightBytes }, check: func(s *settings) error {
			if err := positive(s.InFlightBytes); err != nil {
				return err
			}
			if s.InFlightBytes < s.BodyLimit {
				return fmt.Errorf("%d is less than --body-limit %d", s.InFlightBytes, s.BodyLimit)
			}
			return nil
		}},
	{flag: "max-connections", env: "WEBHOOKD_MAX_CONNECTIONS", def: "1024", cmds: []string{cmdDev, cmdIngress},
		help:  "open connections the ingress accepts at once; more wait in the kernel's queue",
		field: func(s *settings) any { return &s.MaxConnections }, check: func(s *settings) error { return positive(int64(s.MaxConnections)) }},
	{flag: "trusted-proxies", env: "WEBHOOKD_TRUSTED_PROXIES", cmds: []string{cmdDev, cmdIngress},
		help:  "comma-separated CIDRs or IPs of proxies whose X-Forwarded-For is believed; otherwise the TCP peer is the client",
		field: func(s *settings) any { return &s.TrustedProxies }, check: checkCIDRs},
	{flag: "smtp-url", env: "SMTP_URL", readmeDefault: "dev: outbox", cmds: []string{cmdDev, cmdWorker},
		help:  "SMTP server: smtp://user:pass@host:587 (STARTTLS if offered), smtps://…, ?tls=none for Mailpit; unset in dev: .eml files in <data-dir>/outbox",
		field: func(s *settings) any { return &s.SMTPURL }, check: checkSMTP},
	{flag: "resend-api-key", env: "RESEND_API_KEY", cmds: []string{cmdDev, cmdWorker},
		help:  "send email through Resend's API instead of SMTP (its ids then match Resend's webhooks); not with --smtp-url",
		field: func(s *settings) any { return &s.ResendAPIKey }, check: func(s *settings) error {
			if s.ResendAPIKey != "" && s.SMTPURL != "" {
				return errors.New("set either this or --smtp-url / SMTP_URL, not both")
			}
			return nil
		}},
	{flag: "email-from", env: "EMAIL_FROM", def: "webhookd <no-reply@webhookd.local>", cmds: []string{cmdDev, cmdWorker},
		help:  "sender of every email",
		field: func(s *settings) any { return &s.EmailFrom }, check: nonEmpty(func(s *settings) string { return s.EmailFrom })},
	{flag: "slack-webhook-url", env: "SLACK_WEBHOOK_URL", cmds: []string{cmdDev, cmdWorker},
		help:  "Slack incoming webhook for alerts",
		field: func(s *settings) any { return &s.SlackWebhookURL }, check: func(s *settings) error {
			if s.SlackWebhookURL != "" && s.SlackBotToken != "" {
				return errors.New("set either this or --slack-bot-token / SLACK_BOT_TOKEN, not both")
			}
			return optionalURL(func(s *settings) string { return s.SlackWebhookURL })(s)
		}},
	{flag: "slack-bot-token", env: "SLACK_BOT_TOKEN", cmds: []string{cmdDev, cmdWorker},
		help:  "Slack bot token (chat:write) for alerts, with --slack-channel",
		field: func(s *settings) any { return &s.SlackBotToken }},
	{flag: "slack-channel", env: "SLACK_CHANNEL", cmds: []string{cmdDev, cmdWorker},
		help:  "Slack channel for alerts with a bot token",
		field: func(s *settings) any { return &s.SlackChannel }, check: func(s *settings) error {
			if s.SlackBotToken != "" && s.SlackChannel == "" {
				return errors.New("required with --slack-bot-token / SLACK_BOT_TOKEN")
			}
			return nil
		}},
	{flag: "discord-webhook-url", env: "DISCORD_WEBHOOK_URL", cmds: []string{cmdDev, cmdWorker},
		help:  "Discord webhook for alerts (an embed per alert), beside or instead of Slack",
		field: func(s *settings) any { return &s.DiscordWebhookURL }, check: optionalURL(func(s *settings) string { return s.DiscordWebhookURL })},
	{flag: "alert-summary-interval", env: "WEBHOOKD_ALERT_SUMMARY_INTERVAL", def: "5m", cmds: []string{cmdDev, cmdWorker},
		help:  "an incident posts its first failure at once and at most one follow-up per this interval",
		field: func(s *settings) any { return &s.AlertSummaryInterval }, check: func(s *settings) error { return positiveDuration(s.AlertSummaryInterval) }},
	{flag: "alert-signature-failures", env: "WEBHOOKD_ALERT_SIGNATURE_FAILURES", def: "10", cmds: []string{cmdDev, cmdIngress},
		help:  "open an incident when a provider's deliveries are rejected for their signature this many times within 5 minutes (0: never)",
		field: func(s *settings) any { return &s.AlertSignatureFailures }, check: func(s *settings) error {
			if s.AlertSignatureFailures < 0 {
				return fmt.Errorf("must not be negative, got %d", s.AlertSignatureFailures)
			}
			return nil
		}},
	{flag: "alert-backlog-after", env: "WEBHOOKD_ALERT_BACKLOG_AFTER", def: "2m", cmds: []string{cmdDev, cmdWorker},
		help:  "post an incident when events have waited this long for Temporal (recorded, not started), and its resolution when none wait",
		field: func(s *settings) any { return &s.AlertBacklogAfter }, check: func(s *settings) error { return positiveDuration(s.AlertBacklogAfter) }},
	{flag: "incident-quiet", env: "WEBHOOKD_INCIDENT_QUIET", def: "30m", cmds: []string{cmdDev, cmdWorker},
		help:  "an incident with no failure for this long resolves once an event of its provider and type succeeds",
		field: func(s *settings) any { return &s.IncidentQuiet }, check: func(s *settings) error { return positiveDuration(s.IncidentQuiet) }},
	{flag: "retry-attempts", env: "WEBHOOKD_RETRY_ATTEMPTS", def: "5", cmds: []string{cmdDev, cmdWorker},
		help:  "attempts per activity before the event fails",
		field: func(s *settings) any { return &s.RetryAttempts }, check: func(s *settings) error { return positive(int64(s.RetryAttempts)) }},
	{flag: "retry-initial-interval", env: "WEBHOOKD_RETRY_INITIAL_INTERVAL", def: "1s", cmds: []string{cmdDev, cmdWorker},
		help:  "first retry delay; doubles each attempt, capped at 1m",
		field: func(s *settings) any { return &s.RetryInitial }, check: func(s *settings) error { return positiveDuration(s.RetryInitial) }},
	{flag: "dispatch-after", env: "WEBHOOKD_DISPATCH_AFTER", def: "10s", cmds: []string{cmdDev, cmdWorker},
		help:  "the sweep starts runs for events left received this long (and settles events left dispatched without a run ID this long, at least 1m)",
		field: func(s *settings) any { return &s.DispatchAfter }, check: func(s *settings) error { return positiveDuration(s.DispatchAfter) }},
	{flag: "temporal-port", env: "WEBHOOKD_TEMPORAL_PORT", def: "7233", cmds: []string{cmdDev},
		help:  "embedded Temporal frontend gRPC port (0: any free port)",
		field: func(s *settings) any { return &s.TemporalPort }, check: func(s *settings) error { return checkPort(s.TemporalPort) }},
	{flag: "ui-port", env: "WEBHOOKD_UI_PORT", def: "8233", cmds: []string{cmdDev},
		help:  "embedded Temporal Web UI port (0: any free port)",
		field: func(s *settings) any { return &s.UIPort }, check: func(s *settings) error { return checkPort(s.UIPort) }},
	{flag: "temporal-store", env: "WEBHOOKD_TEMPORAL_STORE", def: "sqlite", cmds: []string{cmdDev},
		help:  "where the embedded Temporal persists: sqlite (a file in the data dir) or postgres (databases in the dev PostgreSQL)",
		field: func(s *settings) any { return &s.TemporalStore }, check: oneOf(func(s *settings) string { return s.TemporalStore }, "sqlite", "postgres")},
	{flag: "pprof-port", env: "WEBHOOKD_PPROF_PORT", def: "0", readmeDefault: "off", cmds: []string{cmdDev},
		help:  "serve Go's pprof endpoints for the whole process on this localhost port (0: off)",
		field: func(s *settings) any { return &s.PProfPort }, check: func(s *settings) error { return checkPort(s.PProfPort) }},
	{flag: "url", env: "WEBHOOKD_URL", readmeDefault: "dev's ingress, else http://127.0.0.1:8080", cmds: []string{cmdSend},
		help:  "ingress base URL, or the full /webhooks/{provider} URL (default: the running dev of --data-dir, else http://127.0.0.1:8080)",
		field: func(s *settings) any { return &s.IngressURL }, check: optionalURL(func(s *settings) string { return s.IngressURL })},
	{flag: "encryption-keys", env: "WEBHOOKD_ENCRYPTION_KEYS", readmeDefault: "dev: a key kept in the data dir; else off", cmds: []string{cmdDev, cmdIngress, cmdWorker, cmdEvents},
		help:  "encrypt every payload sent to Temporal (AES-256-GCM): comma-separated id:base64key (32 bytes, `openssl rand -base64 32`); the first encrypts, all decrypt; unset: plain payloads",
		field: func(s *settings) any { return &s.EncryptionKeys }, check: func(s *settings) error {
			_, err := codec.ParseKeys(s.EncryptionKeys)
			return err
		}},
	{flag: "codec-auth-token", env: "WEBHOOKD_CODEC_AUTH_TOKEN", cmds: []string{cmdWorker},
		help:  "bearer token the codec server (/codec/encode, /codec/decode on the worker's --http) requires; unset: no check (keep the port private)",
		field: func(s *settings) any { return &s.CodecAuthToken }},
	{flag: "payload-retention", env: "WEBHOOKD_PAYLOAD_RETENTION", def: "720h", cmds: []string{cmdDev, cmdWorker},
		help:  "raw envelopes (and their data) older than this are deleted by a daily sweep, keeping each event's audit row; 0 keeps them",
		field: func(s *settings) any { return &s.PayloadRetention }, check: func(s *settings) error {
			if s.PayloadRetention < 0 {
				return fmt.Errorf("%s is negative", s.PayloadRetention)
			}
			return nil
		}},
	{flag: "namespace-retention", env: "TEMPORAL_NAMESPACE_RETENTION", def: "168h", cmds: []string{cmdSetup},
		help:  "how long Temporal keeps closed runs, for a namespace setup creates (an existing namespace keeps its own)",
		field: func(s *settings) any { return &s.NamespaceRetention }, check: func(s *settings) error {
			if s.NamespaceRetention < 24*time.Hour {
				return fmt.Errorf("%s is less than Temporal's minimum of 24h", s.NamespaceRetention)
			}
			return nil
		}},
	{flag: "timeout", env: "WEBHOOKD_SETUP_TIMEOUT", def: "5m", cmds: []string{cmdSetup},
		help:  "how long setup retries while Temporal is not up yet before it fails",
		field: func(s *settings) any { return &s.SetupTimeout }, check: func(s *settings) error { return positiveDuration(s.SetupTimeout) }},
	{flag: "log-level", env: "LOG_LEVEL", def: "info", cmds: allServing,
		help:  "debug, info, warn or error (JSON lines on stderr)",
		field: func(s *settings) any { return &s.LogLevel }, check: oneOf(func(s *settings) string { return s.LogLevel }, "debug", "info", "warn", "error")},
}

// name is how errors and help refer to a setting.
func (st setting) name() string { return "--" + st.flag + " / " + st.env }

func (st setting) defaultFor(cmd string) string {
	if d, ok := st.defs[cmd]; ok {
		return d
	}
	return st.def
}

// bindSettings adds the command's settings to fs, bound to s. The help of
// each names its variable.
func bindSettings(fs *pflag.FlagSet, cmd string, s *settings) {
	for _, st := range settingsTable {
		if !slices.Contains(st.cmds, cmd) {
			continue
		}
		def, help := st.defaultFor(cmd), st.help+" (env "+st.env+")"
		switch p := st.field(s).(type) {
		case *string:
			fs.StringVar(p, st.flag, def, help)
		case *int:
			fs.IntVar(p, st.flag, 0, help)
		case *int64:
			fs.Int64Var(p, st.flag, 0, help)
		case *time.Duration:
			fs.DurationVar(p, st.flag, 0, help)
		default:
			panic("settings: unsupported field type for --" + st.flag)
		}
		if f := fs.Lookup(st.flag); def != "" && f.Value.Type() != "string" {
			// Parse numeric defaults through the flag so they print as given.
			if err := f.Value.Set(def); err != nil {
				panic("settings: default of --" + st.flag + ": " + err.Error())
			}
			f.DefValue = f.Value.String()
		}
	}
}

// applySettings fills every setting not given as a flag from its variable,
// then validates them all. Errors name the flag and the variable.
func applySettings(fs *pflag.FlagSet, cmd string, s *settings, getenv func(string) string) error {
	var errs []error
	for _, st := range settingsTable {
		if !slices.Contains(st.cmds, cmd) {
			continue
		}
		f := fs.Lookup(st.flag)
		if v := getenv(st.env); v != "" && !f.Changed {
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

func oneOf(get func(*settings) string, allowed ...string) func(*settings) error {
	return func(s *settings) error {
		if v := get(s); !slices.Contains(allowed, v) {
			return fmt.Errorf("%q: want one of %s", v, strings.Join(allowed, ", "))
		}
		return nil
	}
}

func nonEmpty(get func(*settings) string) func(*settings) error {
	return func(s *settings) error {
		if strings.TrimSpace(get(s)) == "" {
			return errors.New("must not be empty")
		}
		return nil
	}
}

func optionalURL(get func(*settings) string) func(*settings) error {
	return func(s *settings) error {
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

func checkDatabaseURL(s *settings) error {
	if s.DatabaseURL == "" {
		return nil
	}
	if u, err := url.Parse(s.DatabaseURL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return errors.New("not a postgres:// URL")
	}
	return nil
}

func checkUIURL(s *settings) error {
	if u, err := url.Parse(s.TemporalUIURL); err != nil || u.Host == "" {
		return fmt.Errorf("%q is not a URL", s.TemporalUIURL)
	}
	return nil
}

// hostPort accepts host:port, and :port (a listen address on every interface).
func hostPort(get func(*settings) string) func(*settings) error {
	return func(s *settings) error {
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

func checkCIDRs(s *settings) error {
	for _, c := range s.trustedProxies() {
		if _, err := netip.ParsePrefix(c); err == nil {
			continue
		}
		if _, err := netip.ParseAddr(c); err != nil {
			return fmt.Errorf("%q is not a CIDR or IP", c)
		}
	}
	return nil
}

func checkConfigFile(s *settings) error {
	if s.ConfigFile == "" {
		return nil
	}
	if _, err := os.Stat(s.ConfigFile); err != nil {
		return fmt.Errorf("%q: %w", s.ConfigFile, errors.Unwrap(err))
	}
	return nil
}

func checkSMTP(s *settings) error {
	if s.SMTPURL == "" {
		return nil
	}
	_, err := email.NewSMTP(s.SMTPURL)
	return err
}

func (s *settings) trustedProxies() []string {
	var out []string
	for _, p := range strings.Split(s.TrustedProxies, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// configReference renders the README's configuration table from
// settingsTable: one row per setting, then the providers' secrets.
func configReference() string {
	var b strings.Builder
	b.WriteString("| flag | variable | default | used by | meaning |\n|---|---|---|---|---|\n")
	for _, st := range settingsTable {
		def := st.readmeDefault
		if def == "" {
			def = st.def
		}
		if def == "" {
			def = "none"
		} else {
			def = "`" + def + "`"
		}
		used := strings.Join(st.cmds, ", ")
		if slices.Equal(st.cmds, allServing) {
			used = "all"
		}
		fmt.Fprintf(&b, "| `--%s` | `%s` | %s | %s | %s |\n", st.flag, st.env, def, used, strings.ReplaceAll(st.help, "|", "\\|"))
	}
	b.WriteString("| — | `WEBHOOKD_SECRET_<PROVIDER>` | dev, send: the generated dev secret | dev, ingress, send | the provider's signing secrets, comma-separated (the first signs, any verifies) |\n")
	return b.String()
}
