package provider_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/webhookd/webhookd/examples"
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
var stripeCus = provider.Customer{CustomerID: "cus_T5demoQ1x", Email: "demo@example.com", WaitForLink: true}

func stripeSub(status provider.SubscriptionStatus) provider.Event {
	return provider.Event{Kind: provider.SubscriptionChanged, Subscription: &provider.Subscription{ID: "sub_1SdemoAbcD",
		Customer: provider.Customer{CustomerID: "cus_T5demoQ1x", WaitForLink: true}, Plan: "pro", Status: status,
		PeriodEnd: ptime("2025-12-31T08:06:41Z"), CancelAtPeriodEnd: pbool(false)}}
}

func TestFormats(t *testing.T) {
	demo := provider.Customer{UserID: "usr_demo", CustomerID: "cus_demo_8sQ2ZyqkGx", Email: "demo@example.com"}
	sub := func(status provider.SubscriptionStatus, plan, end string, cancel bool) provider.Event {
		return provider.Event{Kind: provider.SubscriptionChanged, Subscription: &provider.Subscription{ID: "sub_demo_Rm41Qc",
			Customer: demo, Plan: plan, Status: status, PeriodEnd: ptime(end), CancelAtPeriodEnd: pbool(cancel)}}
	}
	mail := func(kind provider.Kind, bounce string, permanent bool) provider.Event {
		return provider.Event{Kind: kind, Email: &provider.Email{EmailID: "56761188-7520-42d8-8898-ff6fc54ce618",
			MessageID: "<replace-with-a-message-id@webhookd.local>", To: []string{"demo@example.com"}, BounceType: bounce, Permanent: permanent}}
	}
	for _, tc := range []struct {
		format, eventType string
		want              provider.Event
	}{
		{"dodo", "payment.succeeded", provider.Event{Kind: provider.PaymentSucceeded, Payment: &provider.Payment{
			ID: "pay_demo_Nf7cAx1", Customer: demo, Amount: 1999, Currency: "USD"}}},
		{"dodo", "payment.failed", provider.Event{Kind: provider.PaymentFailed, Payment: &provider.Payment{
			ID: "pay_demo_Kp2wLm9", Customer: demo, Amount: 1999, Currency: "USD",
			Reason: "The card has insufficient funds. Ask the customer to use another card."}}},
		{"dodo", "refund.succeeded", provider.Event{Kind: provider.PaymentRefunded, Refund: &provider.Refund{
			PaymentID: "pay_demo_Nf7cAx1", RefundID: "ref_demo_Z8yq2", Amount: 1999, Currency: "USD"}}},
		{"dodo", "subscription.active", sub(provider.SubscriptionActive, "pro", "2026-12-30T09:12:44Z", false)},
		{"dodo", "subscription.renewed", sub(provider.SubscriptionActive, "pro", "2027-01-30T09:12:44Z", false)},
		{"dodo", "subscription.updated", sub(provider.SubscriptionActive, "pro", "2026-12-30T09:12:44Z", true)},
		{"dodo", "subscription.plan_changed", sub(provider.SubscriptionActive, "business", "2026-12-30T09:12:44Z", false)},
		{"dodo", "subscription.on_hold", sub(provider.SubscriptionPastDue, "pro", "2026-12-30T09:12:44Z", false)},
		{"dodo", "subscription.failed", sub(provider.SubscriptionPastDue, "pro", "2026-12-30T09:12:44Z", false)},
		{"dodo", "subscription.cancelled", sub(provider.SubscriptionEnded, "pro", "2026-12-30T09:12:44Z", false)},
		{"dodo", "subscription.expired", sub(provider.SubscriptionEnded, "pro", "2026-12-30T09:12:44Z", false)},
		{"dodo", "subscription.paused", sub(provider.SubscriptionPaused, "pro", "2026-12-30T09:12:44Z", false)},
		{"resend", "email.delivered", mail(provider.EmailDelivered, "", false)},
		{"resend", "email.opened", mail(provider.EmailOpened, "", false)},
		{"resend", "email.clicked", mail(provider.EmailClicked, "", false)},
		{"resend", "email.bounced", mail(provider.EmailBounced, "Permanent/General", true)},
		{"resend", "email.complained", mail(provider.EmailComplained, "", false)},
		{"resend", "email.suppressed", mail(provider.EmailSuppressed, "", false)},
		{"stripe", "checkout.session.completed", provider.Event{Kind: provider.CustomerLinked, Customer: &provider.Customer{
			UserID: "usr_demo", CustomerID: "cus_T5demoQ1x", Email: "demo@example.com"}}},
		{"stripe", "invoice.paid", provider.Event{Kind: provider.PaymentSucceeded, Payment: &provider.Payment{ID: "in_1SdemoInv01",
			Customer: stripeCus, Amount: 1999, Currency: "USD", OncePerPayment: true}}},
		{"stripe", "invoice.payment_failed", provider.Event{Kind: provider.PaymentFailed, Payment: &provider.Payment{ID: "in_1SdemoInv02",
			Customer: stripeCus, Amount: 1999, Currency: "USD", OncePerPayment: true, Reason: "the payment for your invoice could not be completed"}}},
		{"stripe", "payment_intent.succeeded", provider.Event{Kind: provider.PaymentSucceeded, Payment: &provider.Payment{ID: "pi_3SdemoOneOff",
			Customer: stripeCus, Amount: 4900, Currency: "USD", OncePerPayment: true}}},
		{"stripe", "payment_intent.payment_failed", provider.Event{Kind: provider.PaymentFailed, Payment: &provider.Payment{ID: "pi_3SdemoFailed",
			Customer: stripeCus, Amount: 4900, Currency: "USD", OncePerPayment: true, Reason: "Your card has insufficient funds."}}},
		{"stripe", "customer.subscription.created", stripeSub(provider.SubscriptionActive)},
		{"stripe", "customer.subscription.updated", stripeSub(provider.SubscriptionPastDue)},
		{"stripe", "customer.subscription.deleted", stripeSub(provider.SubscriptionEnded)},
		{"stripe", "charge.refunded", provider.Event{Kind: provider.PaymentRefunded, Refund: &provider.Refund{
			PaymentID: "pi_3SdemoOneOff", RefundID: "ch_3SdemoOneOff", Amount: 4900, Currency: "USD"}}},
		{"stripe", "charge.dispute.created", provider.Event{Kind: provider.DisputeOpened, Dispute: &provider.Dispute{
			ID: "du_1SdemoDisp", ChargeID: "ch_3SdemoOneOff", Amount: 4900, Currency: "USD", Reason: "fraudulent", DueBy: ptime("2025-12-09T23:59:59Z")}}},
		{"generic", "payment.succeeded", provider.Event{Kind: provider.PaymentSucceeded, Payment: &provider.Payment{
			ID: "pay_demo_001", Customer: provider.Customer{UserID: "usr_demo"}, Amount: 1999, Currency: "USD"}}},
	} {
		t.Run(tc.format+" "+tc.eventType, func(t *testing.T) {
			data, err := examples.Data(tc.format, tc.eventType)
			if err != nil {
				t.Fatal(err)
			}
			got, handled, err := provider.Spec{Format: tc.format}.Normalize(tc.eventType, data)
			if err != nil || !handled {
				t.Fatalf("normalize: handled %v, %v", handled, err)
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
		if n := len(examples.Types(format)); n != map[string]int{"dodo": 12, "resend": 6, "stripe": 10}[format] {
			t.Errorf("%s has %d examples; add the new ones to the table", format, n)
		}
	}
}

func TestFormatEdges(t *testing.T) {
	dodo := provider.Spec{Format: "dodo", Plans: map[string]string{"pdt_team": "team"}}
	for _, tc := range []struct {
		name, eventType, data string
		check                 func(t *testing.T, ev provider.Event, handled bool, err error)
	}{
		{"zero-amount payment-method update records nothing", "payment.succeeded",
			`{"payment_id":"pay_1","total_amount":0,"currency":"USD","is_update_payment_method":true,"customer":{"customer_id":"cus_1","email":"a@b.c"},"metadata":{}}`,
			func(t *testing.T, ev provider.Event, _ bool, err error) {
				if err != nil || !ev.Payment.NoCharge {
					t.Errorf("%+v, %v; want NoCharge", ev.Payment, err)
				}
			}},
		{"numeric user id in metadata", "payment.succeeded",
			`{"payment_id":"pay_1","total_amount":100,"currency":"eur","customer":{"customer_id":"cus_1"},"metadata":{"user_id":42}}`,
			func(t *testing.T, ev provider.Event, _ bool, err error) {
				if err != nil || ev.Payment.Customer.UserID != "42" || ev.Payment.Currency != "EUR" {
					t.Errorf("%+v, %v", ev.Payment, err)
				}
			}},
		{"missing payment_id names the field", "payment.succeeded", `{"total_amount":100,"currency":"USD"}`,
			func(t *testing.T, _ provider.Event, _ bool, err error) {
				if !errors.Is(err, provider.ErrBadData) || !strings.Contains(err.Error(), "payment_id") {
					t.Errorf("err = %v", err)
				}
			}},
		{"plan from the product map", "subscription.active",
			`{"subscription_id":"sub_1","status":"active","product_id":"pdt_team","customer":{"customer_id":"cus_1"},"metadata":{}}`,
			func(t *testing.T, ev provider.Event, _ bool, err error) {
				if err != nil || ev.Subscription.Plan != "team" {
					t.Errorf("%+v, %v", ev.Subscription, err)
				}
			}},
		{"plan falls back to the product id", "subscription.active",
			`{"subscription_id":"sub_1","status":"active","product_id":"pdt_other","customer":{"customer_id":"cus_1"},"metadata":{}}`,
			func(t *testing.T, ev provider.Event, _ bool, err error) {
				if err != nil || ev.Subscription.Plan != "pdt_other" {
					t.Errorf("%+v, %v", ev.Subscription, err)
				}
			}},
		{"unknown subscription status is bad data", "subscription.updated", `{"subscription_id":"sub_1","status":"weird"}`,
			func(t *testing.T, _ provider.Event, _ bool, err error) {
				if !errors.Is(err, provider.ErrBadData) {
					t.Errorf("err = %v", err)
				}
			}},
		{"an unhandled type is ignored", "payout.success", `{"payout_id":"po_1"}`,
			func(t *testing.T, _ provider.Event, handled bool, err error) {
				if handled || err != nil {
					t.Errorf("handled %v, %v; want ignored", handled, err)
				}
			}},
		{"generic shapes still work", "subscription.created", `{"userId":"usr_demo","subscriptionId":"sub_1","plan":"pro"}`,
			func(t *testing.T, ev provider.Event, _ bool, err error) {
				if err != nil || ev.Subscription.Status != provider.SubscriptionActive || ev.Subscription.Customer.UserID != "usr_demo" {
					t.Errorf("%+v, %v", ev.Subscription, err)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev, handled, err := dodo.Normalize(tc.eventType, json.RawMessage(tc.data))
			tc.check(t, ev, handled, err)
		})
	}
	// Stripe: a payment intent an invoice made is booked by the invoice.
	ev, _, err := provider.Spec{Format: "stripe"}.Normalize("payment_intent.succeeded",
		json.RawMessage(`{"id":"pi_1","amount_received":1999,"currency":"usd","customer":"cus_1","payment_details":{"order_reference":"in_1"}}`))
	if err != nil || !ev.Payment.NoCharge {
		t.Errorf("invoice payment intent = %+v, %v; want NoCharge", ev.Payment, err)
	}
	// Resend: a transient bounce is recorded without invalidating.
	ev, _, err = provider.Spec{Format: "resend"}.Normalize("email.bounced",
		json.RawMessage(`{"email_id":"e1","to":["a@b.c","d@e.f"],"bounce":{"type":"Transient","subType":"MailboxFull"}}`))
	if err != nil || ev.Email.Permanent || ev.Email.BounceType != "Transient/MailboxFull" || len(ev.Email.To) != 2 {
		t.Errorf("transient bounce = %+v, %v", ev.Email, err)
	}
}
