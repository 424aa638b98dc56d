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
	"hash"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
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

// Verifier checks requests of one provider. It is safe for concurrent use
// and keeps keyed MAC states between requests, so build one per provider
// and keep it: its fields must not change after the first Verify.
type Verifier struct {
	Scheme Scheme
	// Secrets are MAC keys (see DecodeSecret); any one of them may match.
	Secrets [][]byte
	// Tolerance bounds the signed timestamp's distance from now (default 5 min).
	Tolerance time.Duration
	// Header carries the signature for HMACHex (default "webhook-signature").
	Header string

	once sync.Once
	macs []*sync.Pool // of *keyedMAC, one pool per secret
}

// keyedMAC is an HMAC-SHA256 state keyed with one secret, and room for the
// signed prefix. Reset brings it back to the keyed state without hashing
// the key again, so a verification costs the MAC of the message alone.
type keyedMAC struct {
	h      hash.Hash
	prefix []byte
	sum    [sha256.Size]byte
}

func (v *Verifier) keyed() []*sync.Pool {
	v.once.Do(func() {
		for _, key := range v.Secrets {
			v.macs = append(v.macs, &sync.Pool{New: func() any {
				return &keyedMAC{h: hmac.New(sha256.New, key), prefix: make([]byte, 0, 64)}
			}})
		}
	})
	return v.macs
}

// Meta is what a verified signature vouches for.
type Meta struct {
	// ID is the message id of the signed headers (standard-webhooks), if any.
	ID string
	// Timestamp is the signed timestamp, zero for schemes without one.
	Timestamp time.Time
}

// Verify checks the signature of body against the headers at time now.
func (v *Verifier) Verify(h http.Header, body []byte, now time.Time) (Meta, error) {
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
		name := "Webhook-Signature"
		if v.Header != "" {
			name = textproto.CanonicalMIMEHeaderKey(v.Header)
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

// header returns the first of names that is set. Names must be canonical
// ("Webhook-Id", textproto.CanonicalMIMEHeaderKey): they index the header
// map directly, as net/http stores received headers.
func header(h http.Header, names ...string) (string, error) {
	for _, n := range names {
		var v string
		if vs := h[n]; len(vs) > 0 {
			v = strings.TrimSpace(vs[0])
		}
		if v != "" {
			if len(v) > maxHeader {
				return "", fail(ReasonMalformed, "%s longer than %d bytes", n, maxHeader)
			}
			return v, nil
		}
	}
	return "", fail(ReasonMissing, "%s", strings.ToLower(names[0]))
}

// mac is the HMAC-SHA256 of prefix followed by body.
func mac(key []byte, prefix string, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	if prefix != "" {
		m.Write([]byte(prefix))
	}
	m.Write(body)
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

// candidates holds the decoded signatures of one header, on the stack.
type candidates struct {
	sigs [maxSignatures][sha256.Size]byte
	n    int
}

// addBase64 keeps sig when it is the base64 of a SHA-256 MAC.
func (c *candidates) addBase64(sig string) {
	var buf [sha256.Size + 2]byte // DecodedLen of 44 characters
	if c.n == maxSignatures || len(sig) != base64.StdEncoding.EncodedLen(sha256.Size) {
		return
	}
	if n, err := base64.StdEncoding.Decode(buf[:], []byte(sig)); err == nil && n == sha256.Size {
		copy(c.sigs[c.n][:], buf[:n])
		c.n++
	}
}

// addHex keeps sig when it is the hex of a SHA-256 MAC.
func (c *candidates) addHex(sig string) bool {
	if c.n == maxSignatures || len(sig) != hex.EncodedLen(sha256.Size) {
		return false
	}
	if _, err := hex.Decode(c.sigs[c.n][:], []byte(sig)); err != nil {
		return false
	}
	c.n++
	return true
}

// match reports whether the MAC of the prefix parts and body under one of
// the verifier's keys is one of the candidates (constant-time comparisons).
// The parts are joined in the pooled state's buffer, not in a new string.
func (c *candidates) match(v *Verifier, body []byte, prefix ...string) bool {
	for _, pool := range v.keyed() {
		m := pool.Get().(*keyedMAC)
		m.h.Reset()
		m.prefix = m.prefix[:0]
		for _, p := range prefix {
			m.prefix = append(m.prefix, p...)
		}
		m.h.Write(m.prefix)
		m.h.Write(body)
		want := m.h.Sum(m.sum[:0])
		found := false
		for i := range c.n {
			found = hmac.Equal(want, c.sigs[i][:]) || found
		}
		pool.Put(m)
		if found {
			return true
		}
	}
	return false
}

func (v *Verifier) verifyStandard(h http.Header, body []byte, now time.Time, tol time.Duration) (Meta, error) {
	id, err := header(h, "Webhook-Id", "Svix-Id")
	if err != nil {
		return Meta{}, err
	}
	tsRaw, err := header(h, "Webhook-Timestamp", "Svix-Timestamp")
	if err != nil {
		return Meta{}, err
	}
	sigs, err := header(h, "Webhook-Signature", "Svix-Signature")
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
	// Space-separated "version,signature" items, at most maxSignatures.
	var c candidates
	rest := sigs
	for i := 0; i < maxSignatures; i++ {
		rest = strings.TrimLeft(rest, " ")
		if rest == "" {
			break
		}
		var item string
		if j := strings.IndexByte(rest, ' '); j >= 0 {
			item, rest = rest[:j], rest[j:]
		} else {
			item, rest = rest, ""
		}
		if sig, ok := strings.CutPrefix(item, "v1,"); ok {
			c.addBase64(sig) // other versions (v1a: asymmetric) are not ours to check
		}
	}
	if c.n == 0 {
		return Meta{}, fail(ReasonMalformed, "no v1 signature in webhook-signature")
	}
	if c.match(v, body, id, ".", tsRaw, ".") {
		return Meta{ID: id, Timestamp: ts}, nil
	}
	return Meta{}, fail(ReasonMismatch, "")
}

func (v *Verifier) verifyStripe(h http.Header, body []byte, now time.Time, tol time.Duration) (Meta, error) {
	raw, err := header(h, "Stripe-Signature")
	if err != nil {
		return Meta{}, err
	}
	var tsRaw string
	var c candidates
	for rest := raw; rest != ""; {
		var kv string
		kv, rest, _ = strings.Cut(rest, ",")
		k, val, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok {
			return Meta{}, fail(ReasonMalformed, "Stripe-Signature item without '='")
		}
		switch k {
		case "t":
			tsRaw = val
		case "v1":
			c.addHex(val)
		}
	}
	if tsRaw == "" {
		return Meta{}, fail(ReasonMalformed, "Stripe-Signature has no t=")
	}
	ts, err := parseUnix(tsRaw)
	if err != nil {
		return Meta{}, err
	}
	if c.n == 0 {
		return Meta{}, fail(ReasonMalformed, "Stripe-Signature has no v1=")
	}
	if err := checkTime(ts, now, tol); err != nil {
		return Meta{}, err
	}
	if c.match(v, body, tsRaw, ".") {
		return Meta{Timestamp: ts}, nil
	}
	return Meta{}, fail(ReasonMismatch, "")
}

func (v *Verifier) verifyHex(sigHex string, body []byte) error {
	var c candidates
	if !c.addHex(strings.TrimSpace(sigHex)) {
		return fail(ReasonMalformed, "signature is not a hex SHA-256 MAC")
	}
	if c.match(v, body) {
		return nil
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
		h.Set(prefix+"signature", "v1,"+base64.StdEncoding.EncodeToString(mac(s.Secret, id+"."+tsRaw+".", body)))
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
		h.Set(name, hex.EncodeToString(mac(s.Secret, "", body)))
	}
	return h
}
