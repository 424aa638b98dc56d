package provider

import (
	"encoding/json"

	"github.com/webhookd/webhookd/internal/domain"
)

// The resend format: Resend's email events (svix headers; envelope type,
// created_at, data). Field names follow resend-node's webhook event types.

type resendEmail struct {
	EmailID   string   `json:"email_id"`
	MessageID string   `json:"message_id"`
	To        []string `json:"to"`
	Bounce    *struct {
		Type    string `json:"type"`
		SubType string `json:"subType"`
	} `json:"bounce"`
}

var resendKinds = map[string]domain.Kind{
	"email.delivered": domain.KindEmailDelivered, "email.opened": domain.KindEmailOpened, "email.clicked": domain.KindEmailClicked,
	"email.bounced": domain.KindEmailBounced, "email.complained": domain.KindEmailComplained, "email.suppressed": domain.KindEmailSuppressed,
}

func resend(eventType string, data json.RawMessage) (domain.Event, error) {
	kind, ok := resendKinds[eventType]
	if !ok {
		return nil, nil
	}
	if genericEmailShape(data) {
		return nil, nil
	}
	var d resendEmail
	if err := decode(eventType, data, &d); err != nil {
		return nil, err
	}
	if err := required(eventType, [2]string{"email_id", d.EmailID}); err != nil {
		return nil, err
	}
	e := &domain.Email{EmailID: d.EmailID, MessageID: d.MessageID, To: d.To}
	switch kind {
	case domain.KindEmailBounced:
		if d.Bounce == nil || d.Bounce.Type == "" {
			return nil, badData(eventType, "missing bounce.type")
		}
		e.BounceType = d.Bounce.Type
		if d.Bounce.SubType != "" {
			e.BounceType += "/" + d.Bounce.SubType
		}
		e.Permanent = d.Bounce.Type == "Permanent"
		fallthrough
	case domain.KindEmailComplained, domain.KindEmailSuppressed:
		if len(d.To) == 0 {
			return nil, badData(eventType, "missing to")
		}
	}
	return domain.EmailNews{News: kind, Email: *e}, nil
}

// genericEmailShape: webhookd's own example shape (email, bounce_type).
func genericEmailShape(data json.RawMessage) bool {
	return hasAnyKey(data, "email", "bounce_type")
}
