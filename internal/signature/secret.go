package signature

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// SecretFormat says how a configured secret is written. Errors about a
// secret never quote it.
type SecretFormat string

// The secret formats.
const (
	SecretDefault SecretFormat = ""    // today's behaviour per scheme
	SecretRaw     SecretFormat = "raw" // the string's bytes as the key (Polar's "polar_whs_…" used with standard-webhooks; Stripe's whsec_… is already raw)
	// SecretBase64 is base64 (std or raw std) decoded, optional "whsec_"
	// prefix (Standard Webhooks / Svix).
	SecretBase64 SecretFormat = "base64"
	SecretHex    SecretFormat = "hex" // hex-decoded (Discord public key)
	// SecretPublicKey is an asymmetric public key as the provider shows
	// it: Discord hex, SendGrid base64 DER SPKI (PEM accepted too),
	// Standard Webhooks whpk_….
	SecretPublicKey SecretFormat = "public-key"
	SecretBasic     SecretFormat = "basic" // user:password
)

// SecretFormats lists the secret formats.
func SecretFormats() []SecretFormat {
	return []SecretFormat{SecretDefault, SecretRaw, SecretBase64, SecretHex, SecretPublicKey, SecretBasic}
}

// MinSecretBytes is the shortest signing secret accepted (after base64
// decoding for standard-webhooks). It catches a truncated or placeholder
// secret; the providers' own generated secrets are 24 to 32 bytes.
const MinSecretBytes = 8

// DecodeSecret turns a configured secret into MAC key bytes: for
// standard-webhooks a "whsec_"-prefixed (or bare) base64 string is decoded
// (a "whpk_" public key is decoded as one); the asymmetric schemes take a
// public key; basic takes user:password; the other schemes use the string
// as is. It is DecodeSecretFormat(s, SecretDefault, 0, secret).
func DecodeSecret(s Scheme, secret string) ([]byte, error) {
	return DecodeSecretFormat(s, SecretDefault, 0, secret)
}

// DecodeSecretFormat turns a configured secret, written in format f, into
// what Verifier.Secrets holds for scheme s:
//
//   - MAC keys: the key bytes, at least minLen of them (0 means
//     MinSecretBytes).
//   - token: the token as written (SecretRaw), at least minLen bytes.
//   - basic: "user:password" with a password of at least minLen bytes.
//   - public keys (sendgrid, discord, standard-webhooks whpk_…): the key
//     DER-encoded as a PKIX SubjectPublicKeyInfo, after checking that it
//     is a valid key of the scheme's kind (Ed25519 for discord and
//     standard-webhooks, ECDSA P-256 for sendgrid). SecretDefault,
//     SecretPublicKey and SecretHex (a hex Ed25519 key) apply.
//
// The error never includes the secret.
func DecodeSecretFormat(s Scheme, f SecretFormat, minLen int, secret string) ([]byte, error) {
	secret = strings.TrimSpace(secret)
	if secret == "" {
		return nil, errors.New("empty secret")
	}
	if minLen <= 0 {
		minLen = MinSecretBytes
	}
	if f == SecretDefault {
		switch {
		case Asymmetric(s):
			f = SecretPublicKey
		case s == Basic:
			f = SecretBasic
		case s == StandardWebhooks && strings.HasPrefix(secret, "whpk_"):
			f = SecretPublicKey
		case s == StandardWebhooks:
			f = SecretBase64
		default:
			f = SecretRaw
		}
	}
	if Asymmetric(s) && f != SecretPublicKey && f != SecretHex {
		return nil, fmt.Errorf("scheme %s takes a public key (format %q or %q), not format %q", s, SecretPublicKey, SecretHex, f)
	}
	if s == Token && f != SecretRaw {
		return nil, fmt.Errorf("scheme %s compares the token as written (format %q), not format %q", s, SecretRaw, f)
	}
	if s == Basic && f != SecretBasic {
		return nil, fmt.Errorf("scheme %s takes user:password (format %q), not format %q", s, SecretBasic, f)
	}
	switch f {
	case SecretRaw:
		return checkLen([]byte(secret), minLen)
	case SecretBase64:
		key, err := decodeBase64(strings.TrimPrefix(secret, "whsec_"))
		if err != nil {
			if s == StandardWebhooks {
				return nil, errors.New("standard-webhooks secret is not whsec_ followed by base64")
			}
			return nil, errors.New("secret is not base64 (optionally after whsec_)")
		}
		return checkLen(key, minLen)
	case SecretHex:
		key, err := hex.DecodeString(secret)
		if err != nil {
			return nil, errors.New("secret is not hex")
		}
		if Asymmetric(s) {
			return publicKeyDER(s, key)
		}
		return checkLen(key, minLen)
	case SecretPublicKey:
		if s != StandardWebhooks && !Asymmetric(s) {
			return nil, fmt.Errorf("scheme %s takes a shared secret, not a public key", s)
		}
		return decodePublicKey(s, secret)
	case SecretBasic:
		if s != Basic {
			return nil, fmt.Errorf("format %q is for scheme %s", SecretBasic, Basic)
		}
		user, pass, ok := strings.Cut(secret, ":")
		if !ok || user == "" {
			return nil, errors.New("basic secret is not user:password")
		}
		if len(pass) < minLen {
			return nil, fmt.Errorf("password of %d bytes: at least %d", len(pass), minLen)
		}
		return []byte(secret), nil
	default:
		return nil, fmt.Errorf("unknown secret format %q", f)
	}
}

func checkLen(key []byte, minLen int) ([]byte, error) {
	if len(key) < minLen {
		return nil, fmt.Errorf("secret of %d bytes: at least %d", len(key), minLen)
	}
	return key, nil
}

// decodeBase64 decodes std base64, padded or not.
func decodeBase64(s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		b, err = base64.RawStdEncoding.DecodeString(s)
	}
	return b, err
}

// decodePublicKey reads a public key as the providers show them: PEM,
// whpk_<base64 32 bytes>, hex of 32 bytes (Discord), base64 of 32 bytes,
// or base64 DER SubjectPublicKeyInfo (SendGrid).
func decodePublicKey(s Scheme, key string) ([]byte, error) {
	if s == StandardWebhooks && !strings.HasPrefix(key, "whpk_") && !strings.HasPrefix(key, "-----BEGIN") {
		// Keep standard-webhooks keys unambiguous: whpk_ or PEM.
		return nil, errors.New("standard-webhooks public key is not whpk_ followed by base64")
	}
	var raw []byte
	switch {
	case strings.HasPrefix(key, "-----BEGIN"):
		block, _ := pem.Decode([]byte(key))
		if block == nil {
			return nil, errors.New("public key is not valid PEM")
		}
		raw = block.Bytes
	case strings.HasPrefix(key, "whpk_"):
		b, err := decodeBase64(strings.TrimPrefix(key, "whpk_"))
		if err != nil || len(b) != ed25519.PublicKeySize {
			return nil, errors.New("public key is not whpk_ followed by the base64 of 32 bytes")
		}
		raw = b
	case len(key) == hex.EncodedLen(ed25519.PublicKeySize):
		b, err := hex.DecodeString(key)
		if err != nil {
			return nil, errors.New("public key of 64 characters is not hex")
		}
		raw = b
	default:
		b, err := decodeBase64(key)
		if err != nil {
			return nil, errors.New("public key is not PEM, hex or base64")
		}
		raw = b
	}
	return publicKeyDER(s, raw)
}

// publicKeyDER checks raw (a 32-byte Ed25519 key or DER PKIX) is a valid
// public key for s and returns it DER-encoded.
func publicKeyDER(s Scheme, raw []byte) ([]byte, error) {
	var pub crypto.PublicKey
	if len(raw) == ed25519.PublicKeySize {
		pub = ed25519.PublicKey(raw)
	} else {
		p, err := x509.ParsePKIXPublicKey(raw)
		if err != nil {
			return nil, errors.New("public key is not a DER SubjectPublicKeyInfo or a 32-byte Ed25519 key")
		}
		pub = p
	}
	if err := checkPublicKey(s, pub); err != nil {
		return nil, err
	}
	return x509.MarshalPKIXPublicKey(pub)
}

func checkPublicKey(s Scheme, pub crypto.PublicKey) error {
	switch s {
	case SendGrid:
		if k, ok := pub.(*ecdsa.PublicKey); !ok || k.Curve != elliptic.P256() {
			return fmt.Errorf("scheme %s takes an ECDSA P-256 public key", s)
		}
	default:
		if _, ok := pub.(ed25519.PublicKey); !ok {
			return fmt.Errorf("scheme %s takes an Ed25519 public key", s)
		}
	}
	return nil
}

// parsePublicKey parses what DecodeSecretFormat returns for a public key
// (DER PKIX; a bare 32-byte Ed25519 key for discord too).
func parsePublicKey(s Scheme, key []byte) (crypto.PublicKey, error) {
	var pub crypto.PublicKey
	if s == Discord && len(key) == ed25519.PublicKeySize {
		pub = ed25519.PublicKey(key)
	} else {
		if len(key) == 0 || key[0] != 0x30 { // a DER SEQUENCE
			return nil, errors.New("not a DER public key")
		}
		p, err := x509.ParsePKIXPublicKey(key)
		if err != nil {
			return nil, err
		}
		pub = p
	}
	if err := checkPublicKey(s, pub); err != nil {
		return nil, err
	}
	return pub, nil
}

// DecodePrivateKey reads the private key a Signer signs with for the
// asymmetric schemes (tests, `webhookd send`): "whsk_" followed by the
// base64 of an Ed25519 seed (32 bytes) or key (64 bytes), the hex of
// either, or PEM or base64 DER (PKCS #8, or SEC 1 for ECDSA). discord and
// standard-webhooks take Ed25519 keys, sendgrid ECDSA P-256. The error never
// includes the key.
func DecodePrivateKey(s Scheme, key string) (crypto.Signer, error) {
	key = strings.TrimSpace(key)
	var raw []byte
	switch {
	case key == "":
		return nil, errors.New("empty private key")
	case strings.HasPrefix(key, "-----BEGIN"):
		block, _ := pem.Decode([]byte(key))
		if block == nil {
			return nil, errors.New("private key is not valid PEM")
		}
		raw = block.Bytes
	case strings.HasPrefix(key, "whsk_"):
		b, err := decodeBase64(strings.TrimPrefix(key, "whsk_"))
		if err != nil {
			return nil, errors.New("private key is not whsk_ followed by base64")
		}
		raw = b
	case len(key) == 2*ed25519.SeedSize || len(key) == 2*ed25519.PrivateKeySize:
		b, err := hex.DecodeString(key)
		if err != nil {
			return nil, errors.New("private key is not hex")
		}
		raw = b
	default:
		b, err := decodeBase64(key)
		if err != nil {
			return nil, errors.New("private key is not PEM, whsk_, hex or base64")
		}
		raw = b
	}
	var priv crypto.Signer
	switch len(raw) {
	case ed25519.SeedSize:
		priv = ed25519.NewKeyFromSeed(raw)
	case ed25519.PrivateKeySize:
		k := ed25519.NewKeyFromSeed(raw[:ed25519.SeedSize])
		if !bytes.Equal(k[ed25519.SeedSize:], raw[ed25519.SeedSize:]) {
			return nil, errors.New("Ed25519 private key: its public half does not match its seed")
		}
		priv = k
	default:
		if k, err := x509.ParsePKCS8PrivateKey(raw); err == nil {
			p, ok := k.(crypto.Signer)
			if !ok {
				return nil, errors.New("private key cannot sign")
			}
			priv = p
		} else if k, err := x509.ParseECPrivateKey(raw); err == nil {
			priv = k
		} else {
			return nil, errors.New("private key is not a 32- or 64-byte Ed25519 key, PKCS #8 or SEC 1")
		}
	}
	if err := checkPublicKey(s, priv.Public()); err != nil {
		return nil, err
	}
	return priv, nil
}
