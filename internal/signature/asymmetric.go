package signature

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"time"
)

// maxDERSignature bounds an ECDSA P-256 ASN.1 signature (72 bytes at most).
const maxDERSignature = 80

// verifySendGrid checks SendGrid's Event Webhook signature: ECDSA P-256
// over SHA-256 of X-Twilio-Email-Event-Webhook-Timestamp followed by the
// body, base64 ASN.1 DER in X-Twilio-Email-Event-Webhook-Signature.
func (v *Verifier) verifySendGrid(h http.Header, body []byte, now time.Time, tol time.Duration) (Meta, error) {
	sigB64, err := header(h, "X-Twilio-Email-Event-Webhook-Signature")
	if err != nil {
		return Meta{}, err
	}
	tsRaw, err := header(h, "X-Twilio-Email-Event-Webhook-Timestamp")
	if err != nil {
		return Meta{}, err
	}
	ts, err := parseUnix(tsRaw)
	if err != nil {
		return Meta{}, err
	}
	var buf [maxDERSignature + 2]byte
	if len(sigB64) > base64.StdEncoding.EncodedLen(maxDERSignature) {
		return Meta{}, fail(ReasonMalformed, "signature longer than an ECDSA P-256 signature")
	}
	n, err := base64.StdEncoding.Decode(buf[:], []byte(sigB64))
	if err != nil {
		return Meta{}, fail(ReasonMalformed, "signature is not base64")
	}
	if err := checkTime(ts, now, tol); err != nil {
		return Meta{}, err
	}
	d := sha256.New()
	d.Write([]byte(tsRaw))
	d.Write(body)
	var sum [sha256.Size]byte
	digest := d.Sum(sum[:0])
	v.prepare()
	for _, pub := range v.pubs {
		if k, ok := pub.(*ecdsa.PublicKey); ok && ecdsa.VerifyASN1(k, digest, buf[:n]) {
			return Meta{Timestamp: ts}, nil
		}
	}
	return Meta{}, fail(ReasonMismatch, "")
}

// verifyDiscord checks Discord's interaction (and webhook event)
// signature: Ed25519 of X-Signature-Timestamp followed by the body, hex in
// X-Signature-Ed25519.
func (v *Verifier) verifyDiscord(h http.Header, body []byte, now time.Time, tol time.Duration) (Meta, error) {
	sigHex, err := header(h, "X-Signature-Ed25519")
	if err != nil {
		return Meta{}, err
	}
	tsRaw, err := header(h, "X-Signature-Timestamp")
	if err != nil {
		return Meta{}, err
	}
	ts, err := parseUnix(tsRaw)
	if err != nil {
		return Meta{}, err
	}
	var sig [ed25519.SignatureSize]byte
	if len(sigHex) != hex.EncodedLen(len(sig)) {
		return Meta{}, fail(ReasonMalformed, "x-signature-ed25519 is not a hex Ed25519 signature")
	}
	if _, err := hex.Decode(sig[:], []byte(sigHex)); err != nil {
		return Meta{}, fail(ReasonMalformed, "x-signature-ed25519 is not a hex Ed25519 signature")
	}
	if err := checkTime(ts, now, tol); err != nil {
		return Meta{}, err
	}
	v.prepare()
	msg := make([]byte, 0, len(tsRaw)+len(body))
	msg = append(append(msg, tsRaw...), body...)
	for _, pub := range v.pubs {
		if k, ok := pub.(ed25519.PublicKey); ok && ed25519.Verify(k, msg, sig[:]) {
			return Meta{Timestamp: ts}, nil
		}
	}
	return Meta{}, fail(ReasonMismatch, "")
}

// matchV1a checks the signatures of a standard-webhooks header's
// "v1a,<base64 Ed25519>" items against the whpk_ public keys, over
// id.ts.body. It returns a malformed error when none decodes.
func (v *Verifier) matchV1a(sigs []string, id, tsRaw string, body []byte) (bool, error) {
	var cands [maxSignatures][ed25519.SignatureSize]byte
	n := 0
	for _, sig := range sigs {
		if len(sig) != base64.StdEncoding.EncodedLen(ed25519.SignatureSize) {
			continue
		}
		var buf [ed25519.SignatureSize + 2]byte
		if k, err := base64.StdEncoding.Decode(buf[:], []byte(sig)); err == nil && k == ed25519.SignatureSize {
			copy(cands[n][:], buf[:k])
			n++
		}
	}
	if n == 0 {
		return false, fail(ReasonMalformed, "no valid v1a signature in webhook-signature")
	}
	msg := make([]byte, 0, len(id)+len(tsRaw)+2+len(body))
	msg = append(append(append(append(append(msg, id...), '.'), tsRaw...), '.'), body...)
	for _, pub := range v.pubs {
		k, ok := pub.(ed25519.PublicKey)
		if !ok {
			continue
		}
		for i := range n {
			if ed25519.Verify(k, msg, cands[i][:]) {
				return true, nil
			}
		}
	}
	return false, nil
}
