package main

import (
	"context"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/webhookd/webhookd/internal/domain"
	"github.com/webhookd/webhookd/internal/email/smtptest"
	"github.com/webhookd/webhookd/internal/store"
)

// Stripe, signed as Stripe signs: Checkout links the customer, then the
// subscription's life; the same money reported by invoice.paid and its
// payment intent is one payment and one email; events that arrive before
// the Checkout wait for it.
func TestStripe(t *testing.T) {
	smtpSrv := smtptest.Start(t)
	slack := newSlack(t)
	d := startDev(t, map[string]string{"SMTP_URL": smtpSrv.URL(), "SLACK_WEBHOOK_URL": slack.URL,
		"WEBHOOKD_RETRY_ATTEMPTS": "6", "WEBHOOKD_RETRY_INITIAL_INTERVAL": "50ms"})
	ctx := context.Background()
	for id, addr := range map[string]string{"usr_stripe": "stripe@example.com", "usr_late": "late@example.com"} {
		if err := d.st.UpsertUser(ctx, id, addr); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now().Add(-time.Hour)
	at := func(m int) time.Time { return now.Add(time.Duration(m) * time.Minute) }
	send := func(eventType, id string, change map[string]any, when time.Time) store.Event {
		d.sendAs("stripe", eventType, id, example(t, "stripe", eventType, change), when)
		return d.waitStatusOf("stripe", id, domain.StatusSucceeded, domain.StatusFailed)
	}
	checkout := func(user, customer string) map[string]any {
		return map[string]any{"client_reference_id": user, "customer": customer,
			"customer_details": map[string]any{"email": user + "@other.example", "name": "Customer"}}
	}
	sub := func(customer, status string) map[string]any {
		raw := example(t, "stripe", "customer.subscription.created", nil)
		raw = strings.ReplaceAll(raw, "cus_T5demoQ1x", customer)
		raw = strings.ReplaceAll(raw, `"status":"active"`, `"status":"`+status+`"`)
		return map[string]any{"customer": customer, "status": status, "id": "sub_" + customer, "items": jsonField(t, raw, "items")}
	}

	if ev := send("checkout.session.completed", "evt_cs", checkout("usr_stripe", "cus_flow"), at(0)); ev.Status != domain.StatusSucceeded {
		t.Fatalf("checkout: %s %q", ev.Status, ev.LastError.String)
	}
	send("customer.subscription.created", "evt_sub1", sub("cus_flow", "active"), at(1))
	if u, _ := d.st.GetUser(ctx, "usr_stripe"); u.Plan != "pro" {
		t.Errorf("plan after created = %q, want pro", u.Plan)
	}
	invoice := map[string]any{"id": "in_flow1", "customer": "cus_flow", "customer_email": "stripe@example.com"}
	send("invoice.paid", "evt_inv1", invoice, at(2))
	send("payment_intent.succeeded", "evt_pi1", map[string]any{"id": "pi_flow1", "customer": "cus_flow", "amount_received": 1999,
		"description": "Subscription creation", "payment_details": map[string]any{"order_reference": "in_flow1"}}, at(2))
	send("invoice.paid", "evt_inv1_again", invoice, at(2)) // the same money, another event
	if ps, _ := d.st.Payments(ctx, "usr_stripe"); len(ps) != 1 || ps[0].ID != "in_flow1" || ps[0].Amount != 1999 {
		t.Errorf("payments = %+v, want one of 1999 for in_flow1", ps)
	}
	if n := countMessages(smtpSrv, "Payment received"); n != 1 {
		t.Errorf("confirmations = %d, want 1", n)
	}
	send("invoice.payment_failed", "evt_inv2", map[string]any{"id": "in_flow2", "customer": "cus_flow"}, at(3))
	send("customer.subscription.updated", "evt_sub2", sub("cus_flow", "past_due"), at(4))
	send("customer.subscription.deleted", "evt_sub3", sub("cus_flow", "canceled"), at(5))
	if u, _ := d.st.GetUser(ctx, "usr_stripe"); u.Plan != "free" {
		t.Errorf("plan after deleted = %q, want free", u.Plan)
	}
	for subject, want := range map[string]int{"did not go through": 1, "past due": 1, "was canceled": 1} {
		if n := countMessages(smtpSrv, subject); n != want {
			t.Errorf("emails %q = %d, want %d", subject, n, want)
		}
	}

	// Out of order: the subscription arrives before its Checkout.
	d.sendAs("stripe", "customer.subscription.created", "evt_late_sub", example(t, "stripe", "customer.subscription.created", sub("cus_late", "active")), at(11))
	time.Sleep(time.Second)
	// Meanwhile `events show` tells where the run is and why it waits.
	out, err := d.cli("events", "show", "stripe:evt_late_sub")
	if err != nil || !regexp.MustCompile(`in flight    waiting for the customer's link \(attempt \d of 6, next in 5s\): user not known yet`).MatchString(out) {
		t.Errorf("events show of a waiting run: %v\n%s", err, out)
	}
	send("checkout.session.completed", "evt_late_cs", checkout("usr_late", "cus_late"), at(10))
	if ev := d.waitStatusOf("stripe", "evt_late_sub", domain.StatusSucceeded, domain.StatusFailed); ev.Status != domain.StatusSucceeded {
		t.Errorf("subscription before checkout: %s %q", ev.Status, ev.LastError.String)
	} else {
		recordHistory(t, d.temporal, ev.WorkflowID, ev.RunID.String, "stripe_subscription_waits_for_link.json")
	}
	if u, _ := d.st.GetUser(ctx, "usr_late"); u.Plan != "pro" {
		t.Errorf("late user plan = %q, want pro", u.Plan)
	}
	// The run found its user by the link and made itself searchable by it.
	if n := listRuns(t, d.temporal, `WebhookUserID = "usr_late" AND WebhookCustomerID = "cus_late" AND WebhookEventType = "customer.subscription.created"`, 1); n != 1 {
		t.Errorf("runs of usr_late = %d, want 1", n)
	}

	// A one-off Checkout sale (mode payment, Stripe's default
	// customer_creation if_required: no customer) is one payment and one
	// email whichever of its two events comes first; its PaymentIntent
	// names nobody and books nothing of its own.
	for _, order := range []string{"checkout_first", "intent_first"} {
		user, pi := "usr_"+order, "pi_"+order
		if err := d.st.UpsertUser(ctx, user, order+"@example.com"); err != nil {
			t.Fatal(err)
		}
		cs := moneyFixture(t, "stripe_checkout.session.completed.payment.json", map[string]any{"client_reference_id": user, "payment_intent": pi})
		intent := moneyFixture(t, "stripe_payment_intent.succeeded.checkout.json", map[string]any{"id": pi})
		steps := [][2]string{{"checkout.session.completed", cs}, {"payment_intent.succeeded", intent}}
		if order == "intent_first" {
			steps[0], steps[1] = steps[1], steps[0]
		}
		for i, step := range steps {
			id := "evt_" + order + "_" + string(rune('a'+i))
			d.sendAs("stripe", step[0], id, step[1], at(20+i))
			if ev := d.waitStatusOf("stripe", id, domain.StatusSucceeded, domain.StatusFailed); ev.Status != domain.StatusSucceeded {
				t.Errorf("%s: %s %s %q", order, step[0], ev.Status, ev.LastError.String)
			}
		}
		if ps, _ := d.st.Payments(ctx, user); len(ps) != 1 || ps[0].ID != pi || ps[0].Amount != 2599 || ps[0].Currency != "USD" {
			t.Errorf("%s: payments = %+v, want one of 2599 USD under %s", order, ps, pi)
		}
		if n := countMessages(smtpSrv, "To: <"+order+"@example.com>"); n != 1 {
			t.Errorf("%s: emails = %d, want 1", order, n)
		}
	}

	// A dispute tells on-call at once.
	send("charge.dispute.created", "evt_dispute", nil, at(12))
	waitFor(t, 10*time.Second, func() bool { return anyContains(slack.posts(), "Payment disputed: stripe") })
}

// moneyFixture is the data object of a fixture in
// internal/provider/testdata/money (built from Stripe's published types),
// with fields changed.
func moneyFixture(t *testing.T, name string, change map[string]any) string {
	t.Helper()
	raw, err := os.ReadFile("../../internal/provider/testdata/money/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var ev struct {
		Data struct {
			Object map[string]any `json:"object"`
		} `json:"data"`
	}
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	for k, v := range change {
		ev.Data.Object[k] = v
	}
	b, _ := json.Marshal(ev.Data.Object)
	return string(b)
}
