package provider

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Kind is what a domain event is about. Workflows route on it.
type Kind string

// The domain events every format maps its provider's events to.
const (
	PaymentSucceeded    Kind = "payment.succeeded"
	PaymentFailed       Kind = "payment.failed"
	PaymentRefunded     Kind = "payment.refunded"
	SubscriptionChanged Kind = "subscription.changed"
	EmailDelivered      Kind = "email.delivered"
	EmailOpened         Kind = "email.opened"
	EmailClicked        Kind = "email.clicked"
	EmailBounced        Kind = "email.bounced"
	EmailComplained     Kind = "email.complained"
	EmailSuppressed     Kind = "email.suppressed"
	// CustomerLinked: the provider's customer is the app's user (Stripe
	// Checkout); later events that name only the customer resolve to it.
	CustomerLinked Kind = "customer.linked"
	// DisputeOpened: a payment is disputed; on-call has a deadline.
	DisputeOpened Kind = "dispute.opened"
)

// Event is a provider's event as webhookd understands it: exactly one of
// the pointers is set, as Kind says.
type Event struct {
	Kind         Kind
	Payment      *Payment      `json:",omitempty"`
	Refund       *Refund       `json:",omitempty"`
	Subscription *Subscription `json:",omitempty"`
	Email        *Email        `json:",omitempty"`
	Customer     *Customer     `json:",omitempty"`
	Dispute      *Dispute      `json:",omitempty"`
}

// Dispute is a payment the customer's bank disputes.
type Dispute struct {
	ID       string
	ChargeID string
	Amount   int64
	Currency string
	Reason   string
	// DueBy is when the evidence is due, if the provider says.
	DueBy *time.Time `json:",omitempty"`
}

// Customer says who an event is about, as the provider knows them. The
// user is resolved in this order: UserID (the metadata the app set at
// checkout), then the link learned from an earlier event of the same
// CustomerID, then Email against users.email.
type Customer struct {
	UserID     string `json:",omitempty"`
	CustomerID string `json:",omitempty"`
	Email      string `json:",omitempty"`
	// WaitForLink: an unknown user may become known when the event that
	// links the customer arrives (Stripe does not keep order), so it is
	// retried for the activity's attempts instead of failing at once.
	WaitForLink bool `json:",omitempty"`
}

// Payment is money taken, or an attempt that failed.
type Payment struct {
	ID       string
	Customer Customer
	Amount   int64 // minor units
	Currency string
	// Reason, for a failed payment, is the provider's explanation.
	Reason string `json:",omitempty"`
	// NoAmount: a failed payment whose event carries no amount.
	NoAmount bool `json:",omitempty"`
	// NoCharge: a zero-amount charge that only updated the payment method,
	// or a charge another event books (Stripe's invoice payment intents);
	// nothing is recorded and nothing is sent.
	NoCharge bool `json:",omitempty"`
	// OncePerPayment: the confirmation is keyed by the payment, not the
	// event, as several events may report the same money.
	OncePerPayment bool `json:",omitempty"`
}

// Refund is money given back on a payment.
type Refund struct {
	PaymentID string
	RefundID  string
	Amount    int64
	Currency  string
}

// SubscriptionStatus is a subscription's state in webhookd's terms.
type SubscriptionStatus string

// The subscription states.
const (
	SubscriptionActive  SubscriptionStatus = "active"   // the plan applies
	SubscriptionPastDue SubscriptionStatus = "past_due" // payment trouble: a reminder is sent
	SubscriptionEnded   SubscriptionStatus = "canceled" // the user is back on free; one cancellation email
	SubscriptionPaused  SubscriptionStatus = "paused"   // recorded, plan unchanged
	SubscriptionPending SubscriptionStatus = "pending"  // recorded, plan unchanged
)

// Subscription is a snapshot of a subscription; an older snapshot never
// overwrites a newer one.
type Subscription struct {
	ID                string
	Customer          Customer
	Plan              string `json:",omitempty"`
	Status            SubscriptionStatus
	PeriodEnd         *time.Time `json:",omitempty"`
	CancelAtPeriodEnd *bool      `json:",omitempty"`
	// NoEmail: apply the snapshot without the email its status would send
	// (the generic subscription.updated).
	NoEmail bool `json:",omitempty"`
}

// Email is news of an email: delivered, opened, bounced…
type Email struct {
	// EmailID is the provider's id of the message, MessageID its
	// Message-ID header: either may match webhookd's email log.
	EmailID   string   `json:",omitempty"`
	MessageID string   `json:",omitempty"`
	To        []string `json:",omitempty"`
	// BounceType is the provider's classification, e.g. Permanent/General;
	// Permanent says the address is gone (a transient bounce is recorded
	// without invalidating it).
	BounceType string `json:",omitempty"`
	Permanent  bool   `json:",omitempty"`
}

// ErrBadData is wrapped by the error of an event of a handled type whose
// required fields are missing or malformed: retrying cannot fix it.
var ErrBadData = errors.New("bad data")

func badData(eventType, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrBadData, eventType, fmt.Sprintf(format, args...))
}

// Spec is what a format needs of its provider's configuration. It is
// stored with each event, so that whatever starts the event's run later
// (the sweep, a replay) normalizes it as the ingress would have.
type Spec struct {
	Format string `json:"format"`
	// UserIDKey is the metadata key holding the app's user id.
	UserIDKey string `json:"user_id_key,omitempty"`
	// Plans maps a product id to a plan name.
	Plans map[string]string `json:"plans,omitempty"`
}

// Formats lists the formats a provider can have.
func Formats() []string { return []string{"dodo", "resend", "stripe", "generic"} }

// Normalize turns a provider event into a domain event. handled is false
// for a type the format has no domain event for (the event is ignored); err
// wraps ErrBadData when a handled type lacks what it needs.
func (s Spec) Normalize(eventType string, data json.RawMessage) (ev Event, handled bool, err error) {
	if s.UserIDKey == "" {
		s.UserIDKey = "user_id"
	}
	switch s.Format {
	case "dodo":
		if ev, handled, err = dodo(s, eventType, data); handled || err != nil {
			return ev, handled, err
		}
	case "resend":
		if ev, handled, err = resend(eventType, data); handled || err != nil {
			return ev, handled, err
		}
	case "stripe":
		return stripe(s, eventType, data)
	}
	// Every format also takes the generic shapes.
	return generic(eventType, data)
}

// decode reads data into v; no data object is bad data.
func decode(eventType string, data json.RawMessage, v any) error {
	if len(data) == 0 || string(data) == "null" {
		return badData(eventType, "payload has no data object")
	}
	if err := json.Unmarshal(data, v); err != nil {
		return badData(eventType, "malformed data: %v", err)
	}
	return nil
}

// required names the first empty field, as the provider spells it.
func required(eventType string, fields ...[2]string) error {
	var missing []string
	for _, f := range fields {
		if strings.TrimSpace(f[1]) == "" {
			missing = append(missing, f[0])
		}
	}
	if len(missing) > 0 {
		return badData(eventType, "missing %s", strings.Join(missing, ", "))
	}
	return nil
}

// metadataString reads a metadata value that may be a string or a number.
func metadataString(m map[string]json.RawMessage, key string) string {
	raw, ok := m[key]
	if !ok {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strings.TrimSpace(s)
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

// FirstNonEmpty is the first of vs that is not blank, trimmed.
func FirstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}
