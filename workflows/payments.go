package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/webhookd/webhookd/activities"
	"github.com/webhookd/webhookd/alerts"
	"github.com/webhookd/webhookd/internal/domain"
	"github.com/webhookd/webhookd/internal/email"
	"github.com/webhookd/webhookd/internal/money"
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
		"amount": money.Amount(p.Amount, p.Currency), "currency": p.Currency, "payment_id": p.ID,
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
	amount := disputeAmount(d)
	return workflow.ExecuteActivity(summarized(ctx, "tell on-call of dispute "+d.ID), a.Notify, alerts.Alert{
		Summary: "webhookd: payment disputed: " + amount + " (" + d.Reason + "), evidence due " + due,
		Title:   "Payment disputed: " + ev.ref.Provider,
		Fields: []alerts.Field{{Name: "Amount", Value: amount},
			{Name: "Reason", Value: alerts.Plain(d.Reason)}, {Name: "Charge", Value: alerts.Code(d.ChargeID)}, {Name: "Evidence due", Value: due}},
		Error:  "dispute " + d.ID + " opened on charge " + d.ChargeID,
		Footer: "Answer it in the provider's dashboard before the deadline.",
		Thread: disputeThread(ev, d),
	}).Get(ctx, nil)
}

// paymentFailed tells the customer, with the provider's reason.
func paymentFailed(ctx workflow.Context, ev event, p domain.Payment) error {
	data := map[string]string{"currency": p.Currency, "payment_id": p.ID, "reason": p.Reason}
	if !p.NoAmount {
		data["amount"] = money.Amount(p.Amount, p.Currency)
	}
	return sendEmail(ctx, ev, activities.SendEmailInput{Customer: p.Customer, Template: email.PaymentFailed, Data: data})
}

// paymentRefunded keeps the refund and settles the payment's refunded
// amount and status.
func paymentRefunded(ctx workflow.Context, ev event, r domain.Refund) error {
	return ev.write(ctx, "refund payment "+r.PaymentID, a.RefundPayment, activities.RefundInput{
		Event: ev.ref, PaymentID: r.PaymentID, Amount: r.Amount, RefundID: r.RefundID, Currency: r.Currency,
		Status: r.Status, RunningTotal: r.RunningTotal, Full: r.Full,
	}, &activities.RefundResult{})
}

// paymentReferenced records another id of a payment, so refunds that name
// it find the payment.
func paymentReferenced(ctx workflow.Context, ev event, r domain.Reference) error {
	return ev.write(ctx, "payment "+r.PaymentID+" is also "+r.Ref, a.AddPaymentRef,
		activities.PaymentRefInput{Event: ev.ref, PaymentID: r.PaymentID, Ref: r.Ref}, nil)
}

// disputeClosed tells on-call how a dispute ended (or that it moved on).
func disputeClosed(ctx workflow.Context, ev event, d domain.Dispute) error {
	amount := disputeAmount(d)
	return workflow.ExecuteActivity(summarized(ctx, "tell on-call dispute "+d.ID+" is "+d.Outcome), a.Notify, alerts.Alert{
		Summary: "webhookd: dispute " + d.ID + " " + d.Outcome + ": " + amount,
		Title:   "Dispute " + d.Outcome + ": " + ev.ref.Provider,
		Fields: []alerts.Field{{Name: "Outcome", Value: d.Outcome}, {Name: "Amount", Value: amount},
			{Name: "Payment", Value: alerts.Code(d.ChargeID)}},
		Error:  "dispute " + d.ID + " on " + d.ChargeID + ": " + d.Outcome,
		Footer: "Follow-up of the dispute opened earlier; details in the provider's dashboard.",
		Thread: disputeThread(ev, d),
	}).Get(ctx, nil)
}

// disputeThread names the alert thread of a dispute: its opening and its
// outcomes are one thread on Slack with a bot token.
func disputeThread(ev event, d domain.Dispute) string {
	return "dispute:" + ev.ref.Provider + ":" + d.ID
}

// disputeAmount is the disputed amount for people.
func disputeAmount(d domain.Dispute) string {
	if d.NoAmount {
		return "amount not given"
	}
	return money.Format(d.Amount, d.Currency)
}
