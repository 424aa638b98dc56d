package signature_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/webhookd/webhookd/internal/signature"
)

// BenchmarkVerify compares each verifier with bare crypto/hmac over the
// same 1 KiB body, keyed for each message and keyed once: the difference
// from the second is header parsing and decoding.
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
	for _, scheme := range signature.Schemes() {
		h := signature.Signer{Scheme: scheme, Secret: secret}.Sign("msg_bench", now, body)
		v := signature.Verifier{Scheme: scheme, Secrets: [][]byte{secret}}
		b.Run(string(scheme), func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if _, err := v.Verify(h, body, now); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
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
