// Package signature signs and verifies webhook requests for each scheme
// webhookd supports. Verification works on the raw request bytes, compares
// MACs in constant time, accepts any of several secrets (rotation) and
// rejects timestamps outside the tolerance in both directions. The ingress
// verifies with it; `webhookd send` signs with it.
package signature

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Scheme names a signature scheme.
type Scheme string

// The supported schemes.
const (
	StandardWebhooks Scheme = "standard-webhooks" // Dodo Payments, Svix, Resend
	Stripe           Scheme = "stripe"
	GitHub           Scheme = "github"
	HMACHex          Scheme = "hmac-hex" // hex HMAC-SHA256 of the body in a configurable header
)

// Schemes lists the supported schemes.
func Schemes() []Scheme { return []Scheme{StandardWebhooks, Stripe, GitHub, HMACHex} }

// DefaultTolerance is how far a signed timestamp may be from now, either way.
const DefaultTolerance = 5 * time.Minute

// maxHeader bounds a signature header; real ones are under 1 KiB.
const maxHeader = 8 << 10

// maxSignatures bounds how many signatures one header may list.
const maxSignatures = 16

// ErrInvalid is wrapped by every verification failure. Clients are told no
// more than this; the reason is for metrics and logs.
var ErrInvalid = errors.New("invalid signature")

// Reasons a verification fails.
const (
	ReasonMissing   = "missing"   // a required header is absent
	ReasonMalformed = "malformed" // a header cannot be parsed
	ReasonStale     = "stale"     // timestamp outside the tolerance
	ReasonMismatch  = "mismatch"  // no signature matches any secret
)

// Error is a verification failure.
type Error struct {
	Reason string
	Detail string
}

func (e *Error) Error() string {
	if e.Detail == "" {
		return "invalid signature: " + e.Reason
	}
	return "invalid signature: " + e.Reason + ": " + e.Detail
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *Error) Unwrap() error { return ErrInvalid }

func fail(reason, format string, args ...any) error {
	return &Error{Reason: reason, Detail: fmt.Sprintf(format, args...)}
}

// ReasonOf returns the failure reason of err, or "" if it is none.
func ReasonOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}

// DecodeSecret turns a configured secret into MAC key bytes: for
// standard-webhooks a "whsec_"-prefixed (or bare) base64 string is decoded;
// the other schemes use the string as is.
func DecodeSecret(s Scheme, secret string) ([]byte, error) {
	secret = strings.TrimSpace(secret)
	if secret == "" {
		return nil, errors.New("empty secret")
	}
	if s != StandardWebhooks {
		if len(secret) < MinSecretBytes {
			return nil, fmt.Errorf("secret of %d bytes: at least %d", len(secret), MinSecretBytes)
		}
		return []byte(secret), nil
	}
	b64 := strings.TrimPrefix(secret, "whsec_")
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		if key, err = base64.RawStdEncoding.DecodeString(b64); err != nil {
			return nil, errors.New("standard-webhooks secret is not whsec_ followed by base64")
		}
	}
	if len(key) < MinSecretBytes {
		return nil, fmt.Errorf("secret of %d bytes: at least %d", len(key), MinSecretBytes)
	}
	return key, nil
}

// MinSecretBytes is the shortest signing secret accepted (after base64
// decoding for standard-webhooks). It catches a truncated or placeholder
// secret; the providers' own generated secrets are 24 to 32 bytes.
const MinSecretBytes = 8

// Verifier checks requests of one provider.
type Verifier struct {
	Scheme Scheme
	// Secrets are MAC keys (see DecodeSecret); any one of them may match.
	Secrets [][]byte
	// Tolerance bounds the signed timestamp's distance from now (default 5 min).
	Tolerance time.Duration
	// Header carries the signature for HMACHex (default "webhook-signature").
	Header string
}

// Meta is what a verified signature vouches for.
type Meta struct {
	// ID is the message id of the signed headers (standard-webhooks), if any.
	ID string
	// Timestamp is the signed timestamp, zero for schemes without one.
	Timestamp time.Time
}

// Verify checks the signature of body against the headers at time now.
func (v Verifier) Verify(h http.Header, body []byte, now time.Time) (Meta, error) {
	if len(v.Secrets) == 0 {
		return Meta{}, fail(ReasonMismatch, "no secret configured")
	}
	tol := v.Tolerance
	if tol <= 0 {
		tol = DefaultTolerance
	}
	switch v.Scheme {
	case StandardWebhooks:
		return v.verifyStandard(h, body, now, tol)
	case Stripe:
		return v.verifyStripe(h, body, now, tol)
	case GitHub:
		sig, err := header(h, "X-Hub-Signature-256")
		if err != nil {
			return Meta{}, err
		}
		return Meta{}, v.verifyHex(strings.TrimPrefix(sig, "sha256="), body)
	case HMACHex:
		name := v.Header
		if name == "" {
			name = "webhook-signature"
		}
		sig, err := header(h, name)
		if err != nil {
			return Meta{}, err
		}
		return Meta{}, v.verifyHex(strings.TrimPrefix(sig, "sha256="), body)
	default:
		return Meta{}, fail(ReasonMismatch, "unknown scheme %q", v.Scheme)
	}
}

func header(h http.Header, names ...string) (string, error) {
	for _, n := range names {
		if v := strings.TrimSpace(h.Get(n)); v != "" {
			if len(v) > maxHeader {
				return "", fail(ReasonMalformed, "%s longer than %d bytes", n, maxHeader)
			}
			return v, nil
		}
	}
	return "", fail(ReasonMissing, "%s", names[0])
}

func mac(key []byte, parts ...[]byte) []byte {
	m := hmac.New(sha256.New, key)
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

func checkTime(ts, now time.Time, tol time.Duration) error {
	if d := now.Sub(ts); d > tol || d < -tol {
		return fail(ReasonStale, "timestamp %s is %s from now", ts.UTC().Format(time.RFC3339), d.Round(time.Second))
	}
	return nil
}

func parseUnix(s string) (time.Time, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || len(s) > 12 {
		return time.Time{}, fail(ReasonMalformed, "timestamp %.20q", s)
	}
	return time.Unix(n, 0), nil
}

func (v Verifier) verifyStandard(h http.Header, body []byte, now time.Time, tol time.Duration) (Meta, error) {
	id, err := header(h, "webhook-id", "svix-id")
	if err != nil {
		return Meta{}, err
	}
	tsRaw, err := header(h, "webhook-timestamp", "svix-timestamp")
	if err != nil {
		return Meta{}, err
	}
	sigs, err := header(h, "webhook-signature", "svix-signature")
	if err != nil {
		return Meta{}, err
	}
	ts, err := parseUnix(tsRaw)
	if err != nil {
		return Meta{}, err
	}
	if err := checkTime(ts, now, tol); err != nil {
		return Meta{}, err
	}
	var candidates [][]byte
	for i, item := range strings.Fields(sigs) {
		if i >= maxSignatures {
			break
		}
		version, sig, ok := strings.Cut(item, ",")
		if !ok || version != "v1" {
			continue // other versions (v1a: asymmetric) are not ours to check
		}
		raw, err := base64.StdEncoding.DecodeString(sig)
		if err != nil || len(raw) != sha256.Size {
			continue
		}
		candidates = append(candidates, raw)
	}
	if len(candidates) == 0 {
		return Meta{}, fail(ReasonMalformed, "no v1 signature in webhook-signature")
	}
	for _, key := range v.Secrets {
		want := mac(key, []byte(id), []byte("."), []byte(tsRaw), []byte("."), body)
		for _, c := range candidates {
			if hmac.Equal(want, c) {
				return Meta{ID: id, Timestamp: ts}, nil
			}
		}
	}
	return Meta{}, fail(ReasonMismatch, "")
}

func (v Verifier) verifyStripe(h http.Header, body []byte, now time.Time, tol time.Duration) (Meta, error) {
	raw, err := header(h, "Stripe-Signature")
	if err != nil {
		return Meta{}, err
	}
	var tsRaw string
	var candidates [][]byte
	for _, kv := range strings.Split(raw, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok {
			return Meta{}, fail(ReasonMalformed, "Stripe-Signature item without '='")
		}
		switch k {
		case "t":
			tsRaw = val
		case "v1":
			if sig, err := hex.DecodeString(val); err == nil && len(sig) == sha256.Size && len(candidates) < maxSignatures {
				candidates = append(candidates, sig)
			}
		}
	}
	if tsRaw == "" {
		return Meta{}, fail(ReasonMalformed, "Stripe-Signature has no t=")
	}
	ts, err := parseUnix(tsRaw)
	if err != nil {
		return Meta{}, err
	}
	if len(candidates) == 0 {
		return Meta{}, fail(ReasonMalformed, "Stripe-Signature has no v1=")
	}
	if err := checkTime(ts, now, tol); err != nil {
		return Meta{}, err
	}
	for _, key := range v.Secrets {
		want := mac(key, []byte(tsRaw), []byte("."), body)
		for _, c := range candidates {
			if hmac.Equal(want, c) {
				return Meta{Timestamp: ts}, nil
			}
		}
	}
	return Meta{}, fail(ReasonMismatch, "")
}

func (v Verifier) verifyHex(sigHex string, body []byte) error {
	sig, err := hex.DecodeString(strings.TrimSpace(sigHex))
	if err != nil || len(sig) != sha256.Size {
		return fail(ReasonMalformed, "signature is not a hex SHA-256 MAC")
	}
	for _, key := range v.Secrets {
		if hmac.Equal(mac(key, body), sig) {
			return nil
		}
	}
	return fail(ReasonMismatch, "")
}

// Signer signs requests as a provider would.
type Signer struct {
	Scheme Scheme
	Secret []byte
	// Header for HMACHex (default "webhook-signature").
	Header string
	// Svix sends standard-webhooks headers with the svix- prefix (Resend).
	Svix bool
}

// Sign returns the headers a provider would send with body. id is the
// message id (standard-webhooks) or delivery id (github).
func (s Signer) Sign(id string, ts time.Time, body []byte) http.Header {
	h := http.Header{}
	tsRaw := strconv.FormatInt(ts.Unix(), 10)
	switch s.Scheme {
	case StandardWebhooks:
		prefix := "webhook-"
		if s.Svix {
			prefix = "svix-"
		}
		h.Set(prefix+"id", id)
		h.Set(prefix+"timestamp", tsRaw)
		h.Set(prefix+"signature", "v1,"+base64.StdEncoding.EncodeToString(mac(s.Secret, []byte(id), []byte("."), []byte(tsRaw), []byte("."), body)))
	case Stripe:
		h.Set("Stripe-Signature", "t="+tsRaw+",v1="+hex.EncodeToString(mac(s.Secret, []byte(tsRaw), []byte("."), body)))
	case GitHub:
		h.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac(s.Secret, body)))
		h.Set("X-GitHub-Delivery", id)
	case HMACHex:
		name := s.Header
		if name == "" {
			name = "webhook-signature"
		}
		h.Set(name, hex.EncodeToString(mac(s.Secret, body)))
	}
	return h
}
