package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/webhookd/webhookd/activities"
	"github.com/webhookd/webhookd/alerts"
	"github.com/webhookd/webhookd/internal/domain"
	"github.com/webhookd/webhookd/internal/email"
)

// paymentSucceeded records the payment once and sends the confirmation. A
// charge that only updated the payment method records and sends nothing.
func paymentSucceeded(ctx workflow.Context, ev event, p domain.Payment) error {
	if p.NoCharge {
		return nil
	}
	var res activities.RecordPaymentResult
	if err := ev.write(ctx, "record payment "+p.ID, a.RecordPayment, activities.RecordPaymentInput{
		Event: ev.ref, PaymentID: p.ID, Customer: p.Customer, Amount: p.Amount, Currency: p.Currency, Status: "succeeded",
	}, &res); err != nil {
		return err
	}
	if err := ev.knowUser(ctx, res.UserID); err != nil {
		return err
	}
	in := activities.SendEmailInput{Customer: p.Customer, Template: email.PaymentConfirmation, Data: map[string]string{
		"amount": displayAmount(p.Amount, p.Currency), "currency": p.Currency, "payment_id": p.ID,
	}}
	if p.OncePerPayment {
		in.Key = "payment:" + ev.ref.Provider + ":" + p.ID + ":" + email.PaymentConfirmation
	}
	return sendEmail(ctx, ev, in)
}

// disputeOpened tells on-call at once: a dispute has a deadline.
func disputeOpened(ctx workflow.Context, ev event, d domain.Dispute) error {
	due := "see the provider's dashboard"
	if d.DueBy != nil {
		due = d.DueBy.Format("2006-01-02 15:04 MST")
	}
	return workflow.ExecuteActivity(summarized(ctx, "tell on-call of dispute "+d.ID), a.Notify, alerts.Alert{
		Summary: "webhookd: payment disputed: " + displayAmount(d.Amount, d.Currency) + " " + d.Currency + " (" + d.Reason + "), evidence due " + due,
		Title:   "Payment disputed: " + ev.ref.Provider,
		Fields: []alerts.Field{{Name: "Amount", Value: displayAmount(d.Amount, d.Currency) + " " + d.Currency},
			{Name: "Reason", Value: d.Reason}, {Name: "Charge", Value: "`" + d.ChargeID + "`"}, {Name: "Evidence due", Value: due}},
		Error:  "dispute " + d.ID + " opened on charge " + d.ChargeID,
		Footer: "Answer it in the provider's dashboard before the deadline.",
	}).Get(ctx, nil)
}

// paymentFailed tells the customer, with the provider's reason.
func paymentFailed(ctx workflow.Context, ev event, p domain.Payment) error {
	data := map[string]string{"currency": p.Currency, "payment_id": p.ID, "reason": p.Reason}
	if !p.NoAmount {
		data["amount"] = displayAmount(p.Amount, p.Currency)
	}
	return sendEmail(ctx, ev, activities.SendEmailInput{Customer: p.Customer, Template: email.PaymentFailed, Data: data})
}

// paymentRefunded marks the payment refunded.
func paymentRefunded(ctx workflow.Context, ev event, r domain.Refund) error {
	return ev.write(ctx, "refund payment "+r.PaymentID, a.RefundPayment, activities.RefundInput{Event: ev.ref, PaymentID: r.PaymentID, Amount: r.Amount}, nil)
}
