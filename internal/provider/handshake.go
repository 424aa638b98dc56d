package provider

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"regexp"
)

// The handshakes a provider makes before it delivers anything (Preset's
// Handshake). The ingress answers them and records nothing.
const (
	// Slack's Events API: {"type":"url_verification","challenge":"…"},
	// signed, answered with the challenge.
	HandshakeSlack = "slack-url-verification"
	// Zoom: {"event":"endpoint.url_validation","payload":{"plainToken":"…"}},
	// signed, answered with the plainToken and its hex HMAC-SHA256 under the
	// secret token (encryptedToken).
	HandshakeZoom = "zoom-url-validation"
	// Discord's Webhook Events: {"type":0,…} (PING), signed, answered 204
	// with no body; every event is answered 204 too.
	HandshakeDiscord = "discord-webhook-ping"
	// WooCommerce: an unsigned form POST "webhook_id=<n>" when a webhook is
	// saved, answered 200 (anything else and it is not saved).
	HandshakeWooCommerce = "woocommerce-ping"
	// Intercom: a HEAD request when the URL is saved, answered 200.
	HandshakeIntercom = "intercom-head"
)

// Answer is the ingress's reply to a handshake.
type Answer struct {
	Status int
	// Body is JSON, or nil for none.
	Body []byte
}

// AnswerHandshake answers a verified request that is the provider's handshake
// rather than an event (ok false: an event).
func (p Provider) AnswerHandshake(body []byte) (Answer, bool) {
	switch p.Handshake {
	case HandshakeSlack:
		var m struct{ Type, Challenge string }
		// Events are not parsed twice: only a body naming the handshake.
		if bytes.Contains(body, []byte("url_verification")) && json.Unmarshal(body, &m) == nil && m.Type == "url_verification" {
			b, _ := json.Marshal(map[string]string{"challenge": m.Challenge})
			return Answer{Status: http.StatusOK, Body: b}, true
		}
	case HandshakeZoom:
		var m struct {
			Event   string
			Payload struct {
				PlainToken string `json:"plainToken"`
			}
		}
		if bytes.Contains(body, []byte("endpoint.url_validation")) && json.Unmarshal(body, &m) == nil && m.Event == "endpoint.url_validation" {
			keys := p.Keys()
			if len(keys) == 0 {
				return Answer{}, false
			}
			mac := hmac.New(sha256.New, keys[0])
			mac.Write([]byte(m.Payload.PlainToken))
			b, _ := json.Marshal(map[string]string{"plainToken": m.Payload.PlainToken, "encryptedToken": hex.EncodeToString(mac.Sum(nil))})
			return Answer{Status: http.StatusOK, Body: b}, true
		}
	case HandshakeDiscord:
		var m struct{ Type *int }
		if json.Unmarshal(body, &m) == nil && m.Type != nil && *m.Type == 0 {
			return Answer{Status: http.StatusNoContent}, true
		}
	}
	return Answer{}, false
}

var wooPing = regexp.MustCompile(`^webhook_id=[0-9]{1,20}$`)

// UnsignedHandshake answers a handshake the provider sends unsigned
// (WooCommerce's ping): only its exact shape, and only when the request
// carries no signature at all, so nothing it answers is recorded.
func (p Provider) UnsignedHandshake(h http.Header, body []byte) (Answer, bool) {
	if p.Handshake == HandshakeWooCommerce && h.Get(p.SignatureHeader) == "" && wooPing.Match(body) {
		return Answer{Status: http.StatusOK, Body: []byte(`{"received":true,"handshake":"woocommerce-ping"}`)}, true
	}
	return Answer{}, false
}

// SuccessStatus is the status of an accepted event: Discord requires 204.
func (p Provider) SuccessStatus(status int) int {
	if p.Handshake == HandshakeDiscord && status == http.StatusOK {
		return http.StatusNoContent
	}
	return status
}
