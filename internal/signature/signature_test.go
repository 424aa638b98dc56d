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
	for _, scheme := range signature.Schemes() {
		k := newKit(t, scheme)
		verifier := k.verifier()
		sign := func(i int, ts time.Time, b []byte) signature.Request {
			r := k.request(t, i, "msg_1", ts, b)
			r.Now = now
			return r
		}
		tampered := func(r signature.Request) signature.Request {
			r.Body = append([]byte(" "), r.Body...)
			return r
		}
		unsigned := signature.Request{Header: http.Header{}, Body: body, URL: k.url, Now: now}
		tamperedReason := signature.ReasonMismatch
		if !signsBody(scheme) {
			tamperedReason = "" // the scheme does not sign the body
		}
		tests := []struct {
			name   string
			r      signature.Request
			reason string // "" = valid
		}{
			{"valid", sign(0, now, body), ""},
			{"second secret of a rotation", sign(1, now, body), ""},
			{"tampered body", tampered(sign(0, now, body)), tamperedReason},
			{"wrong secret", sign(2, now, body), signature.ReasonMismatch},
			{"no headers", unsigned, signature.ReasonMissing},
		}
		if timed(scheme) {
			tests = append(tests, []struct {
				name   string
				r      signature.Request
				reason string
			}{
				{"stale timestamp", sign(0, now.Add(-6*time.Minute), body), signature.ReasonStale},
				{"future timestamp", sign(0, now.Add(6*time.Minute), body), signature.ReasonStale},
				{"within tolerance", sign(0, now.Add(-4*time.Minute), body), ""},
				{"within tolerance, ahead", sign(0, now.Add(4*time.Minute), body), ""},
			}...)
		}
		for _, tt := range tests {
			t.Run(string(scheme)+"/"+tt.name, func(t *testing.T) {
				_, err := verifier.VerifyRequest(tt.r)
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

// Verify is VerifyRequest without a URL.
func TestVerifyIsVerifyRequest(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	body := []byte(`{"a":1}`)
	for _, scheme := range signature.Schemes() {
		k := newKit(t, scheme)
		r := k.request(t, 0, "msg_1", now, body)
		_, err := k.verifier().Verify(r.Header, r.Body, now)
		if signature.SignsURL(scheme) {
			if signature.ReasonOf(err) != signature.ReasonMissing {
				t.Errorf("%s: Verify without a URL: %v, want missing", scheme, err)
			}
		} else if err != nil {
			t.Errorf("%s: Verify: %v", scheme, err)
		}
	}
}

// Each scheme's Meta: the signed timestamp, and the id for standard-webhooks.
func TestMeta(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	for _, scheme := range signature.Schemes() {
		k := newKit(t, scheme)
		meta, err := k.verifier().VerifyRequest(k.request(t, 0, "msg_meta", now, []byte(`{}`)))
		if err != nil {
			t.Fatalf("%s: %v", scheme, err)
		}
		if timed(scheme) != !meta.Timestamp.IsZero() || timed(scheme) && !meta.Timestamp.Equal(now) {
			t.Errorf("%s: timestamp %v", scheme, meta.Timestamp)
		}
		if (scheme == signature.StandardWebhooks) != (meta.ID == "msg_meta") {
			t.Errorf("%s: id %q", scheme, meta.ID)
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
	f.Add("standard-webhooks", "msg_1", "1700000000", "v1a,"+strings.Repeat("A", 86)+"==", []byte(`{"a":1}`))
	f.Add("stripe", "", "", "t=1700000000,v1=ad5f,v1=00", []byte(`{}`))
	f.Add("github", "", "", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", []byte("Hello, World!"))
	f.Add("hmac-hex", "", "", "00ff", []byte(""))
	f.Add("hmac-base64", "", "", "AAAA", []byte(""))
	f.Add("paddle", "", "1700000000", "ts=1700000000;h1=00;h1=ab", []byte(`{}`))
	f.Add("workos", "", "", "t=1700000000000, v1=abcd", []byte(`{}`))
	f.Add("slack", "", "1700000000", "v0=abcd", []byte(`{}`))
	f.Add("zoom", "", "1700000000000", "v0=abcd", []byte(`{}`))
	f.Add("twilio", "", "", "AAAAAAAAAAAAAAAAAAAAAAAAAAA=", []byte("a=1&b=2"))
	f.Add("square", "", "", "AAAA", []byte(`{}`))
	f.Add("sendgrid", "", "1700000000", "MEUCIQ==", []byte(`[]`))
	f.Add("discord", "", "1700000000", strings.Repeat("00", 64), []byte(`{}`))
	f.Add("mailgun", "", "", "", []byte(`{"signature":{"timestamp":"1700000000","token":"t","signature":"00"}}`))
	f.Add("token", "", "", "tok", []byte(""))
	f.Add("basic", "", "", "Basic dXNlcjpwYXNz", []byte(""))
	f.Fuzz(func(t *testing.T, scheme, id, ts, sig string, body []byte) {
		h := http.Header{}
		h.Set("webhook-id", id)
		h.Set("webhook-timestamp", ts)
		for _, name := range fuzzSignatureHeaders {
			h.Set(name, sig)
		}
		for _, name := range fuzzTimestampHeaders {
			h.Set(name, ts)
		}
		v := fuzzVerifier(signature.Scheme(scheme))
		now := time.Unix(1_700_000_000, 0)
		_, err := v.Verify(h, body, now)
		if err != nil && !errors.Is(err, signature.ErrInvalid) {
			t.Fatalf("error %v does not wrap ErrInvalid", err)
		}
		// A correct signature over the same inputs always passes.
		k, ok := fuzzKits[v.Scheme]
		if !ok || signature.SignsURL(v.Scheme) {
			return
		}
		if strings.TrimSpace(id) == "" || strings.TrimSpace(id) != id || strings.ContainsAny(id, "\r\n") || len(id) > 1000 {
			return
		}
		b, good, err := k.signers[0].SignBody(id, now, body)
		if err != nil {
			return // a Mailgun body that is neither JSON nor a form
		}
		if _, err := v.Verify(good, b, now); err != nil {
			t.Fatalf("freshly signed request rejected: %v", err)
		}
	})
}

// FuzzVerifyRequest covers the URL-signing schemes (Twilio's URL
// variants, its form and bodySHA256 bodies; Square) and the body parsers
// (Mailgun's JSON, form and multipart).
func FuzzVerifyRequest(f *testing.F) {
	f.Add("twilio", "https://Hooks.Example.com:443/a/./b/../c?x=it's&y=a b&x=2", "application/x-www-form-urlencoded", "AAAAAAAAAAAAAAAAAAAAAAAAAAA=", []byte("b=2&a=1&a=%F0%9F%98%80&c"))
	f.Add("twilio", "https://hooks.example.com/t?bodySHA256=44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", "application/json", "AAAAAAAAAAAAAAAAAAAAAAAAAAA=", []byte(`{}`))
	f.Add("twilio", "http://[::1]:80/x?#f", "", "AAAAAAAAAAAAAAAAAAAAAAAAAAA=", []byte(""))
	f.Add("twilio", "https://bücher.example/%7Bx%7D/ü?q=\"<>\"", "", "AAAAAAAAAAAAAAAAAAAAAAAAAAA=", []byte(""))
	f.Add("square", "https://hooks.example.com/square", "", "AAAA", []byte(`{}`))
	f.Add("mailgun", "", "application/x-www-form-urlencoded", "", []byte("timestamp=1700000000&token=t&signature=00"))
	f.Add("mailgun", "", "multipart/form-data; boundary=b", "", []byte("--b\r\nContent-Disposition: form-data; name=\"token\"\r\n\r\nt\r\n--b--\r\n"))
	f.Fuzz(func(t *testing.T, scheme, u, contentType, sig string, body []byte) {
		h := http.Header{}
		for _, name := range fuzzSignatureHeaders {
			h.Set(name, sig)
		}
		h.Set("Content-Type", contentType)
		v := fuzzVerifier(signature.Scheme(scheme))
		now := time.Unix(1_700_000_000, 0)
		_, err := v.VerifyRequest(signature.Request{Header: h, Body: body, URL: u, Now: now})
		if err != nil && !errors.Is(err, signature.ErrInvalid) {
			t.Fatalf("error %v does not wrap ErrInvalid", err)
		}
		// Signed as Twilio or Square would for this URL, it passes.
		k, ok := fuzzKits[v.Scheme]
		if !ok || !signature.SignsURL(v.Scheme) || u == "" || strings.Contains(u, "bodySHA256") {
			return
		}
		s := k.signers[0]
		s.URL = u
		good := s.Sign("", now, body)
		if v.Scheme == signature.Twilio && len(body) > 0 && good.Get("X-Twilio-Signature") == "" {
			return // a body that is not a form
		}
		if _, err := v.VerifyRequest(signature.Request{Header: good, Body: body, URL: u, Now: now}); err != nil {
			t.Fatalf("freshly signed request rejected: %v", err)
		}
	})
}

var fuzzSignatureHeaders = []string{"webhook-signature", "Stripe-Signature", "X-Hub-Signature-256", "X-Fuzz-Signature",
	"Paddle-Signature", "WorkOS-Signature", "X-Slack-Signature", "x-zm-signature", "X-Twilio-Signature",
	"X-Square-Hmacsha256-Signature", "X-Twilio-Email-Event-Webhook-Signature", "X-Signature-Ed25519", "Authorization"}

var fuzzTimestampHeaders = []string{"X-Slack-Request-Timestamp", "x-zm-request-timestamp", "X-Twilio-Email-Event-Webhook-Timestamp", "X-Signature-Timestamp"}

// fuzzKits sign with fixed keys; fuzzVerifier verifies with them.
var fuzzKits = func() map[signature.Scheme]kit {
	m := map[signature.Scheme]kit{}
	for _, s := range signature.Schemes() {
		k := newKit(&testing.T{}, s)
		if signature.NeedsHeader(s) || s == signature.HMACHex {
			k.header = "X-Fuzz-Signature"
			for i := range k.signers {
				k.signers[i].Header = k.header
			}
		}
		m[s] = k
	}
	return m
}()

func fuzzVerifier(s signature.Scheme) *signature.Verifier {
	if k, ok := fuzzKits[s]; ok {
		return k.verifier()
	}
	return &signature.Verifier{Scheme: s, Secrets: [][]byte{[]byte("k")}}
}

// One verifier serves every request of its provider at once, with keyed
// MAC states shared between them: concurrent verifications of both secrets
// of a rotation, genuine and forged, each get their own answer (run with
// -race).
func TestVerifyConcurrently(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	for _, scheme := range signature.Schemes() {
		k := newKit(t, scheme)
		v := k.verifier()
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		for g := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 200 {
					body := []byte(fmt.Sprintf(`{"n":%d,"g":%d}`, i, g))
					r := k.request(t, i%3, fmt.Sprintf("msg_%d_%d", g, i), now, body)
					_, err := v.VerifyRequest(r)
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
