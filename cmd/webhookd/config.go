package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/webhookd/webhookd/alerts"
	"github.com/webhookd/webhookd/internal/config"
	"github.com/webhookd/webhookd/internal/email"
	"github.com/webhookd/webhookd/workflows"
)

// settings is the one typed configuration of every command. Each field is
// a flag whose default comes from the environment variable named beside it.
type settings struct {
	DataDir           string
	DatabaseURL       string
	TemporalAddress   string
	TemporalNamespace string
	TemporalUIURL     string
	// TemporalCompression is the gRPC compression of requests to Temporal:
	// gzip (the SDK's default) or none.
	TemporalCompression string
	ConfigFile          string
	HTTPAddr            string
	BodyLimit           int64
	TrustedProxies      string
	SMTPURL             string
	EmailFrom           string
	SlackWebhookURL     string
	SlackBotToken       string
	SlackChannel        string
	RetryAttempts       int64
	RetryInitial        time.Duration
	DispatchAfter       time.Duration
	LogLevel            string
}

// groups of flags a command takes.
const (
	fData = 1 << iota
	fDB
	fTemporal
	fHTTP
	fWorker
	fProviders
)

type binder struct {
	fs     *flag.FlagSet
	groups int
	getenv func(string) string
	errs   []error
	envOf  map[string]string // flag name → variable
}

func (b *binder) str(p *string, name, env, def, help string) {
	if v := b.getenv(env); v != "" {
		def = v
	}
	b.envOf[name] = env
	b.fs.StringVar(p, name, def, help+" (env "+env+")")
}

func (b *binder) dur(p *time.Duration, name, env string, def time.Duration, help string) {
	if v := b.getenv(env); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.errs = append(b.errs, fmt.Errorf("%s: not a duration (e.g. 30s): %q", env, v))
		} else {
			def = d
		}
	}
	b.envOf[name] = env
	b.fs.DurationVar(p, name, def, help+" (env "+env+")")
}

func (b *binder) num(p *int64, name, env string, def int64, help string) {
	if v := b.getenv(env); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			b.errs = append(b.errs, fmt.Errorf("%s: not a number: %q", env, v))
		} else {
			def = n
		}
	}
	b.envOf[name] = env
	b.fs.Int64Var(p, name, def, help+" (env "+env+")")
}

// newFlags returns a flag set with the groups' flags bound to s.
func newFlags(name string, groups int, s *settings, getenv func(string) string, stderr io.Writer) (*flag.FlagSet, *binder) {
	fs := flag.NewFlagSet("webhookd "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	b := &binder{fs: fs, groups: groups, getenv: getenv, envOf: map[string]string{}}
	b.str(&s.LogLevel, "log-level", "LOG_LEVEL", "info", "debug, info, warn or error")
	if groups&fData != 0 {
		b.str(&s.DataDir, "data-dir", "WEBHOOKD_DATA_DIR", ".data", "where dev keeps Temporal, PostgreSQL, the outbox and dev secrets")
	}
	if groups&fDB != 0 {
		b.str(&s.DatabaseURL, "database-url", "DATABASE_URL", "", "PostgreSQL URL, e.g. postgres://user:pass@host:5432/webhookd?sslmode=disable")
	}
	if groups&fTemporal != 0 {
		b.str(&s.TemporalAddress, "temporal-address", "TEMPORAL_ADDRESS", "127.0.0.1:7233", "Temporal frontend host:port")
		b.str(&s.TemporalNamespace, "temporal-namespace", "TEMPORAL_NAMESPACE", "default", "Temporal namespace")
		b.str(&s.TemporalUIURL, "temporal-ui-url", "TEMPORAL_UI_URL", "http://127.0.0.1:8233", "Temporal Web UI base URL, for links in alerts and `events show`")
		b.str(&s.TemporalCompression, "temporal-grpc-compression", "TEMPORAL_GRPC_COMPRESSION", "gzip", "compression of requests to Temporal (and so of its answers): gzip or none (cheaper on a fast network)")
	}
	if groups&fProviders != 0 {
		b.str(&s.ConfigFile, "config", "WEBHOOKD_CONFIG", "", "providers file (YAML); the dev providers dodo and resend are built in")
	}
	if groups&fHTTP != 0 {
		addr, help := ":8080", "ingress listen address"
		if name == "worker" {
			addr, help = ":9090", "health and metrics listen address"
		}
		b.str(&s.HTTPAddr, "http", "WEBHOOKD_HTTP", addr, help)
		b.num(&s.BodyLimit, "body-limit", "WEBHOOKD_BODY_LIMIT", 1<<20, "largest accepted body in bytes")
		b.str(&s.TrustedProxies, "trusted-proxies", "WEBHOOKD_TRUSTED_PROXIES", "", "comma-separated CIDRs of proxies whose X-Forwarded-For is trusted")
	}
	if groups&fWorker != 0 {
		b.str(&s.SMTPURL, "smtp-url", "SMTP_URL", "", "SMTP server, e.g. smtp://localhost:1025?tls=none; unset in dev: .eml files in <data-dir>/outbox")
		b.str(&s.EmailFrom, "email-from", "EMAIL_FROM", "webhookd <no-reply@webhookd.local>", "sender of every email")
		b.str(&s.SlackWebhookURL, "slack-webhook-url", "SLACK_WEBHOOK_URL", "", "Slack incoming webhook for alerts")
		b.str(&s.SlackBotToken, "slack-bot-token", "SLACK_BOT_TOKEN", "", "Slack bot token for alerts (with --slack-channel)")
		b.str(&s.SlackChannel, "slack-channel", "SLACK_CHANNEL", "", "Slack channel for alerts with a bot token")
		b.num(&s.RetryAttempts, "retry-attempts", "WEBHOOKD_RETRY_ATTEMPTS", 5, "attempts per activity before the event fails")
		b.dur(&s.RetryInitial, "retry-initial-interval", "WEBHOOKD_RETRY_INITIAL_INTERVAL", time.Second, "first retry delay; doubles each attempt")
		b.dur(&s.DispatchAfter, "dispatch-after", "WEBHOOKD_DISPATCH_AFTER", 10*time.Second, "start runs for events recorded this long ago and never dispatched (and settle events dispatched this long ago, at least a minute, without a run ID)")
	}
	return fs, b
}

// parse parses args and validates s; errors name the flag and variable.
func (b *binder) parse(args []string, s *settings) error {
	groups := b.groups
	if err := b.fs.Parse(args); err != nil {
		return err
	}
	errs := b.errs
	name := func(flag string) string { return "--" + flag + " / " + b.envOf[flag] }
	if _, err := parseLevel(s.LogLevel); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", name("log-level"), err))
	}
	if groups&fDB != 0 && s.DatabaseURL != "" {
		if u, err := url.Parse(s.DatabaseURL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			errs = append(errs, fmt.Errorf("%s: not a postgres:// URL", name("database-url")))
		}
	}
	if groups&fTemporal != 0 {
		if !strings.Contains(s.TemporalAddress, ":") {
			errs = append(errs, fmt.Errorf("%s: want host:port, got %q", name("temporal-address"), s.TemporalAddress))
		}
		if u, err := url.Parse(s.TemporalUIURL); err != nil || u.Host == "" {
			errs = append(errs, fmt.Errorf("%s: not a URL", name("temporal-ui-url")))
		}
		s.TemporalUIURL = strings.TrimRight(s.TemporalUIURL, "/")
		if s.TemporalCompression != "gzip" && s.TemporalCompression != "none" {
			errs = append(errs, fmt.Errorf("%s: want gzip or none, got %q", name("temporal-grpc-compression"), s.TemporalCompression))
		}
	}
	if groups&fHTTP != 0 && s.BodyLimit <= 0 {
		errs = append(errs, fmt.Errorf("%s: must be positive", name("body-limit")))
	}
	if groups&fWorker != 0 {
		if s.SlackWebhookURL != "" {
			if u, err := url.Parse(s.SlackWebhookURL); err != nil || u.Host == "" {
				errs = append(errs, fmt.Errorf("%s: not a URL", name("slack-webhook-url")))
			}
		}
		if s.SlackBotToken != "" && s.SlackChannel == "" {
			errs = append(errs, fmt.Errorf("%s: required with SLACK_BOT_TOKEN", name("slack-channel")))
		}
		if s.SMTPURL != "" {
			if _, err := email.NewSMTP(s.SMTPURL); err != nil {
				errs = append(errs, err)
			}
		}
		if s.RetryAttempts < 1 {
			errs = append(errs, fmt.Errorf("%s: must be at least 1", name("retry-attempts")))
		}
	}
	return errors.Join(errs...)
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	err := l.UnmarshalText([]byte(s))
	return l, err
}

func newLogger(w io.Writer, level string) *slog.Logger {
	l, _ := parseLevel(level)
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

func (s *settings) retry() workflows.RetryConfig {
	return workflows.RetryConfig{MaximumAttempts: int32(s.RetryAttempts), InitialInterval: s.RetryInitial}
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

func (s *settings) alerter(logger *slog.Logger) *alerts.Slack {
	return alerts.New(alerts.Config{
		WebhookURL: s.SlackWebhookURL, BotToken: s.SlackBotToken, Channel: s.SlackChannel,
		UIURL: s.TemporalUIURL, Namespace: s.TemporalNamespace, Logger: logger,
	})
}

// providers loads the provider set; dev adds the built-in providers and
// their generated secrets.
func (s *settings) providers(withDev bool, getenv func(string) string) (map[string]*config.Provider, error) {
	var devSecrets map[string]string
	if withDev {
		var err error
		if devSecrets, err = config.LoadDevSecrets(s.DataDir); err != nil {
			return nil, err
		}
	}
	return config.LoadProviders(s.ConfigFile, withDev, getenv, devSecrets)
}
