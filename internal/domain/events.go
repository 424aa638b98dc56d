// Package domain is the vocabulary every part of webhookd shares: the
// domain events a provider's webhooks are read as (one type per kind, all
// behind Event), who an event is about (Customer), and the statuses of a
// recorded event. The provider formats (internal/provider) produce domain
// events, the workflows route on their type, the activities apply them.
// It imports nothing of webhookd's and nothing of Temporal's.
package domain

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Kind names what a domain event is about; it is also the event's tag in
// the workflow input (see JSON).
type Kind string

// The kinds of domain events.
const (
	KindPaymentSucceeded    Kind = "payment.succeeded"
	KindPaymentFailed       Kind = "payment.failed"
	KindPaymentRefunded     Kind = "payment.refunded"
	KindSubscriptionChanged Kind = "subscription.changed"
	KindEmailDelivered      Kind = "email.delivered"
	KindEmailOpened         Kind = "email.opened"
	KindEmailClicked        Kind = "email.clicked"
	KindEmailBounced        Kind = "email.bounced"
	KindEmailComplained     Kind = "email.complained"
	KindEmailSuppressed     Kind = "email.suppressed"
	KindCustomerLinked      Kind = "customer.linked"
	KindDisputeOpened       Kind = "dispute.opened"
	KindDisputeClosed       Kind = "dispute.closed"
	KindPaymentReferenced   Kind = "payment.referenced"
)

// Event is a provider's event as webhookd understands it: one of
// PaymentSucceeded, PaymentFailed, PaymentRefunded, PaymentReferenced,
// SubscriptionChanged, EmailNews, CustomerLinked, DisputeOpened and
// DisputeClosed. The set is closed (the
// unexported method), so a type switch over it is the whole list.
type Event interface {
	Kind() Kind
	// body is what the workflow input carries under the kind's family.
	body() any
}

// PaymentSucceeded: money taken.
type PaymentSucceeded struct{ Payment }

// PaymentFailed: a payment attempt failed.
type PaymentFailed struct{ Payment }

// PaymentRefunded: money given back on a payment.
type PaymentRefunded struct{ Refund }

// SubscriptionChanged: a snapshot of a subscription.
type SubscriptionChanged struct{ Subscription }

// EmailNews: news of an email webhookd sent, as News says: delivered,
// opened, clicked (stamped on the email log), bounced, suppressed (the
// address may be gone) or complained (the user is opted out of marketing).
type EmailNews struct {
	Email
	News Kind `json:"-"`
}

// CustomerLinked: the provider's customer is the app's user (Stripe
// Checkout); later events that name only the customer resolve to it.
type CustomerLinked struct{ Customer }

// DisputeOpened: a payment is disputed; on-call has a deadline.
type DisputeOpened struct{ Dispute }

// DisputeClosed: a dispute has an outcome (Dispute.Outcome), or moved on
// (challenged): on-call hears the follow-up.
type DisputeClosed struct{ Dispute }

// PaymentReferenced: a payment is also known by another id (the
// PaymentIntent that paid a Stripe invoice), which refunds may name.
type PaymentReferenced struct{ Reference }

func (PaymentSucceeded) Kind() Kind    { return KindPaymentSucceeded }
func (PaymentFailed) Kind() Kind       { return KindPaymentFailed }
func (PaymentRefunded) Kind() Kind     { return KindPaymentRefunded }
func (SubscriptionChanged) Kind() Kind { return KindSubscriptionChanged }
func (e EmailNews) Kind() Kind         { return e.News }
func (CustomerLinked) Kind() Kind      { return KindCustomerLinked }
func (DisputeOpened) Kind() Kind       { return KindDisputeOpened }
func (DisputeClosed) Kind() Kind       { return KindDisputeClosed }
func (PaymentReferenced) Kind() Kind   { return KindPaymentReferenced }

func (e PaymentSucceeded) body() any    { return e.Payment }
func (e PaymentFailed) body() any       { return e.Payment }
func (e PaymentRefunded) body() any     { return e.Refund }
func (e SubscriptionChanged) body() any { return e.Subscription }
func (e EmailNews) body() any           { return e.Email }
func (e CustomerLinked) body() any      { return e.Customer }
func (e DisputeOpened) body() any       { return e.Dispute }
func (e DisputeClosed) body() any       { return e.Dispute }
func (e PaymentReferenced) body() any   { return e.Reference }

// families maps each kind to the field of the workflow input that carries
// its body, and to a decoder of that body.
var families = map[Kind]struct {
	field  string
	decode func(json.RawMessage) (Event, error)
}{
	KindPaymentSucceeded:    {"Payment", decodeAs(func(p Payment) Event { return PaymentSucceeded{p} })},
	KindPaymentFailed:       {"Payment", decodeAs(func(p Payment) Event { return PaymentFailed{p} })},
	KindPaymentRefunded:     {"Refund", decodeAs(func(r Refund) Event { return PaymentRefunded{r} })},
	KindSubscriptionChanged: {"Subscription", decodeAs(func(s Subscription) Event { return SubscriptionChanged{s} })},
	KindCustomerLinked:      {"Customer", decodeAs(func(c Customer) Event { return CustomerLinked{c} })},
	KindDisputeOpened:       {"Dispute", decodeAs(func(d Dispute) Event { return DisputeOpened{d} })},
	KindDisputeClosed:       {"Dispute", decodeAs(func(d Dispute) Event { return DisputeClosed{d} })},
	KindPaymentReferenced:   {"Reference", decodeAs(func(r Reference) Event { return PaymentReferenced{r} })},
}

func init() {
	for _, k := range EmailKinds() {
		families[k] = struct {
			field  string
			decode func(json.RawMessage) (Event, error)
		}{"Email", decodeAs(func(e Email) Event { return EmailNews{Email: e, News: k} })}
	}
}

// EmailKinds lists the kinds an EmailNews can have.
func EmailKinds() []Kind {
	return []Kind{KindEmailDelivered, KindEmailOpened, KindEmailClicked, KindEmailBounced, KindEmailComplained, KindEmailSuppressed}
}

func decodeAs[T any](wrap func(T) Event) func(json.RawMessage) (Event, error) {
	return func(raw json.RawMessage) (Event, error) {
		var v T
		if len(raw) > 0 {
			if err := json.Unmarshal(raw, &v); err != nil {
				return nil, err
			}
		}
		return wrap(v), nil
	}
}

// JSON carries an Event through Temporal's JSON payloads as
// {"Kind": "payment.succeeded", "Payment": {…}}: the kind, and the body
// under its family's name. Workflow histories hold this shape, so it
// never changes.
type JSON struct{ Event }

// MarshalJSON writes the tagged shape.
func (j JSON) MarshalJSON() ([]byte, error) {
	if j.Event == nil {
		return []byte("null"), nil
	}
	f, ok := families[j.Kind()]
	if !ok {
		return nil, fmt.Errorf("domain: event kind %q has no family", j.Kind())
	}
	kind, err := json.Marshal(j.Kind())
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(j.body())
	if err != nil {
		return nil, err
	}
	// Kind first, as the histories have it.
	return fmt.Appendf(nil, `{"Kind":%s,%q:%s}`, kind, f.field, body), nil
}

// UnmarshalJSON reads the tagged shape.
func (j *JSON) UnmarshalJSON(b []byte) error {
	var tagged map[string]json.RawMessage
	if err := json.Unmarshal(b, &tagged); err != nil {
		return err
	}
	if tagged == nil {
		j.Event = nil
		return nil
	}
	var kind Kind
	if err := json.Unmarshal(tagged["Kind"], &kind); err != nil {
		return fmt.Errorf("domain: event kind: %w", err)
	}
	f, ok := families[kind]
	if !ok {
		return fmt.Errorf("domain: unknown event kind %q", kind)
	}
	ev, err := f.decode(tagged[f.field])
	if err != nil {
		return fmt.Errorf("domain: %s: %w", kind, err)
	}
	j.Event = ev
	return nil
}

// CustomerOf is who an event is about; zero when it names nobody (refunds,
// email news, disputes).
func CustomerOf(ev Event) Customer {
	switch e := ev.(type) {
	case PaymentSucceeded:
		return e.Customer
	case PaymentFailed:
		return e.Customer
	case SubscriptionChanged:
		return e.Customer
	case CustomerLinked:
		return e.Customer
	}
	return Customer{}
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
	// Outcome, of a closed dispute: won, lost, accepted, expired,
	// cancelled, challenged or the provider's word.
	Outcome string `json:",omitempty"`
	// NoAmount: the provider did not give the amount.
	NoAmount bool `json:",omitempty"`
}

// Reference is another id of a payment.
type Reference struct {
	PaymentID string
	Ref       string
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
	// CreateUser: an unknown UserID is created with Email (the provider
	// allows it, and the event names both).
	CreateUser bool `json:",omitempty"`
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

// Refund is money given back on a payment: one refund, keyed by RefundID,
// unless RunningTotal.
type Refund struct {
	// PaymentID is the payment's id or another reference of it.
	PaymentID string
	RefundID  string
	Amount    int64
	Currency  string
	// Status: succeeded (when empty), pending, failed or canceled.
	Status string `json:",omitempty"`
	// RunningTotal: Amount is all refunded on the payment so far (Stripe's
	// charge.refunded), not one refund.
	RunningTotal bool `json:",omitempty"`
	// Full: the whole payment, whatever its amount (no amount given).
	Full bool `json:",omitempty"`
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
	ID       string
	Customer Customer
	Plan     string `json:",omitempty"`
	Status   SubscriptionStatus
	// OtherPlans are the other items that could have been the plan (a
	// subscription of several items): logged, so a wrong choice shows.
	OtherPlans        []string   `json:",omitempty"`
	PeriodEnd         *time.Time `json:",omitempty"`
	CancelAtPeriodEnd *bool      `json:",omitempty"`
	// NoEmail: apply the snapshot without the email its status would send
	// (the generic subscription.updated).
	NoEmail bool `json:",omitempty"`
}

// Email is what an email event says of a message.
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

// BadDataReason is err's message without the ErrBadData prefix: the reason
// a run and an operator are shown.
func BadDataReason(err error) string {
	return strings.TrimPrefix(err.Error(), ErrBadData.Error()+": ")
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
