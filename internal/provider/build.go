package provider

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// BuildEnvelope places id, type, time and data where the provider's
// configuration says they are, so ParseEnvelope finds them again. The
// signature headers are the Signer's job.
func (p Provider) BuildEnvelope(id, eventType string, now time.Time, data json.RawMessage) (http.Header, []byte, error) {
	h := http.Header{}
	doc := map[string]any{}
	if p.Data == "json:" {
		if err := json.Unmarshal(data, &doc); err != nil {
			return nil, nil, fmt.Errorf("--data: provider %s sends the data object as the whole body: %w", p.Name, err)
		}
	} else if err := setAt(h, doc, p.Data, data); err != nil {
		return nil, nil, err
	}
	// standard-webhooks puts the id in the signed webhook-id header, which
	// the signer sets.
	if !strings.EqualFold(p.EventID, "header:webhook-id") && p.EventID != BodyHashID {
		if err := setAt(h, doc, p.EventID, id); err != nil {
			return nil, nil, err
		}
	}
	if err := setAt(h, doc, p.EventType, eventType); err != nil {
		return nil, nil, err
	}
	if p.OccurredAt != "" {
		var ts any = now.UTC().Format(time.RFC3339Nano)
		if p.Scheme == "stripe" {
			ts = now.Unix()
		}
		if err := setAt(h, doc, p.OccurredAt, ts); err != nil {
			return nil, nil, err
		}
	}
	if p.Scheme == "stripe" { // the rest of Stripe's event envelope
		doc["object"], doc["api_version"], doc["livemode"] = "event", StripeAPIVersion, false
		doc["pending_webhooks"], doc["request"] = 1, map[string]any{"id": nil, "idempotency_key": nil}
	}
	body, err := json.Marshal(doc)
	return h, body, err
}

func setAt(h http.Header, doc map[string]any, loc string, v any) error {
	if name, ok := strings.CutPrefix(loc, "header:"); ok {
		h.Set(name, fmt.Sprint(v))
		return nil
	}
	path, ok := strings.CutPrefix(loc, "json:")
	if !ok || path == "" {
		return fmt.Errorf("cannot place a value at %q", loc)
	}
	parts := strings.Split(path, ".")
	cur := doc
	for _, part := range parts[:len(parts)-1] {
		next, ok := cur[part].(map[string]any)
		if !ok {
			next = map[string]any{}
			cur[part] = next
		}
		cur = next
	}
	cur[parts[len(parts)-1]] = v
	return nil
}

// Delivery is a signed delivery of the event exactly as the provider
// would send it: the envelope with id, type, occurred time and data in
// their places, signed at now with the provider's first secret.
func (p Provider) Delivery(id, eventType string, occurred, now time.Time, data json.RawMessage) (http.Header, []byte, error) {
	signer, err := p.Signer()
	if err != nil {
		return nil, nil, err
	}
	h, body, err := p.BuildEnvelope(id, eventType, occurred, data)
	if err != nil {
		return nil, nil, err
	}
	for k, v := range signer.Sign(id, now, body) {
		h[k] = v
	}
	return h, body, nil
}
