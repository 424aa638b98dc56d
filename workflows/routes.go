package workflows

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/webhookd/webhookd/activities"
	"github.com/webhookd/webhookd/internal/email"
)

// event is what a handler gets: who the event is and its raw data.
type event struct {
	ref  activities.EventRef
	data json.RawMessage
	// writeCtx, when set, runs database writes as local activities.
	writeCtx workflow.Context
}

// write runs one of the short database activities: a local activity on
// writeCtx when the run's version has them, a regular one on ctx otherwise.
func (ev event) write(ctx workflow.Context, activity, in, out any) error {
	if ev.writeCtx != nil {
		return workflow.ExecuteLocalActivity(ev.writeCtx, activity, in).Get(ev.writeCtx, out)
	}
	return workflow.ExecuteActivity(ctx, activity, in).Get(ctx, out)
}

type handler func(ctx workflow.Context, ev event) error

// routes maps an event type to its handler. Lookups only: a map ranged over
// would make the workflow non-deterministic.
var routes = map[string]handler{
	"payment.succeeded":     paymentSucceeded,
	"payment.failed":        paymentFailed,
	"subscription.created":  subscriptionChanged("active", true, ""),
	"subscription.updated":  subscriptionChanged("", true, ""),
	"subscription.canceled": subscriptionChanged("canceled", false, email.SubscriptionCanceled),
	"subscription.past_due": subscriptionChanged("past_due", false, email.PaymentReminder),
	"email.delivered":       emailStamped("delivered"),
	"email.opened":          emailStamped("opened"),
	"email.bounced":         emailBounced,
	"email.complained":      emailComplained,
}

// HandledTypes lists the event types ProcessWebhook acts on.
func HandledTypes() []string {
	return []string{"payment.succeeded", "payment.failed", "subscription.created", "subscription.updated",
		"subscription.canceled", "subscription.past_due", "email.delivered", "email.opened", "email.bounced", "email.complained"}
}

// eventData holds the fields of the generic payloads ("data" object).
type eventData struct {
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

// badData is a permanent failure: retrying cannot fix the payload.
func badData(format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return temporal.NewNonRetryableApplicationError(msg, activities.ErrTypeBadData, nil)
}

func parse(ev event, required ...string) (eventData, error) {
	var d eventData
	if len(ev.data) == 0 || bytes.Equal(ev.data, []byte("null")) {
		return d, badData("%s: payload has no data object", ev.ref.EventType)
	}
	if err := json.Unmarshal(ev.data, &d); err != nil {
		return d, badData("%s: malformed data: %v", ev.ref.EventType, err)
	}
	fields := map[string]string{
		"userId": d.UserID, "paymentId": d.PaymentID, "currency": d.Currency,
		"subscriptionId": d.SubscriptionID, "plan": d.Plan, "email_id": d.EmailID, "email": d.email(),
	}
	var missing []string
	for _, name := range required { // a slice: deterministic order
		if strings.TrimSpace(fields[name]) == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return d, badData("%s: missing %s", ev.ref.EventType, strings.Join(missing, ", "))
	}
	return d, nil
}

func (d eventData) email() string {
	if d.Email != "" {
		return d.Email
	}
	if len(d.To) > 0 {
		return d.To[0]
	}
	return ""
}

// amount reads a non-negative integer amount in minor units.
func (d eventData) amount(eventType string) (int64, error) {
	raw := strings.TrimSpace(string(d.Amount))
	if raw == "" || raw == "null" {
		return 0, badData("%s: missing amount", eventType)
	}
	raw = strings.Trim(raw, `"`)
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || n < 0 {
		return 0, badData("%s: malformed amount %.40q: want a non-negative integer in minor units", eventType, raw)
	}
	return n, nil
}

// periodEnd reads an RFC 3339 time or Unix seconds; absent is nil.
func (d eventData) periodEnd(eventType string) (*time.Time, error) {
	raw := strings.TrimSpace(string(d.CurrentPeriodEnd))
	if raw == "" || raw == "null" {
		return nil, nil
	}
	var s string
	if err := json.Unmarshal(d.CurrentPeriodEnd, &s); err == nil {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return nil, badData("%s: malformed currentPeriodEnd %.40q", eventType, s)
		}
		return &t, nil
	}
	secs, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		return nil, badData("%s: malformed currentPeriodEnd %.40q", eventType, raw)
	}
	t := time.Unix(secs, 0).UTC()
	return &t, nil
}

// zeroDecimal lists ISO 4217 currencies without minor units.
var zeroDecimal = map[string]bool{"BIF": true, "CLP": true, "DJF": true, "GNF": true, "JPY": true, "KMF": true,
	"KRW": true, "MGA": true, "PYG": true, "RWF": true, "UGX": true, "VND": true, "VUV": true, "XAF": true, "XOF": true, "XPF": true}

// displayAmount formats minor units for people: 1999 USD is "19.99".
func displayAmount(minor int64, currency string) string {
	if zeroDecimal[strings.ToUpper(currency)] {
		return strconv.FormatInt(minor, 10)
	}
	return fmt.Sprintf("%d.%02d", minor/100, minor%100)
}

func paymentSucceeded(ctx workflow.Context, ev event) error {
	d, err := parse(ev, "userId", "paymentId", "currency")
	if err != nil {
		return err
	}
	amount, err := d.amount(ev.ref.EventType)
	if err != nil {
		return err
	}
	if err := ev.write(ctx, a.RecordPayment, activities.RecordPaymentInput{
		Event: ev.ref, PaymentID: d.PaymentID, UserID: d.UserID, Amount: amount,
		Currency: strings.ToUpper(d.Currency), Status: "succeeded",
	}, nil); err != nil {
		return err
	}
	return sendEmail(ctx, ev, d.UserID, email.PaymentConfirmation, map[string]string{
		"amount": displayAmount(amount, d.Currency), "currency": strings.ToUpper(d.Currency), "payment_id": d.PaymentID,
	})
}

func paymentFailed(ctx workflow.Context, ev event) error {
	d, err := parse(ev, "userId")
	if err != nil {
		return err
	}
	data := map[string]string{"currency": strings.ToUpper(d.Currency), "payment_id": d.PaymentID, "reason": d.Reason}
	if len(d.Amount) > 0 {
		amount, err := d.amount(ev.ref.EventType)
		if err != nil {
			return err
		}
		data["amount"] = displayAmount(amount, d.Currency)
	}
	return sendEmail(ctx, ev, d.UserID, email.PaymentFailed, data)
}

// subscriptionChanged applies a subscription snapshot. status "" takes the
// payload's status (default active); setPlan makes the subscription's plan
// the user's plan; a canceled subscription moves the user to free. When the
// snapshot is newer than the stored state, template (if any) is emailed.
func subscriptionChanged(status string, setPlan bool, template string) handler {
	return func(ctx workflow.Context, ev event) error {
		required := []string{"subscriptionId", "userId"}
		if ev.ref.EventType == "subscription.created" {
			required = append(required, "plan")
		}
		d, err := parse(ev, required...)
		if err != nil {
			return err
		}
		st := status
		if st == "" {
			st = d.Status
			if st == "" {
				st = "active"
			}
		}
		if st != "active" && st != "canceled" && st != "past_due" {
			return badData("%s: unknown subscription status %.40q", ev.ref.EventType, st)
		}
		end, err := d.periodEnd(ev.ref.EventType)
		if err != nil {
			return err
		}
		in := activities.ApplySubscriptionInput{
			Event: ev.ref, SubscriptionID: d.SubscriptionID, UserID: d.UserID, Plan: d.Plan,
			Status: st, CurrentPeriodEnd: end, CancelAtPeriodEnd: d.CancelAtPeriodEnd,
		}
		switch {
		case st == "canceled":
			in.UserPlan = "free"
		case setPlan && st == "active":
			in.UserPlan = d.Plan
		}
		var res activities.ApplySubscriptionResult
		if err := ev.write(ctx, a.ApplySubscription, in, &res); err != nil {
			return err
		}
		if template == "" || !res.Applied {
			return nil
		}
		return sendEmail(ctx, ev, d.UserID, template, map[string]string{"plan": d.Plan, "subscription_id": d.SubscriptionID})
	}
}

func emailStamped(kind string) handler {
	return func(ctx workflow.Context, ev event) error {
		d, err := parse(ev, "email_id")
		if err != nil {
			return err
		}
		return ev.write(ctx, a.StampEmail, activities.EmailEventInput{
			Event: ev.ref, EmailID: d.EmailID, Kind: kind,
		}, nil)
	}
}

func emailBounced(ctx workflow.Context, ev event) error {
	d, err := parse(ev, "email")
	if err != nil {
		return err
	}
	return ev.write(ctx, a.MarkEmailInvalid, activities.BounceInput{
		Event: ev.ref, Email: d.email(), BounceType: d.BounceType,
	}, nil)
}

func emailComplained(ctx workflow.Context, ev event) error {
	d, err := parse(ev, "email")
	if err != nil {
		return err
	}
	return ev.write(ctx, a.OptOutMarketing, activities.ComplaintInput{
		Event: ev.ref, Email: d.email(),
	}, nil)
}

func sendEmail(ctx workflow.Context, ev event, userID, template string, data map[string]string) error {
	return workflow.ExecuteActivity(ctx, a.SendEmail, activities.SendEmailInput{
		Event: ev.ref, UserID: userID, Template: template, Data: data,
	}).Get(ctx, nil)
}
