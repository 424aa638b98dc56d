package workflows

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/webhookd/webhookd/activities"
	"github.com/webhookd/webhookd/internal/provider"
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

// handle applies a domain event; one file per family holds its handlers
// (payments.go, subscriptions.go, email.go).
func handle(ctx workflow.Context, ev event, dom provider.Event) error {
	switch {
	case dom.Payment != nil && dom.Kind == provider.PaymentSucceeded:
		return paymentSucceeded(ctx, ev, *dom.Payment)
	case dom.Payment != nil && dom.Kind == provider.PaymentFailed:
		return paymentFailed(ctx, ev, *dom.Payment)
	case dom.Refund != nil:
		return paymentRefunded(ctx, ev, *dom.Refund)
	case dom.Subscription != nil:
		return subscriptionChanged(ctx, ev, *dom.Subscription)
	case dom.Email != nil:
		return emailEvent(ctx, ev, dom.Kind, *dom.Email)
	case dom.Customer != nil:
		return ev.write(ctx, a.LinkCustomer, activities.LinkInput{Event: ev.ref, Customer: *dom.Customer}, nil)
	case dom.Dispute != nil:
		return disputeOpened(ctx, ev, *dom.Dispute)
	}
	return badData("%s: domain event %q has no payload", ev.ref.EventType, dom.Kind)
}

// badData is a permanent failure: retrying cannot fix the payload.
func badData(format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return temporal.NewNonRetryableApplicationError(msg, activities.ErrTypeBadData, nil)
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

func sendEmail(ctx workflow.Context, ev event, in activities.SendEmailInput) error {
	in.Event = ev.ref
	return workflow.ExecuteActivity(ctx, a.SendEmail, in).Get(ctx, nil)
}
