package signature_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/webhookd/webhookd/internal/signature"
)

// BenchmarkVerify compares each verifier with bare crypto/hmac over the
// same 1 KiB body, keyed for each message and keyed once: the difference
// from the second is header parsing and decoding. The asymmetric schemes
// compare with bare ed25519.Verify (discord, standard-webhooks-v1a) and
// ecdsa.VerifyASN1 (sendgrid).
//
//	go test -run '^$' -bench . -benchmem ./internal/signature
func BenchmarkVerify(b *testing.B) {
	body := []byte(`{"type":"payment.succeeded","data":{"pad":"` + strings.Repeat("x", 1024-48) + `"}}`)
	secret := []byte("benchmark-secret-0123456789abcdef")
	now := time.Unix(1_700_000_000, 0)

	b.Run("baseline-crypto-hmac", func(b *testing.B) {
		want := hmac.New(sha256.New, secret)
		want.Write(body)
		sum := want.Sum(nil)
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			m := hmac.New(sha256.New, secret)
			m.Write(body)
			if !hmac.Equal(m.Sum(nil), sum) {
				b.Fatal("mismatch")
			}
		}
	})
	// The floor: an HMAC state keyed once and reset for each message, as
	// the verifiers keep theirs.
	b.Run("baseline-crypto-hmac-keyed", func(b *testing.B) {
		m := hmac.New(sha256.New, secret)
		m.Write(body)
		want := m.Sum(nil)
		var sum [sha256.Size]byte
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			m.Reset()
			m.Write(body)
			if !hmac.Equal(m.Sum(sum[:0]), want) {
				b.Fatal("mismatch")
			}
		}
	})
	// The same floor with SHA-1, for the SHA-1 variants (Twilio, Intercom).
	b.Run("baseline-crypto-hmac-sha1-keyed", func(b *testing.B) {
		m := hmac.New(sha1.New, secret)
		m.Write(body)
		want := m.Sum(nil)
		var sum [sha1.Size]byte
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			m.Reset()
			m.Write(body)
			if !hmac.Equal(m.Sum(sum[:0]), want) {
				b.Fatal("mismatch")
			}
		}
	})
	// The asymmetric floors: verifying one signature of the body, for
	// discord and standard-webhooks v1a, and sendgrid (SHA-256 included).
	edPriv := ed25519.NewKeyFromSeed(seed(0))
	edPub := edPriv.Public().(ed25519.PublicKey)
	edSig := ed25519.Sign(edPriv, body)
	b.Run("baseline-ed25519-verify", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if !ed25519.Verify(edPub, body, edSig) {
				b.Fatal("mismatch")
			}
		}
	})
	ecPriv := p256Key(b, 0)
	digest := sha256.Sum256(body)
	ecSig, err := ecdsa.SignASN1(rand.Reader, ecPriv, digest[:])
	if err != nil {
		b.Fatal(err)
	}
	b.Run("baseline-ecdsa-verify-asn1", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			d := sha256.Sum256(body)
			if !ecdsa.VerifyASN1(&ecPriv.PublicKey, d[:], ecSig) {
				b.Fatal("mismatch")
			}
		}
	})
	for _, scheme := range signature.Schemes() {
		r := benchRequest(b, scheme, secret, now, body)
		v := signature.Verifier{Scheme: scheme, Secrets: [][]byte{r.key}, Header: r.header}
		b.Run(string(scheme), func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if _, err := v.VerifyRequest(r.Request); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	// Variants: standard-webhooks v1a (Ed25519), the SHA-1 HMACs, and
	// Twilio's form body (parsed and sorted).
	v1aKey := decode(b, signature.StandardWebhooks, "whpk_"+base64.StdEncoding.EncodeToString(edPub))
	variants := []struct {
		name string
		v    *signature.Verifier
		s    signature.Signer
		u    string
		body []byte
	}{
		{"standard-webhooks-v1a", &signature.Verifier{Scheme: signature.StandardWebhooks, Secrets: [][]byte{v1aKey}},
			signature.Signer{Scheme: signature.StandardWebhooks, PrivateKey: edPriv}, "", body},
		{"hmac-hex-sha1", &signature.Verifier{Scheme: signature.HMACHex, Secrets: [][]byte{secret}, Hash: "sha1"},
			signature.Signer{Scheme: signature.HMACHex, Secret: secret, Hash: "sha1"}, "", body},
		{"hmac-base64-sha1", &signature.Verifier{Scheme: signature.HMACBase64, Secrets: [][]byte{secret}, Hash: "sha1", Header: "X-Signature"},
			signature.Signer{Scheme: signature.HMACBase64, Secret: secret, Hash: "sha1", Header: "X-Signature"}, "", body},
		{"twilio-form", &signature.Verifier{Scheme: signature.Twilio, Secrets: [][]byte{secret}},
			signature.Signer{Scheme: signature.Twilio, Secret: secret, URL: "https://hooks.example.com/webhooks/twilio"}, "https://hooks.example.com/webhooks/twilio", twilioFormBody()},
	}
	for _, tt := range variants {
		h := tt.s.Sign("msg_bench", now, tt.body)
		r := signature.Request{Header: h, Body: tt.body, URL: tt.u, Now: now}
		b.Run(tt.name, func(b *testing.B) {
			b.SetBytes(int64(len(tt.body)))
			for b.Loop() {
				if _, err := tt.v.VerifyRequest(r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

type benchReq struct {
	signature.Request
	key    []byte
	header string
}

// benchRequest signs body for scheme with secret (a fixed key pair for
// the asymmetric schemes).
func benchRequest(b *testing.B, scheme signature.Scheme, secret []byte, now time.Time, body []byte) benchReq {
	s := signature.Signer{Scheme: scheme, Secret: secret, URL: "https://hooks.example.com/webhooks/" + string(scheme)}
	r := benchReq{key: secret}
	switch scheme {
	case signature.HMACBase64, signature.Token:
		r.header, s.Header = "X-Signature", "X-Signature"
	case signature.Basic:
		s.Secret = []byte("hooks:" + string(secret))
		r.key = s.Secret
	case signature.Discord:
		priv := ed25519.NewKeyFromSeed(seed(0))
		s.PrivateKey = priv
		r.key = decode(b, scheme, hex.EncodeToString(priv.Public().(ed25519.PublicKey)))
	case signature.SendGrid:
		priv := p256Key(b, 0)
		s.PrivateKey = priv
		der, err := x509.MarshalPKIXPublicKey(priv.Public())
		if err != nil {
			b.Fatal(err)
		}
		r.key = der
	case signature.Twilio:
		sum := sha256.Sum256(body)
		s.URL += "?bodySHA256=" + hex.EncodeToString(sum[:])
	}
	signed, h, err := s.SignBody("msg_bench", now, body)
	if err != nil {
		b.Fatal(err)
	}
	r.Request = signature.Request{Header: h, Body: signed, URL: s.URL, Now: now}
	return r
}

// twilioFormBody is an SMS status callback, about 1 KiB.
func twilioFormBody() []byte {
	v := url.Values{}
	for _, k := range []string{"AccountSid", "ApiVersion", "From", "MessageSid", "MessageStatus", "SmsSid", "SmsStatus", "To", "NumMedia", "NumSegments"} {
		v.Set(k, "value-of-"+k)
	}
	v.Set("Body", strings.Repeat("x", 1024-len(v.Encode())-6))
	return []byte(v.Encode())
}

// A verification allocates nothing, however many candidate signatures
// the header lists. Not under the race detector, whose sync.Pool drops
// pooled states at random.
func TestVerifyAllocatesNothingPerCandidate(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under -race")
	}
	body := []byte(`{"type":"payment.succeeded"}`)
	secret := []byte("alloc-secret-0123456789abcdef")
	now := time.Unix(1_700_000_000, 0)
	for _, scheme := range []signature.Scheme{signature.StandardWebhooks, signature.Stripe} {
		h := signature.Signer{Scheme: scheme, Secret: secret}.Sign("msg_alloc", now, body)
		many := h.Clone()
		switch scheme {
		case signature.StandardWebhooks:
			sig := h.Get("webhook-signature")
			many.Set("webhook-signature", strings.Repeat("v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= ", 8)+sig)
		case signature.Stripe:
			sig := h.Get("Stripe-Signature")
			many.Set("Stripe-Signature", sig+strings.Repeat(",v1="+strings.Repeat("0", 64), 8))
		}
		v := signature.Verifier{Scheme: scheme, Secrets: [][]byte{secret}}
		allocs := func(h http.Header) float64 {
			return testing.AllocsPerRun(50, func() {
				if _, err := v.Verify(h, body, now); err != nil {
					t.Fatal(err)
				}
			})
		}
		if one, nine := allocs(h), allocs(many); one != 0 || nine != 0 {
			t.Errorf("%s: %.0f allocations with one signature, %.0f with nine; want none", scheme, one, nine)
		}
	}
}

// The schemes that check a header with a MAC or a token allocate nothing
// either.
func TestVerifyAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under -race")
	}
	body := []byte(`{"type":"payment.succeeded"}`)
	now := time.Unix(1_700_000_000, 0)
	for _, scheme := range []signature.Scheme{signature.StandardWebhooks, signature.Stripe, signature.GitHub, signature.HMACHex,
		signature.HMACBase64, signature.Paddle, signature.WorkOS, signature.Slack, signature.Zoom, signature.Square,
		signature.Token, signature.Basic} {
		k := newKit(t, scheme)
		v := k.verifier()
		r := k.request(t, 1, "msg_alloc", now, body)
		if n := testing.AllocsPerRun(50, func() {
			if _, err := v.VerifyRequest(r); err != nil {
				t.Fatal(err)
			}
		}); n != 0 {
			t.Errorf("%s: %.0f allocations", scheme, n)
		}
	}
}
