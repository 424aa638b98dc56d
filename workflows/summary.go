package workflows

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/webhookd/webhookd/internal/domain"
	"github.com/webhookd/webhookd/internal/money"
)

// Summary is the one line and the short markdown details a run shows in
// the Temporal UI's list and run page: whose event it is and what it is
// about, in ids, types, amounts and (for email events) addresses; never a
// secret.
func Summary(in ProcessWebhookInput) (summary, details string) {
	parts := []string{in.Provider + " " + in.EventType}
	if d := in.Domain; d != nil {
		parts = append(parts, domainSummary(d.Event)...)
	} else if in.BadData != "" {
		parts = append(parts, "bad data")
	} else {
		parts = append(parts, "ignored (no handler)")
	}
	summary = strings.Join(parts, " · ")
	details = fmt.Sprintf("**Provider** %s  \n**Event** %s `%s`  \n**Occurred** %s\n\nReplay once it failed: `webhookd events replay %s:%s`",
		in.Provider, in.EventType, in.EventID, in.OccurredAt.UTC().Format(time.RFC3339), in.Provider, in.EventID)
	if in.BadData != "" {
		details += "\n\n**Bad data** " + in.BadData
	}
	return summary, details
}

func who(c domain.Customer) string {
	return domain.FirstNonEmpty(c.UserID, c.CustomerID, c.Email)
}

func domainSummary(dom domain.Event) []string {
	switch d := dom.(type) {
	case domain.PaymentSucceeded:
		return paymentSummary(d.Payment)
	case domain.PaymentFailed:
		return paymentSummary(d.Payment)
	case domain.PaymentRefunded:
		return []string{"refund of " + d.PaymentID, money.Format(d.Amount, d.Currency)}
	case domain.SubscriptionChanged:
		return []string{who(d.Customer), domain.FirstNonEmpty(d.Plan, "?") + " " + string(d.Status), d.ID}
	case domain.EmailNews:
		out := []string{strings.Join(d.To, ", ")}
		if d.BounceType != "" {
			out = append(out, d.BounceType)
		}
		return append(out, domain.FirstNonEmpty(d.EmailID, d.MessageID))
	case domain.CustomerLinked:
		return []string{d.CustomerID + " → " + domain.FirstNonEmpty(d.UserID, d.Email)}
	case domain.DisputeOpened:
		return []string{"dispute " + d.ID, money.Format(d.Amount, d.Currency), d.Reason}
	case domain.DisputeClosed:
		return []string{"dispute " + d.ID, d.Outcome}
	case domain.PaymentReferenced:
		return []string{d.PaymentID + " = " + d.Ref}
	}
	return nil
}

func paymentSummary(p domain.Payment) []string {
	out := []string{who(p.Customer)}
	if !p.NoAmount {
		out = append(out, money.Format(p.Amount, p.Currency))
	}
	return append(out, p.ID)
}

// MarshalJSON writes the retry policy in readable units ("1s", "1m0s").
func (r RetryConfig) MarshalJSON() ([]byte, error) {
	type readable struct {
		MaximumAttempts    int32   `json:",omitempty"`
		InitialInterval    string  `json:",omitempty"`
		BackoffCoefficient float64 `json:",omitempty"`
		MaximumInterval    string  `json:",omitempty"`
	}
	out := readable{MaximumAttempts: r.MaximumAttempts, BackoffCoefficient: r.BackoffCoefficient}
	if r.InitialInterval > 0 {
		out.InitialInterval = r.InitialInterval.String()
	}
	if r.MaximumInterval > 0 {
		out.MaximumInterval = r.MaximumInterval.String()
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads durations as strings or, as runs recorded before
// wrote them, as nanoseconds.
func (r *RetryConfig) UnmarshalJSON(b []byte) error {
	var raw struct {
		MaximumAttempts    int32
		InitialInterval    json.RawMessage
		BackoffCoefficient float64
		MaximumInterval    json.RawMessage
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	r.MaximumAttempts, r.BackoffCoefficient = raw.MaximumAttempts, raw.BackoffCoefficient
	var err error
	if r.InitialInterval, err = duration(raw.InitialInterval); err != nil {
		return err
	}
	r.MaximumInterval, err = duration(raw.MaximumInterval)
	return err
}

func duration(raw json.RawMessage) (time.Duration, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return time.ParseDuration(s)
	}
	var n int64
	err := json.Unmarshal(raw, &n)
	return time.Duration(n), err
}
