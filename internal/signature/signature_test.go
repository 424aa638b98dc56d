package signature_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/webhookd/webhookd/internal/signature"
)

func key(t testing.TB, s signature.Scheme, secret string) []byte {
	t.Helper()
	k, err := signature.DecodeSecret(s, secret)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// Vectors published in the schemes' own documentation.
func TestPublishedVectors(t *testing.T) {
	t.Run("standard-webhooks (Svix docs example)", func(t *testing.T) {
		h := http.Header{}
		h.Set("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek")
		h.Set("webhook-timestamp", "1614265330")
		h.Set("webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
		v := signature.Verifier{Scheme: signature.StandardWebhooks,
			Secrets: [][]byte{key(t, signature.StandardWebhooks, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")}}
		meta, err := v.Verify(h, []byte(`{"test": 2432232314}`), time.Unix(1614265330, 0))
		if err != nil {
			t.Fatal(err)
		}
		if meta.ID != "msg_p5jXN8AQM9LWM0D4loKWxJek" {
			t.Errorf("id = %q", meta.ID)
		}
	})
	t.Run("github (GitHub docs: validating webhook deliveries)", func(t *testing.T) {
		h := http.Header{}
		h.Set("X-Hub-Signature-256", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")
		v := signature.Verifier{Scheme: signature.GitHub, Secrets: [][]byte{[]byte("It's a Secret to Everybody")}}
		if _, err := v.Verify(h, []byte("Hello, World!"), time.Now()); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("stripe (docs algorithm: HMAC-SHA256 of t.body, hex)", func(t *testing.T) {
		// Stripe publishes the algorithm, not a vector; this one was computed
		// with Python's hmac module from that description.
		h := http.Header{}
		h.Set("Stripe-Signature", "t=1614265330,v1=f60156f07d9fcede64d2d4c42b7e1f12f459a2e0c0c293d0bd7f817fbc59ecf6,v0=deadbeef")
		v := signature.Verifier{Scheme: signature.Stripe, Secrets: [][]byte{[]byte("whsec_test_secret")}}
		_, err := v.Verify(h, []byte(`{"id":"evt_1","type":"payment_intent.succeeded"}`), time.Unix(1614265330, 0))
		if err != nil {
			t.Fatal(err)
		}
	})
}

func TestSchemes(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	body := []byte(`{"id":"evt_1","type":"payment.succeeded","data":{"amount":1999}}`)
	secrets := map[signature.Scheme][2]string{
		signature.StandardWebhooks: {"whsec_c2VjcmV0LW9uZS1vbmUtb25lLW9uZQ==", "whsec_c2Vjb25kLXNlY3JldC10d28tdHdvLXR3bw=="},
		signature.Stripe:           {"whsec_plain_one", "whsec_plain_two"},
		signature.GitHub:           {"gh-secret-one", "gh-secret-two"},
		signature.HMACHex:          {"dodo-one", "dodo-two"},
	}
	for _, scheme := range signature.Schemes() {
		s := secrets[scheme]
		first, second := key(t, scheme, s[0]), key(t, scheme, s[1])
		hasTime := scheme == signature.StandardWebhooks || scheme == signature.Stripe
		sign := func(secret []byte, ts time.Time, b []byte) http.Header {
			return signature.Signer{Scheme: scheme, Secret: secret, Header: "dodo-signature"}.Sign("msg_1", ts, b)
		}
		verifier := signature.Verifier{Scheme: scheme, Secrets: [][]byte{first, second}, Header: "dodo-signature"}
		tests := []struct {
			name   string
			h      http.Header
			body   []byte
			reason string // "" = valid
		}{
			{"valid", sign(first, now, body), body, ""},
			{"second secret of a rotation", sign(second, now, body), body, ""},
			{"tampered body", sign(first, now, body), append([]byte(" "), body...), signature.ReasonMismatch},
			{"wrong secret", sign([]byte("not-the-secret"), now, body), body, signature.ReasonMismatch},
			{"no headers", http.Header{}, body, signature.ReasonMissing},
		}
		if hasTime {
			tests = append(tests,
				struct {
					name   string
					h      http.Header
					body   []byte
					reason string
				}{"stale timestamp", sign(first, now.Add(-6*time.Minute), body), body, signature.ReasonStale},
				struct {
					name   string
					h      http.Header
					body   []byte
					reason string
				}{"future timestamp", sign(first, now.Add(6*time.Minute), body), body, signature.ReasonStale},
				struct {
					name   string
					h      http.Header
					body   []byte
					reason string
				}{"within tolerance", sign(first, now.Add(-4*time.Minute), body), body, ""},
			)
		}
		for _, tt := range tests {
			t.Run(string(scheme)+"/"+tt.name, func(t *testing.T) {
				_, err := verifier.Verify(tt.h, tt.body, now)
				if tt.reason == "" {
					if err != nil {
						t.Fatalf("Verify: %v", err)
					}
					return
				}
				if !errors.Is(err, signature.ErrInvalid) {
					t.Fatalf("Verify = %v, want ErrInvalid", err)
				}
				if got := signature.ReasonOf(err); got != tt.reason {
					t.Errorf("reason = %q, want %q (%v)", got, tt.reason, err)
				}
			})
		}
	}
}

func TestMalformedHeaders(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	ts := "1700000000"
	sw := &signature.Verifier{Scheme: signature.StandardWebhooks, Secrets: [][]byte{[]byte("k")}}
	st := &signature.Verifier{Scheme: signature.Stripe, Secrets: [][]byte{[]byte("k")}}
	gh := &signature.Verifier{Scheme: signature.GitHub, Secrets: [][]byte{[]byte("k")}}
	std := func(sig string) http.Header {
		h := http.Header{}
		h.Set("webhook-id", "msg_1")
		h.Set("webhook-timestamp", ts)
		h.Set("webhook-signature", sig)
		return h
	}
	one := func(name, value string) http.Header {
		h := http.Header{}
		h.Set(name, value)
		return h
	}
	huge := strings.Repeat("v1,AAAA ", 2000)
	tests := []struct {
		name string
		v    *signature.Verifier
		h    http.Header
	}{
		{"standard: empty signature", sw, std("")},
		{"standard: missing comma", sw, std("v1g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")},
		{"standard: not base64", sw, std("v1,!!!not-base64!!!")},
		{"standard: wrong length", sw, std("v1,AAAA")},
		{"standard: only v1a", sw, std("v1a,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")},
		{"standard: huge", sw, std(huge)},
		{"standard: timestamp not a number", sw, func() http.Header { h := std("v1,AAAA"); h.Set("webhook-timestamp", "yesterday"); return h }()},
		{"stripe: empty", st, one("Stripe-Signature", ",")},
		{"stripe: no t", st, one("Stripe-Signature", "v1=abcd")},
		{"stripe: no v1", st, one("Stripe-Signature", "t="+ts)},
		{"stripe: item without =", st, one("Stripe-Signature", "t="+ts+",v1")},
		{"stripe: huge", st, one("Stripe-Signature", "t="+ts+","+strings.Repeat("v1=00,", 3000))},
		{"github: not hex", gh, one("X-Hub-Signature-256", "sha256=zzzz")},
		{"github: empty", gh, one("X-Hub-Signature-256", "sha256=")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.v.Verify(tt.h, []byte(`{}`), now)
			if !errors.Is(err, signature.ErrInvalid) {
				t.Fatalf("Verify = %v, want ErrInvalid", err)
			}
		})
	}
}

func TestDecodeSecret(t *testing.T) {
	for _, s := range []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"} {
		if _, err := signature.DecodeSecret(signature.StandardWebhooks, s); err != nil {
			t.Errorf("DecodeSecret(%q): %v", s, err)
		}
	}
	for _, s := range []string{"", "whsec_***", "whsec_", "whsec_eA==" /* 1 byte */, "whsec_c2hvcnQ=" /* 5 */} {
		if _, err := signature.DecodeSecret(signature.StandardWebhooks, s); err == nil {
			t.Errorf("DecodeSecret(%q) succeeded", s)
		}
	}
	for _, scheme := range []signature.Scheme{signature.Stripe, signature.GitHub, signature.HMACHex} {
		if _, err := signature.DecodeSecret(scheme, "x"); err == nil || !strings.Contains(err.Error(), "at least 8") {
			t.Errorf("%s: 1-byte secret: %v", scheme, err)
		}
	}
}

func FuzzVerify(f *testing.F) {
	f.Add("standard-webhooks", "msg_1", "1700000000", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", []byte(`{"a":1}`))
	f.Add("stripe", "", "", "t=1700000000,v1=ad5f,v1=00", []byte(`{}`))
	f.Add("github", "", "", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", []byte("Hello, World!"))
	f.Add("hmac-hex", "", "", "00ff", []byte(""))
	f.Fuzz(func(t *testing.T, scheme, id, ts, sig string, body []byte) {
		h := http.Header{}
		h.Set("webhook-id", id)
		h.Set("webhook-timestamp", ts)
		h.Set("webhook-signature", sig)
		h.Set("Stripe-Signature", sig)
		h.Set("X-Hub-Signature-256", sig)
		v := signature.Verifier{Scheme: signature.Scheme(scheme), Secrets: [][]byte{[]byte("k")}}
		now := time.Unix(1_700_000_000, 0)
		_, err := v.Verify(h, body, now)
		if err != nil && !errors.Is(err, signature.ErrInvalid) {
			t.Fatalf("error %v does not wrap ErrInvalid", err)
		}
		// A correct signature over the same inputs always passes.
		if v.Scheme == signature.StandardWebhooks || v.Scheme == signature.Stripe || v.Scheme == signature.GitHub || v.Scheme == signature.HMACHex {
			if strings.TrimSpace(id) == "" || strings.TrimSpace(id) != id || strings.ContainsAny(id, "\r\n") || len(id) > 1000 {
				return
			}
			good := signature.Signer{Scheme: v.Scheme, Secret: []byte("k")}.Sign(id, now, body)
			if _, err := v.Verify(good, body, now); err != nil {
				t.Fatalf("freshly signed request rejected: %v", err)
			}
		}
	})
}

// One verifier serves every request of its provider at once, with keyed
// MAC states shared between them: concurrent verifications of both secrets
// of a rotation, genuine and forged, each get their own answer (run with
// -race).
func TestVerifyConcurrently(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	first, second := []byte("concurrent-secret-one"), []byte("concurrent-secret-two")
	for _, scheme := range signature.Schemes() {
		v := &signature.Verifier{Scheme: scheme, Secrets: [][]byte{first, second}}
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		for g := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 200 {
					body := []byte(fmt.Sprintf(`{"n":%d,"g":%d}`, i, g))
					secret := [][]byte{first, second, []byte("forged-secret-0123")}[i%3]
					h := signature.Signer{Scheme: scheme, Secret: secret}.Sign(fmt.Sprintf("msg_%d_%d", g, i), now, body)
					_, err := v.Verify(h, body, now)
					if forged := i%3 == 2; (err != nil) != forged {
						errs <- fmt.Errorf("%s: message %d of goroutine %d (forged %v): %v", scheme, i, g, forged, err)
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	}
}
