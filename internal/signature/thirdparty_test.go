package signature_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stripe/stripe-go/v82/webhook"
	svix "github.com/svix/svix-webhooks/go"

	"github.com/webhookd/webhookd/internal/signature"
)

// Requests signed by the providers' own published libraries verify, and any
// tampering fails.
func TestSignedByProviderLibraries(t *testing.T) {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	body := []byte(`{"type":"payment.succeeded","data":{"amount":1999}}`)
	now := time.Now()
	key := key(t, signature.StandardWebhooks, secret)

	sw, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	swSig, err := sw.Sign("msg_1", now, body)
	if err != nil {
		t.Fatal(err)
	}
	sv, err := svix.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	svSig, err := sv.Sign("msg_1", now, body)
	if err != nil {
		t.Fatal(err)
	}
	stripeSigned := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: "whsec_stripe_test", Timestamp: now})

	std := func(prefix, sig string) http.Header {
		h := http.Header{}
		h.Set(prefix+"-id", "msg_1")
		h.Set(prefix+"-timestamp", fmtUnix(now))
		h.Set(prefix+"-signature", sig)
		return h
	}
	stripeHeader := http.Header{}
	stripeHeader.Set("Stripe-Signature", stripeSigned.Header)

	tests := []struct {
		name string
		v    *signature.Verifier
		h    http.Header
	}{
		{"standard-webhooks library", &signature.Verifier{Scheme: signature.StandardWebhooks, Secrets: [][]byte{key}}, std("webhook", swSig)},
		{"svix library (svix- headers)", &signature.Verifier{Scheme: signature.StandardWebhooks, Secrets: [][]byte{key}}, std("svix", svSig)},
		{"stripe-go", &signature.Verifier{Scheme: signature.Stripe, Secrets: [][]byte{[]byte("whsec_stripe_test")}}, stripeHeader},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.v.Verify(tt.h, body, now); err != nil {
				t.Fatalf("genuine request rejected: %v", err)
			}
			tampered := append([]byte{}, body...)
			tampered[len(tampered)-3] = '8'
			if _, err := tt.v.Verify(tt.h, tampered, now); err == nil {
				t.Fatal("tampered body accepted")
			}
		})
	}
}

func fmtUnix(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

// fixture is one file of testdata/thirdparty, written by sign.mjs with the
// providers' own libraries (see its README).
type fixture struct {
	Scheme string        `json:"scheme"`
	Cases  []fixtureCase `json:"cases"`
}

type fixtureCase struct {
	Name         string            `json:"name"`
	Library      string            `json:"library"`
	Secret       string            `json:"secret"`
	SecretFormat string            `json:"secret_format"`
	Header       string            `json:"header"`
	Hash         string            `json:"hash"`
	URL          string            `json:"url"`
	Headers      map[string]string `json:"headers"`
	Body         string            `json:"body"`
	NowMS        int64             `json:"now_ms"`
	LibraryValid bool              `json:"library_valid"`
}

func (c fixtureCase) request(now time.Time) signature.Request {
	h := http.Header{}
	for k, v := range c.Headers {
		h.Set(k, v)
	}
	return signature.Request{Header: h, Body: []byte(c.Body), URL: c.URL, Now: now}
}

// Requests signed (or, where a provider's library only verifies, judged)
// by the providers' published libraries: webhookd agrees with the library
// on every case, at the time it was signed; and a tampered body, another
// secret or key, and (where a time is signed) a stale timestamp fail with
// the right reason. The library of each case is in its file.
func TestProviderFixtures(t *testing.T) {
	files, err := filepath.Glob("testdata/thirdparty/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	timed := map[signature.Scheme]bool{signature.StandardWebhooks: true, signature.Paddle: true, signature.WorkOS: true,
		signature.Slack: true, signature.Zoom: true, signature.SendGrid: true, signature.Discord: true, signature.Mailgun: true}
	seen := map[signature.Scheme]bool{}
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var fx fixture
		if err := json.Unmarshal(raw, &fx); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		scheme := signature.Scheme(fx.Scheme)
		seen[scheme] = true
		for _, c := range fx.Cases {
			t.Run(fx.Scheme+"/"+c.Name, func(t *testing.T) {
				key, err := signature.DecodeSecretFormat(scheme, signature.SecretFormat(c.SecretFormat), 0, c.Secret)
				if err != nil {
					t.Fatalf("DecodeSecretFormat: %v", err)
				}
				v := &signature.Verifier{Scheme: scheme, Secrets: [][]byte{key}, Header: c.Header, Hash: c.Hash}
				now := time.UnixMilli(c.NowMS)
				_, err = v.VerifyRequest(c.request(now))
				if (err == nil) != c.LibraryValid {
					t.Fatalf("%s says valid=%v; VerifyRequest: %v", c.Library, c.LibraryValid, err)
				}
				if !c.LibraryValid {
					return
				}
				// Another secret or key, alone or first of a rotation.
				other := otherSecret(t, scheme, c)
				if _, err := (&signature.Verifier{Scheme: scheme, Secrets: [][]byte{other}, Header: c.Header, Hash: c.Hash}).VerifyRequest(c.request(now)); signature.ReasonOf(err) != signature.ReasonMismatch {
					t.Errorf("wrong secret: %v, want mismatch", err)
				}
				if _, err := (&signature.Verifier{Scheme: scheme, Secrets: [][]byte{other, key}, Header: c.Header, Hash: c.Hash}).VerifyRequest(c.request(now)); err != nil {
					t.Errorf("second key of a rotation: %v", err)
				}
				if scheme != signature.Mailgun { // Mailgun signs timestamp and token, not the body
					r := c.request(now)
					r.Body = tamper(r.Body)
					want := signature.ReasonMismatch
					if scheme == signature.Twilio && c.Body == "" {
						want = signature.ReasonMalformed // a body nothing signs
					}
					if _, err := v.VerifyRequest(r); signature.ReasonOf(err) != want {
						t.Errorf("tampered body: %v, want %s", err, want)
					}
				}
				if timed[scheme] {
					for _, d := range []time.Duration{6 * time.Minute, -6 * time.Minute} {
						if _, err := v.VerifyRequest(c.request(now.Add(d))); signature.ReasonOf(err) != signature.ReasonStale {
							t.Errorf("verified %s later: %v, want stale", d, err)
						}
					}
				}
			})
		}
	}
	for _, s := range []signature.Scheme{signature.HMACBase64, signature.HMACHex, signature.Paddle, signature.WorkOS, signature.Slack,
		signature.Zoom, signature.Twilio, signature.Square, signature.SendGrid, signature.Discord, signature.StandardWebhooks, signature.Mailgun} {
		if !seen[s] {
			t.Errorf("no fixture for %s", s)
		}
	}
}

// tamper changes one byte of a body in the middle, keeping it a form when
// it is one.
func tamper(b []byte) []byte {
	out := append([]byte{}, b...)
	for i := len(out) / 2; i < len(out); i++ {
		if c := out[i]; c >= 'a' && c <= 'y' || c >= '0' && c <= '8' {
			out[i]++
			return out
		}
	}
	return append(out, 'x')
}

// otherSecret is a secret or public key of the same kind as the case's
// that is not it.
func otherSecret(t *testing.T, s signature.Scheme, c fixtureCase) []byte {
	t.Helper()
	switch {
	case s == signature.Discord || s == signature.StandardWebhooks && strings.HasPrefix(c.Secret, "whpk_"):
		pub, _, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			t.Fatal(err)
		}
		return der
	case s == signature.SendGrid:
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	return []byte("another-secret-" + c.Secret)
}
