// Package notify tells the product what changed: each change a run applies
// (a payment recorded, a plan changed, …) is POSTed to WEBHOOKD_NOTIFY_URL,
// signed the Standard Webhooks way with WEBHOOKD_NOTIFY_SECRET, so the
// product verifies it with the library it would use for any provider. The
// webhook-id is derived from the event and the change: a retry or a replay
// resends the same id, and the product's deduplication holds.
package notify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// The notification types.
const (
	UserCreated         = "user.created"
	PlanChanged         = "user.plan_changed"
	PaymentRecorded     = "payment.recorded"
	PaymentRefunded     = "payment.refunded"
	SubscriptionChanged = "subscription.changed"
	AddressInvalid      = "email.address_invalid"
)

// Notification is one change: its webhook-id, and the body's type, time
// and data.
type Notification struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	Timestamp time.Time       `json:"timestamp"`
	Data      json.RawMessage `json:"data"`
}

// New is the notification of a change of type typ to subject (a payment,
// a subscription, a user) made by the event provider/eventID.
func New(provider, eventID, typ, subject string, at time.Time, data any) Notification {
	b, _ := json.Marshal(data)
	sum := sha256.Sum256([]byte(provider + "\x00" + eventID + "\x00" + typ + "\x00" + subject))
	return Notification{ID: "msg_" + hex.EncodeToString(sum[:16]), Type: typ, Timestamp: at.UTC().Truncate(time.Millisecond), Data: b}
}

// ErrRefused: the receiver answered a 4xx other than 408 and 429, which a
// retry cannot change.
var ErrRefused = errors.New("notify: the receiver refused the notification")

// RetryAfter is a receiver's 429 or 503 with the delay it asked for.
type RetryAfter struct {
	Delay  time.Duration
	Status string
}

func (r *RetryAfter) Error() string {
	return fmt.Sprintf("notify: the receiver answered %s, retry after %s", r.Status, r.Delay)
}

// Sender posts notifications to the product.
type Sender struct {
	url  string
	wh   *standardwebhooks.Webhook
	http *http.Client
}

// Timeout bounds one POST to the receiver.
const Timeout = 10 * time.Second

// NewSender posts to url, signing with secret (whsec_ and base64, as the
// Standard Webhooks libraries take it).
func NewSender(url, secret string) (*Sender, error) {
	if !strings.HasPrefix(secret, "whsec_") {
		return nil, errors.New("WEBHOOKD_NOTIFY_SECRET: want whsec_ and a base64 key, e.g. whsec_$(openssl rand -base64 32)")
	}
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		return nil, fmt.Errorf("WEBHOOKD_NOTIFY_SECRET: %w", err)
	}
	return &Sender{url: url, wh: wh, http: &http.Client{Timeout: Timeout}}, nil
}

// Send posts n. A 2xx is done; a 4xx other than 408 and 429 is ErrRefused;
// a 429 or 503 with Retry-After is *RetryAfter; anything else (5xx, 408,
// a timeout, no connection) is an error worth a retry.
func (s *Sender) Send(ctx context.Context, n Notification) error {
	body, err := json.Marshal(struct {
		Type      string          `json:"type"`
		Timestamp time.Time       `json:"timestamp"`
		Data      json.RawMessage `json:"data"`
	}{n.Type, n.Timestamp, n.Data})
	if err != nil {
		return err
	}
	now := time.Now()
	sig, err := s.wh.Sign(n.ID, now, body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("webhook-id", n.ID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
	req.Header.Set("webhook-signature", sig)
	resp, err := s.http.Do(req)
	if err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch code := resp.StatusCode; {
	case code >= 200 && code < 300:
		return nil
	case code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable:
		if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs > 0 {
			return &RetryAfter{Delay: min(time.Duration(secs)*time.Second, time.Hour), Status: resp.Status}
		}
	case code >= 400 && code < 500 && code != http.StatusRequestTimeout:
		return fmt.Errorf("%w: %s", ErrRefused, resp.Status)
	}
	return fmt.Errorf("notify: the receiver answered %s", resp.Status)
}
