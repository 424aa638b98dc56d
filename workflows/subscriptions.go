package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/webhookd/webhookd/activities"
	"github.com/webhookd/webhookd/internal/domain"
	"github.com/webhookd/webhookd/internal/email"
)

// subscriptionChanged applies a subscription snapshot: an active one makes
// its plan the user's plan, an ended one puts the user back on free, and
// payment trouble or the end is emailed when the snapshot is newer than
// the stored state. The cancellation is emailed once per subscription,
// whichever of its events says so.
func subscriptionChanged(ctx workflow.Context, ev event, s domain.Subscription) error {
	in := activities.ApplySubscriptionInput{
		Event: ev.ref, SubscriptionID: s.ID, Customer: s.Customer, Plan: s.Plan,
		Status: string(s.Status), CurrentPeriodEnd: s.PeriodEnd, CancelAtPeriodEnd: s.CancelAtPeriodEnd, OtherPlans: s.OtherPlans,
	}
	switch s.Status {
	case domain.SubscriptionEnded:
		in.UserPlan = "free"
	case domain.SubscriptionActive:
		in.UserPlan = s.Plan
	}
	var res activities.ApplySubscriptionResult
	if err := ev.write(ctx, "apply subscription "+s.ID+" ("+string(s.Status)+")", a.ApplySubscription, in, &res); err != nil {
		return err
	}
	if err := ev.knowUser(ctx, res.UserID); err != nil {
		return err
	}
	if !res.Applied || s.NoEmail {
		return nil
	}
	data := map[string]string{"plan": s.Plan, "subscription_id": s.ID}
	switch s.Status {
	case domain.SubscriptionPastDue:
		return sendEmail(ctx, ev, activities.SendEmailInput{Customer: s.Customer, Template: email.PaymentReminder, Data: data})
	case domain.SubscriptionEnded:
		return sendEmail(ctx, ev, activities.SendEmailInput{Customer: s.Customer, Template: email.SubscriptionCanceled, Data: data,
			Key: "subscription:" + ev.ref.Provider + ":" + s.ID + ":" + email.SubscriptionCanceled})
	}
	return nil
}
