package provider_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/webhookd/webhookd/examples"
	"github.com/webhookd/webhookd/internal/domain"
	"github.com/webhookd/webhookd/internal/provider"
)

func ptime(s string) *time.Time {
	t, _ := time.Parse(time.RFC3339, s)
	return &t
}

func pbool(b bool) *bool { return &b }

// Every handled type of each format, from the examples built from the
// providers' published types (the same `webhookd send` posts), to the
// domain event webhookd applies.
var stripeCus = domain.Customer{CustomerID: "cus_T5demoQ1x", Email: "demo@example.com", WaitForLink: true}

func stripeSub(status domain.SubscriptionStatus) domain.Event {
	return domain.SubscriptionChanged{Subscription: domain.Subscription{ID: "sub_1SdemoAbcD",
		Customer: domain.Customer{CustomerID: "cus_T5demoQ1x", WaitForLink: true}, Plan: "pro", Status: status,
		PeriodEnd: ptime("2025-12-31T08:06:41Z"), CancelAtPeriodEnd: pbool(false)}}
}

func TestFormats(t *testing.T) {
	demo := domain.Customer{UserID: "usr_demo", CustomerID: "cus_demo_8sQ2ZyqkGx", Email: "demo@example.com", CreateUser: true}
	sub := func(status domain.SubscriptionStatus, plan, end string, cancel bool) domain.Event {
		return domain.SubscriptionChanged{Subscription: domain.Subscription{ID: "sub_demo_Rm41Qc",
			Customer: demo, Plan: plan, Status: status, PeriodEnd: ptime(end), CancelAtPeriodEnd: pbool(cancel)}}
	}
	mail := func(kind domain.Kind, bounce string, permanent bool) domain.Event {
		return domain.EmailNews{News: kind, Email: domain.Email{EmailID: "56761188-7520-42d8-8898-ff6fc54ce618",
			MessageID: "<replace-with-a-message-id@webhookd.local>", To: []string{"demo@example.com"}, BounceType: bounce, Permanent: permanent}}
	}
	for _, tc := range []struct {
		format, eventType string
		want              domain.Event
	}{
		{"dodo", "payment.succeeded", domain.PaymentSucceeded{Payment: domain.Payment{
			ID: "pay_demo_Nf7cAx1", Customer: demo, Amount: 1999, Currency: "USD"}}},
		{"dodo", "payment.failed", domain.PaymentFailed{Payment: domain.Payment{
			ID: "pay_demo_Kp2wLm9", Customer: demo, Amount: 1999, Currency: "USD",
			Reason: "The card has insufficient funds. Ask the customer to use another card."}}},
		{"dodo", "refund.succeeded", domain.PaymentRefunded{Refund: domain.Refund{
			PaymentID: "pay_demo_Nf7cAx1", RefundID: "ref_demo_Z8yq2", Amount: 1999, Currency: "USD", Status: "succeeded"}}},
		{"dodo", "subscription.active", sub(domain.SubscriptionActive, "pro", "2026-12-30T09:12:44Z", false)},
		{"dodo", "subscription.renewed", sub(domain.SubscriptionActive, "pro", "2027-01-30T09:12:44Z", false)},
		{"dodo", "subscription.updated", sub(domain.SubscriptionActive, "pro", "2026-12-30T09:12:44Z", true)},
		{"dodo", "subscription.plan_changed", sub(domain.SubscriptionActive, "business", "2026-12-30T09:12:44Z", false)},
		{"dodo", "subscription.on_hold", sub(domain.SubscriptionPastDue, "pro", "2026-12-30T09:12:44Z", false)},
		{"dodo", "subscription.failed", sub(domain.SubscriptionPastDue, "pro", "2026-12-30T09:12:44Z", false)},
		{"dodo", "subscription.cancelled", sub(domain.SubscriptionEnded, "pro", "2026-12-30T09:12:44Z", false)},
		{"dodo", "subscription.expired", sub(domain.SubscriptionEnded, "pro", "2026-12-30T09:12:44Z", false)},
		{"dodo", "subscription.paused", sub(domain.SubscriptionPaused, "pro", "2026-12-30T09:12:44Z", false)},
		{"resend", "email.delivered", mail(domain.KindEmailDelivered, "", false)},
		{"resend", "email.opened", mail(domain.KindEmailOpened, "", false)},
		{"resend", "email.clicked", mail(domain.KindEmailClicked, "", false)},
		{"resend", "email.bounced", mail(domain.KindEmailBounced, "Permanent/General", true)},
		{"resend", "email.complained", mail(domain.KindEmailComplained, "", false)},
		{"resend", "email.suppressed", mail(domain.KindEmailSuppressed, "", false)},
		{"stripe", "checkout.session.completed", domain.CustomerLinked{Customer: domain.Customer{
			UserID: "usr_demo", CustomerID: "cus_T5demoQ1x", Email: "demo@example.com", CreateUser: true}}},
		{"stripe", "invoice.paid", domain.PaymentSucceeded{Payment: domain.Payment{ID: "in_1SdemoInv01",
			Customer: stripeCus, Amount: 1999, Currency: "USD", OncePerPayment: true}}},
		{"stripe", "invoice.payment_failed", domain.PaymentFailed{Payment: domain.Payment{ID: "in_1SdemoInv02",
			Customer: stripeCus, Amount: 1999, Currency: "USD", OncePerPayment: true, Reason: "the payment for your invoice could not be completed"}}},
		{"stripe", "payment_intent.succeeded", domain.PaymentSucceeded{Payment: domain.Payment{ID: "pi_3SdemoOneOff",
			Customer: stripeCus, Amount: 4900, Currency: "USD", OncePerPayment: true}}},
		{"stripe", "payment_intent.payment_failed", domain.PaymentFailed{Payment: domain.Payment{ID: "pi_3SdemoFailed",
			Customer: stripeCus, Amount: 4900, Currency: "USD", OncePerPayment: true, Reason: "Your card has insufficient funds."}}},
		{"stripe", "customer.subscription.created", stripeSub(domain.SubscriptionActive)},
		{"stripe", "customer.subscription.updated", stripeSub(domain.SubscriptionPastDue)},
		{"stripe", "customer.subscription.deleted", stripeSub(domain.SubscriptionEnded)},
		{"stripe", "charge.refunded", domain.PaymentRefunded{Refund: domain.Refund{
			PaymentID: "pi_3SdemoOneOff", RefundID: "charge:ch_3SdemoOneOff", Amount: 4900, Currency: "USD", RunningTotal: true}}},
		{"stripe", "charge.dispute.created", domain.DisputeOpened{Dispute: domain.Dispute{
			ID: "du_1SdemoDisp", ChargeID: "ch_3SdemoOneOff", Amount: 4900, Currency: "USD", Reason: "fraudulent", DueBy: ptime("2025-12-09T23:59:59Z")}}},
		{"stripe", "charge.dispute.closed", domain.DisputeClosed{Dispute: domain.Dispute{
			ID: "du_1SdemoDisp", ChargeID: "ch_3SdemoOneOff", Amount: 4900, Currency: "USD", Reason: "fraudulent", Outcome: "won", DueBy: ptime("2025-12-09T23:59:59Z")}}},
		{"stripe", "refund.created", domain.PaymentRefunded{Refund: domain.Refund{
			PaymentID: "pi_3SdemoOneOff", RefundID: "re_3SdemoOneOff", Amount: 4900, Currency: "USD", Status: "succeeded"}}},
		{"stripe", "checkout.session.async_payment_succeeded", domain.PaymentSucceeded{Payment: domain.Payment{ID: "pi_3SdemoAsync",
			Customer: domain.Customer{UserID: "usr_demo", Email: "demo@example.com", CreateUser: true}, Amount: 2599, Currency: "USD", OncePerPayment: true}}},
		{"dodo", "dispute.opened", domain.DisputeOpened{Dispute: domain.Dispute{
			ID: "dsp_demo_Q1", ChargeID: "pay_demo_Nf7cAx1", Amount: 1999, Currency: "USD", Reason: "dispute"}}},
		{"dodo", "dispute.won", domain.DisputeClosed{Dispute: domain.Dispute{
			ID: "dsp_demo_Q1", ChargeID: "pay_demo_Nf7cAx1", Amount: 1999, Currency: "USD", Outcome: "won", Reason: "Issuer ruled in the merchant's favour"}}},
		{"generic", "payment.succeeded", domain.PaymentSucceeded{Payment: domain.Payment{
			ID: "pay_demo_001", Customer: domain.Customer{UserID: "usr_demo"}, Amount: 1999, Currency: "USD"}}},
	} {
		t.Run(tc.format+" "+tc.eventType, func(t *testing.T) {
			data, err := examples.Data(tc.format, tc.eventType)
			if err != nil {
				t.Fatal(err)
			}
			got, err := provider.Spec{Format: tc.format}.Normalize(tc.eventType, data)
			if err != nil || got == nil {
				t.Fatalf("normalize: %v, %v", got, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				g, _ := json.Marshal(got)
				w, _ := json.Marshal(tc.want)
				t.Errorf("got  %s\nwant %s", g, w)
			}
		})
	}
	// Every example of a format is in the table above.
	for _, format := range []string{"dodo", "resend", "stripe"} {
		if n := len(examples.Types(format)); n != map[string]int{"dodo": 14, "resend": 6, "stripe": 13}[format] {
			t.Errorf("%s has %d examples; add the new ones to the table", format, n)
		}
	}
}

func TestFormatEdges(t *testing.T) {
	dodo := provider.Spec{Format: "dodo", Plans: map[string]string{"pdt_team": "team"}}
	for _, tc := range []struct {
		name, eventType, data string
		check                 func(t *testing.T, ev domain.Event, err error)
	}{
		{"zero-amount payment-method update records nothing", "payment.succeeded",
			`{"payment_id":"pay_1","total_amount":0,"currency":"USD","is_update_payment_method":true,"customer":{"customer_id":"cus_1","email":"a@b.c"},"metadata":{}}`,
			func(t *testing.T, ev domain.Event, err error) {
				if err != nil || !payment(ev).NoCharge {
					t.Errorf("%+v, %v; want NoCharge", payment(ev), err)
				}
			}},
		{"numeric user id in metadata", "payment.succeeded",
			`{"payment_id":"pay_1","total_amount":100,"currency":"eur","customer":{"customer_id":"cus_1"},"metadata":{"user_id":42}}`,
			func(t *testing.T, ev domain.Event, err error) {
				if err != nil || payment(ev).Customer.UserID != "42" || payment(ev).Currency != "EUR" {
					t.Errorf("%+v, %v", payment(ev), err)
				}
			}},
		{"missing payment_id names the field", "payment.succeeded", `{"total_amount":100,"currency":"USD"}`,
			func(t *testing.T, _ domain.Event, err error) {
				if !errors.Is(err, domain.ErrBadData) || !strings.Contains(err.Error(), "payment_id") {
					t.Errorf("err = %v", err)
				}
			}},
		{"plan from the product map", "subscription.active",
			`{"subscription_id":"sub_1","status":"active","product_id":"pdt_team","customer":{"customer_id":"cus_1"},"metadata":{}}`,
			func(t *testing.T, ev domain.Event, err error) {
				if err != nil || subscription(ev).Plan != "team" {
					t.Errorf("%+v, %v", subscription(ev), err)
				}
			}},
		{"plan falls back to the product id", "subscription.active",
			`{"subscription_id":"sub_1","status":"active","product_id":"pdt_other","customer":{"customer_id":"cus_1"},"metadata":{}}`,
			func(t *testing.T, ev domain.Event, err error) {
				if err != nil || subscription(ev).Plan != "pdt_other" {
					t.Errorf("%+v, %v", subscription(ev), err)
				}
			}},
		{"unknown subscription status is bad data", "subscription.updated", `{"subscription_id":"sub_1","status":"weird"}`,
			func(t *testing.T, _ domain.Event, err error) {
				if !errors.Is(err, domain.ErrBadData) {
					t.Errorf("err = %v", err)
				}
			}},
		{"an unhandled type is ignored", "payout.success", `{"payout_id":"po_1"}`,
			func(t *testing.T, ev domain.Event, err error) {
				if ev != nil || err != nil {
					t.Errorf("%v, %v; want ignored", ev, err)
				}
			}},
		{"generic shapes still work", "subscription.created", `{"userId":"usr_demo","subscriptionId":"sub_1","plan":"pro"}`,
			func(t *testing.T, ev domain.Event, err error) {
				if err != nil || subscription(ev).Status != domain.SubscriptionActive || subscription(ev).Customer.UserID != "usr_demo" {
					t.Errorf("%+v, %v", subscription(ev), err)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := dodo.Normalize(tc.eventType, json.RawMessage(tc.data))
			tc.check(t, ev, err)
		})
	}
	// Stripe: a payment intent an invoice made is booked by the invoice,
	// and names it for the refunds that name the payment intent.
	ev, err := provider.Spec{Format: "stripe"}.Normalize("payment_intent.succeeded",
		json.RawMessage(`{"id":"pi_1","amount_received":1999,"currency":"usd","customer":"cus_1","payment_details":{"order_reference":"in_1"}}`))
	if ref, ok := ev.(domain.PaymentReferenced); err != nil || !ok || ref.PaymentID != "in_1" || ref.Ref != "pi_1" {
		t.Errorf("invoice payment intent = %+v, %v; want in_1 referenced as pi_1", ev, err)
	}
	ev, err = provider.Spec{Format: "stripe"}.Normalize("payment_intent.payment_failed",
		json.RawMessage(`{"id":"pi_1","amount":1999,"currency":"usd","customer":"cus_1","payment_details":{"order_reference":"in_1"}}`))
	if err != nil || !payment(ev).NoCharge {
		t.Errorf("failed invoice payment intent = %+v, %v; want NoCharge", payment(ev), err)
	}
	// Resend: a transient bounce is recorded without invalidating.
	ev, err = provider.Spec{Format: "resend"}.Normalize("email.bounced",
		json.RawMessage(`{"email_id":"e1","to":["a@b.c","d@e.f"],"bounce":{"type":"Transient","subType":"MailboxFull"}}`))
	mail, _ := ev.(domain.EmailNews)
	if err != nil || mail.Permanent || mail.BounceType != "Transient/MailboxFull" || len(mail.To) != 2 {
		t.Errorf("transient bounce = %+v, %v", mail, err)
	}
}

// payment is the payment of a payment event; zero for another kind.
func payment(ev domain.Event) domain.Payment {
	switch e := ev.(type) {
	case domain.PaymentSucceeded:
		return e.Payment
	case domain.PaymentFailed:
		return e.Payment
	}
	return domain.Payment{}
}

func subscription(ev domain.Event) domain.Subscription {
	s, _ := ev.(domain.SubscriptionChanged)
	return s.Subscription
}
