package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/webhookd/webhookd/examples"
	"github.com/webhookd/webhookd/internal/config"
)

// runSend signs and POSTs an event exactly as the provider's scheme would.
func runSend(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var s settings
	groups := fData | fProviders
	fs, b := newFlags("send", groups, &s, getenv, stderr)
	provider := fs.String("provider", "dodo", "provider to sign as")
	eventType := fs.String("type", "payment.succeeded", "event type")
	id := fs.String("id", "", "event id (default: a new random evt_…)")
	data := fs.String("data", "", "the data object: JSON, or @file (default: the example for --type)")
	target := fs.String("url", getenv("WEBHOOKD_URL"), "ingress base URL, or the full /webhooks/{provider} URL (env WEBHOOKD_URL; default: the dev stack of --data-dir, else http://127.0.0.1:8080)")
	if err := b.parse(args, &s); err != nil {
		return err
	}
	if *target == "" {
		*target = "http://127.0.0.1:8080"
		if st, ok := readDevState(s.DataDir); ok && st.IngressURL != "" {
			*target = st.IngressURL
		}
	}
	providers, err := s.providers(true, getenv)
	if err != nil {
		return err
	}
	p, ok := providers[*provider]
	if !ok {
		return fmt.Errorf("--provider %q: unknown; configured: %s", *provider, strings.Join(config.Names(providers), ", "))
	}
	signer, err := p.Signer()
	if err != nil {
		return fmt.Errorf("%w (in dev, run `webhookd dev` once with the same --data-dir to generate it)", err)
	}
	payload, err := loadData(*data, *eventType)
	if err != nil {
		return err
	}
	if *id == "" {
		buf := make([]byte, 12)
		_, _ = rand.Read(buf)
		*id = "evt_" + hex.EncodeToString(buf)
	}
	now := time.Now()
	h, body, err := p.BuildEnvelope(*id, *eventType, now, payload)
	if err != nil {
		return err
	}
	for k, v := range signer.Sign(*id, now, body) {
		h[k] = v
	}
	url := strings.TrimRight(*target, "/")
	if !strings.Contains(url, "/webhooks/") {
		url += "/webhooks/" + p.Name
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("--url: %w", err)
	}
	req.Header = h
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return fmt.Errorf("send: %w", err)
	}
	defer resp.Body.Close()
	respBody, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	fmt.Fprintf(stdout, "POST %s  %s %s\n%s %s\n", url, p.Name, *eventType, resp.Status, bytes.TrimSpace(respBody))
	if resp.StatusCode >= 300 {
		return fmt.Errorf("send: ingress answered %s", resp.Status)
	}
	return nil
}

func loadData(arg, eventType string) (json.RawMessage, error) {
	var raw []byte
	switch {
	case arg == "":
		return examples.Data(eventType)
	case strings.HasPrefix(arg, "@"):
		b, err := os.ReadFile(arg[1:])
		if err != nil {
			return nil, fmt.Errorf("--data: %w", err)
		}
		raw = b
	default:
		raw = []byte(arg)
	}
	if !json.Valid(raw) {
		return nil, fmt.Errorf("--data: not valid JSON")
	}
	return raw, nil
}
