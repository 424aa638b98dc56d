package provider

import (
	"encoding/json"
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
	case eventType == "refund.succeeded":
		var r dodoRefund
		if err := decode(eventType, data, &r); err != nil {
			return nil, err
		}
		if err := required(eventType, [2]string{"payment_id", r.PaymentID}, [2]string{"refund_id", r.RefundID}); err != nil {
			return nil, err
		}
		ref := &domain.Refund{PaymentID: r.PaymentID, RefundID: r.RefundID, Currency: strings.ToUpper(r.Currency)}
		if r.Amount != nil {
			ref.Amount = *r.Amount
		}
		return domain.PaymentRefunded{Refund: *ref}, nil
	case strings.HasPrefix(eventType, "subscription.") && !isGenericSubscription(eventType):
		return dodoSubscriptionEvent(s, eventType, data)
	}
	return nil, nil
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
	var p dodoPayment
	if err := decode(eventType, data, &p); err != nil {
		return nil, err
	}
	if genericShape(data) {
		return nil, nil
	}
	if err := required(eventType, [2]string{"payment_id", p.PaymentID}, [2]string{"currency", p.Currency}); err != nil {
		return nil, err
	}
	if p.TotalAmount == nil || *p.TotalAmount < 0 {
		return nil, badData(eventType, "missing or negative total_amount")
	}
	pay := &domain.Payment{ID: p.PaymentID, Amount: *p.TotalAmount, Currency: strings.ToUpper(p.Currency),
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
