package provider

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// NewEventID is a fresh random event id in the evt_… shape.
func NewEventID() string {
	buf := make([]byte, 12)
	_, _ = rand.Read(buf)
	return "evt_" + hex.EncodeToString(buf)
}

// Sent is the ingress's answer to a delivery: where it went, its status
// and the first 64 KiB of its body.
type Sent struct {
	URL        string
	Status     string
	StatusCode int
	Body       []byte
}

// Send POSTs the signed delivery of the event (Delivery) to target: the
// ingress's base URL (the provider's /webhooks/ path is added), or a
// /webhooks/ URL as it is.
func (p Provider) Send(ctx context.Context, target, id, eventType string, occurred time.Time, data json.RawMessage) (Sent, error) {
	h, body, err := p.Delivery(id, eventType, occurred, time.Now(), data)
	if err != nil {
		return Sent{}, err
	}
	out := Sent{URL: strings.TrimRight(target, "/")}
	if !strings.Contains(out.URL, "/webhooks/") {
		out.URL += "/webhooks/" + p.Name
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, out.URL, bytes.NewReader(body))
	if err != nil {
		return out, fmt.Errorf("--url / WEBHOOKD_URL: %w", err)
	}
	req.Header = h
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return out, err
	}
	defer resp.Body.Close()
	out.Body, _ = io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	out.Body = bytes.TrimSpace(out.Body)
	out.Status, out.StatusCode = resp.Status, resp.StatusCode
	return out, nil
}
