package activities

import (
	"context"
	"errors"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/webhookd/webhookd/alerts"
	"github.com/webhookd/webhookd/internal/notify"
)

// Notifier tells the product what changed (notify.Sender).
type Notifier interface {
	Send(ctx context.Context, n notify.Notification) error
}

// notes collects the notifications of an activity's changes; nil without
// a Notifier, so a run without one calls nothing more.
type notes struct {
	a     *Activities
	ev    EventRef
	list  []notify.Notification
	clock time.Time
}

func (a *Activities) notes(ev EventRef) *notes {
	return &notes{a: a, ev: ev, clock: time.Now()}
}

// add notes a change of typ to subject, unless nobody listens.
func (n *notes) add(typ, subject string, data any) {
	if n.a.Notifier == nil {
		return
	}
	n.list = append(n.list, notify.New(n.ev.Provider, n.ev.EventID, typ, subject, n.clock, data))
}

// userCreated notes a user the event created.
func (n *notes) userCreated(id, email string) {
	n.add(notify.UserCreated, id, map[string]string{"user_id": id, "email": email})
}

// ErrTypeNotificationRefused: the product's receiver refused a
// notification (a 4xx): not retried.
const ErrTypeNotificationRefused = "NotificationRefused"

// NotifyProduct posts one notification to the product. A receiver's 5xx,
// 408, 429 (after its Retry-After) and timeouts are retried on the
// workflow's policy; a 4xx other than those fails the notification and
// opens the incident of the refusals (the event itself stays applied).
func (a *Activities) NotifyProduct(ctx context.Context, n notify.Notification) error {
	if a.Notifier == nil {
		activity.GetLogger(ctx).Warn("notification dropped: WEBHOOKD_NOTIFY_URL is unset on this worker", "type", n.Type, "webhook_id", n.ID)
		return nil
	}
	err := a.Notifier.Send(ctx, n)
	var later *notify.RetryAfter
	switch {
	case err == nil:
		return nil
	case errors.As(err, &later):
		return temporal.NewApplicationErrorWithOptions(err.Error(), "NotificationDelayed", temporal.ApplicationErrorOptions{NextRetryDelay: later.Delay})
	case errors.Is(err, notify.ErrRefused):
		info := activity.GetInfo(ctx)
		if a.Incidents != nil {
			if ierr := a.Incidents.Failed(ctx, alerts.Failure{Provider: "notify", EventType: n.Type, EventID: n.ID,
				WorkflowID: info.WorkflowExecution.ID, RunID: info.WorkflowExecution.RunID, Attempts: info.Attempt,
				Error: err.Error() + " (WEBHOOKD_NOTIFY_URL)"}); ierr != nil {
				return ierr // retried: the incident must hear of it
			}
		}
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeNotificationRefused, nil)
	}
	return err
}

// Noted is embedded in the result of each write that may change what the
// product knows: the changes it made, for the workflow to send.
type Noted struct {
	Notes []notify.Notification `json:",omitempty"`
}

// Notifications are the changes a write made, for the workflow to send.
func (n *Noted) Notifications() []notify.Notification { return n.Notes }
