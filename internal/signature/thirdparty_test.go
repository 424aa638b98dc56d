package signature_test

import (
	"net/http"
	"strconv"
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
