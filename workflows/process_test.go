package workflows_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/webhookd/webhookd/activities"
	"github.com/webhookd/webhookd/alerts"
	"github.com/webhookd/webhookd/internal/provider"
	"github.com/webhookd/webhookd/workflows"
)

var a *activities.Activities

// recorder stubs every activity and records the calls in order.
type recorder struct {
	calls []string
	in    map[string]any
	fail  map[string]error // activity → error to return
}

func (r *recorder) note(name string, in any) error {
	r.calls = append(r.calls, name)
	r.in[name] = in
	return r.fail[name]
}

func newEnv(t *testing.T, r *recorder) *testsuite.TestWorkflowEnvironment {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(workflows.ProcessWebhook)
	env.RegisterActivity(&activities.Activities{})
	env.OnActivity(a.RecordPayment, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.RecordPaymentInput) (activities.RecordPaymentResult, error) {
		return activities.RecordPaymentResult{Inserted: true}, r.note("RecordPayment", in)
	}).Maybe()
	env.OnActivity(a.SendEmail, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.SendEmailInput) (activities.SendEmailResult, error) {
		return activities.SendEmailResult{Sent: true}, r.note("SendEmail", in)
	}).Maybe()
	env.OnActivity(a.ApplySubscription, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.ApplySubscriptionInput) (activities.ApplySubscriptionResult, error) {
		return activities.ApplySubscriptionResult{Applied: true}, r.note("ApplySubscription", in)
	}).Maybe()
	env.OnActivity(a.StampEmail, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.EmailEventInput) (activities.MatchResult, error) {
		return activities.MatchResult{Matched: true}, r.note("StampEmail", in)
	}).Maybe()
	env.OnActivity(a.MarkEmailInvalid, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.BounceInput) (activities.MatchResult, error) {
		return activities.MatchResult{Matched: true}, r.note("MarkEmailInvalid", in)
	}).Maybe()
	env.OnActivity(a.OptOutMarketing, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.ComplaintInput) (activities.MatchResult, error) {
		return activities.MatchResult{Matched: true}, r.note("OptOutMarketing", in)
	}).Maybe()
	env.OnActivity(a.SetEventStatus, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.SetEventStatusInput) error {
		return r.note("SetEventStatus:"+string(in.Status), in)
	}).Maybe()
	env.OnActivity(a.SendAlert, mock.Anything, mock.Anything).Return(func(_ context.Context, in alerts.Failure) error {
		return r.note("SendAlert", in)
	}).Maybe()
	return env
}

func input(eventType, data string) workflows.ProcessWebhookInput {
	in := workflows.ProcessWebhookInput{
		Provider: "dodo", EventID: "evt_1", EventType: eventType,
		OccurredAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Data: json.RawMessage(data),
	}
	in.Normalize(provider.Spec{Format: "dodo"})
	return in
}

func TestRouting(t *testing.T) {
	tests := []struct {
		eventType string
		data      string
		calls     []string
		check     func(t *testing.T, in map[string]any)
	}{
		{"payment.succeeded", `{"userId":"usr_1","paymentId":"pay_1","amount":1999,"currency":"usd"}`,
			[]string{"RecordPayment", "SendEmail", "SetEventStatus:succeeded"},
			func(t *testing.T, in map[string]any) {
				p := in["RecordPayment"].(activities.RecordPaymentInput)
				if p.PaymentID != "pay_1" || p.Customer.UserID != "usr_1" || p.Amount != 1999 || p.Currency != "USD" {
					t.Errorf("payment input = %+v", p)
				}
				e := in["SendEmail"].(activities.SendEmailInput)
				if e.Template != "payment_confirmation" || e.Data["amount"] != "19.99" || e.Event.WorkflowID == "" {
					t.Errorf("email input = %+v", e)
				}
			}},
		{"payment.failed", `{"userId":"usr_1","paymentId":"pay_1","amount":500,"currency":"EUR","reason":"card_declined"}`,
			[]string{"SendEmail", "SetEventStatus:succeeded"},
			func(t *testing.T, in map[string]any) {
				e := in["SendEmail"].(activities.SendEmailInput)
				if e.Template != "payment_failed" || e.Data["reason"] != "card_declined" {
					t.Errorf("email input = %+v", e)
				}
			}},
		{"subscription.created", `{"userId":"usr_1","subscriptionId":"sub_1","plan":"pro","currentPeriodEnd":"2026-02-01T00:00:00Z"}`,
			[]string{"ApplySubscription", "SetEventStatus:succeeded"},
			func(t *testing.T, in map[string]any) {
				s := in["ApplySubscription"].(activities.ApplySubscriptionInput)
				if s.Status != "active" || s.UserPlan != "pro" || s.CurrentPeriodEnd == nil || s.Event.OccurredAt.IsZero() {
					t.Errorf("subscription input = %+v", s)
				}
			}},
		{"subscription.updated", `{"userId":"usr_1","subscriptionId":"sub_1","plan":"business","cancelAtPeriodEnd":true,"currentPeriodEnd":1767225600}`,
			[]string{"ApplySubscription", "SetEventStatus:succeeded"},
			func(t *testing.T, in map[string]any) {
				s := in["ApplySubscription"].(activities.ApplySubscriptionInput)
				if s.Plan != "business" || s.CancelAtPeriodEnd == nil || !*s.CancelAtPeriodEnd || s.CurrentPeriodEnd.Unix() != 1767225600 {
					t.Errorf("subscription input = %+v", s)
				}
			}},
		{"subscription.canceled", `{"userId":"usr_1","subscriptionId":"sub_1","plan":"pro"}`,
			[]string{"ApplySubscription", "SendEmail", "SetEventStatus:succeeded"},
			func(t *testing.T, in map[string]any) {
				s := in["ApplySubscription"].(activities.ApplySubscriptionInput)
				if s.Status != "canceled" || s.UserPlan != "free" {
					t.Errorf("subscription input = %+v", s)
				}
				if e := in["SendEmail"].(activities.SendEmailInput); e.Template != "subscription_canceled" {
					t.Errorf("template = %s", e.Template)
				}
			}},
		{"subscription.past_due", `{"userId":"usr_1","subscriptionId":"sub_1"}`,
			[]string{"ApplySubscription", "SendEmail", "SetEventStatus:succeeded"},
			func(t *testing.T, in map[string]any) {
				if s := in["ApplySubscription"].(activities.ApplySubscriptionInput); s.Status != "past_due" || s.UserPlan != "" {
					t.Errorf("subscription input = %+v", s)
				}
				if e := in["SendEmail"].(activities.SendEmailInput); e.Template != "payment_reminder" {
					t.Errorf("template = %s", e.Template)
				}
			}},
		{"email.delivered", `{"email_id":"m1"}`, []string{"StampEmail", "SetEventStatus:succeeded"},
			func(t *testing.T, in map[string]any) {
				if e := in["StampEmail"].(activities.EmailEventInput); e.Kind != "delivered" || e.EmailID != "m1" {
					t.Errorf("stamp input = %+v", e)
				}
			}},
		{"email.opened", `{"email_id":"m1"}`, []string{"StampEmail", "SetEventStatus:succeeded"},
			func(t *testing.T, in map[string]any) {
				if e := in["StampEmail"].(activities.EmailEventInput); e.Kind != "opened" {
					t.Errorf("stamp input = %+v", e)
				}
			}},
		{"email.bounced", `{"email":"a@b.c","bounce_type":"hard"}`, []string{"MarkEmailInvalid", "SetEventStatus:succeeded"},
			func(t *testing.T, in map[string]any) {
				if b := in["MarkEmailInvalid"].(activities.BounceInput); len(b.Addresses) != 1 || b.Addresses[0] != "a@b.c" || b.BounceType != "hard" || b.Transient {
					t.Errorf("bounce input = %+v", b)
				}
			}},
		{"email.complained", `{"to":["a@b.c"]}`, []string{"OptOutMarketing", "SetEventStatus:succeeded"},
			func(t *testing.T, in map[string]any) {
				if c := in["OptOutMarketing"].(activities.ComplaintInput); len(c.Addresses) != 1 || c.Addresses[0] != "a@b.c" {
					t.Errorf("complaint input = %+v", c)
				}
			}},
		{"customer.created", `{}`, []string{"SetEventStatus:ignored"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.eventType, func(t *testing.T) {
			r := &recorder{in: map[string]any{}}
			env := newEnv(t, r)
			env.ExecuteWorkflow(workflows.ProcessWebhook, input(tt.eventType, tt.data))
			if !env.IsWorkflowCompleted() {
				t.Fatal("workflow did not complete")
			}
			if err := env.GetWorkflowError(); err != nil {
				t.Fatalf("workflow error: %v", err)
			}
			if strings.Join(r.calls, ",") != strings.Join(tt.calls, ",") {
				t.Errorf("calls = %v, want %v", r.calls, tt.calls)
			}
			if tt.check != nil {
				tt.check(t, r.in)
			}
		})
	}
}

func TestPermanentFailureAlertsOnceThenFails(t *testing.T) {
	r := &recorder{in: map[string]any{}, fail: map[string]error{"SendEmail": errors.New("smtp: connection refused")}}
	env := newEnv(t, r)
	env.ExecuteWorkflow(workflows.ProcessWebhook, input("payment.succeeded", `{"userId":"usr_1","paymentId":"pay_1","amount":1,"currency":"usd"}`))
	err := env.GetWorkflowError()
	if err == nil {
		t.Fatal("workflow succeeded; want failure")
	}
	var sends int
	for _, c := range r.calls {
		if c == "SendEmail" {
			sends++
		}
	}
	if sends != 5 {
		t.Errorf("SendEmail attempts = %d, want 5 (the default policy)", sends)
	}
	tail := r.calls[len(r.calls)-2:]
	if tail[0] != "SendAlert" || tail[1] != "SetEventStatus:failed" {
		t.Errorf("last calls = %v, want SendAlert then SetEventStatus:failed", tail)
	}
	alert := r.in["SendAlert"].(alerts.Failure)
	if alert.EventID != "evt_1" || alert.Attempts != 5 || !strings.Contains(alert.Error, "connection refused") {
		t.Errorf("alert = %+v", alert)
	}
	if st := r.in["SetEventStatus:failed"].(activities.SetEventStatusInput); !strings.Contains(st.LastError, "connection refused") {
		t.Errorf("last error = %q", st.LastError)
	}
}

func TestNonRetryableSkipsRetries(t *testing.T) {
	bad := temporal.NewNonRetryableApplicationError("unknown user", activities.ErrTypeBadData, nil)
	r := &recorder{in: map[string]any{}, fail: map[string]error{"RecordPayment": bad}}
	env := newEnv(t, r)
	env.ExecuteWorkflow(workflows.ProcessWebhook, input("payment.succeeded", `{"userId":"usr_x","paymentId":"pay_1","amount":1,"currency":"usd"}`))
	if env.GetWorkflowError() == nil {
		t.Fatal("workflow succeeded; want failure")
	}
	want := "RecordPayment,SendAlert,SetEventStatus:failed"
	if got := strings.Join(r.calls, ","); got != want {
		t.Errorf("calls = %s, want %s", got, want)
	}
	if alert := r.in["SendAlert"].(alerts.Failure); alert.Attempts != 1 {
		t.Errorf("attempts = %d, want 1", alert.Attempts)
	}
}

func TestBadDataFailsWithoutActivities(t *testing.T) {
	for _, data := range []string{
		`{"userId":"usr_1","paymentId":"pay_1","amount":"12.5","currency":"usd"}`,
		`{"userId":"usr_1","paymentId":"pay_1","amount":-1,"currency":"usd"}`,
		`{"paymentId":"pay_1","amount":1,"currency":"usd"}`,
		`[1,2]`,
		`null`,
	} {
		r := &recorder{in: map[string]any{}}
		env := newEnv(t, r)
		env.ExecuteWorkflow(workflows.ProcessWebhook, input("payment.succeeded", data))
		if env.GetWorkflowError() == nil {
			t.Errorf("data %s: workflow succeeded", data)
			continue
		}
		if got := strings.Join(r.calls, ","); got != "SendAlert,SetEventStatus:failed" {
			t.Errorf("data %s: calls = %s", data, got)
		}
	}
}

// The status write outlasts a database outage longer than its timeout.
func TestStatusWriteOutlastsAnOutage(t *testing.T) {
	r := &recorder{in: map[string]any{}}
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(workflows.ProcessWebhook)
	env.RegisterActivity(&activities.Activities{})
	failures := 0
	env.OnActivity(a.SetEventStatus, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.SetEventStatusInput) error {
		if failures < 8 { // 1+2+4+…+128 s of backoff: minutes of outage
			failures++
			return errors.New("dial tcp 127.0.0.1:5432: connect: connection refused")
		}
		return r.note("SetEventStatus:"+string(in.Status), in)
	})
	env.ExecuteWorkflow(workflows.ProcessWebhook, input("customer.created", `{}`))
	if err := env.GetWorkflowError(); err != nil {
		t.Fatalf("workflow failed after %d status failures: %v", failures, err)
	}
	if strings.Join(r.calls, ",") != "SetEventStatus:ignored" {
		t.Errorf("calls = %v", r.calls)
	}
}

// An in-flight or failed run answers the status query: its step and the
// last error.
func TestStatusQuery(t *testing.T) {
	r := &recorder{in: map[string]any{}}
	env := newEnv(t, r)
	env.ExecuteWorkflow(workflows.ProcessWebhook, input("payment.succeeded", `{"userId":"usr_1"}`))
	v, err := env.QueryWorkflow(workflows.StatusQuery)
	if err != nil {
		t.Fatal(err)
	}
	var st workflows.RunStatus
	if err := v.Get(&st); err != nil || st.Step != "failed: alerting on-call" || !strings.Contains(st.LastError, "missing") {
		t.Errorf("status = %+v, %v", st, err)
	}
}

// A run whose event names only the provider's customer sets WebhookUserID
// once an activity has resolved the user, once per run; one whose start
// named the user does not set it again.
func TestResolvedUserIsSearchable(t *testing.T) {
	for _, tc := range []struct {
		name, eventType, data string
		upserts               int
	}{
		{"payment by customer", "payment.succeeded", `{"payment_id":"pay_1","total_amount":1999,"currency":"USD","customer":{"customer_id":"cus_1"}}`, 1},
		{"subscription by customer", "subscription.active", `{"subscription_id":"sub_1","status":"active","customer":{"customer_id":"cus_1"}}`, 1},
		{"payment naming the user", "payment.succeeded", `{"payment_id":"pay_1","total_amount":1999,"currency":"USD","metadata":{"user_id":"usr_9"}}`, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s testsuite.WorkflowTestSuite
			env := s.NewTestWorkflowEnvironment()
			env.RegisterWorkflow(workflows.ProcessWebhook)
			env.RegisterActivity(&activities.Activities{})
			env.OnActivity(a.RecordPayment, mock.Anything, mock.Anything).Return(activities.RecordPaymentResult{Inserted: true, UserID: "usr_9"}, nil).Maybe()
			env.OnActivity(a.SendEmail, mock.Anything, mock.Anything).Return(activities.SendEmailResult{Sent: true, UserID: "usr_9"}, nil).Maybe()
			env.OnActivity(a.ApplySubscription, mock.Anything, mock.Anything).Return(activities.ApplySubscriptionResult{Applied: true, UserID: "usr_9"}, nil).Maybe()
			env.OnActivity(a.SetEventStatus, mock.Anything, mock.Anything).Return(nil)
			upserts := 0
			env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
				sa := args.Get(0).(temporal.SearchAttributes)
				if v, _ := sa.GetKeyword(workflows.UserIDKey); v != "usr_9" {
					t.Errorf("upserted %v", sa)
				}
				upserts++
			}).Return(nil).Maybe()
			in := input(tc.eventType, tc.data)
			if err := env.SetTypedSearchAttributesOnStart(workflows.StartOptions(in).TypedSearchAttributes); err != nil {
				t.Fatal(err)
			}
			env.ExecuteWorkflow(workflows.ProcessWebhook, in)
			if err := env.GetWorkflowError(); err != nil {
				t.Fatal(err)
			}
			if upserts != tc.upserts {
				t.Errorf("WebhookUserID upserts = %d, want %d", upserts, tc.upserts)
			}
		})
	}
}

// A customer not linked yet is waited for on a workflow timer, so that the
// run answers its status query meanwhile, for the policy's attempts.
func TestWaitForLinkOnATimer(t *testing.T) {
	for _, tc := range []struct {
		name     string
		failures int
		wantErr  bool
	}{{"linked on the third try", 2, false}, {"never linked", 99, true}} {
		t.Run(tc.name, func(t *testing.T) {
			var s testsuite.WorkflowTestSuite
			env := s.NewTestWorkflowEnvironment()
			env.RegisterWorkflow(workflows.ProcessWebhook)
			env.RegisterActivity(&activities.Activities{})
			calls := 0
			env.OnActivity(a.ApplySubscription, mock.Anything, mock.Anything).Return(func(context.Context, activities.ApplySubscriptionInput) (activities.ApplySubscriptionResult, error) {
				if calls++; calls <= tc.failures {
					return activities.ApplySubscriptionResult{}, temporal.NewApplicationErrorWithOptions("user not known yet: cus_1", activities.ErrTypeUserNotKnownYet,
						temporal.ApplicationErrorOptions{NextRetryDelay: 5 * time.Second})
				}
				return activities.ApplySubscriptionResult{Applied: true, UserID: "usr_1"}, nil
			})
			env.OnActivity(a.SetEventStatus, mock.Anything, mock.Anything).Return(nil)
			env.OnActivity(a.SendAlert, mock.Anything, mock.Anything).Return(nil).Maybe()
			var during workflows.RunStatus
			env.RegisterDelayedCallback(func() {
				v, err := env.QueryWorkflow(workflows.StatusQuery)
				if err != nil || v.Get(&during) != nil {
					t.Errorf("query during the wait: %v", err)
				}
			}, 7*time.Second)
			in := input("subscription.active", `{"subscription_id":"sub_1","status":"active","customer":{"customer_id":"cus_1"}}`)
			in.Retry.MaximumAttempts = 5
			env.ExecuteWorkflow(workflows.ProcessWebhook, in)
			if err := env.GetWorkflowError(); (err != nil) != tc.wantErr {
				t.Fatalf("workflow error = %v, want error %v", err, tc.wantErr)
			}
			if want := min(tc.failures+1, 5); calls != want {
				t.Errorf("ApplySubscription calls = %d, want %d", calls, want)
			}
			if during.Step != "waiting for the customer's link (attempt 2 of 5, next in 5s)" || during.LastError != "user not known yet: cus_1" {
				t.Errorf("status during the wait = %+v", during)
			}
		})
	}
}
