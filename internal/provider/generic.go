package provider

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/webhookd/webhookd/internal/domain"
)

// The generic format: the shapes of webhookd's own examples (userId,
// paymentId, amount, subscriptionId, email_id, email…), for custom
// hmac-hex or standard-webhooks senders. The dodo and resend formats take
// them too.

type genericData struct {
	UserID            string          `json:"userId"`
	Amount            json.RawMessage `json:"amount"`
	Currency          string          `json:"currency"`
	PaymentID         string          `json:"paymentId"`
	Reason            string          `json:"reason"`
	Plan              string          `json:"plan"`
	Status            string          `json:"status"`
	SubscriptionID    string          `json:"subscriptionId"`
	CurrentPeriodEnd  json.RawMessage `json:"currentPeriodEnd"`
	CancelAtPeriodEnd *bool           `json:"cancelAtPeriodEnd"`
	EmailID           string          `json:"email_id"`
	Email             string          `json:"email"`
	To                []string        `json:"to"`
	BounceType        string          `json:"bounce_type"`
}

func (d genericData) address() string {
	if d.Email != "" {
		return d.Email
	}
	if len(d.To) > 0 {
		return d.To[0]
	}
	return ""
}

func generic(eventType string, data json.RawMessage) (domain.Event, error) {
	var d genericData
	switch eventType {
	case "payment.succeeded", "payment.failed", "subscription.created", "subscription.updated",
		"subscription.canceled", "subscription.past_due", "email.delivered", "email.opened",
		"email.bounced", "email.complained":
		if err := decode(eventType, data, &d); err != nil {
			return nil, err
		}
	default:
		return nil, nil
	}
	switch {
	case strings.HasPrefix(eventType, "payment."):
		return genericPayment(eventType, d)
	case strings.HasPrefix(eventType, "subscription."):
		return genericSubscription(eventType, d)
	}
	return genericEmail(eventType, d)
}

func genericPayment(eventType string, d genericData) (domain.Event, error) {
	p := &domain.Payment{ID: d.PaymentID, Customer: domain.Customer{UserID: d.UserID}, Currency: strings.ToUpper(d.Currency), Reason: d.Reason}
	if eventType == "payment.failed" {
		if err := required(eventType, [2]string{"userId", d.UserID}); err != nil {
			return nil, err
		}
		p.NoAmount = len(d.Amount) == 0
		if !p.NoAmount {
			n, err := amount(eventType, d.Amount)
			if err != nil {
				return nil, err
			}
			p.Amount = n
		}
		return domain.PaymentFailed{Payment: *p}, nil
	}
	if err := required(eventType, [2]string{"userId", d.UserID}, [2]string{"paymentId", d.PaymentID}, [2]string{"currency", d.Currency}); err != nil {
		return nil, err
	}
	n, err := amount(eventType, d.Amount)
	if err != nil {
		return nil, err
	}
	p.Amount = n
	return domain.PaymentSucceeded{Payment: *p}, nil
}

func genericSubscription(eventType string, d genericData) (domain.Event, error) {
	fields := [][2]string{{"subscriptionId", d.SubscriptionID}, {"userId", d.UserID}}
	if eventType == "subscription.created" {
		fields = append(fields, [2]string{"plan", d.Plan})
	}
	if err := required(eventType, fields...); err != nil {
		return nil, err
	}
	status := map[string]domain.SubscriptionStatus{"subscription.created": domain.SubscriptionActive,
		"subscription.canceled": domain.SubscriptionEnded, "subscription.past_due": domain.SubscriptionPastDue}[eventType]
	if eventType == "subscription.updated" {
		status = map[string]domain.SubscriptionStatus{"": domain.SubscriptionActive, "active": domain.SubscriptionActive,
			"canceled": domain.SubscriptionEnded, "past_due": domain.SubscriptionPastDue}[d.Status]
		if status == "" {
			return nil, badData(eventType, "unknown subscription status %.40q", d.Status)
		}
	}
	end, err := periodEnd(eventType, d.CurrentPeriodEnd)
	if err != nil {
		return nil, err
	}
	return domain.SubscriptionChanged{Subscription: domain.Subscription{
		ID: d.SubscriptionID, Customer: domain.Customer{UserID: d.UserID}, Plan: d.Plan, Status: status,
		PeriodEnd: end, CancelAtPeriodEnd: d.CancelAtPeriodEnd, NoEmail: eventType == "subscription.updated",
	}}, nil
}

func genericEmail(eventType string, d genericData) (domain.Event, error) {
	switch eventType {
	case "email.delivered", "email.opened":
		if err := required(eventType, [2]string{"email_id", d.EmailID}); err != nil {
			return nil, err
		}
		return domain.EmailNews{News: domain.Kind(eventType), Email: domain.Email{EmailID: d.EmailID}}, nil
	}
	if err := required(eventType, [2]string{"email", d.address()}); err != nil {
		return nil, err
	}
	e := &domain.Email{EmailID: d.EmailID, To: []string{d.address()}}
	if eventType == "email.bounced" {
		e.BounceType, e.Permanent = d.BounceType, true
		return domain.EmailNews{News: domain.KindEmailBounced, Email: *e}, nil
	}
	return domain.EmailNews{News: domain.KindEmailComplained, Email: *e}, nil
}

// amount reads a non-negative integer amount in minor units; a string of
// digits is accepted.
func amount(eventType string, raw json.RawMessage) (int64, error) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return 0, badData(eventType, "missing amount")
	}
	s = strings.Trim(s, `"`)
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, badData(eventType, "malformed amount %.40q: want a non-negative integer in minor units", s)
	}
	return n, nil
}

// periodEnd reads an RFC 3339 time or Unix seconds; absent is nil.
func periodEnd(eventType string, raw json.RawMessage) (*time.Time, error) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return nil, nil
	}
	var str string
	if err := json.Unmarshal(raw, &str); err == nil {
		t, err := time.Parse(time.RFC3339, str)
		if err != nil {
			return nil, badData(eventType, "malformed currentPeriodEnd %.40q", str)
		}
		return &t, nil
	}
	secs, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return nil, badData(eventType, "malformed currentPeriodEnd %.40q", s)
	}
	t := time.Unix(secs, 0).UTC()
	return &t, nil
}
