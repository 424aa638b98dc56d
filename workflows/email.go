package workflows

import (
	"fmt"

	"go.temporal.io/sdk/workflow"

	"github.com/webhookd/webhookd/activities"
	"github.com/webhookd/webhookd/internal/domain"
)

// emailEvent applies news of an email: delivered, opened and clicked stamp
// webhookd's email log; a permanent bounce or a suppression marks every
// address undeliverable (a transient bounce is recorded only); a complaint
// opts the addresses out of marketing.
func emailEvent(ctx workflow.Context, ev event, e domain.EmailNews) error {
	kind := e.News
	switch kind {
	case domain.KindEmailDelivered, domain.KindEmailOpened, domain.KindEmailClicked:
		stamp := map[domain.Kind]string{domain.KindEmailDelivered: "delivered", domain.KindEmailOpened: "opened", domain.KindEmailClicked: "clicked"}[kind]
		return ev.write(ctx, "stamp email "+domain.FirstNonEmpty(e.EmailID, e.MessageID)+" "+stamp, a.StampEmail, activities.EmailEventInput{Event: ev.ref, EmailID: e.EmailID, MessageID: e.MessageID, Kind: stamp}, nil)
	case domain.KindEmailBounced, domain.KindEmailSuppressed:
		in := activities.BounceInput{Event: ev.ref, Addresses: e.To, BounceType: e.BounceType, Transient: kind == domain.KindEmailBounced && !e.Permanent}
		if kind == domain.KindEmailSuppressed && in.BounceType == "" {
			in.BounceType = "Suppressed"
		}
		return ev.write(ctx, fmt.Sprintf("mark %d address(es) undeliverable (%s)", len(e.To), in.BounceType), a.MarkEmailInvalid, in, &activities.MatchResult{})
	case domain.KindEmailComplained:
		return ev.write(ctx, fmt.Sprintf("opt %d address(es) out of marketing", len(e.To)), a.OptOutMarketing, activities.ComplaintInput{Event: ev.ref, Addresses: e.To}, nil)
	}
	return badData("%s: email event %q has no handler", ev.ref.EventType, kind)
}
