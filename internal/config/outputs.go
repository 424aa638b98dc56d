package config

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"

	"github.com/webhookd/webhookd/internal/temporalui"

	"github.com/webhookd/webhookd/internal/email"
)

// Mailer is where the settings send email: Resend's API with
// --resend-api-key, else SMTP with --smtp-url, else the outbox under the
// data dir (dev only). The string says where, without credentials.
func (s *Settings) Mailer() (email.Sender, string, error) {
	if s.ResendAPIKey != "" {
		m, err := email.NewResend(s.ResendAPIKey, "")
		return m, "resend api", err
	}
	if s.SMTPURL != "" {
		m, err := email.NewSMTP(s.SMTPURL)
		if err != nil {
			return nil, "", fmt.Errorf("--smtp-url / SMTP_URL: %w", err)
		}
		return m, "smtp " + RedactURL(s.SMTPURL), nil
	}
	if s.DataDir == "" {
		return nil, "", errors.New("--smtp-url / SMTP_URL or --resend-api-key / RESEND_API_KEY: required (the outbox needs a data dir, dev only)")
	}
	dir := filepath.Join(s.DataDir, "outbox")
	return email.Outbox{Dir: dir}, "outbox " + dir, nil
}

// RedactURL is a URL from the settings fit to print: its password hidden.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(invalid URL)"
	}
	return u.Redacted()
}

// UI is the Temporal Web UI the settings name, for links to runs.
func (s *Settings) UI() temporalui.UI {
	return temporalui.UI{Base: s.TemporalUIURL, Namespace: s.TemporalNamespace}
}
