package ingress_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/webhookd/webhookd/ingress"
	"github.com/webhookd/webhookd/internal/domain"
	"github.com/webhookd/webhookd/internal/lifecycle"
	"github.com/webhookd/webhookd/internal/postgres/pgtest"
	"github.com/webhookd/webhookd/internal/provider"
	"github.com/webhookd/webhookd/internal/signature"
	"github.com/webhookd/webhookd/internal/store"
)

const publicURL = "https://hooks.example.com"

// presetSecrets are a secret for every preset, as its provider shows it,
// and the private keys of the asymmetric ones.
func presetSecrets(t *testing.T) (map[string]string, map[string]crypto.Signer) {
	t.Helper()
	env := map[string]string{}
	priv := map[string]crypto.Signer{}
	for _, pr := range provider.Presets() {
		v := secretOf(pr, "preset-secret-of-")
		if pr.SecretFormat == "public-key" {
			if pr.Scheme == signature.SendGrid {
				k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
				der, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
				v, priv[pr.Name] = base64.StdEncoding.EncodeToString(der), k
			} else {
				pub, k, _ := ed25519.GenerateKey(rand.Reader)
				v, priv[pr.Name] = hex.EncodeToString(pub), k
			}
		}
		env[provider.SecretEnv(pr.Name)] = v
	}
	return env, priv
}

// presetDelivery is a delivery shaped by the preset's envelope locations:
// an id, a type and a time where the preset reads them.
func presetDelivery(pr provider.Preset, id string, now time.Time) (http.Header, []byte) {
	h := http.Header{}
	doc := map[string]any{}
	form := url.Values{}
	set := func(loc string, v any) {
		switch {
		case strings.HasPrefix(loc, "header:"):
			h.Set(strings.TrimPrefix(loc, "header:"), toString(v))
		case strings.HasPrefix(loc, "form:") && loc != "form:":
			form.Set(strings.TrimPrefix(loc, "form:"), toString(v))
		case strings.HasPrefix(loc, "json:") && loc != "json:":
			cur := doc
			parts := strings.Split(strings.TrimPrefix(loc, "json:"), ".")
			for _, p := range parts[:len(parts)-1] {
				next, ok := cur[p].(map[string]any)
				if !ok {
					next = map[string]any{}
					cur[p] = next
				}
				cur = next
			}
			cur[parts[len(parts)-1]] = v
		}
	}
	set(pr.Data, map[string]any{"object": "obj_1"}) // first: the others may lie inside it
	set(pr.EventID, id)
	set(pr.EventType, "thing.updated")
	set(pr.OccurredAt, now.Unix())
	if pr.Scheme == signature.Discord {
		doc["type"] = 1 // an event; 0 is the PING
	}
	if strings.HasPrefix(pr.EventType, "form:") {
		h.Set("Content-Type", "application/x-www-form-urlencoded")
		return h, []byte(form.Encode())
	}
	if pr.Name == "sendgrid" {
		b, _ := json.Marshal([]any{map[string]any{"email": "a@example.com", "event": "delivered", "sg_event_id": id}})
		return h, b
	}
	h.Set("Content-Type", "application/json")
	b, _ := json.Marshal(doc)
	return h, b
}

func toString(v any) string {
	if n, ok := v.(int64); ok {
		return strconv.FormatInt(n, 10)
	}
	s, _ := v.(string)
	return s
}

func presetFixture(t *testing.T) (http.Handler, *store.Store, map[string]*provider.Provider, map[string]crypto.Signer) {
	t.Helper()
	env, priv := presetSecrets(t)
	var file strings.Builder
	file.WriteString("providers:\n")
	for _, pr := range provider.Presets() {
		file.WriteString("  - name: " + pr.Name + "\n    preset: " + pr.Name + "\n")
	}
	file.WriteString("  - name: generic\n    scheme: hmac-hex\n    format: generic\n")
	env["WEBHOOKD_SECRET_GENERIC"] = "generic-secret-1234"
	cfg := t.TempDir() + "/providers.yaml"
	os.WriteFile(cfg, []byte(file.String()), 0o600)
	providers, err := provider.LoadProviders(cfg, false, func(k string) string { return env[k] }, nil)
	if err != nil {
		t.Fatal(err)
	}
	st := store.New(pgtest.New(t))
	h, err := ingress.New(ingress.Options{
		Providers: providers, Events: &lifecycle.Service{Store: st, Runs: &starter{started: map[string]int{}}, Logger: slog.New(slog.DiscardHandler)},
		PublicURL: publicURL, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Registry: prometheus.NewRegistry(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return h, st, providers, priv
}

// sign signs a delivery as the preset's provider would.
func sign(t *testing.T, p *provider.Provider, key crypto.Signer, id string, now time.Time, h http.Header, body []byte) []byte {
	t.Helper()
	s := signature.Signer{Scheme: p.Scheme, Header: p.SignatureHeader, Svix: p.SvixHeaders, Hash: p.SignatureHash,
		URL: publicURL + "/webhooks/" + p.Name, PrivateKey: key}
	if keys := p.Keys(); key == nil {
		s.Secret = keys[0]
	}
	body, sh, err := s.SignBody(id, now, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range sh {
		h[k] = v
	}
	return body
}

func post(hd http.Handler, name string, h http.Header, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/webhooks/"+name, bytes.NewReader(body))
	req.Header = h.Clone()
	w := httptest.NewRecorder()
	hd.ServeHTTP(w, req)
	return w
}

// Every preset takes a delivery signed as its provider signs it, shaped as
// its provider shapes it, and refuses it tampered, stale or under another
// secret; a provider from the file is never read as webhookd's payment or
// email shapes (format none).
func TestEveryPreset(t *testing.T) {
	hd, st, providers, priv := presetFixture(t)
	ctx := context.Background()
	now := time.Now()
	for _, pr := range provider.Presets() {
		t.Run(pr.Name, func(t *testing.T) {
			p := providers[pr.Name]
			id := "evt_" + strings.ReplaceAll(pr.Name, "-", "_") + "_1"
			h, body := presetDelivery(pr, id, now)
			body = sign(t, p, priv[pr.Name], id, now, h, body)
			if w := post(hd, pr.Name, h, body); w.Code != http.StatusOK && w.Code != http.StatusNoContent {
				t.Fatalf("signed delivery: %d %s", w.Code, w.Body)
			}
			evs, _ := st.ListEvents(ctx, store.EventFilter{Provider: pr.Name})
			if len(evs) != 1 {
				t.Fatalf("%d events recorded", len(evs))
			}
			// Tampered: a byte more in the body.
			tampered := append(bytes.Clone(body), ' ')
			if strings.HasPrefix(pr.EventType, "form:") {
				tampered = append(bytes.Clone(body), "&x=1"...)
			}
			if w := post(hd, pr.Name, h, tampered); w.Code != http.StatusUnauthorized && !(pr.Scheme == signature.Basic || pr.Scheme == signature.Token || pr.Scheme == signature.Mailgun) {
				t.Errorf("tampered body: %d %s", w.Code, w.Body)
			}
			// Another secret.
			other := *p
			other.Secrets = nil
			var otherKey crypto.Signer
			if priv[pr.Name] != nil {
				if pr.Scheme == signature.SendGrid {
					otherKey, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
				} else {
					_, otherKey, _ = ed25519.GenerateKey(rand.Reader)
				}
			} else {
				other.Secrets = []string{secretOf(pr, "other-secrets-of-")}
			}
			h2, body2 := presetDelivery(pr, id+"x", now)
			body2 = sign(t, &other, otherKey, id+"x", now, h2, body2)
			if w := post(hd, pr.Name, h2, body2); w.Code != http.StatusUnauthorized {
				t.Errorf("another secret: %d %s", w.Code, w.Body)
			}
		})
	}
}

// env is the secret presetSecrets gives an HMAC preset.
func env(pr provider.Preset) string { return secretOf(pr, "preset-secret-of-") }

func secretOf(pr provider.Preset, prefix string) string {
	v := prefix + pr.Name
	switch {
	case pr.Name == "polar":
		return "polar_whs_" + strings.Repeat("p0lar", 8) + prefix[:1]
	case pr.SecretFormat == "base64":
		return "whsec_" + base64.StdEncoding.EncodeToString([]byte(v))
	case pr.SecretFormat == "basic":
		return "postmark:" + v
	}
	return v
}

// The handshakes are answered as each provider expects, and record
// nothing; Clerk's and Polar's subscription.created are recorded as
// events of format none, never read as webhookd's subscriptions.
func TestHandshakesAndFormatNone(t *testing.T) {
	hd, st, providers, priv := presetFixture(t)
	ctx := context.Background()
	now := time.Now()

	signedPost := func(name string, body []byte) *httptest.ResponseRecorder {
		h := http.Header{"Content-Type": {"application/json"}}
		body = sign(t, providers[name], priv[name], "msg_hs", now, h, body)
		return post(hd, name, h, body)
	}
	if w := signedPost("slack", []byte(`{"token":"x","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`)); w.Code != 200 ||
		strings.TrimSpace(w.Body.String()) != `{"challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}` {
		t.Errorf("slack url_verification: %d %s", w.Code, w.Body)
	}
	w := signedPost("zoom", []byte(`{"payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"},"event_ts":1654503849680,"event":"endpoint.url_validation"}`))
	mac := hmac.New(sha256.New, []byte(env(provider.Preset{Name: "zoom"})))
	mac.Write([]byte("qgg8vlvZRS6UYooatFL8Aw"))
	var zoom map[string]string
	if json.Unmarshal(w.Body.Bytes(), &zoom); w.Code != 200 || zoom["plainToken"] != "qgg8vlvZRS6UYooatFL8Aw" || zoom["encryptedToken"] != hex.EncodeToString(mac.Sum(nil)) {
		t.Errorf("zoom endpoint.url_validation: %d %s", w.Code, w.Body)
	}
	if w := signedPost("discord", []byte(`{"version":1,"application_id":"1234560123453231555","type":0}`)); w.Code != http.StatusNoContent || w.Body.Len() != 0 {
		t.Errorf("discord PING: %d %q", w.Code, w.Body)
	}
	if w := post(hd, "woocommerce", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, []byte("webhook_id=42")); w.Code != 200 {
		t.Errorf("woocommerce ping: %d %s", w.Code, w.Body)
	}
	if w := post(hd, "woocommerce", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, []byte("webhook_id=42&x=1")); w.Code != http.StatusUnauthorized {
		t.Errorf("woocommerce ping with more fields, unsigned: %d, want 401", w.Code)
	}
	req := httptest.NewRequest(http.MethodHead, "/webhooks/intercom", nil)
	rec := httptest.NewRecorder()
	hd.ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Errorf("intercom HEAD: %d", rec.Code)
	}
	if evs, _ := st.ListEvents(ctx, store.EventFilter{}); len(evs) != 0 {
		t.Errorf("handshakes recorded %d events", len(evs))
	}

	// subscription.created from Clerk and Polar: recorded, of format none,
	// so the run will ignore it (the generic shapes would fail it for a
	// missing subscriptionId, userId and plan).
	for _, name := range []string{"clerk", "polar"} {
		body := []byte(`{"type":"subscription.created","timestamp":` + strconv.FormatInt(now.UnixMilli(), 10) + `,"data":{"id":"sub_1","status":"active"}}`)
		if w := signedPost(name, body); w.Code != 200 {
			t.Fatalf("%s subscription.created: %d %s", name, w.Code, w.Body)
		}
		evs, _ := st.ListEvents(ctx, store.EventFilter{Provider: name})
		if len(evs) != 1 {
			t.Fatalf("%s: %d events", name, len(evs))
		}
		dom, err := providers[name].Spec().Normalize("subscription.created", evs[0].Data)
		if dom != nil || err != nil {
			t.Errorf("%s subscription.created read as %v, %v: want ignored", name, dom, err)
		}
	}
	dom, err := providers["generic"].Spec().Normalize("subscription.created", []byte(`{"id":"sub_1"}`))
	if dom != nil || err == nil || !strings.Contains(err.Error(), domain.ErrBadData.Error()) {
		t.Errorf("format generic still reads its shapes: %v, %v", dom, err)
	}
}
