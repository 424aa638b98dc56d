package provider

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// ErrBadEnvelope is wrapped by every envelope error (HTTP 400).
var ErrBadEnvelope = errors.New("bad envelope")

// MaxIDLength bounds event types, and event ids with their provider's name:
// "{provider}:{id}" is the workflow ID, which Temporal's visibility store
// keeps in a 255-character column, and the type a search attribute value.
const MaxIDLength = 255

// Event times outside [EarliestEventTime, now + MaxEventTimeAhead] are bad
// envelopes: no provider sends them, and such times overflow what
// PostgreSQL and Temporal's JSON can hold (year 10000 and later).
var (
	EarliestEventTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	MaxEventTimeAhead = 24 * time.Hour
)

// Envelope is what webhookd needs from a request besides the signature.
type Envelope struct {
	ID         string
	Type       string
	OccurredAt time.Time // zero when the provider sends none
	Data       json.RawMessage
	// Payload is the envelope to record when it is not the body itself:
	// a form body's fields as a JSON object (the event log keeps JSON).
	Payload json.RawMessage
}

func badEnvelope(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadEnvelope, fmt.Sprintf(format, args...))
}

// ParseEnvelope finds the event id, type, time and data of a verified
// request. signedID and signedAt come from the signature (standard-webhooks
// signs the message id and timestamp) and are used when the configured
// location is a header. Whatever Temporal or PostgreSQL would refuse for
// good is refused here: ids and types must be printable ASCII without
// spaces, fit the workflow ID and search attribute limits, and the event
// time must lie between EarliestEventTime and now + MaxEventTimeAhead.
func (p Provider) ParseEnvelope(h http.Header, body []byte, signedID string, signedAt, now time.Time) (Envelope, error) {
	doc, payload, err := parseBody(h, body)
	if err != nil {
		return Envelope{}, err
	}
	var env Envelope
	env.Payload = payload
	if env.ID, err = p.text(p.EventID, h, body, doc); err != nil {
		return Envelope{}, badEnvelope("event id: %v", err)
	}
	if env.ID == "" && strings.EqualFold(p.EventID, "header:webhook-id") {
		env.ID = signedID // the svix-id twin
	}
	if env.Type, err = p.text(p.EventType, h, body, doc); err != nil {
		return Envelope{}, badEnvelope("event type: %v", err)
	}
	if err := p.checkIDs(env); err != nil {
		return Envelope{}, err
	}
	if p.OccurredAt != "" {
		raw, _ := lookup(p.OccurredAt, h, doc)
		env.OccurredAt = parseTime(raw)
	}
	if env.OccurredAt.IsZero() {
		env.OccurredAt = signedAt
	}
	if t := env.OccurredAt; !t.IsZero() && (t.Before(EarliestEventTime) || t.After(now.Add(MaxEventTimeAhead))) {
		return Envelope{}, badEnvelope("event time %s is out of range (%s to a day from now)", t.Format(time.RFC3339), EarliestEventTime.Format("2006-01-02"))
	}
	if payload != nil {
		env.Data = p.data(payload, doc)
	} else {
		env.Data = p.data(body, doc)
	}
	return env, nil
}

// parseBody reads a JSON object, a JSON array (a batch, as SendGrid
// sends: its elements under "items") or, with a form content type, the
// form's fields (their first values) as an object, which is then also the
// payload to record.
func parseBody(h http.Header, body []byte) (map[string]json.RawMessage, json.RawMessage, error) {
	if ct, _, _ := mime.ParseMediaType(h.Get("Content-Type")); ct == "application/x-www-form-urlencoded" {
		vals, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, nil, badEnvelope("form body: %v", err)
		}
		fields := make(map[string]string, len(vals))
		for k, v := range vals {
			fields[k] = v[0]
		}
		payload, _ := json.Marshal(fields)
		var doc map[string]json.RawMessage
		_ = json.Unmarshal(payload, &doc)
		return doc, payload, nil
	}
	// One decode: an object into its keys, an array (a batch) as itself.
	var doc map[string]json.RawMessage
	var items json.RawMessage
	batch := bytes.HasPrefix(bytes.TrimLeft(body, " \t\r\n"), []byte("["))
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var err error
	if batch {
		err = dec.Decode(&items)
	} else {
		err = dec.Decode(&doc)
	}
	if err != nil || (!batch && doc == nil) {
		return nil, nil, badEnvelope("body is not a JSON object")
	}
	if dec.More() {
		return nil, nil, badEnvelope("body has data after the JSON object")
	}
	if key := foldedDuplicateKey(body); key != "" {
		return nil, nil, badEnvelope("an object repeats the key %.64q (exactly or in another case): it would be read one way and shown another", key)
	}
	if batch {
		return map[string]json.RawMessage{"items": items}, nil, nil
	}
	return doc, nil, nil
}

// validLocation reports whether loc is header:Name, json:path, form:Field
// or const:value.
func validLocation(loc string) bool {
	for _, p := range []string{"header:", "json:", "form:", "const:"} {
		if strings.HasPrefix(loc, p) {
			return true
		}
	}
	return false
}

// checkIDs refuses an event id or type that is empty, not printable ASCII
// (gRPC headers carry the workflow ID), or longer than its limit.
func (p Provider) checkIDs(env Envelope) error {
	for _, f := range []struct {
		name, v, loc string
		max          int
	}{
		{"event id", env.ID, p.EventID, MaxIDLength - len(p.Name) - 1},
		{"event type", env.Type, p.EventType, MaxIDLength},
	} {
		if f.v == "" {
			return badEnvelope("no %s (%s)", f.name, f.loc)
		}
		if len(f.v) > f.max {
			return badEnvelope("%s longer than %d bytes", f.name, f.max)
		}
		for i := 0; i < len(f.v); i++ {
			if c := f.v[i]; c <= ' ' || c > '~' {
				return badEnvelope("%s has a character other than printable ASCII (spaces, control characters and non-ASCII are refused)", f.name)
			}
		}
	}
	return nil
}

// data returns the configured data object of a parsed body, or the whole
// body when the location is "json:"; nil when there is none.
func (p Provider) data(body []byte, doc map[string]json.RawMessage) json.RawMessage {
	switch p.Data {
	case "json:", "form:":
		return json.RawMessage(body)
	case "":
		raw, _ := lookup("json:data", nil, doc)
		return raw
	}
	raw, _ := lookup(p.Data, nil, doc)
	return raw
}

// text reads a string (or number) at a location.
func (p Provider) text(loc string, h http.Header, body []byte, doc map[string]json.RawMessage) (string, error) {
	if loc == BodyHashID {
		sum := sha256.Sum256(body)
		return hex.EncodeToString(sum[:]), nil
	}
	raw, ok := lookup(loc, h, doc)
	if !ok {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return strings.TrimSpace(s), nil
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err == nil {
		return n.String(), nil
	}
	return "", fmt.Errorf("%s is not a string", loc)
}

// lookup resolves "header:Name" (as a JSON string), "json:a.b.c",
// "form:Field" (a form body's field) or "const:value".
func lookup(loc string, h http.Header, doc map[string]json.RawMessage) (json.RawMessage, bool) {
	if v, ok := strings.CutPrefix(loc, "const:"); ok {
		b, _ := json.Marshal(v)
		return b, v != ""
	}
	if f, ok := strings.CutPrefix(loc, "form:"); ok {
		loc = "json:" + f
	}
	if name, ok := strings.CutPrefix(loc, "header:"); ok {
		if h == nil {
			return nil, false
		}
		v := strings.TrimSpace(h.Get(name))
		if v == "" {
			return nil, false
		}
		b, _ := json.Marshal(v)
		return b, true
	}
	path, ok := strings.CutPrefix(loc, "json:")
	if !ok || path == "" {
		return nil, false
	}
	cur := doc
	parts := strings.Split(path, ".")
	for i, part := range parts {
		raw, ok := cur[part]
		if !ok {
			return nil, false
		}
		if i == len(parts)-1 {
			if string(raw) == "null" {
				return nil, false
			}
			return raw, true
		}
		if err := json.Unmarshal(raw, &cur); err != nil {
			return nil, false
		}
	}
	return nil, false
}

// parseTime reads RFC 3339 strings and Unix seconds or milliseconds.
func parseTime(raw json.RawMessage) time.Time {
	if len(raw) == 0 {
		return time.Time{}
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		s = string(raw)
	}
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC()
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
		if n > 1e12 {
			return time.UnixMilli(n).UTC()
		}
		return time.Unix(n, 0).UTC()
	}
	return time.Time{}
}
