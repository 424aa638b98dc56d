package workflows

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/webhookd/webhookd/activities"
	"github.com/webhookd/webhookd/internal/domain"
	"github.com/webhookd/webhookd/internal/notify"
)

// event is what a handler gets: who the event is and its raw data.
type event struct {
	ref  activities.EventRef
	data json.RawMessage
	// writeCtx, when set, runs database writes as local activities.
	writeCtx workflow.Context
	// version is the run's version of the workflow's shape.
	version workflow.Version
	// status is what the run's status query answers.
	status *RunStatus
	// attempts bounds the waits for a customer's link.
	attempts int32
	// notes gathers what the writes changed, to tell the product at the
	// end of the run (notifyProduct).
	notes *[]notify.Notification
}

// write runs one of the short database activities: a local activity on
// writeCtx when the run's version has them, a regular one on ctx otherwise.
// The summary is the line the UI's timeline shows for it; ids only.
//
// From userAttrVersion a write whose customer is not linked to a user yet
// waits for the link on a workflow timer, not in a local activity's
// retries: the retries of a local activity keep the workflow task open,
// and a run inside an open task answers no query. The run says what it
// waits for (its status query, the timer's summary).
func (ev event) write(ctx workflow.Context, summary string, activity, in, out any) error {
	for attempt := int32(1); ; attempt++ {
		err := ev.writeOnce(ctx, summary, activity, in, out)
		if n, ok := out.(interface{ Notifications() []notify.Notification }); ok && err == nil && ev.notes != nil {
			*ev.notes = append(*ev.notes, n.Notifications()...)
		}
		var appErr *temporal.ApplicationError
		if ev.version < userAttrVersion || !errors.As(err, &appErr) || appErr.Type() != activities.ErrTypeUserNotKnownYet || attempt >= ev.attempts {
			return err
		}
		wait := appErr.NextRetryDelay()
		if wait <= 0 {
			wait = 5 * time.Second
		}
		ev.status.Step = fmt.Sprintf("waiting for the customer's link (attempt %d of %d, next in %s)", attempt, ev.attempts, wait)
		ev.status.LastError = appErr.Message()
		if err := workflow.NewTimerWithOptions(ctx, wait, workflow.TimerOptions{Summary: "wait for the customer's link"}).Get(ctx, nil); err != nil {
			return err
		}
		ev.status.LastError = ""
	}
}

func (ev event) writeOnce(ctx workflow.Context, summary string, activity, in, out any) error {
	if ev.writeCtx != nil {
		o := workflow.GetLocalActivityOptions(ev.writeCtx)
		o.Summary = summary
		lctx := workflow.WithLocalActivityOptions(ev.writeCtx, o)
		return workflow.ExecuteLocalActivity(lctx, activity, in).Get(lctx, out)
	}
	return workflow.ExecuteActivity(summarized(ctx, summary), activity, in).Get(ctx, out)
}

// summarized is ctx with the summary the UI's timeline shows for the next
// activity.
func summarized(ctx workflow.Context, summary string) workflow.Context {
	o := workflow.GetActivityOptions(ctx)
	o.Summary = summary
	return workflow.WithActivityOptions(ctx, o)
}

// knowUser sets the run's WebhookUserID once an activity has resolved the
// user (runs from userAttrVersion; a run whose start named the user has it
// already).
func (ev event) knowUser(ctx workflow.Context, userID string) error {
	if ev.version < userAttrVersion || userID == "" {
		return nil
	}
	// An id longer than the visibility store keeps is bounded (the
	// event log keeps it whole).
	userID = domain.Keyword(userID)
	if cur, ok := workflow.GetTypedSearchAttributes(ctx).GetKeyword(UserIDKey); ok && cur == userID {
		return nil
	}
	return workflow.UpsertTypedSearchAttributes(ctx, UserIDKey.ValueSet(userID))
}

// whom names the customer in an activity's summary by id; an address is
// not named.
func whom(c domain.Customer) string {
	switch {
	case c.UserID != "":
		return c.UserID
	case c.CustomerID != "":
		return "customer " + c.CustomerID
	}
	return "the customer"
}

// handle applies a domain event; one file per family holds its handlers
// (payments.go, subscriptions.go, email.go).
func handle(ctx workflow.Context, ev event, dom domain.Event) error {
	switch d := dom.(type) {
	case domain.PaymentSucceeded:
		return paymentSucceeded(ctx, ev, d.Payment)
	case domain.PaymentFailed:
		return paymentFailed(ctx, ev, d.Payment)
	case domain.PaymentRefunded:
		return paymentRefunded(ctx, ev, d.Refund)
	case domain.SubscriptionChanged:
		return subscriptionChanged(ctx, ev, d.Subscription)
	case domain.EmailNews:
		return emailEvent(ctx, ev, d)
	case domain.CustomerLinked:
		var res activities.UserResult
		if err := ev.write(ctx, "link customer "+d.CustomerID, a.LinkCustomer,
			activities.LinkInput{Event: ev.ref, Customer: d.Customer}, &res); err != nil {
			return err
		}
		return ev.knowUser(ctx, res.UserID)
	case domain.DisputeOpened:
		return disputeOpened(ctx, ev, d.Dispute)
	case domain.DisputeClosed:
		return disputeClosed(ctx, ev, d.Dispute)
	case domain.PaymentReferenced:
		return paymentReferenced(ctx, ev, d.Reference)
	}
	return badData("%s: domain event %q has no handler", ev.ref.EventType, dom.Kind())
}

// badData is a permanent failure: retrying cannot fix the payload.
func badData(format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return temporal.NewNonRetryableApplicationError(msg, activities.ErrTypeBadData, nil)
}

func sendEmail(ctx workflow.Context, ev event, in activities.SendEmailInput) error {
	in.Event = ev.ref
	var res activities.SendEmailResult
	if err := workflow.ExecuteActivity(summarized(ctx, "send "+in.Template+" to "+whom(in.Customer)), a.SendEmail, in).Get(ctx, &res); err != nil {
		return err
	}
	return ev.knowUser(ctx, res.UserID)
}
