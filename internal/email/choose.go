package email

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
)

// Sender sends one message and returns the provider's message id.
type Sender interface {
	Send(ctx context.Context, m Message) (string, error)
}

// Choose is Resend's API when resendAPIKey is set, else SMTP when smtpURL
// is, else the outbox under dataDir (dev only). The string says where
// email goes, without credentials.
func Choose(resendAPIKey, smtpURL, dataDir string) (Sender, string, error) {
	if resendAPIKey != "" {
		m, err := NewResend(resendAPIKey, "")
		return m, "resend api", err
	}
	if smtpURL != "" {
		m, err := NewSMTP(smtpURL)
		if err != nil {
			return nil, "", fmt.Errorf("--smtp-url / SMTP_URL: %w", err)
		}
		where := "(invalid URL)"
		if u, err := url.Parse(smtpURL); err == nil {
			where = u.Redacted()
		}
		return m, "smtp " + where, nil
	}
	if dataDir == "" {
		return nil, "", errors.New("--smtp-url / SMTP_URL or --resend-api-key / RESEND_API_KEY: required (the outbox needs a data dir, dev only)")
	}
	dir := filepath.Join(dataDir, "outbox")
	return Outbox{Dir: dir}, "outbox " + dir, nil
}
