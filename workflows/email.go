package workflows

import (
	"fmt"

	"go.temporal.io/sdk/workflow"

	"github.com/webhookd/webhookd/activities"
	"github.com/webhookd/webhookd/internal/provider"
)

// emailEvent applies news of an email: delivered, opened and clicked stamp
// webhookd's email log; a permanent bounce or a suppression marks every
// address undeliverable (a transient bounce is recorded only); a complaint
// opts the addresses out of marketing.
func emailEvent(ctx workflow.Context, ev event, kind provider.Kind, e provider.Email) error {
	switch kind {
	case provider.EmailDelivered, provider.EmailOpened, provider.EmailClicked:
		stamp := map[provider.Kind]string{provider.EmailDelivered: "delivered", provider.EmailOpened: "opened", provider.EmailClicked: "clicked"}[kind]
		return ev.write(ctx, "stamp email "+provider.FirstNonEmpty(e.EmailID, e.MessageID)+" "+stamp, a.StampEmail, activities.EmailEventInput{Event: ev.ref, EmailID: e.EmailID, MessageID: e.MessageID, Kind: stamp}, nil)
	case provider.EmailBounced, provider.EmailSuppressed:
		in := activities.BounceInput{Event: ev.ref, Addresses: e.To, BounceType: e.BounceType, Transient: kind == provider.EmailBounced && !e.Permanent}
		if kind == provider.EmailSuppressed && in.BounceType == "" {
			in.BounceType = "Suppressed"
		}
		return ev.write(ctx, fmt.Sprintf("mark %d address(es) undeliverable (%s)", len(e.To), in.BounceType), a.MarkEmailInvalid, in, nil)
	case provider.EmailComplained:
		return ev.write(ctx, fmt.Sprintf("opt %d address(es) out of marketing", len(e.To)), a.OptOutMarketing, activities.ComplaintInput{Event: ev.ref, Addresses: e.To}, nil)
	}
	return badData("%s: email event %q has no handler", ev.ref.EventType, kind)
}
