package provider

import "encoding/json"

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

var resendKinds = map[string]Kind{
	"email.delivered": EmailDelivered, "email.opened": EmailOpened, "email.clicked": EmailClicked,
	"email.bounced": EmailBounced, "email.complained": EmailComplained, "email.suppressed": EmailSuppressed,
}

func resend(eventType string, data json.RawMessage) (Event, bool, error) {
	kind, ok := resendKinds[eventType]
	if !ok {
		return Event{}, false, nil
	}
	if genericEmailShape(data) {
		return Event{}, false, nil
	}
	var d resendEmail
	if err := decode(eventType, data, &d); err != nil {
		return Event{}, true, err
	}
	if err := required(eventType, [2]string{"email_id", d.EmailID}); err != nil {
		return Event{}, true, err
	}
	e := &Email{EmailID: d.EmailID, MessageID: d.MessageID, To: d.To}
	switch kind {
	case EmailBounced:
		if d.Bounce == nil || d.Bounce.Type == "" {
			return Event{}, true, badData(eventType, "missing bounce.type")
		}
		e.BounceType = d.Bounce.Type
		if d.Bounce.SubType != "" {
			e.BounceType += "/" + d.Bounce.SubType
		}
		e.Permanent = d.Bounce.Type == "Permanent"
		fallthrough
	case EmailComplained, EmailSuppressed:
		if len(d.To) == 0 {
			return Event{}, true, badData(eventType, "missing to")
		}
	}
	return Event{Kind: kind, Email: e}, true, nil
}

// genericEmailShape: webhookd's own example shape (email, bounce_type).
func genericEmailShape(data json.RawMessage) bool {
	return hasAnyKey(data, "email", "bounce_type")
}
