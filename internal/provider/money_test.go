package provider_test

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/webhookd/webhookd/internal/domain"
	"github.com/webhookd/webhookd/internal/provider"
)

// fixture normalizes a whole delivery of testdata/money (built from
// stripe-go v84 and dodopayments-go's types; see SOURCES.md there).
func fixture(t *testing.T, name string) (domain.Event, error) {
	t.Helper()
	raw, err := os.ReadFile("testdata/money/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var env struct {
		Type string          `json:"type"`
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		t.Fatal(err)
	}
	format, data := "dodo", env.Data
	if strings.HasPrefix(name, "stripe_") {
		var d struct {
			Object json.RawMessage `json:"object"`
		}
		if err := json.Unmarshal(env.Data, &d); err != nil {
			t.Fatal(err)
		}
		format, data = "stripe", d.Object
	}
	return provider.Spec{Format: format}.Normalize(env.Type, data)
}

func TestMoneyPaths(t *testing.T) {
	buyer := domain.Customer{UserID: "user_42", Email: "buyer@example.com", CreateUser: true}
	for _, tc := range []struct {
		file string
		want domain.Event
	}{
		// One-off Checkout without a customer: booked by the session, under
		// the PaymentIntent, for client_reference_id.
		{"stripe_checkout.session.completed.payment.json", domain.PaymentSucceeded{Payment: domain.Payment{
			ID: "pi_3SmoneyOneOff01", Customer: buyer, Amount: 2599, Currency: "USD", OncePerPayment: true}}},
		{"stripe_checkout.session.async_payment_succeeded.json", domain.PaymentSucceeded{Payment: domain.Payment{
			ID: "pi_3SmoneyAsync02", Customer: buyer, Amount: 2599, Currency: "USD", OncePerPayment: true}}},
		{"stripe_checkout.session.async_payment_failed.json", domain.PaymentFailed{Payment: domain.Payment{
			ID: "pi_3SmoneyAsync03", Customer: buyer, Amount: 2599, Currency: "USD", OncePerPayment: true, Reason: "the payment could not be completed"}}},
		// Its PaymentIntent names nobody: nothing to book, nothing to fail.
		{"stripe_payment_intent.succeeded.checkout.json", domain.PaymentSucceeded{Payment: domain.Payment{
			ID: "pi_3SmoneyOneOff01", Customer: domain.Customer{WaitForLink: true}, Amount: 2599, Currency: "USD", OncePerPayment: true, NoCharge: true}}},
		// An invoice's payment is named by its PaymentIntent too.
		{"stripe_invoice_payment.paid.json", domain.PaymentReferenced{Reference: domain.Reference{PaymentID: "in_1SmoneyInv01", Ref: "pi_3SmoneySubPI01"}}},
		{"stripe_charge.refunded.partial.json", domain.PaymentRefunded{Refund: domain.Refund{
			PaymentID: "pi_3SmoneySubPI01", RefundID: "charge:ch_3SmoneySubChg01", Amount: 2000, Currency: "USD", RunningTotal: true}}},
		{"stripe_refund.created.json", domain.PaymentRefunded{Refund: domain.Refund{
			PaymentID: "pi_3SmoneySubPI01", RefundID: "re_3SmoneySubRef01", Amount: 2000, Currency: "USD", Status: "succeeded"}}},
		{"dodo_refund.succeeded.500.json", domain.PaymentRefunded{Refund: domain.Refund{
			PaymentID: "pay_money_Jpy1500", RefundID: "ref_money_Jpy500", Amount: 500, Currency: "JPY", Status: "succeeded"}}},
		{"dodo_refund.succeeded.300.json", domain.PaymentRefunded{Refund: domain.Refund{
			PaymentID: "pay_money_Jpy1500", RefundID: "ref_money_Jpy300", Amount: 300, Currency: "JPY", Status: "succeeded"}}},
		{"dodo_dispute.opened.json", domain.DisputeOpened{Dispute: domain.Dispute{
			ID: "dsp_money_Jp1", ChargeID: "pay_money_Jpy1500", Amount: 700, Currency: "JPY", Reason: "dispute"}}},
	} {
		got, err := fixture(t, tc.file)
		g, _ := json.Marshal(domain.JSON{Event: got})
		w, _ := json.Marshal(domain.JSON{Event: tc.want})
		if err != nil || string(g) != string(w) {
			t.Errorf("%s: %v\ngot  %s\nwant %s", tc.file, err, g, w)
		}
	}
	// The plan is the item with a lookup_key, not the add-on listed first.
	ev, err := fixture(t, "stripe_customer.subscription.updated.multi_item.json")
	if sub, _ := ev.(domain.SubscriptionChanged); err != nil || sub.Plan != "pro_monthly" {
		t.Errorf("multi-item subscription: plan %+v, %v; want pro_monthly", ev, err)
	}
	// Disputes close with an outcome, for Stripe and Dodo alike.
	for file, outcome := range map[string]string{
		"stripe_charge.dispute.closed.won.json": "won", "stripe_charge.dispute.closed.lost.json": "lost",
		"dodo_dispute.won.json": "won", "dodo_dispute.lost.json": "lost", "dodo_dispute.expired.json": "expired (lost)",
	} {
		ev, err := fixture(t, file)
		if d, ok := ev.(domain.DisputeClosed); err != nil || !ok || d.Outcome != outcome {
			t.Errorf("%s: %+v, %v; want closed %s", file, ev, err, outcome)
		}
	}
	ev, err = fixture(t, "dodo_payment.succeeded.kwd.json")
	if p, ok := ev.(domain.PaymentSucceeded); err != nil || !ok || p.Amount != 12345 || p.Currency != "KWD" {
		t.Errorf("KWD payment: %+v, %v", ev, err)
	}
}

// The plans map wins over a lookup_key; several candidates are named.
func TestStripePlanFromPlansMap(t *testing.T) {
	data := `{"id":"sub_1","customer":"cus_1","status":"active","items":{"data":[
		{"price":{"id":"price_addon","product":"prod_addon","lookup_key":"addon","recurring":{"usage_type":"licensed"}}},
		{"price":{"id":"price_seat","product":"prod_pro","recurring":{"usage_type":"licensed"}}},
		{"price":{"id":"price_meter","product":"prod_meter","lookup_key":"meter","recurring":{"usage_type":"metered"}}}]}}`
	ev, err := provider.Spec{Format: "stripe", Plans: map[string]string{"prod_pro": "pro"}}.Normalize("customer.subscription.updated", json.RawMessage(data))
	if sub, _ := ev.(domain.SubscriptionChanged); err != nil || sub.Plan != "pro" || len(sub.OtherPlans) != 0 {
		t.Errorf("plans map: %+v, %v", ev, err)
	}
	ev, err = provider.Spec{Format: "stripe"}.Normalize("customer.subscription.updated", json.RawMessage(data))
	if sub, _ := ev.(domain.SubscriptionChanged); err != nil || sub.Plan != "addon" || strings.Join(sub.OtherPlans, ",") != "price_meter" {
		t.Errorf("lookup keys: %+v, %v", ev, err)
	}
}

// Money that cannot be right is bad data: a currency that is not three
// letters, a negative amount, a one-off sale that names nobody.
func TestMoneyBadData(t *testing.T) {
	for _, tc := range []struct{ format, eventType, data string }{
		{"dodo", "payment.succeeded", `{"payment_id":"p","total_amount":100,"currency":"US"}`},
		{"dodo", "payment.succeeded", `{"payment_id":"p","total_amount":100,"currency":"U$D"}`},
		{"dodo", "refund.succeeded", `{"refund_id":"r","payment_id":"p","amount":-5,"currency":"USD"}`},
		{"dodo", "refund.succeeded", `{"refund_id":"r","payment_id":"p","amount":5,"currency":"dollars"}`},
		{"stripe", "refund.created", `{"id":"re_1","amount":-1,"currency":"usd","payment_intent":"pi_1"}`},
		{"stripe", "checkout.session.completed", `{"mode":"payment","payment_status":"paid","payment_intent":"pi_1","amount_total":100,"currency":"usd"}`},
		{"stripe", "invoice.paid", `{"id":"in_1","customer":"cus_1","amount_paid":-1,"currency":"usd"}`},
	} {
		_, err := provider.Spec{Format: tc.format}.Normalize(tc.eventType, json.RawMessage(tc.data))
		if !errors.Is(err, domain.ErrBadData) {
			t.Errorf("%s %s %s: err = %v, want bad data", tc.format, tc.eventType, tc.data, err)
		}
	}
}
