package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/webhookd/webhookd/examples"
	"github.com/webhookd/webhookd/internal/domain"
	"github.com/webhookd/webhookd/internal/email/smtptest"
)

// example returns a provider's example data with fields changed (a nil
// value deletes the field).
func example(t *testing.T, format, eventType string, change map[string]any) string {
	t.Helper()
	raw, err := examples.Data(format, eventType)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	for k, v := range change {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// sendAs posts an event signed as the provider signs, with its event time.
func (d *dev) sendAs(provider, eventType, id, data string, at time.Time) {
	d.t.Helper()
	out, err := d.cli("send", "--provider", provider, "--type", eventType, "--id", id, "--data", data,
		"--occurred-at", at.UTC().Format(time.RFC3339))
	if err != nil {
		d.t.Fatalf("send %s %s: %v\n%s", provider, eventType, err, out)
	}
}

// Genuine Dodo Payments and Resend deliveries, signed as they sign, through
// the embedded stack.
func TestRealProviders(t *testing.T) {
	smtpSrv := smtptest.Start(t)
	d := startDev(t, map[string]string{"SMTP_URL": smtpSrv.URL(), "WEBHOOKD_RETRY_ATTEMPTS": "2", "WEBHOOKD_RETRY_INITIAL_INTERVAL": "50ms"})
	ctx := context.Background()
	for id, addr := range map[string]string{"usr_meta": "meta@example.com", "usr_mail": "mail@example.com",
		"usr_bounce": "gone@example.com", "usr_spam": "spam@example.com", "usr_sub": "sub@example.com"} {
		if err := d.st.UpsertUser(ctx, id, addr); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now().Add(-time.Hour)
	customer := func(id, email string) map[string]any {
		return map[string]any{"customer_id": id, "email": email, "name": "Customer", "phone_number": nil, "metadata": map[string]any{}}
	}
	payment := func(id, customerID, email string, metadata map[string]any) string {
		return example(t, "dodo", "payment.succeeded", map[string]any{"payment_id": id, "customer": customer(customerID, email), "metadata": metadata})
	}

	t.Run("payments resolved by metadata, by the learned customer link, and by email", func(t *testing.T) {
		d.sendAs("dodo", "payment.succeeded", "evt_meta", payment("pay_meta", "cus_meta", "other@example.com", map[string]any{"user_id": "usr_meta"}), now)
		d.waitStatus("evt_meta", domain.StatusSucceeded)
		// The run explains itself in the UI's list: its static summary.
		desc, err := d.temporal.DescribeWorkflowExecution(ctx, "dodo:evt_meta", "")
		var summary string
		if err == nil {
			err = d.converter().FromPayload(desc.GetExecutionConfig().GetUserMetadata().GetSummary(), &summary)
		}
		if err != nil || summary != "dodo payment.succeeded · usr_meta · 19.99 USD · pay_meta" {
			t.Errorf("run summary = %q, %v", summary, err)
		}
		d.sendAs("dodo", "payment.succeeded", "evt_link", payment("pay_link", "cus_meta", "", map[string]any{}), now)
		d.waitStatus("evt_link", domain.StatusSucceeded)
		d.sendAs("dodo", "payment.succeeded", "evt_mail", payment("pay_mail", "cus_mail", "MAIL@example.com", map[string]any{}), now)
		d.waitStatus("evt_mail", domain.StatusSucceeded)
		for user, want := range map[string]int{"usr_meta": 2, "usr_mail": 1} {
			if ps, _ := d.st.Payments(ctx, user); len(ps) != want || ps[0].Amount != 1999 || ps[0].Currency != "USD" {
				t.Errorf("%s: payments %+v, want %d of 1999 USD", user, ps, want)
			}
		}
		if got := countMessages(smtpSrv, "To: <meta@example.com>"); got != 2 {
			t.Errorf("confirmations to meta@ = %d, want 2", got)
		}
		d.sendAs("dodo", "payment.succeeded", "evt_nobody", payment("pay_nobody", "cus_x", "nobody@example.com", map[string]any{}), now)
		ev := d.waitStatus("evt_nobody", domain.StatusFailed)
		if !strings.Contains(ev.LastError.String, "no user for customer") {
			t.Errorf("unknown customer: %q", ev.LastError.String)
		}
		d.sendAs("dodo", "payment.succeeded", "evt_pm", example(t, "dodo", "payment.succeeded", map[string]any{
			"payment_id": "pay_pm", "total_amount": 0, "is_update_payment_method": true}), now)
		d.waitStatus("evt_pm", domain.StatusSucceeded)
		if ps, _ := d.st.Payments(ctx, "usr_demo"); len(ps) != 0 {
			t.Errorf("a payment-method update recorded %+v", ps)
		}
		d.sendAs("dodo", "refund.succeeded", "evt_refund", example(t, "dodo", "refund.succeeded", map[string]any{"payment_id": "pay_mail", "amount": 500}), now)
		d.waitStatus("evt_refund", domain.StatusSucceeded)
		// 500 of 1999: a partial refund (the refund is a row of its own).
		if ps, _ := d.st.Payments(ctx, "usr_mail"); len(ps) != 1 || ps[0].Status != "partially_refunded" || ps[0].RefundedAmount.Int64 != 500 {
			t.Errorf("after the refund: %+v", ps)
		}
	})

	t.Run("a subscription's life, with a late older renewal that changes nothing", func(t *testing.T) {
		sub := func(status string) string {
			return example(t, "dodo", "subscription."+status, map[string]any{"subscription_id": "sub_life",
				"customer": customer("cus_sub", "sub@example.com"), "metadata": map[string]any{"user_id": "usr_sub", "plan": "pro"}})
		}
		steps := []struct {
			eventType, id string
			at            time.Duration
		}{
			{"active", "evt_s1", 0}, {"on_hold", "evt_s2", 2 * time.Minute}, {"cancelled", "evt_s3", 4 * time.Minute},
			{"renewed", "evt_s_late", time.Minute}, {"expired", "evt_s4", 6 * time.Minute},
		}
		for _, s := range steps {
			d.sendAs("dodo", "subscription."+s.eventType, s.id, sub(s.eventType), now.Add(s.at))
			ev := d.waitStatus(s.id, domain.StatusSucceeded)
			if s.eventType == "on_hold" {
				recordHistory(t, d.temporal, ev.WorkflowID, ev.RunID.String, "dodo_subscription_on_hold.json")
			}
		}
		got, err := d.st.GetSubscription(ctx, "sub_life")
		if err != nil || got.Status != "canceled" || got.Plan != "pro" {
			t.Errorf("subscription = %+v, %v; want canceled", got, err)
		}
		if u, _ := d.st.GetUser(ctx, "usr_sub"); u.Plan != "free" {
			t.Errorf("user plan = %s, want free", u.Plan)
		}
		if n := countMessages(smtpSrv, "past due"); n != 1 {
			t.Errorf("reminders = %d, want 1", n)
		}
		if n := countMessages(smtpSrv, "Your subscription was canceled"); n != 1 {
			t.Errorf("cancellation emails = %d, want 1 (cancelled, then expired)", n)
		}
	})

	t.Run("Resend: a hard bounce invalidates, a complaint opts out", func(t *testing.T) {
		d.sendAs("resend", "email.bounced", "msg_bounce", example(t, "resend", "email.bounced", map[string]any{"to": []string{"Gone@example.com"}}), now)
		d.waitStatusOf("resend", "msg_bounce", domain.StatusSucceeded)
		if u, _ := d.st.GetUser(ctx, "usr_bounce"); u.EmailValid || u.EmailBounceType.String != "Permanent/General" {
			t.Errorf("after a hard bounce: valid %v, type %q", u.EmailValid, u.EmailBounceType.String)
		}
		d.sendAs("resend", "email.complained", "msg_spam", example(t, "resend", "email.complained", map[string]any{"to": []string{"spam@example.com"}}), now)
		d.waitStatusOf("resend", "msg_spam", domain.StatusSucceeded)
		if u, _ := d.st.GetUser(ctx, "usr_spam"); !u.MarketingOptOut || !u.EmailValid {
			t.Errorf("after a complaint: opt-out %v, valid %v", u.MarketingOptOut, u.EmailValid)
		}
		ev := d.waitStatusOf("resend", "msg_bounce", domain.StatusSucceeded)
		if !ev.OccurredAt.Valid || ev.OccurredAt.Time.Sub(now).Abs() > time.Second {
			t.Errorf("event time = %v, want Resend's created_at %v", ev.OccurredAt.Time, now)
		}
	})

	t.Run("an ignored event is replayed only with --include-ignored", func(t *testing.T) {
		d.sendAs("dodo", "payout.success", "evt_payout", `{"payout_id":"pout_1","amount":100000,"currency":"USD"}`, now)
		d.waitStatus("evt_payout", domain.StatusIgnored)
		out, err := d.cli("events", "replay", "dodo:evt_payout")
		if err == nil || !strings.Contains(err.Error(), "--include-ignored") {
			t.Errorf("replay of an ignored event: %v\n%s", err, out)
		}
		if out, err := d.cli("events", "replay", "dodo:evt_payout", "--include-ignored"); err != nil {
			t.Fatalf("replay --include-ignored: %v\n%s", err, out)
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			ev, _ := d.st.GetEventByKey(ctx, "dodo", "evt_payout")
			if ev.Status == domain.StatusIgnored && ev.Attempts == 2 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("after the replay: %s, %d runs; want ignored after 2", ev.Status, ev.Attempts)
			}
			time.Sleep(100 * time.Millisecond)
		}
		if runs := listRuns(t, d.temporal, `WorkflowId = "dodo:evt_payout"`, 2); runs != 2 {
			t.Errorf("runs = %d, want 2", runs)
		}
	})

	t.Run("every built-in example of a real type succeeds", func(t *testing.T) {
		for _, format := range []string{"dodo", "resend", "stripe"} { // stripe's checkout links before the subscription events
			for i, eventType := range examples.Types(format) {
				id := fmt.Sprintf("evt_ex_%s_%d", format, i)
				if out, err := d.cli("send", "--provider", format, "--type", eventType, "--id", id); err != nil {
					t.Fatalf("send %s %s: %v\n%s", format, eventType, err, out)
				}
				if ev := d.waitStatusOf(format, id, domain.StatusSucceeded, domain.StatusFailed, domain.StatusIgnored); ev.Status != domain.StatusSucceeded {
					t.Errorf("%s %s: %s %q", format, eventType, ev.Status, ev.LastError.String)
				}
			}
		}
	})
}

// jsonField is one field of a JSON object, decoded.
func jsonField(t *testing.T, raw, field string) any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		t.Fatal(err)
	}
	return m[field]
}
