package signature_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"strings"
	"testing"
	"time"

	"github.com/webhookd/webhookd/internal/signature"
)

// BenchmarkVerify compares each verifier with bare crypto/hmac over the
// same 1 KiB body: the difference is header parsing and decoding.
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
