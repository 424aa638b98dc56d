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
	ID                string            `json:"id"`
	Mode              string            `json:"mode"`
	PaymentStatus     string            `json:"payment_status"`
	PaymentIntent     string            `json:"payment_intent"`
	AmountTotal       *int64            `json:"amount_total"`
	Currency          string            `json:"currency"`
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
		Data []stripeItem `json:"data"`
	} `json:"items"`
}

type stripeItem struct {
	CurrentPeriodEnd int64 `json:"current_period_end"`
	Price            struct {
		ID        string `json:"id"`
		LookupKey string `json:"lookup_key"`
		Product   string `json:"product"`
		Recurring *struct {
			UsageType string `json:"usage_type"`
		} `json:"recurring"`
	} `json:"price"`
}

type stripeInvoicePayment struct {
	Invoice string `json:"invoice"`
	Payment struct {
		Type          string `json:"type"`
		PaymentIntent string `json:"payment_intent"`
	} `json:"payment"`
}

type stripeRefund struct {
	ID            string `json:"id"`
	Amount        *int64 `json:"amount"`
	Charge        string `json:"charge"`
	PaymentIntent string `json:"payment_intent"`
	Currency      string `json:"currency"`
	Status        string `json:"status"`
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
	Status          string `json:"status"`
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
	case "checkout.session.completed", "checkout.session.async_payment_succeeded", "checkout.session.async_payment_failed":
		return stripeCheckoutEvent(s, eventType, data)
	case "invoice.paid", "invoice.payment_failed":
		return stripeInvoiceEvent(eventType, data)
	case "invoice_payment.paid":
		var ip stripeInvoicePayment
		if err := decode(eventType, data, &ip); err != nil {
			return nil, err
		}
		if err := required(eventType, [2]string{"invoice", ip.Invoice}); err != nil || ip.Payment.PaymentIntent == "" {
			return nil, err // paid out of band: no PaymentIntent to name
		}
		return domain.PaymentReferenced{Reference: domain.Reference{PaymentID: ip.Invoice, Ref: ip.Payment.PaymentIntent}}, nil
	case "payment_intent.succeeded", "payment_intent.payment_failed":
		return stripePaymentIntentEvent(s, eventType, data)
	case "customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted":
		return stripeSubscriptionEvent(s, eventType, data)
	case "charge.refunded":
		return stripeChargeRefunded(eventType, data)
	case "refund.created", "refund.updated", "refund.failed":
		return stripeRefundEvent(eventType, data)
	case "charge.dispute.created", "charge.dispute.closed":
		return stripeDisputeEvent(eventType, data)
	}
	return nil, nil
}

// stripeChargeRefunded is the running total refunded on a charge
// (amount_refunded; clover's charge carries no refunds list), on the
// payment of its PaymentIntent.
func stripeChargeRefunded(eventType string, data json.RawMessage) (domain.Event, error) {
	c, cur, err := decodeMoney(eventType, data, func(c *stripeCharge) (string, [][2]string) {
		return c.Currency, [][2]string{{"id", c.ID}, {"payment_intent", c.PaymentIntent}}
	})
	if err != nil {
		return nil, err
	}
	if c.AmountRefunded < 0 {
		return nil, badData(eventType, "negative amount_refunded")
	}
	return domain.PaymentRefunded{Refund: domain.Refund{PaymentID: c.PaymentIntent, RefundID: "charge:" + c.ID,
		Amount: c.AmountRefunded, Currency: cur, RunningTotal: true}}, nil
}

// stripeRefundEvent is one refund, on the payment of its PaymentIntent
// (else its charge); its status decides whether it counts.
func stripeRefundEvent(eventType string, data json.RawMessage) (domain.Event, error) {
	r, cur, err := decodeMoney(eventType, data, func(r *stripeRefund) (string, [][2]string) {
		return r.Currency, [][2]string{{"id", r.ID}, {"payment_intent", domain.FirstNonEmpty(r.PaymentIntent, r.Charge)}}
	})
	if err != nil {
		return nil, err
	}
	payment := domain.FirstNonEmpty(r.PaymentIntent, r.Charge)
	if r.Amount == nil || *r.Amount < 0 {
		return nil, badData(eventType, "missing or negative amount")
	}
	status := domain.FirstNonEmpty(r.Status, "succeeded")
	if status == "requires_action" {
		status = "pending"
	}
	return domain.PaymentRefunded{Refund: domain.Refund{PaymentID: payment, RefundID: r.ID, Amount: *r.Amount, Currency: cur, Status: status}}, nil
}

// stripeDisputeEvent: a dispute opened, or closed (won, lost or
// warning_closed).
func stripeDisputeEvent(eventType string, data json.RawMessage) (domain.Event, error) {
	d, cur, err := decodeMoney(eventType, data, func(d *stripeDispute) (string, [][2]string) {
		return d.Currency, [][2]string{{"id", d.ID}}
	})
	if err != nil {
		return nil, err
	}
	dis := domain.Dispute{ID: d.ID, ChargeID: d.Charge, Amount: d.Amount, Currency: cur, Reason: d.Reason}
	if d.EvidenceDetails != nil && d.EvidenceDetails.DueBy > 0 {
		due := time.Unix(d.EvidenceDetails.DueBy, 0).UTC()
		dis.DueBy = &due
	}
	if eventType == "charge.dispute.closed" {
		dis.Outcome = domain.FirstNonEmpty(d.Status, "closed")
		return domain.DisputeClosed{Dispute: dis}, nil
	}
	return domain.DisputeOpened{Dispute: dis}, nil
}

// stripeCheckoutEvent: a Checkout in subscription mode (or one not yet
// paid) links its customer to the app's user; one in payment mode that is
// paid books the sale (the PaymentIntent is the payment's id, so its own
// payment_intent.succeeded books nothing twice), for the user named by
// client_reference_id, else the metadata, else the customer's email. With
// Stripe's default customer_creation if_required a one-off sale has no
// customer at all.
func stripeCheckoutEvent(s Spec, eventType string, data json.RawMessage) (domain.Event, error) {
	var c stripeCheckout
	if err := decode(eventType, data, &c); err != nil {
		return nil, err
	}
	email := c.CustomerEmail
	if c.CustomerDetails != nil && c.CustomerDetails.Email != "" {
		email = c.CustomerDetails.Email
	}
	cust := domain.Customer{UserID: domain.FirstNonEmpty(c.ClientReferenceID, c.Metadata[s.UserIDKey]), CustomerID: c.Customer, Email: email}
	paid := c.PaymentStatus == "paid" || c.PaymentStatus == "no_payment_required"
	failed := eventType == "checkout.session.async_payment_failed"
	if c.Mode == "payment" && (paid || failed) {
		if err := required(eventType, [2]string{"payment_intent", c.PaymentIntent}); err != nil {
			return nil, err
		}
		if cust.UserID == "" && cust.CustomerID == "" && cust.Email == "" {
			return nil, badData(eventType, "names no user: no client_reference_id, metadata %s, customer or email", s.UserIDKey)
		}
		cur, err := currencyCode(eventType, c.Currency)
		if err != nil {
			return nil, err
		}
		if c.AmountTotal == nil || *c.AmountTotal < 0 {
			return nil, badData(eventType, "missing or negative amount_total")
		}
		p := domain.Payment{ID: c.PaymentIntent, Customer: cust, Amount: *c.AmountTotal, Currency: cur, OncePerPayment: true}
		if failed {
			p.Reason = "the payment could not be completed"
			return domain.PaymentFailed{Payment: p}, nil
		}
		return domain.PaymentSucceeded{Payment: p}, nil
	}
	if c.Customer == "" && (c.Mode == "payment" || failed) {
		return nil, nil // an unpaid one-off sale without a customer: its async result books it
	}
	if err := required(eventType, [2]string{"customer", c.Customer}); err != nil {
		return nil, err
	}
	return domain.CustomerLinked{Customer: cust}, nil
}

func stripeInvoiceEvent(eventType string, data json.RawMessage) (domain.Event, error) {
	in, cur, err := decodeMoney(eventType, data, func(in *stripeInvoice) (string, [][2]string) {
		return in.Currency, [][2]string{{"id", in.ID}, {"customer", in.Customer}, {"currency", in.Currency}}
	})
	if err != nil {
		return nil, err
	}
	p := &domain.Payment{ID: in.ID, Currency: cur, OncePerPayment: true,
		Customer: domain.Customer{CustomerID: in.Customer, Email: in.CustomerEmail, WaitForLink: true}}
	if eventType == "invoice.payment_failed" {
		p.Amount, p.Reason = in.AmountDue, "the payment for your invoice could not be completed"
		return domain.PaymentFailed{Payment: *p}, nil
	}
	if in.AmountPaid == nil || *in.AmountPaid < 0 {
		return nil, badData(eventType, "missing or negative amount_paid")
	}
	p.Amount = *in.AmountPaid
	return domain.PaymentSucceeded{Payment: *p}, nil
}

// stripePaymentIntentEvent books a one-off payment; one an invoice made is
// booked by its invoice.paid (or emailed by invoice.payment_failed).
func stripePaymentIntentEvent(s Spec, eventType string, data json.RawMessage) (domain.Event, error) {
	pi, cur, err := decodeMoney(eventType, data, func(pi *stripePaymentIntent) (string, [][2]string) {
		return pi.Currency, [][2]string{{"id", pi.ID}, {"currency", pi.Currency}}
	})
	if err != nil {
		return nil, err
	}
	invoice := ""
	if pi.PaymentDetails != nil && strings.HasPrefix(pi.PaymentDetails.OrderReference, "in_") {
		invoice = pi.PaymentDetails.OrderReference
	}
	byInvoice := invoice != "" || strings.HasPrefix(pi.Description, "Subscription ") || strings.HasPrefix(pi.Description, "Invoice ")
	cust := domain.Customer{UserID: pi.Metadata[s.UserIDKey], CustomerID: pi.Customer, Email: pi.ReceiptEmail, WaitForLink: true}
	// A PaymentIntent that names nobody is a Checkout's (one-off, no
	// customer): its checkout.session.completed books it.
	namesNobody := cust.UserID == "" && cust.CustomerID == "" && cust.Email == ""
	if invoice != "" && eventType == "payment_intent.succeeded" {
		return domain.PaymentReferenced{Reference: domain.Reference{PaymentID: invoice, Ref: pi.ID}}, nil
	}
	p := &domain.Payment{ID: pi.ID, Currency: cur, OncePerPayment: true, NoCharge: byInvoice || namesNobody, Customer: cust}
	if eventType == "payment_intent.payment_failed" {
		p.Amount, p.Reason = pi.Amount, "the payment could not be completed"
		if pi.LastPaymentError != nil && pi.LastPaymentError.Message != "" {
			p.Reason = pi.LastPaymentError.Message
		}
		if p.NoCharge {
			return domain.PaymentSucceeded{Payment: *p}, nil // nothing: invoice.payment_failed or the Checkout tells
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
	if item, others := stripePlanItem(s, sub.Items.Data); item != nil {
		out.Plan = domain.FirstNonEmpty(s.Plans[item.Price.ID], s.Plans[item.Price.Product], item.Price.LookupKey, sub.Metadata["plan"], item.Price.ID)
		out.OtherPlans = others
		if item.CurrentPeriodEnd > 0 {
			end := time.Unix(item.CurrentPeriodEnd, 0).UTC()
			out.PeriodEnd = &end
		}
	}
	return domain.SubscriptionChanged{Subscription: *out}, nil
}

// stripePlanItem is the item of a subscription that is its plan: the one
// whose price (or product) is in the provider's plans map, else the one
// with a lookup_key, else the first licensed one (not metered), else the
// first. others are the price ids of the other items that were as good a
// choice by the same rule (the choice is logged when there are any).
func stripePlanItem(s Spec, items []stripeItem) (plan *stripeItem, others []string) {
	rules := []func(it stripeItem) bool{
		func(it stripeItem) bool { return s.Plans[it.Price.ID] != "" || s.Plans[it.Price.Product] != "" },
		func(it stripeItem) bool { return it.Price.LookupKey != "" },
		func(it stripeItem) bool {
			return it.Price.Recurring == nil || it.Price.Recurring.UsageType != "metered"
		},
		func(stripeItem) bool { return true },
	}
	for _, rule := range rules {
		for i := range items {
			if !rule(items[i]) {
				continue
			}
			if plan == nil {
				plan = &items[i]
			} else {
				others = append(others, items[i].Price.ID)
			}
		}
		if plan != nil {
			return plan, others
		}
	}
	return nil, nil
}
