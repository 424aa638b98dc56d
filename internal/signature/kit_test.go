package signature_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"math/big"
	"net/http"
	"testing"
	"time"

	"github.com/webhookd/webhookd/internal/signature"
)

// kit signs and verifies one scheme in tests and benchmarks: two keys of a
// rotation and a third one no verifier knows.
type kit struct {
	scheme  signature.Scheme
	keys    [2][]byte // Verifier.Secrets: MAC keys, tokens, public keys
	signers [3]signature.Signer
	header  string
	url     string
}

// timed reports whether the scheme signs a timestamp.
func timed(s signature.Scheme) bool {
	switch s {
	case signature.StandardWebhooks, signature.Stripe, signature.Paddle, signature.WorkOS, signature.Slack,
		signature.Zoom, signature.SendGrid, signature.Discord, signature.Mailgun:
		return true
	}
	return false
}

// signsBody reports whether the scheme's signature covers the body.
func signsBody(s signature.Scheme) bool {
	return s != signature.Mailgun && s != signature.Token && s != signature.Basic
}

// The kits' secrets, as they would be configured.
var kitSecrets = map[signature.Scheme][3]string{
	signature.StandardWebhooks: {"whsec_c2VjcmV0LW9uZS1vbmUtb25lLW9uZQ==", "whsec_c2Vjb25kLXNlY3JldC10d28tdHdvLXR3bw==", "whsec_dGhpcmQtc2VjcmV0LWZvcmdlZA=="},
	signature.Stripe:           {"whsec_plain_one", "whsec_plain_two", "whsec_forged_three"},
	signature.GitHub:           {"gh-secret-one", "gh-secret-two", "gh-forged-three"},
	signature.HMACHex:          {"dodo-one", "dodo-two", "dodo-forged"},
	signature.HMACBase64:       {"shopify-one", "shopify-two", "shopify-forged"},
	signature.Paddle:           {"pdl_ntfset_one", "pdl_ntfset_two", "pdl_ntfset_forged"},
	signature.WorkOS:           {"workos-secret-one", "workos-secret-two", "workos-forged"},
	signature.Slack:            {"slack-signing-one", "slack-signing-two", "slack-forged"},
	signature.Zoom:             {"zoom-token-one", "zoom-token-two", "zoom-forged"},
	signature.Twilio:           {"twilio-auth-token-one", "twilio-auth-token-two", "twilio-forged"},
	signature.Square:           {"square-key-one", "square-key-two", "square-forged"},
	signature.Mailgun:          {"mailgun-key-one", "mailgun-key-two", "mailgun-forged"},
	signature.Token:            {"gitlab-token-one", "gitlab-token-two", "gitlab-forged"},
	signature.Basic:            {"hooks:password-one", "hooks:password-two", "hooks:forged-pass"},
}

func newKit(t testing.TB, scheme signature.Scheme) kit {
	t.Helper()
	k := kit{scheme: scheme}
	switch scheme {
	case signature.HMACBase64:
		k.header = "X-Shopify-Hmac-Sha256"
	case signature.Token:
		k.header = "X-Gitlab-Token"
	case signature.HMACHex:
		k.header = "dodo-signature"
	}
	if signature.SignsURL(scheme) {
		k.url = "https://hooks.example.com/webhooks/" + string(scheme)
	}
	for i := range 3 {
		s := signature.Signer{Scheme: scheme, Header: k.header, URL: k.url}
		switch scheme {
		case signature.Discord:
			priv := ed25519.NewKeyFromSeed(seed(i))
			s.PrivateKey = priv
			if i < 2 {
				k.keys[i] = decode(t, scheme, hex.EncodeToString(priv.Public().(ed25519.PublicKey)))
			}
		case signature.SendGrid:
			priv := p256Key(t, i)
			s.PrivateKey = priv
			if i < 2 {
				der, err := x509.MarshalPKIXPublicKey(priv.Public())
				if err != nil {
					t.Fatal(err)
				}
				k.keys[i] = decode(t, scheme, base64.StdEncoding.EncodeToString(der))
			}
		default:
			secret := decode(t, scheme, kitSecrets[scheme][i])
			s.Secret = secret
			if i < 2 {
				k.keys[i] = secret
			}
		}
		k.signers[i] = s
	}
	return k
}

func decode(t testing.TB, s signature.Scheme, secret string) []byte {
	t.Helper()
	b, err := signature.DecodeSecret(s, secret)
	if err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return b
}

func seed(i int) []byte {
	b := make([]byte, ed25519.SeedSize)
	for j := range b {
		b[j] = byte(i*31 + j)
	}
	return b
}

// p256Key is a fixed P-256 key: generating one is random, and tests want
// the same keys each run.
func p256Key(t testing.TB, i int) *ecdsa.PrivateKey {
	t.Helper()
	d := sha256.Sum256([]byte{byte(i)})
	k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), new(big.Int).SetBytes(d[:]).FillBytes(make([]byte, 32)))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// verifier verifies with both keys.
func (k kit) verifier() *signature.Verifier {
	return &signature.Verifier{Scheme: k.scheme, Secrets: [][]byte{k.keys[0], k.keys[1]}, Header: k.header}
}

// request signs body with signer i (2: the unknown key) as the provider
// would send it.
func (k kit) request(t testing.TB, i int, id string, ts time.Time, body []byte) signature.Request {
	t.Helper()
	s := k.signers[i]
	u := k.url
	if k.scheme == signature.Twilio {
		sum := sha256.Sum256(body)
		u += "?bodySHA256=" + hex.EncodeToString(sum[:])
		s.URL = u
	}
	b, h, err := s.SignBody(id, ts, body)
	if err != nil {
		t.Fatal(err)
	}
	return signature.Request{Header: h, Body: b, URL: u, Now: ts}
}

// oneHeader is a one-entry header.
func oneHeader(name, value string) http.Header {
	h := http.Header{}
	h.Set(name, value)
	return h
}
