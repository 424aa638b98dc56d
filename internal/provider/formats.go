package provider

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/webhookd/webhookd/internal/domain"
	"github.com/webhookd/webhookd/internal/money"
)

// badData is a domain.ErrBadData for the event type.
func badData(eventType, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", domain.ErrBadData, eventType, fmt.Sprintf(format, args...))
}

// Spec is what a format needs of its provider's configuration. It is
// stored with each event, so that whatever starts the event's run later
// (the sweep, a replay) normalizes it as the ingress would have.
type Spec struct {
	Format string `json:"format"`
	// UserIDKey is the metadata key holding the app's user id.
	UserIDKey string `json:"user_id_key,omitempty"`
	// Plans maps a product id to a plan name.
	Plans map[string]string `json:"plans,omitempty"`
	// NoUserCreation: an unknown user is never created from an event
	// (create_users: false).
	NoUserCreation bool `json:"no_user_creation,omitempty"`
	// Routes are the provider's routes at receipt (routes.go).
	Routes []RouteSpec `json:"routes,omitempty"`
}

// formats maps each format to its reader of provider events. A reader
// returns nil and no error for a type it has no domain event for; every
// format but stripe then tries the generic shapes, which it also takes.
var formats = map[string]func(s Spec, eventType string, data json.RawMessage) (domain.Event, error){
	"dodo":    dodo,
	"resend":  func(_ Spec, t string, d json.RawMessage) (domain.Event, error) { return resend(t, d) },
	"stripe":  stripe,
	"generic": func(Spec, string, json.RawMessage) (domain.Event, error) { return nil, nil },
	// none: no event is a domain event; each is recorded, routed, ignored.
	"none": func(Spec, string, json.RawMessage) (domain.Event, error) { return nil, nil },
}

// Formats lists the formats a provider can have.
func Formats() []string {
	names := make([]string, 0, len(formats))
	for name := range formats {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// Normalize turns a provider event into a domain event: nil for a type the
// format has no domain event for (the event is ignored); err wraps
// domain.ErrBadData when a handled type lacks what it needs. An unknown
// format reads the generic shapes.
func (s Spec) Normalize(eventType string, data json.RawMessage) (domain.Event, error) {
	if s.UserIDKey == "" {
		s.UserIDKey = "user_id"
	}
	if read, ok := formats[s.Format]; ok {
		ev, err := read(s, eventType, data)
		if ev != nil || err != nil || s.Format == "stripe" || s.Format == "none" {
			return s.creating(ev), err
		}
	}
	ev, err := generic(eventType, data)
	return s.creating(ev), err
}

// creating marks the customer of ev as one to create when the app's user
// id is unknown: the event names the user by the app's own id (the app
// vouched for it at checkout) and carries an address.
func (s Spec) creating(ev domain.Event) domain.Event {
	if s.NoUserCreation {
		return ev
	}
	mark := func(c *domain.Customer) {
		c.CreateUser = c.UserID != "" && c.Email != ""
	}
	switch e := ev.(type) {
	case domain.PaymentSucceeded:
		mark(&e.Payment.Customer)
		return e
	case domain.PaymentFailed:
		mark(&e.Payment.Customer)
		return e
	case domain.SubscriptionChanged:
		mark(&e.Subscription.Customer)
		return e
	case domain.CustomerLinked:
		mark(&e.Customer)
		return e
	}
	return ev
}

// decode reads data into v; no data object is bad data.
func decode(eventType string, data json.RawMessage, v any) error {
	if len(data) == 0 || string(data) == "null" {
		return badData(eventType, "payload has no data object")
	}
	if err := json.Unmarshal(data, v); err != nil {
		return badData(eventType, "malformed data: %v", err)
	}
	return nil
}

// required names the first empty field, as the provider spells it.
func required(eventType string, fields ...[2]string) error {
	var missing []string
	for _, f := range fields {
		if strings.TrimSpace(f[1]) == "" {
			missing = append(missing, f[0])
		}
	}
	if len(missing) > 0 {
		return badData(eventType, "missing %s", strings.Join(missing, ", "))
	}
	return nil
}

// metadataString reads a metadata value that may be a string or a number.
func metadataString(m map[string]json.RawMessage, key string) string {
	raw, ok := m[key]
	if !ok {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strings.TrimSpace(s)
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

// decodeMoney decodes data into a T and checks what a money event needs:
// the fields check names (as the provider spells them) are set, and the
// currency it returns is a three-letter code, returned upper-cased.
func decodeMoney[T any](eventType string, data json.RawMessage, check func(*T) (currency string, fields [][2]string)) (T, string, error) {
	var v T
	if err := decode(eventType, data, &v); err != nil {
		return v, "", err
	}
	code, fields := check(&v)
	if err := required(eventType, fields...); err != nil {
		return v, "", err
	}
	cur, err := currencyCode(eventType, code)
	return v, cur, err
}

// currencyCode is a provider's currency code upper-cased; one that is not
// three letters is bad data.
func currencyCode(eventType, code string) (string, error) {
	if !money.ValidCode(code) {
		return "", badData(eventType, "currency %.12q is not a three-letter code", code)
	}
	return strings.ToUpper(code), nil
}
