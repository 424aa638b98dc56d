package email

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/resend/resend-go/v2"
)

// Resend sends through Resend's API (resend-go). The id Resend returns is
// what its webhooks call email_id, so webhookd stores it as the message's
// provider id and delivered, opened, clicked and bounced match it.
type Resend struct {
	client *resend.Client
}

// NewResend returns a sender with the API key; baseURL, when set, replaces
// Resend's API address (tests).
func NewResend(apiKey, baseURL string) (*Resend, error) {
	c := resend.NewCustomClient(&http.Client{Timeout: 20 * time.Second}, apiKey)
	if baseURL != "" {
		u, err := url.Parse(baseURL + "/")
		if err != nil {
			return nil, fmt.Errorf("resend base URL: %w", err)
		}
		c.BaseURL = u
	}
	return &Resend{client: c}, nil
}

// Send sends m and returns Resend's id of it. The message's own Message-ID
// is Resend's idempotency key, so a retry of a send Resend already took
// (within its 24 hours) sends nothing twice.
func (r *Resend) Send(ctx context.Context, m Message) (string, error) {
	resp, err := r.client.Emails.SendWithOptions(ctx, &resend.SendEmailRequest{
		From: m.From, To: []string{m.To}, Subject: m.Subject, Html: m.HTML, Text: m.Text,
		Headers: map[string]string{"Message-ID": "<" + m.MessageID + ">"},
	}, &resend.SendEmailOptions{IdempotencyKey: m.MessageID})
	if err != nil {
		return "", fmt.Errorf("email: resend: %w", err)
	}
	return resp.Id, nil
}
