package workflows_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/webhookd/webhookd/internal/provider"
	"github.com/webhookd/webhookd/workflows"
)

func TestSummaries(t *testing.T) {
	for _, tc := range []struct {
		format, eventType, data, want string
	}{
		{"dodo", "payment.succeeded", `{"payment_id":"pay_abc","total_amount":1999,"currency":"USD","customer":{"customer_id":"cus_1"},"metadata":{"user_id":"usr_123"}}`,
			"dodo payment.succeeded · usr_123 · 19.99 USD · pay_abc"},
		{"resend", "email.bounced", `{"email_id":"e1","to":["gone@example.com"],"bounce":{"type":"Permanent","subType":"General"}}`,
			"dodo email.bounced · gone@example.com · Permanent/General · e1"},
		{"dodo", "subscription.on_hold", `{"subscription_id":"sub_1","status":"on_hold","product_id":"pdt_1","customer":{"customer_id":"cus_1"},"metadata":{"plan":"pro"}}`,
			"dodo subscription.on_hold · cus_1 · pro past_due · sub_1"},
		{"dodo", "payout.success", `{}`, "dodo payout.success · ignored (no handler)"},
	} {
		in := workflows.ProcessWebhookInput{Provider: "dodo", EventID: "evt_1", EventType: tc.eventType, Data: json.RawMessage(tc.data),
			OccurredAt: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)}
		in.Normalize(provider.Spec{Format: tc.format})
		summary, details := workflows.Summary(in)
		if summary != tc.want {
			t.Errorf("summary = %q, want %q", summary, tc.want)
		}
		if !strings.Contains(details, "webhookd events replay dodo:evt_1") || !strings.Contains(details, "2026-11-30T09:00:00Z") {
			t.Errorf("details = %q", details)
		}
	}
}

// The retry policy reads as "1s" in the UI, and runs recorded before,
// with nanoseconds, still decode.
func TestRetryConfigJSON(t *testing.T) {
	b, _ := json.Marshal(workflows.RetryConfig{MaximumAttempts: 5, InitialInterval: time.Second})
	if string(b) != `{"MaximumAttempts":5,"InitialInterval":"1s"}` {
		t.Errorf("encoded = %s", b)
	}
	var old workflows.RetryConfig
	if err := json.Unmarshal([]byte(`{"MaximumAttempts":3,"InitialInterval":200000000,"BackoffCoefficient":0,"MaximumInterval":0}`), &old); err != nil ||
		old.InitialInterval != 200*time.Millisecond || old.MaximumAttempts != 3 {
		t.Errorf("old encoding = %+v, %v", old, err)
	}
}

// The start names the user and the provider's customer when the event
// does: the runs of one user are listed by WebhookUserID from the start.
func TestStartOptionsSearchAttributes(t *testing.T) {
	for _, tc := range []struct {
		format, eventType, data string
		user, customer          string
	}{
		{"dodo", "payment.succeeded", `{"payment_id":"pay_abc","total_amount":1999,"currency":"USD","customer":{"customer_id":"cus_1","email":"a@b.c"},"metadata":{"user_id":"usr_123"}}`,
			"usr_123", "cus_1"},
		{"dodo", "subscription.active", `{"subscription_id":"sub_1","status":"active","customer":{"customer_id":"cus_2"}}`, "", "cus_2"},
		{"resend", "email.bounced", `{"email_id":"e1","to":["gone@example.com"],"bounce":{"type":"Permanent"}}`, "", ""},
		{"dodo", "payout.success", `{}`, "", ""},
	} {
		in := workflows.ProcessWebhookInput{Provider: "dodo", EventID: "evt_1", EventType: tc.eventType, Data: json.RawMessage(tc.data)}
		in.Normalize(provider.Spec{Format: tc.format})
		opts := workflows.StartOptions(in)
		attrs := opts.TypedSearchAttributes
		if v, _ := attrs.GetKeyword(workflows.ProviderKey); v != "dodo" {
			t.Errorf("%s: provider = %q", tc.eventType, v)
		}
		if v, _ := attrs.GetKeyword(workflows.EventTypeKey); v != tc.eventType {
			t.Errorf("%s: event type = %q", tc.eventType, v)
		}
		if v, ok := attrs.GetKeyword(workflows.UserIDKey); v != tc.user || ok != (tc.user != "") {
			t.Errorf("%s: user = %q (set %v), want %q", tc.eventType, v, ok, tc.user)
		}
		if v, ok := attrs.GetKeyword(workflows.CustomerIDKey); v != tc.customer || ok != (tc.customer != "") {
			t.Errorf("%s: customer = %q (set %v), want %q", tc.eventType, v, ok, tc.customer)
		}
		if opts.StaticSummary == "" || opts.StaticDetails == "" || strings.Contains(opts.StaticSummary, "\n") {
			t.Errorf("%s: summary %q, details %q", tc.eventType, opts.StaticSummary, opts.StaticDetails)
		}
	}
}
