package provider

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/webhookd/webhookd/internal/domain"
)

// The stripe format: Stripe's events at API version 2025-11-17.clover (the
// one stripe-go v84 pins), data.object of each. Field names follow Stripe's
// API reference and stripe-go's types; fields a newer version adds are
// ignored.

// StripeAPIVersion is the API version the stripe format reads: set it on
// the endpoint in Stripe's dashboard.
const StripeAPIVersion = "2025-11-17.clover"

type stripeCheckout struct {
	ClientReferenceID string            `json:"client_reference_id"`
	Customer          string            `json:"customer"`
	CustomerEmail     string            `json:"customer_email"`
	Metadata          map[string]string `json:"metadata"`
	CustomerDetails   *struct {
		Email string `json:"email"`
	} `json:"customer_details"`
}

type stripeInvoice struct {
	ID            string `json:"id"`
	AmountPaid    *int64 `json:"amount_paid"`
	AmountDue     int64  `json:"amount_due"`
	Currency      string `json:"currency"`
	Customer      string `json:"customer"`
	CustomerEmail string `json:"customer_email"`
}

type stripePaymentIntent struct {
	ID             string            `json:"id"`
	AmountReceived int64             `json:"amount_received"`
	Amount         int64             `json:"amount"`
	Currency       string            `json:"currency"`
	Customer       string            `json:"customer"`
	Description    string            `json:"description"`
	Metadata       map[string]string `json:"metadata"`
	ReceiptEmail   string            `json:"receipt_email"`
	PaymentDetails *struct {
		OrderReference string `json:"order_reference"`
	} `json:"payment_details"`
	LastPaymentError *struct {
		Message string `json:"message"`
	} `json:"last_payment_error"`
}

type stripeSubscription struct {
	ID                string            `json:"id"`
	Customer          string            `json:"customer"`
	Status            string            `json:"status"`
	CancelAtPeriodEnd *bool             `json:"cancel_at_period_end"`
	Metadata          map[string]string `json:"metadata"`
	Items             struct {
		Data []struct {
			CurrentPeriodEnd int64 `json:"current_period_end"`
			Price            struct {
				ID        string `json:"id"`
				LookupKey string `json:"lookup_key"`
			} `json:"price"`
		} `json:"data"`
	} `json:"items"`
}

type stripeCharge struct {
	ID             string `json:"id"`
	PaymentIntent  string `json:"payment_intent"`
	AmountRefunded int64  `json:"amount_refunded"`
	Currency       string `json:"currency"`
}

type stripeDispute struct {
	ID              string `json:"id"`
	Charge          string `json:"charge"`
	Amount          int64  `json:"amount"`
	Currency        string `json:"currency"`
	Reason          string `json:"reason"`
	EvidenceDetails *struct {
		DueBy int64 `json:"due_by"`
	} `json:"evidence_details"`
}

// stripeStatuses maps a Stripe subscription status to webhookd's.
var stripeStatuses = map[string]domain.SubscriptionStatus{
	"active": domain.SubscriptionActive, "trialing": domain.SubscriptionActive, "past_due": domain.SubscriptionPastDue, "unpaid": domain.SubscriptionPastDue,
	"canceled": domain.SubscriptionEnded, "incomplete_expired": domain.SubscriptionEnded, "incomplete": domain.SubscriptionPending, "paused": domain.SubscriptionPaused,
}

func stripe(s Spec, eventType string, data json.RawMessage) (domain.Event, error) {
	switch eventType {
	case "checkout.session.completed":
		return stripeCheckoutEvent(s, eventType, data)
	case "invoice.paid", "invoice.payment_failed":
		return stripeInvoiceEvent(eventType, data)
	case "payment_intent.succeeded", "payment_intent.payment_failed":
		return stripePaymentIntentEvent(s, eventType, data)
	case "customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted":
		return stripeSubscriptionEvent(s, eventType, data)
	case "charge.refunded":
		var c stripeCharge
		if err := decode(eventType, data, &c); err != nil {
			return nil, err
		}
		if err := required(eventType, [2]string{"payment_intent", c.PaymentIntent}); err != nil {
			return nil, err
		}
		return domain.PaymentRefunded{Refund: domain.Refund{PaymentID: c.PaymentIntent, RefundID: c.ID,
			Amount: c.AmountRefunded, Currency: strings.ToUpper(c.Currency)}}, nil
	case "charge.dispute.created":
		var d stripeDispute
		if err := decode(eventType, data, &d); err != nil {
			return nil, err
		}
		dis := &domain.Dispute{ID: d.ID, ChargeID: d.Charge, Amount: d.Amount, Currency: strings.ToUpper(d.Currency), Reason: d.Reason}
		if d.EvidenceDetails != nil && d.EvidenceDetails.DueBy > 0 {
			due := time.Unix(d.EvidenceDetails.DueBy, 0).UTC()
			dis.DueBy = &due
		}
		return domain.DisputeOpened{Dispute: *dis}, nil
	}
	return nil, nil
}

// stripeCheckoutEvent links the Checkout's customer to the app's user:
// client_reference_id, else metadata, else the customer's email.
func stripeCheckoutEvent(s Spec, eventType string, data json.RawMessage) (domain.Event, error) {
	var c stripeCheckout
	if err := decode(eventType, data, &c); err != nil {
		return nil, err
	}
	email := c.CustomerEmail
	if c.CustomerDetails != nil && c.CustomerDetails.Email != "" {
		email = c.CustomerDetails.Email
	}
	cust := &domain.Customer{UserID: domain.FirstNonEmpty(c.ClientReferenceID, c.Metadata[s.UserIDKey]), CustomerID: c.Customer, Email: email}
	if err := required(eventType, [2]string{"customer", c.Customer}); err != nil {
		return nil, err
	}
	return domain.CustomerLinked{Customer: *cust}, nil
}

func stripeInvoiceEvent(eventType string, data json.RawMessage) (domain.Event, error) {
	var in stripeInvoice
	if err := decode(eventType, data, &in); err != nil {
		return nil, err
	}
	if err := required(eventType, [2]string{"id", in.ID}, [2]string{"customer", in.Customer}, [2]string{"currency", in.Currency}); err != nil {
		return nil, err
	}
	p := &domain.Payment{ID: in.ID, Currency: strings.ToUpper(in.Currency), OncePerPayment: true,
		Customer: domain.Customer{CustomerID: in.Customer, Email: in.CustomerEmail, WaitForLink: true}}
	if eventType == "invoice.payment_failed" {
		p.Amount, p.Reason = in.AmountDue, "the payment for your invoice could not be completed"
		return domain.PaymentFailed{Payment: *p}, nil
	}
	if in.AmountPaid == nil {
		return nil, badData(eventType, "missing amount_paid")
	}
	p.Amount = *in.AmountPaid
	return domain.PaymentSucceeded{Payment: *p}, nil
}

// stripePaymentIntentEvent books a one-off payment; one an invoice made is
// booked by its invoice.paid (or emailed by invoice.payment_failed).
func stripePaymentIntentEvent(s Spec, eventType string, data json.RawMessage) (domain.Event, error) {
	var pi stripePaymentIntent
	if err := decode(eventType, data, &pi); err != nil {
		return nil, err
	}
	if err := required(eventType, [2]string{"id", pi.ID}, [2]string{"currency", pi.Currency}); err != nil {
		return nil, err
	}
	byInvoice := pi.PaymentDetails != nil && strings.HasPrefix(pi.PaymentDetails.OrderReference, "in_") ||
		strings.HasPrefix(pi.Description, "domain.Subscription ") || strings.HasPrefix(pi.Description, "Invoice ")
	p := &domain.Payment{ID: pi.ID, Currency: strings.ToUpper(pi.Currency), OncePerPayment: true, NoCharge: byInvoice,
		Customer: domain.Customer{UserID: pi.Metadata[s.UserIDKey], CustomerID: pi.Customer, Email: pi.ReceiptEmail, WaitForLink: true}}
	if eventType == "payment_intent.payment_failed" {
		p.Amount, p.Reason = pi.Amount, "the payment could not be completed"
		if pi.LastPaymentError != nil && pi.LastPaymentError.Message != "" {
			p.Reason = pi.LastPaymentError.Message
		}
		if byInvoice {
			return domain.PaymentSucceeded{Payment: *p}, nil // nothing: invoice.payment_failed emails
		}
		return domain.PaymentFailed{Payment: *p}, nil
	}
	p.Amount = pi.AmountReceived
	return domain.PaymentSucceeded{Payment: *p}, nil
}

func stripeSubscriptionEvent(s Spec, eventType string, data json.RawMessage) (domain.Event, error) {
	var sub stripeSubscription
	if err := decode(eventType, data, &sub); err != nil {
		return nil, err
	}
	if err := required(eventType, [2]string{"id", sub.ID}, [2]string{"customer", sub.Customer}, [2]string{"status", sub.Status}); err != nil {
		return nil, err
	}
	status, ok := stripeStatuses[sub.Status]
	if !ok {
		return nil, badData(eventType, "unknown subscription status %.40q", sub.Status)
	}
	out := &domain.Subscription{ID: sub.ID, Status: status, CancelAtPeriodEnd: sub.CancelAtPeriodEnd,
		Customer: domain.Customer{UserID: sub.Metadata[s.UserIDKey], CustomerID: sub.Customer, WaitForLink: true}}
	if len(sub.Items.Data) > 0 {
		item := sub.Items.Data[0]
		out.Plan = domain.FirstNonEmpty(item.Price.LookupKey, sub.Metadata["plan"], s.Plans[item.Price.ID], item.Price.ID)
		if item.CurrentPeriodEnd > 0 {
			end := time.Unix(item.CurrentPeriodEnd, 0).UTC()
			out.PeriodEnd = &end
		}
	}
	return domain.SubscriptionChanged{Subscription: *out}, nil
}
