package provider

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/webhookd/webhookd/internal/domain"
)

// The dodo format: Dodo Payments (Standard Webhooks; envelope business_id,
// type, timestamp, data). Field names follow the domain.Payment, domain.Subscription and
// domain.Refund objects of Dodo's API (dodopayments-go).

type dodoCustomer struct {
	CustomerID string `json:"customer_id"`
	Email      string `json:"email"`
}

type dodoPayment struct {
	PaymentID             string                     `json:"payment_id"`
	TotalAmount           *int64                     `json:"total_amount"`
	Currency              string                     `json:"currency"`
	Customer              dodoCustomer               `json:"customer"`
	Metadata              map[string]json.RawMessage `json:"metadata"`
	IsUpdatePaymentMethod bool                       `json:"is_update_payment_method"`
	ErrorCode             string                     `json:"error_code"`
	ErrorMessage          string                     `json:"error_message"`
}

type dodoSubscription struct {
	SubscriptionID          string                     `json:"subscription_id"`
	Status                  string                     `json:"status"`
	ProductID               string                     `json:"product_id"`
	Customer                dodoCustomer               `json:"customer"`
	Metadata                map[string]json.RawMessage `json:"metadata"`
	NextBillingDate         *time.Time                 `json:"next_billing_date"`
	CancelAtNextBillingDate *bool                      `json:"cancel_at_next_billing_date"`
}

type dodoRefund struct {
	RefundID  string `json:"refund_id"`
	PaymentID string `json:"payment_id"`
	Amount    *int64 `json:"amount"`
	Currency  string `json:"currency"`
	IsPartial *bool  `json:"is_partial"`
	Status    string `json:"status"`
}

// dodoDispute is Dodo's Dispute: its amount is a string.
type dodoDispute struct {
	DisputeID     string  `json:"dispute_id"`
	PaymentID     string  `json:"payment_id"`
	Amount        string  `json:"amount"`
	Currency      string  `json:"currency"`
	DisputeStage  string  `json:"dispute_stage"`
	DisputeStatus string  `json:"dispute_status"`
	Remarks       *string `json:"remarks"`
}

// dodoStatuses maps Dodo's subscription status to webhookd's.
var dodoStatuses = map[string]domain.SubscriptionStatus{
	"active": domain.SubscriptionActive, "on_hold": domain.SubscriptionPastDue, "failed": domain.SubscriptionPastDue,
	"cancelled": domain.SubscriptionEnded, "expired": domain.SubscriptionEnded, "paused": domain.SubscriptionPaused,
	"pending": domain.SubscriptionPending,
}

func dodo(s Spec, eventType string, data json.RawMessage) (domain.Event, error) {
	switch {
	case eventType == "payment.succeeded" || eventType == "payment.failed":
		return dodoPaymentEvent(s, eventType, data)
	case eventType == "refund.succeeded" || eventType == "refund.failed":
		return dodoRefundEvent(eventType, data)
	case strings.HasPrefix(eventType, "dispute."):
		return dodoDisputeEvent(eventType, data)
	case strings.HasPrefix(eventType, "subscription.") && !isGenericSubscription(eventType):
		return dodoSubscriptionEvent(s, eventType, data)
	}
	return nil, nil
}

// dodoRefundEvent is one refund of a payment: each carries its own amount,
// so two partial refunds add up; one without an amount that is not partial
// refunds the whole payment.
func dodoRefundEvent(eventType string, data json.RawMessage) (domain.Event, error) {
	var r dodoRefund
	if err := decode(eventType, data, &r); err != nil {
		return nil, err
	}
	if err := required(eventType, [2]string{"payment_id", r.PaymentID}, [2]string{"refund_id", r.RefundID}); err != nil {
		return nil, err
	}
	ref := domain.Refund{PaymentID: r.PaymentID, RefundID: r.RefundID, Status: "succeeded"}
	if eventType == "refund.failed" {
		ref.Status = "failed"
	}
	switch {
	case r.Amount != nil && *r.Amount < 0:
		return nil, badData(eventType, "negative amount")
	case r.Amount != nil:
		ref.Amount = *r.Amount
	case r.IsPartial != nil && !*r.IsPartial:
		ref.Full = true
	case ref.Status == "succeeded":
		return nil, badData(eventType, "missing amount of a partial refund")
	}
	if r.Currency != "" || r.Amount != nil {
		cur, err := currencyCode(eventType, r.Currency)
		if err != nil {
			return nil, err
		}
		ref.Currency = cur
	}
	return domain.PaymentRefunded{Refund: ref}, nil
}

// dodoDisputeOutcomes are the dispute events after dispute.opened, and
// what each means for the merchant.
var dodoDisputeOutcomes = map[string]string{
	"dispute.won": "won", "dispute.lost": "lost", "dispute.accepted": "accepted (lost)", "dispute.expired": "expired (lost)",
	"dispute.cancelled": "cancelled by the customer (won)", "dispute.challenged": "challenged (evidence submitted)",
}

// dodoDisputeEvent: dispute.opened pages on-call; the others follow it up.
func dodoDisputeEvent(eventType string, data json.RawMessage) (domain.Event, error) {
	outcome, closing := dodoDisputeOutcomes[eventType]
	if eventType != "dispute.opened" && !closing {
		return nil, nil
	}
	d, cur, err := decodeMoney(eventType, data, func(d *dodoDispute) (string, [][2]string) {
		return d.Currency, [][2]string{{"dispute_id", d.DisputeID}, {"payment_id", d.PaymentID}}
	})
	if err != nil {
		return nil, err
	}
	dis := domain.Dispute{ID: d.DisputeID, ChargeID: d.PaymentID, Currency: cur, Outcome: outcome,
		Reason: domain.FirstNonEmpty(deref(d.Remarks), strings.ReplaceAll(d.DisputeStage, "_", " "))}
	if n, err := strconv.ParseInt(strings.TrimSpace(d.Amount), 10, 64); err == nil && n >= 0 {
		dis.Amount = n
	} else {
		dis.NoAmount = true
	}
	if closing {
		return domain.DisputeClosed{Dispute: dis}, nil
	}
	return domain.DisputeOpened{Dispute: dis}, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// isGenericSubscription: the generic shapes' subscription types, which the
// dodo format keeps taking for integrations built on them.
func isGenericSubscription(t string) bool {
	switch t {
	case "subscription.created", "subscription.canceled", "subscription.past_due":
		return true
	}
	return false
}

func dodoPaymentEvent(s Spec, eventType string, data json.RawMessage) (domain.Event, error) {
	if genericShape(data) {
		return nil, nil
	}
	p, cur, err := decodeMoney(eventType, data, func(p *dodoPayment) (string, [][2]string) {
		return p.Currency, [][2]string{{"payment_id", p.PaymentID}, {"currency", p.Currency}}
	})
	if err != nil {
		return nil, err
	}
	if p.TotalAmount == nil || *p.TotalAmount < 0 {
		return nil, badData(eventType, "missing or negative total_amount")
	}
	pay := &domain.Payment{ID: p.PaymentID, Amount: *p.TotalAmount, Currency: cur,
		Customer: domain.Customer{UserID: metadataString(p.Metadata, s.UserIDKey), CustomerID: p.Customer.CustomerID, Email: p.Customer.Email},
		NoCharge: p.IsUpdatePaymentMethod && *p.TotalAmount == 0}
	if eventType == "payment.failed" {
		pay.Reason = domain.FirstNonEmpty(p.ErrorMessage, p.ErrorCode, "the payment was declined")
		return domain.PaymentFailed{Payment: *pay}, nil
	}
	return domain.PaymentSucceeded{Payment: *pay}, nil
}

func dodoSubscriptionEvent(s Spec, eventType string, data json.RawMessage) (domain.Event, error) {
	var d dodoSubscription
	if err := decode(eventType, data, &d); err != nil {
		return nil, err
	}
	if genericShape(data) {
		return nil, nil
	}
	if err := required(eventType, [2]string{"subscription_id", d.SubscriptionID}, [2]string{"status", d.Status}); err != nil {
		return nil, err
	}
	status, ok := dodoStatuses[d.Status]
	if !ok {
		return nil, badData(eventType, "unknown subscription status %.40q", d.Status)
	}
	plan := metadataString(d.Metadata, "plan")
	if plan == "" {
		plan = domain.FirstNonEmpty(s.Plans[d.ProductID], d.ProductID)
	}
	return domain.SubscriptionChanged{Subscription: domain.Subscription{
		ID: d.SubscriptionID, Plan: plan, Status: status, PeriodEnd: d.NextBillingDate, CancelAtPeriodEnd: d.CancelAtNextBillingDate,
		Customer: domain.Customer{UserID: metadataString(d.Metadata, s.UserIDKey), CustomerID: d.Customer.CustomerID, Email: d.Customer.Email},
	}}, nil
}

// genericShape reports whether data is one of the generic shapes (userId,
// paymentId, subscriptionId), which every format also takes.
func genericShape(data json.RawMessage) bool {
	return hasAnyKey(data, "userId", "paymentId", "subscriptionId")
}

// hasAnyKey reports whether the JSON object data has one of the keys.
func hasAnyKey(data json.RawMessage, keys ...string) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(data, &m) != nil {
		return false
	}
	for _, k := range keys {
		if _, ok := m[k]; ok {
			return true
		}
	}
	return false
}
