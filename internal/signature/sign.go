package signature

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Signer signs requests as a provider would (tests, `webhookd send`).
type Signer struct {
	Scheme Scheme
	// Secret is the MAC key, token, or user:password for basic (as
	// DecodeSecretFormat returns them).
	Secret []byte
	// Header for HMACHex (default "webhook-signature"), HMACBase64 and
	// Token (required for both).
	Header string
	// Svix sends standard-webhooks headers with the svix- prefix (Resend).
	Svix bool
	// URL is the URL the request is sent to, for the URL-signing schemes:
	// twilio (form parameters from the body are appended; a URL with a
	// bodySHA256 query parameter, which the caller sets to the hex SHA-256
	// of a JSON body, is signed alone) and square.
	URL string
	// Hash for HMACHex and HMACBase64: "sha256" (default) or "sha1". For
	// twilio "sha256" signs as a SharedKey with HMAC_SHA256 (and says so in
	// X-Twilio-Webhooks-Signature-Settings); the default is HMAC-SHA1.
	Hash string
	// PrivateKey signs for the asymmetric schemes: an ed25519.PrivateKey
	// for discord and standard-webhooks (a v1a signature, besides the v1
	// one when Secret is set too), an *ecdsa.PrivateKey on P-256 for
	// sendgrid. See DecodePrivateKey.
	PrivateKey crypto.Signer
}

// Sign returns the headers a provider would send with body. id is the
// message id (standard-webhooks) or delivery id (github). Mailgun signs
// in the body: Sign returns no header for it, use SignBody. A Signer
// missing what its scheme needs (Header, URL, PrivateKey) returns headers
// without a signature.
func (s Signer) Sign(id string, ts time.Time, body []byte) http.Header {
	h := http.Header{}
	tsRaw := strconv.FormatInt(ts.Unix(), 10)
	hid, ok := hashByName(s.Hash)
	if !ok {
		return h
	}
	switch s.Scheme {
	case StandardWebhooks:
		s.signStandard(h, id, tsRaw, body)
	case Stripe:
		h.Set("Stripe-Signature", "t="+tsRaw+",v1="+hex.EncodeToString(mac(s.Secret, tsRaw+".", body)))
	case GitHub:
		h.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac(s.Secret, "", body)))
		h.Set("X-GitHub-Delivery", id)
	case HMACHex:
		name := s.Header
		if name == "" {
			name = "webhook-signature"
		}
		h.Set(name, hex.EncodeToString(macHash(hid, s.Secret, "", body)))
	case HMACBase64:
		if s.Header != "" {
			h.Set(s.Header, base64.StdEncoding.EncodeToString(macHash(hid, s.Secret, "", body)))
		}
	case Paddle:
		h.Set("Paddle-Signature", "ts="+tsRaw+";h1="+hex.EncodeToString(mac(s.Secret, tsRaw+":", body)))
	case WorkOS:
		ms := strconv.FormatInt(ts.UnixMilli(), 10)
		h.Set("WorkOS-Signature", "t="+ms+", v1="+hex.EncodeToString(mac(s.Secret, ms+".", body)))
	case Slack:
		h.Set("X-Slack-Request-Timestamp", tsRaw)
		h.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac(s.Secret, "v0:"+tsRaw+":", body)))
	case Zoom:
		h.Set("x-zm-request-timestamp", tsRaw)
		h.Set("x-zm-signature", "v0="+hex.EncodeToString(mac(s.Secret, "v0:"+tsRaw+":", body)))
	case Twilio:
		s.signTwilio(h, hid, body)
	case Square:
		if s.URL != "" {
			h.Set("X-Square-Hmacsha256-Signature", base64.StdEncoding.EncodeToString(mac(s.Secret, s.URL, body)))
		}
	case SendGrid, Discord:
		s.signAsymmetric(h, tsRaw, body)
	case Token:
		if s.Header != "" {
			h.Set(s.Header, string(s.Secret))
		}
	case Basic:
		h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString(s.Secret))
	}
	return h
}

// signStandard sets the Standard Webhooks headers: a v1 signature with
// the secret, a v1a one with an Ed25519 private key, or both.
func (s Signer) signStandard(h http.Header, id, tsRaw string, body []byte) {
	prefix := "webhook-"
	if s.Svix {
		prefix = "svix-"
	}
	h.Set(prefix+"id", id)
	h.Set(prefix+"timestamp", tsRaw)
	var sigs []string
	if len(s.Secret) > 0 {
		sigs = append(sigs, "v1,"+base64.StdEncoding.EncodeToString(mac(s.Secret, id+"."+tsRaw+".", body)))
	}
	if k, ok := s.PrivateKey.(ed25519.PrivateKey); ok {
		sigs = append(sigs, "v1a,"+base64.StdEncoding.EncodeToString(ed25519.Sign(k, concat(id, ".", tsRaw, ".", body))))
	}
	h.Set(prefix+"signature", strings.Join(sigs, " "))
}

// signTwilio signs the URL and the form parameters (or the URL alone
// when it carries bodySHA256), with HMAC-SHA1 or, as a SharedKey,
// HMAC-SHA256.
func (s Signer) signTwilio(h http.Header, hid hashID, body []byte) {
	if s.URL == "" {
		return
	}
	twHash := sha1ID
	if s.Hash != "" && hid == sha256ID {
		twHash = sha256ID
		h.Set("X-Twilio-Webhooks-Signature-Settings", "algorithm=HMAC_SHA256")
	}
	var params []byte
	if !strings.Contains(s.URL, "bodySHA256") && len(body) > 0 {
		p, err := twilioParams(body)
		if err != nil {
			return
		}
		params = p
		h.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	h.Set("X-Twilio-Signature", base64.StdEncoding.EncodeToString(macHash(twHash, s.Secret, s.URL, params)))
}

// signAsymmetric signs timestamp + body with the private key: ECDSA P-256
// for SendGrid, Ed25519 for Discord.
func (s Signer) signAsymmetric(h http.Header, tsRaw string, body []byte) {
	switch k := s.PrivateKey.(type) {
	case *ecdsa.PrivateKey:
		if s.Scheme != SendGrid {
			return
		}
		digest := sha256.Sum256(concat(tsRaw, body))
		if sig, err := ecdsa.SignASN1(rand.Reader, k, digest[:]); err == nil {
			h.Set("X-Twilio-Email-Event-Webhook-Timestamp", tsRaw)
			h.Set("X-Twilio-Email-Event-Webhook-Signature", base64.StdEncoding.EncodeToString(sig))
		}
	case ed25519.PrivateKey:
		if s.Scheme != Discord {
			return
		}
		h.Set("X-Signature-Timestamp", tsRaw)
		h.Set("X-Signature-Ed25519", hex.EncodeToString(ed25519.Sign(k, concat(tsRaw, body))))
	}
}

// SignBody returns the body and headers a provider would send. Mailgun
// carries its signature in the body: for it, SignBody returns body with
// its signature set, token id (a random one when id is empty) and
// timestamp ts, in the body's "signature" object when body is a JSON object
// (keys re-ordered) or as timestamp, token and signature fields appended to
// an urlencoded form otherwise (legacy webhooks); the header is the
// Content-Type. For every other scheme it returns body unchanged and Sign's
// headers.
func (s Signer) SignBody(id string, ts time.Time, body []byte) ([]byte, http.Header, error) {
	if s.Scheme != Mailgun {
		return body, s.Sign(id, ts, body), nil
	}
	if id == "" {
		id = rand.Text()
	}
	tsRaw := strconv.FormatInt(ts.Unix(), 10)
	h := http.Header{}
	if t := bytes.TrimSpace(body); len(t) > 0 && t[0] == '{' {
		// The token as JSON carries it: invalid UTF-8 becomes U+FFFD.
		if q, err := json.Marshal(id); err == nil {
			_ = json.Unmarshal(q, &id)
		}
		sig := hex.EncodeToString(mac(s.Secret, tsRaw+id, nil))
		var doc map[string]json.RawMessage
		if err := json.Unmarshal(body, &doc); err != nil {
			return nil, nil, errors.New("mailgun body is not a JSON object")
		}
		doc["signature"], _ = json.Marshal(map[string]string{"timestamp": tsRaw, "token": id, "signature": sig})
		out, err := json.Marshal(doc)
		if err != nil {
			return nil, nil, err
		}
		h.Set("Content-Type", "application/json")
		return out, h, nil
	}
	sig := hex.EncodeToString(mac(s.Secret, tsRaw+id, nil))
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, nil, errors.New("mailgun body is neither a JSON object nor a form")
	}
	form.Del("timestamp")
	form.Del("token")
	form.Del("signature")
	out := form.Encode()
	if out != "" {
		out += "&"
	}
	out += url.Values{"timestamp": {tsRaw}, "token": {id}, "signature": {sig}}.Encode()
	h.Set("Content-Type", "application/x-www-form-urlencoded")
	return []byte(out), h, nil
}

// concat joins strings and byte slices into a new message.
func concat(parts ...any) []byte {
	var b []byte
	for _, p := range parts {
		switch p := p.(type) {
		case string:
			b = append(b, p...)
		case []byte:
			b = append(b, p...)
		}
	}
	return b
}
