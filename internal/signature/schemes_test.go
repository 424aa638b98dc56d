package signature_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/webhookd/webhookd/internal/signature"
)

func TestMalformedHeadersNewSchemes(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	ts := "1700000000"
	hex64 := strings.Repeat("ab", 32)
	mk := func(s signature.Scheme, secret string, header string) *signature.Verifier {
		return &signature.Verifier{Scheme: s, Secrets: [][]byte{decode(t, s, secret)}, Header: header}
	}
	pubHex := hex.EncodeToString(ed25519.NewKeyFromSeed(seed(0)).Public().(ed25519.PublicKey))
	der, _ := x509.MarshalPKIXPublicKey(p256Key(t, 0).Public())
	discord := mk(signature.Discord, pubHex, "")
	sendgrid := mk(signature.SendGrid, base64.StdEncoding.EncodeToString(der), "")
	two := func(k1, v1, k2, v2 string) http.Header {
		h := oneHeader(k1, v1)
		h.Set(k2, v2)
		return h
	}
	huge := strings.Repeat("h1=00;", 2000)
	tests := []struct {
		name string
		v    *signature.Verifier
		h    http.Header
		body string
		url  string
		want string
	}{
		{"hmac-base64: not base64", mk(signature.HMACBase64, "shopify-secret", "X-Shopify-Hmac-Sha256"), oneHeader("X-Shopify-Hmac-Sha256", "!!!"), "{}", "", signature.ReasonMalformed},
		{"hmac-base64: sha1 length under sha256", mk(signature.HMACBase64, "shopify-secret", "X-Shopify-Hmac-Sha256"), oneHeader("X-Shopify-Hmac-Sha256", base64.StdEncoding.EncodeToString(make([]byte, 20))), "{}", "", signature.ReasonMalformed},
		{"hmac-base64: no header configured", mk(signature.HMACBase64, "shopify-secret", ""), oneHeader("X-Shopify-Hmac-Sha256", "AAAA"), "{}", "", signature.ReasonMismatch},
		{"paddle: no ts", mk(signature.Paddle, "paddle-secret", ""), oneHeader("Paddle-Signature", "h1="+hex64), "{}", "", signature.ReasonMalformed},
		{"paddle: no h1", mk(signature.Paddle, "paddle-secret", ""), oneHeader("Paddle-Signature", "ts="+ts), "{}", "", signature.ReasonMalformed},
		{"paddle: huge", mk(signature.Paddle, "paddle-secret", ""), oneHeader("Paddle-Signature", "ts="+ts+";"+huge), "{}", "", signature.ReasonMalformed},
		{"paddle: 17 h1, the right one last", mk(signature.Paddle, "paddle-secret", ""), oneHeader("Paddle-Signature", "ts="+ts+strings.Repeat(";h1="+hex64, 16)+";h1="+hex64), "{}", "", signature.ReasonMismatch},
		{"workos: seconds are a stale ms time", mk(signature.WorkOS, "workos-secret", ""), oneHeader("WorkOS-Signature", "t="+ts+", v1="+hex64), "{}", "", signature.ReasonStale},
		{"workos: no v1", mk(signature.WorkOS, "workos-secret", ""), oneHeader("WorkOS-Signature", "t="+ts+"000"), "{}", "", signature.ReasonMalformed},
		{"slack: no v0=", mk(signature.Slack, "slack-secret", ""), two("X-Slack-Signature", hex64, "X-Slack-Request-Timestamp", ts), "{}", "", signature.ReasonMalformed},
		{"slack: v1=", mk(signature.Slack, "slack-secret", ""), two("X-Slack-Signature", "v1="+hex64, "X-Slack-Request-Timestamp", ts), "{}", "", signature.ReasonMalformed},
		{"slack: no timestamp", mk(signature.Slack, "slack-secret", ""), oneHeader("X-Slack-Signature", "v0="+hex64), "{}", "", signature.ReasonMissing},
		{"zoom: timestamp not a number", mk(signature.Zoom, "zoom-secret", ""), two("x-zm-signature", "v0="+hex64, "x-zm-request-timestamp", "now"), "{}", "", signature.ReasonMalformed},
		{"twilio: no url", mk(signature.Twilio, "twilio-token", ""), oneHeader("X-Twilio-Signature", base64.StdEncoding.EncodeToString(make([]byte, 20))), "", "", signature.ReasonMissing},
		{"twilio: sha256 length for sha1", mk(signature.Twilio, "twilio-token", ""), oneHeader("X-Twilio-Signature", base64.StdEncoding.EncodeToString(make([]byte, 32))), "", "https://h.example/t", signature.ReasonMalformed},
		{"twilio: unknown algorithm", mk(signature.Twilio, "twilio-token", ""), two("X-Twilio-Signature", base64.StdEncoding.EncodeToString(make([]byte, 20)), "X-Twilio-Webhooks-Signature-Settings", "algorithm=HMAC_MD5"), "", "https://h.example/t", signature.ReasonMalformed},
		{"twilio: json body without bodySHA256", mk(signature.Twilio, "twilio-token", ""), two("X-Twilio-Signature", base64.StdEncoding.EncodeToString(make([]byte, 20)), "Content-Type", "application/json"), "{}", "https://h.example/t", signature.ReasonMalformed},
		{"twilio: form not urlencoded", mk(signature.Twilio, "twilio-token", ""), two("X-Twilio-Signature", base64.StdEncoding.EncodeToString(make([]byte, 20)), "Content-Type", "application/x-www-form-urlencoded"), "a=%zz", "https://h.example/t", signature.ReasonMalformed},
		{"twilio: bodySHA256 not the body's", mk(signature.Twilio, "twilio-token", ""), oneHeader("X-Twilio-Signature", base64.StdEncoding.EncodeToString(make([]byte, 20))), "{}", "https://h.example/t?bodySHA256=" + hex64, signature.ReasonMismatch},
		{"twilio: an unparsable url", mk(signature.Twilio, "twilio-token", ""), oneHeader("X-Twilio-Signature", base64.StdEncoding.EncodeToString(make([]byte, 20))), "", "::not a url::", signature.ReasonMismatch},
		{"square: no url", mk(signature.Square, "square-key", ""), oneHeader("X-Square-Hmacsha256-Signature", base64.StdEncoding.EncodeToString(make([]byte, 32))), "{}", "", signature.ReasonMissing},
		{"sendgrid: not base64", sendgrid, two("X-Twilio-Email-Event-Webhook-Signature", "!!", "X-Twilio-Email-Event-Webhook-Timestamp", ts), "[]", "", signature.ReasonMalformed},
		{"sendgrid: too long", sendgrid, two("X-Twilio-Email-Event-Webhook-Signature", strings.Repeat("A", 200), "X-Twilio-Email-Event-Webhook-Timestamp", ts), "[]", "", signature.ReasonMalformed},
		{"sendgrid: not DER", sendgrid, two("X-Twilio-Email-Event-Webhook-Signature", "AAAA", "X-Twilio-Email-Event-Webhook-Timestamp", ts), "[]", "", signature.ReasonMismatch},
		{"discord: short", discord, two("X-Signature-Ed25519", hex64, "X-Signature-Timestamp", ts), "{}", "", signature.ReasonMalformed},
		{"discord: not hex", discord, two("X-Signature-Ed25519", strings.Repeat("zz", 64), "X-Signature-Timestamp", ts), "{}", "", signature.ReasonMalformed},
		{"mailgun: not json", mk(signature.Mailgun, "mailgun-key", ""), http.Header{}, `{"signature":`, "", signature.ReasonMalformed},
		{"mailgun: no signature", mk(signature.Mailgun, "mailgun-key", ""), http.Header{}, `{"event-data":{}}`, "", signature.ReasonMissing},
		{"mailgun: signature not hex", mk(signature.Mailgun, "mailgun-key", ""), http.Header{}, `{"signature":{"timestamp":"1700000000","token":"t","signature":"zz"}}`, "", signature.ReasonMalformed},
		{"mailgun: timestamp a number", mk(signature.Mailgun, "mailgun-key", ""), http.Header{}, `{"signature":{"timestamp":1700000000,"token":"t","signature":"` + hex64 + `"}}`, "", signature.ReasonMismatch},
		{"mailgun: form", mk(signature.Mailgun, "mailgun-key", ""), oneHeader("Content-Type", "application/x-www-form-urlencoded"), "timestamp=" + ts + "&token=t&signature=" + hex64, "", signature.ReasonMismatch},
		{"mailgun: bad multipart", mk(signature.Mailgun, "mailgun-key", ""), oneHeader("Content-Type", "multipart/form-data; boundary=xx"), "--xx\r\nbroken", "", signature.ReasonMalformed},
		{"token: none", mk(signature.Token, "gitlab-token", "X-Gitlab-Token"), http.Header{}, "{}", "", signature.ReasonMissing},
		{"token: no header configured", mk(signature.Token, "gitlab-token", ""), oneHeader("X-Gitlab-Token", "gitlab-token"), "{}", "", signature.ReasonMismatch},
		{"token: a prefix of it", mk(signature.Token, "gitlab-token", "X-Gitlab-Token"), oneHeader("X-Gitlab-Token", "gitlab-tok"), "{}", "", signature.ReasonMismatch},
		{"basic: bearer", mk(signature.Basic, "user:password", ""), oneHeader("Authorization", "Bearer x"), "{}", "", signature.ReasonMalformed},
		{"basic: not base64", mk(signature.Basic, "user:password", ""), oneHeader("Authorization", "Basic !!"), "{}", "", signature.ReasonMalformed},
		{"basic: no colon", mk(signature.Basic, "user:password", ""), oneHeader("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("userpassword"))), "{}", "", signature.ReasonMalformed},
		{"basic: right password, wrong user", mk(signature.Basic, "user:password", ""), oneHeader("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("other:password"))), "{}", "", signature.ReasonMismatch},
		{"basic: right user, wrong password", mk(signature.Basic, "user:password", ""), oneHeader("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("user:passwore"))), "{}", "", signature.ReasonMismatch},
		{"hmac-hex: unknown hash", &signature.Verifier{Scheme: signature.HMACHex, Secrets: [][]byte{[]byte("k")}, Hash: "md5"}, oneHeader("Webhook-Signature", hex64), "{}", "", signature.ReasonMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.v.VerifyRequest(signature.Request{Header: tt.h, Body: []byte(tt.body), URL: tt.url, Now: now})
			if !errors.Is(err, signature.ErrInvalid) {
				t.Fatalf("Verify = %v, want ErrInvalid", err)
			}
			if got := signature.ReasonOf(err); got != tt.want {
				t.Errorf("reason %q, want %q (%v)", got, tt.want, err)
			}
		})
	}
}

// Published examples.
func TestPublishedVectorsNewSchemes(t *testing.T) {
	t.Run("basic (RFC 7617 section 2)", func(t *testing.T) {
		v := &signature.Verifier{Scheme: signature.Basic, Secrets: [][]byte{decode(t, signature.Basic, "Aladdin:open sesame")}}
		if _, err := v.Verify(oneHeader("Authorization", "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="), nil, time.Now()); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("slack (Slack docs: verifying requests from Slack)", func(t *testing.T) {
		// https://docs.slack.dev/authentication/verifying-requests-from-slack
		body := "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
		h := oneHeader("X-Slack-Signature", "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503")
		h.Set("X-Slack-Request-Timestamp", "1531420618")
		v := &signature.Verifier{Scheme: signature.Slack, Secrets: [][]byte{[]byte("8f742231b10e8888abcd99yyyzzz85a5")}}
		if _, err := v.Verify(h, []byte(body), time.Unix(1531420618, 0)); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("twilio (Twilio docs: webhooks security)", func(t *testing.T) {
		// https://www.twilio.com/docs/usage/webhooks/webhooks-security
		// and the vector of twilio-node's tests (+14158675309).
		for sig, number := range map[string]string{"0/KCTR6DLpKmkAf8muzZqo1nDgQ=": "%2B12349013030", "RSOYDt4T1cUTdK1PDd93/VVr8B8=": "%2B14158675309"} {
			h := oneHeader("X-Twilio-Signature", sig)
			h.Set("Content-Type", "application/x-www-form-urlencoded")
			body := "CallSid=CA1234567890ABCDE&Caller=" + number + "&Digits=1234&From=" + number + "&To=%2B18005551212"
			v := &signature.Verifier{Scheme: signature.Twilio, Secrets: [][]byte{[]byte("12345")}}
			r := signature.Request{Header: h, Body: []byte(body), URL: "https://mycompany.com/myapp.php?foo=1&bar=2", Now: time.Now()}
			if _, err := v.VerifyRequest(r); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// GitLab sends the secret token as written in X-Gitlab-Token; no library
// signs it. https://docs.gitlab.com/user/project/integrations/webhooks/#validate-payloads-by-using-a-secret-token
func TestGitLabToken(t *testing.T) {
	v := &signature.Verifier{Scheme: signature.Token, Header: "X-Gitlab-Token", Secrets: [][]byte{decode(t, signature.Token, "old-token-1234"), decode(t, signature.Token, "my-secret-token")}}
	if _, err := v.Verify(oneHeader("X-Gitlab-Token", "my-secret-token"), []byte(`{"object_kind":"push"}`), time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(oneHeader("X-Gitlab-Token", "my-secret-token2"), nil, time.Now()); signature.ReasonOf(err) != signature.ReasonMismatch {
		t.Fatalf("another token: %v", err)
	}
}

// A token in Authorization may come as a bearer token.
func TestTokenBearer(t *testing.T) {
	v := &signature.Verifier{Scheme: signature.Token, Header: "Authorization", Secrets: [][]byte{[]byte("a-bearer-token")}}
	for _, auth := range []string{"Bearer a-bearer-token", "bearer a-bearer-token", "a-bearer-token"} {
		if _, err := v.Verify(oneHeader("Authorization", auth), nil, time.Now()); err != nil {
			t.Errorf("%q: %v", auth, err)
		}
	}
}

// hmac-hex and hmac-base64 honour Hash, and hmac-hex strips either prefix.
func TestHMACHash(t *testing.T) {
	now := time.Now()
	body := []byte(`{"a":1}`)
	secret := []byte("intercom-secret")
	for _, scheme := range []signature.Scheme{signature.HMACHex, signature.HMACBase64} {
		for _, hash := range []string{"", "sha256", "sha1"} {
			h := signature.Signer{Scheme: scheme, Secret: secret, Header: "X-Hub-Signature", Hash: hash}.Sign("", now, body)
			v := &signature.Verifier{Scheme: scheme, Secrets: [][]byte{secret}, Header: "X-Hub-Signature", Hash: hash}
			if _, err := v.Verify(h, body, now); err != nil {
				t.Errorf("%s %s: %v", scheme, hash, err)
			}
			other := "sha1"
			if hash == "sha1" {
				other = "sha256"
			}
			w := &signature.Verifier{Scheme: scheme, Secrets: [][]byte{secret}, Header: "X-Hub-Signature", Hash: other}
			if _, err := w.Verify(h, body, now); signature.ReasonOf(err) != signature.ReasonMalformed {
				t.Errorf("%s signed %s verified %s: %v, want malformed", scheme, hash, other, err)
			}
			if scheme == signature.HMACHex {
				prefix := "sha256="
				if hash == "sha1" {
					prefix = "sha1="
				}
				h.Set("X-Hub-Signature", prefix+h.Get("X-Hub-Signature"))
				if _, err := v.Verify(h, body, now); err != nil {
					t.Errorf("%s %s with %s: %v", scheme, hash, prefix, err)
				}
			}
		}
	}
}

func TestZoomMilliseconds(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	body := []byte(`{"event":"meeting.started"}`)
	secret := []byte("zoom-secret-token")
	for _, ts := range []string{"1700000000", "1700000000123"} {
		h := oneHeader("x-zm-request-timestamp", ts)
		h.Set("x-zm-signature", "v0="+hmacHex(secret, "v0:"+ts+":"+string(body)))
		v := &signature.Verifier{Scheme: signature.Zoom, Secrets: [][]byte{secret}}
		if _, err := v.Verify(h, body, now); err != nil {
			t.Errorf("timestamp %s: %v", ts, err)
		}
	}
}

// Twilio form bodies signed by the Signer, and SharedKey HMAC_SHA256.
func TestTwilioForm(t *testing.T) {
	now := time.Now()
	body := []byte("To=%2B14155550199&From=%2B14155550100&Body=hi+there&Body=again")
	u := "https://hooks.example.com/webhooks/twilio?x=1"
	for _, hash := range []string{"", "sha256"} {
		s := signature.Signer{Scheme: signature.Twilio, Secret: []byte("twilio-token"), URL: u, Hash: hash}
		h := s.Sign("", now, body)
		v := &signature.Verifier{Scheme: signature.Twilio, Secrets: [][]byte{[]byte("twilio-token")}}
		if _, err := v.VerifyRequest(signature.Request{Header: h, Body: body, URL: u, Now: now}); err != nil {
			t.Fatalf("hash %q: %v", hash, err)
		}
		// The parameters, not their bytes, are signed: reordered they pass.
		reordered := []byte("Body=again&From=%2B14155550100&Body=hi%20there&To=%2B14155550199")
		if _, err := v.VerifyRequest(signature.Request{Header: h, Body: reordered, URL: u, Now: now}); err != nil {
			t.Errorf("hash %q: reordered: %v", hash, err)
		}
		for _, tampered := range []string{"To=%2B14155550199&From=%2B14155550100&Body=hi+there", "To=%2B14155550199&From=%2B14155550100&Body=hi+there&Body=again&X=1"} {
			if _, err := v.VerifyRequest(signature.Request{Header: h, Body: []byte(tampered), URL: u, Now: now}); signature.ReasonOf(err) != signature.ReasonMismatch {
				t.Errorf("hash %q: %s: %v", hash, tampered, err)
			}
		}
		if _, err := v.VerifyRequest(signature.Request{Header: h, Body: body, URL: u + "&y=2", Now: now}); signature.ReasonOf(err) != signature.ReasonMismatch {
			t.Errorf("hash %q: another url: %v", hash, err)
		}
	}
}

// standard-webhooks v1a: Ed25519 with whpk_ keys, alongside v1; a public
// key is never used as a MAC key.
func TestStandardWebhooksV1a(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	body := []byte(`{"type":"a"}`)
	priv := ed25519.NewKeyFromSeed(seed(7))
	whsk := "whsk_" + base64.StdEncoding.EncodeToString(priv.Seed())
	signer, err := signature.DecodePrivateKey(signature.StandardWebhooks, whsk)
	if err != nil {
		t.Fatal(err)
	}
	whpk := "whpk_" + base64.StdEncoding.EncodeToString(priv.Public().(ed25519.PublicKey))
	pub := decode(t, signature.StandardWebhooks, whpk)
	mac := decode(t, signature.StandardWebhooks, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")

	both := signature.Signer{Scheme: signature.StandardWebhooks, Secret: mac, PrivateKey: signer}.Sign("msg_1", now, body)
	if sig := both.Get("webhook-signature"); !strings.HasPrefix(sig, "v1,") || !strings.Contains(sig, " v1a,") {
		t.Fatalf("signature header %q", sig)
	}
	onlyV1a := signature.Signer{Scheme: signature.StandardWebhooks, PrivateKey: signer}.Sign("msg_1", now, body)
	// An attacker knowing the public key MACs with it.
	forged := signature.Signer{Scheme: signature.StandardWebhooks, Secret: pub}.Sign("msg_1", now, body)
	tests := []struct {
		name   string
		keys   [][]byte
		h      http.Header
		reason string
	}{
		{"v1a with the public key", [][]byte{pub}, onlyV1a, ""},
		{"v1 and v1a with the public key", [][]byte{pub}, both, ""},
		{"v1 and v1a with the MAC key", [][]byte{mac}, both, ""},
		{"v1a only, MAC key only", [][]byte{mac}, onlyV1a, signature.ReasonMalformed},
		{"v1 MAC'd with the public key", [][]byte{pub}, forged, signature.ReasonMismatch},
		{"v1 MAC'd with the public key, both keys", [][]byte{mac, pub}, forged, signature.ReasonMismatch},
		{"another public key", [][]byte{decode(t, signature.StandardWebhooks, "whpk_"+base64.StdEncoding.EncodeToString(ed25519.NewKeyFromSeed(seed(8)).Public().(ed25519.PublicKey)))}, onlyV1a, signature.ReasonMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := &signature.Verifier{Scheme: signature.StandardWebhooks, Secrets: tt.keys}
			_, err := v.Verify(tt.h, body, now)
			if got := signature.ReasonOf(err); got != tt.reason {
				t.Errorf("reason %q, want %q (%v)", got, tt.reason, err)
			}
		})
	}
	tampered := onlyV1a.Clone()
	tampered.Set("webhook-id", "msg_2")
	if _, err := (&signature.Verifier{Scheme: signature.StandardWebhooks, Secrets: [][]byte{pub}}).Verify(tampered, body, now); signature.ReasonOf(err) != signature.ReasonMismatch {
		t.Errorf("another id: %v", err)
	}
}

func TestDecodeSecretFormat(t *testing.T) {
	edPub := ed25519.NewKeyFromSeed(seed(0)).Public().(ed25519.PublicKey)
	ecPub := p256Key(t, 0).Public().(*ecdsa.PublicKey)
	ecDER, _ := x509.MarshalPKIXPublicKey(ecPub)
	edDER, _ := x509.MarshalPKIXPublicKey(edPub)
	ecPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: ecDER}))
	edPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: edDER}))
	ok := []struct {
		s      signature.Scheme
		f      signature.SecretFormat
		minLen int
		secret string
		want   []byte
	}{
		{signature.StandardWebhooks, signature.SecretRaw, 0, "polar_whs_abcdef", []byte("polar_whs_abcdef")},
		{signature.StandardWebhooks, signature.SecretBase64, 0, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", nil},
		{signature.StandardWebhooks, signature.SecretBase64, 0, "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", nil},
		{signature.StandardWebhooks, signature.SecretDefault, 0, "whpk_" + base64.StdEncoding.EncodeToString(edPub), edDER},
		{signature.StandardWebhooks, signature.SecretPublicKey, 0, "whpk_" + base64.RawStdEncoding.EncodeToString(edPub), edDER},
		{signature.StandardWebhooks, signature.SecretPublicKey, 0, edPEM, edDER},
		{signature.HMACHex, signature.SecretDefault, 6, "sixsix", []byte("sixsix")},
		{signature.HMACHex, signature.SecretHex, 0, "00112233445566778899", []byte{0, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99}},
		{signature.Stripe, signature.SecretDefault, 0, "whsec_is_raw_for_stripe", []byte("whsec_is_raw_for_stripe")},
		{signature.Discord, signature.SecretDefault, 0, hex.EncodeToString(edPub), edDER},
		{signature.Discord, signature.SecretHex, 0, hex.EncodeToString(edPub), edDER},
		{signature.Discord, signature.SecretPublicKey, 0, strings.ToUpper(hex.EncodeToString(edPub)), edDER},
		{signature.SendGrid, signature.SecretDefault, 0, base64.StdEncoding.EncodeToString(ecDER), ecDER},
		{signature.SendGrid, signature.SecretPublicKey, 0, ecPEM, ecDER},
		{signature.Basic, signature.SecretDefault, 0, "hooks:long-enough", []byte("hooks:long-enough")},
		{signature.Basic, signature.SecretBasic, 4, "hooks:pass:with:colons", []byte("hooks:pass:with:colons")},
		{signature.Token, signature.SecretDefault, 0, "glpat-token-1234", []byte("glpat-token-1234")},
	}
	for _, tt := range ok {
		got, err := signature.DecodeSecretFormat(tt.s, tt.f, tt.minLen, tt.secret)
		if err != nil {
			t.Errorf("%s %q: %v", tt.s, tt.f, err)
			continue
		}
		if tt.want != nil && string(got) != string(tt.want) {
			t.Errorf("%s %q: got %x, want %x", tt.s, tt.f, got, tt.want)
		}
	}
	bad := []struct {
		s      signature.Scheme
		f      signature.SecretFormat
		minLen int
		secret string
	}{
		{signature.HMACHex, signature.SecretDefault, 0, "short-7"},
		{signature.HMACHex, signature.SecretDefault, 41, strings.Repeat("x", 40)},
		{signature.HMACHex, signature.SecretHex, 0, "not-hex-at-all-zz"},
		{signature.HMACHex, signature.SecretPublicKey, 0, hex.EncodeToString(edPub)},
		{signature.HMACHex, signature.SecretBasic, 0, "user:password-long"},
		{signature.HMACHex, "pgp", 0, "whatever-secret"},
		{signature.Discord, signature.SecretDefault, 0, hex.EncodeToString(edPub[:31])},
		{signature.Discord, signature.SecretRaw, 0, hex.EncodeToString(edPub)},
		{signature.Discord, signature.SecretBase64, 0, base64.StdEncoding.EncodeToString(edPub)},
		{signature.Discord, signature.SecretDefault, 0, base64.StdEncoding.EncodeToString(ecDER)},
		{signature.SendGrid, signature.SecretDefault, 0, hex.EncodeToString(edPub)},
		{signature.SendGrid, signature.SecretDefault, 0, "-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----"},
		{signature.SendGrid, signature.SecretDefault, 0, base64.StdEncoding.EncodeToString(ecDER[:40])},
		{signature.StandardWebhooks, signature.SecretPublicKey, 0, hex.EncodeToString(edPub)},
		{signature.StandardWebhooks, signature.SecretDefault, 0, "whpk_" + base64.StdEncoding.EncodeToString(edPub[:16])},
		{signature.StandardWebhooks, signature.SecretDefault, 0, "whpk_" + base64.StdEncoding.EncodeToString(ecDER)},
		{signature.Basic, signature.SecretDefault, 0, "no-colon-in-it"},
		{signature.Basic, signature.SecretDefault, 0, ":password-only"},
		{signature.Basic, signature.SecretDefault, 0, "user:short"},
		{signature.Basic, signature.SecretRaw, 0, "user:password-long"},
	}
	for _, tt := range bad {
		_, err := signature.DecodeSecretFormat(tt.s, tt.f, tt.minLen, tt.secret)
		if err == nil {
			t.Errorf("%s %q %q: accepted", tt.s, tt.f, tt.secret)
			continue
		}
		// The error never quotes the secret, nor a long part of it.
		for _, part := range []string{tt.secret, "password-long", "password-only", "not-hex-at-all", "whatever-secret", "no-colon"} {
			if len(part) >= 6 && strings.Contains(err.Error(), part) {
				t.Errorf("%s %q: error %q quotes the secret", tt.s, tt.f, err)
			}
		}
	}
	if a, err := signature.DecodeSecret(signature.Stripe, "whsec_abcdefgh"); err != nil {
		t.Error(err)
	} else if b, _ := signature.DecodeSecretFormat(signature.Stripe, signature.SecretDefault, 0, "whsec_abcdefgh"); string(a) != string(b) {
		t.Error("DecodeSecret differs from DecodeSecretFormat with the defaults")
	}
}

func TestDecodePrivateKey(t *testing.T) {
	priv := ed25519.NewKeyFromSeed(seed(3))
	ec := p256Key(t, 3)
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(ec)
	sec1, _ := x509.MarshalECPrivateKey(ec)
	edPKCS8, _ := x509.MarshalPKCS8PrivateKey(priv)
	for _, tt := range []struct {
		s   signature.Scheme
		key string
	}{
		{signature.StandardWebhooks, "whsk_" + base64.StdEncoding.EncodeToString(priv.Seed())},
		{signature.StandardWebhooks, "whsk_" + base64.StdEncoding.EncodeToString(priv)},
		{signature.Discord, hex.EncodeToString(priv.Seed())},
		{signature.Discord, string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: edPKCS8}))},
		{signature.SendGrid, string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}))},
		{signature.SendGrid, string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1}))},
		{signature.SendGrid, base64.StdEncoding.EncodeToString(pkcs8)},
	} {
		k, err := signature.DecodePrivateKey(tt.s, tt.key)
		if err != nil {
			t.Errorf("%s: %v", tt.s, err)
			continue
		}
		want := priv.Public()
		if tt.s == signature.SendGrid {
			want = ec.Public()
		}
		if !want.(interface{ Equal(crypto.PublicKey) bool }).Equal(k.Public()) {
			t.Errorf("%s: another key", tt.s)
		}
	}
	broken := append(append([]byte{}, priv.Seed()...), make([]byte, 32)...)
	for _, tt := range []struct {
		s   signature.Scheme
		key string
	}{
		{signature.SendGrid, hex.EncodeToString(priv.Seed())},
		{signature.Discord, base64.StdEncoding.EncodeToString(pkcs8)},
		{signature.Discord, "whsk_" + base64.StdEncoding.EncodeToString(broken)},
		{signature.Discord, ""},
		{signature.Discord, "whsk_!!"},
	} {
		if _, err := signature.DecodePrivateKey(tt.s, tt.key); err == nil {
			t.Errorf("%s: %q accepted", tt.s, tt.key)
		}
	}
}

func hmacHex(key []byte, msg string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return hex.EncodeToString(m.Sum(nil))
}
