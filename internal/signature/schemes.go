package signature

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// verifyHMACBase64 checks a base64 HMAC of the body in the configured
// header (Shopify, WooCommerce).
func (v *Verifier) verifyHMACBase64(h http.Header, body []byte) error {
	id, ok := hashByName(v.Hash)
	if !ok {
		return fail(ReasonMismatch, "unknown hash %q", v.Hash)
	}
	v.prepare()
	if v.header == "" {
		return fail(ReasonMismatch, "scheme %s needs a signature header", v.Scheme)
	}
	sig, err := header(h, v.header)
	if err != nil {
		return err
	}
	var c candidates
	if !c.addBase64Size(sig, id.size()) {
		return fail(ReasonMalformed, "signature is not a base64 %s MAC", id)
	}
	if c.matchHash(v, id, body) {
		return nil
	}
	return fail(ReasonMismatch, "")
}

// verifyV0 checks Slack's and Zoom's "v0=<hex>" signature, HMAC-SHA256 of
// "v0:" + timestamp + ":" + body. Zoom's timestamp is taken as milliseconds
// when it is too large for seconds (at or above 1e11).
func (v *Verifier) verifyV0(h http.Header, body []byte, now time.Time, tol time.Duration, sigName, tsName string, orMilli bool) (Meta, error) {
	sig, err := header(h, sigName)
	if err != nil {
		return Meta{}, err
	}
	tsRaw, err := header(h, tsName)
	if err != nil {
		return Meta{}, err
	}
	var ts time.Time
	if orMilli && len(tsRaw) > 11 {
		ts, err = parseUnixMilli(tsRaw)
	} else {
		ts, err = parseUnix(tsRaw)
	}
	if err != nil {
		return Meta{}, err
	}
	hexSig, ok := strings.CutPrefix(sig, "v0=")
	var c candidates
	if !ok || !c.addHex(hexSig) {
		return Meta{}, fail(ReasonMalformed, "%s is not v0=<hex SHA-256 MAC>", strings.ToLower(sigName))
	}
	if err := checkTime(ts, now, tol); err != nil {
		return Meta{}, err
	}
	if c.match(v, body, "v0:", tsRaw, ":") {
		return Meta{Timestamp: ts}, nil
	}
	return Meta{}, fail(ReasonMismatch, "")
}

// verifySquare checks X-Square-Hmacsha256-Signature, base64 HMAC-SHA256 of
// the notification URL followed by the body.
func (v *Verifier) verifySquare(h http.Header, body []byte, u string) error {
	sig, err := header(h, "X-Square-Hmacsha256-Signature")
	if err != nil {
		return err
	}
	if u == "" {
		return fail(ReasonMissing, "request url")
	}
	var c candidates
	if !c.addBase64Size(sig, sha256.Size) {
		return fail(ReasonMalformed, "x-square-hmacsha256-signature is not a base64 SHA-256 MAC")
	}
	if c.match(v, body, u) {
		return nil
	}
	return fail(ReasonMismatch, "")
}

// maxFormFields bounds the fields read from a form body.
const maxFormFields = 1000

// mailgunSignature is the signature Mailgun puts in the body.
type mailgunSignature struct {
	Timestamp, Token, Signature string
}

// verifyMailgun checks the signature in a Mailgun body: JSON
// {"signature":{"timestamp","token","signature"}, "event-data":…}, or the
// timestamp, token and signature fields of a form (legacy webhooks,
// urlencoded or multipart), HMAC-SHA256 hex of timestamp + token.
// https://documentation.mailgun.com/docs/mailgun/user-manual/webhooks/securing-webhooks
func (v *Verifier) verifyMailgun(h http.Header, body []byte, now time.Time, tol time.Duration) (Meta, error) {
	sig, err := mailgunFields(h, body)
	if err != nil {
		return Meta{}, err
	}
	if sig.Timestamp == "" || sig.Token == "" || sig.Signature == "" {
		return Meta{}, fail(ReasonMissing, "mailgun signature timestamp, token or signature")
	}
	if len(sig.Token) > maxHeader {
		return Meta{}, fail(ReasonMalformed, "mailgun token longer than %d bytes", maxHeader)
	}
	ts, err := parseUnix(sig.Timestamp)
	if err != nil {
		return Meta{}, err
	}
	var c candidates
	if !c.addHex(sig.Signature) {
		return Meta{}, fail(ReasonMalformed, "mailgun signature is not a hex SHA-256 MAC")
	}
	if err := checkTime(ts, now, tol); err != nil {
		return Meta{}, err
	}
	if c.match(v, nil, sig.Timestamp, sig.Token) {
		return Meta{Timestamp: ts}, nil
	}
	return Meta{}, fail(ReasonMismatch, "")
}

func mailgunFields(h http.Header, body []byte) (mailgunSignature, error) {
	if t := bytes.TrimLeft(body, " \t\r\n"); len(t) > 0 && t[0] == '{' {
		var doc struct {
			Signature struct {
				Timestamp json.RawMessage `json:"timestamp"`
				Token     string          `json:"token"`
				Signature string          `json:"signature"`
			} `json:"signature"`
		}
		if err := json.Unmarshal(body, &doc); err != nil {
			return mailgunSignature{}, fail(ReasonMalformed, "mailgun body is not JSON")
		}
		// The timestamp is a string; a number is taken as well.
		ts := string(doc.Signature.Timestamp)
		if s, err := strconv.Unquote(ts); err == nil {
			ts = s
		}
		return mailgunSignature{Timestamp: ts, Token: doc.Signature.Token, Signature: doc.Signature.Signature}, nil
	}
	var sig mailgunSignature
	set := func(name, value string) {
		switch name {
		case "timestamp":
			sig.Timestamp = value
		case "token":
			sig.Token = value
		case "signature":
			sig.Signature = value
		}
	}
	if mt, params, err := mime.ParseMediaType(firstHeader(h, "Content-Type")); err == nil && mt == "multipart/form-data" {
		r := multipart.NewReader(bytes.NewReader(body), params["boundary"])
		for range maxFormFields {
			p, err := r.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				return sig, fail(ReasonMalformed, "mailgun multipart body")
			}
			if name := p.FormName(); name == "timestamp" || name == "token" || name == "signature" {
				b, err := io.ReadAll(io.LimitReader(p, maxHeader+1))
				if err != nil {
					return sig, fail(ReasonMalformed, "mailgun multipart body")
				}
				set(name, string(b))
			}
		}
		return sig, nil
	}
	err := eachFormField(string(body), func(name, value string) { set(name, value) })
	return sig, err
}

// eachFormField calls f with each field of an urlencoded form, decoded, in
// order. At most maxFormFields fields are read.
func eachFormField(form string, f func(name, value string)) error {
	for i := 0; form != "" && i < maxFormFields; {
		var kv string
		kv, form, _ = strings.Cut(form, "&")
		if kv == "" {
			continue
		}
		i++
		k, val, _ := strings.Cut(kv, "=")
		k, err1 := url.QueryUnescape(k)
		val, err2 := url.QueryUnescape(val)
		if err1 != nil || err2 != nil {
			return fail(ReasonMalformed, "form body is not urlencoded")
		}
		f(k, val)
	}
	return nil
}

func firstHeader(h http.Header, name string) string {
	if vs := h[name]; len(vs) > 0 {
		return vs[0]
	}
	return ""
}

// verifyToken checks the configured header holds one of the tokens. The
// comparison is of SHA-256 digests, in constant time, so it reveals
// neither the token nor its length.
func (v *Verifier) verifyToken(h http.Header) error {
	v.prepare()
	if v.header == "" {
		return fail(ReasonMismatch, "scheme %s needs a token header", v.Scheme)
	}
	got, err := header(h, v.header)
	if err != nil {
		return err
	}
	if v.header == "Authorization" && len(got) > 7 && strings.EqualFold(got[:7], "Bearer ") {
		got = strings.TrimSpace(got[7:])
	}
	sum := sha256.Sum256([]byte(got))
	found := 0
	for _, t := range v.tokens {
		found |= boolInt(hmac.Equal(sum[:], t[0][:]))
	}
	if found == 1 {
		return nil
	}
	return fail(ReasonMismatch, "")
}

// verifyBasic checks Authorization: Basic against the user:password
// secrets, both parts compared in constant time.
func (v *Verifier) verifyBasic(h http.Header) error {
	v.prepare()
	auth, err := header(h, "Authorization")
	if err != nil {
		return err
	}
	if len(auth) < 6 || !strings.EqualFold(auth[:6], "Basic ") {
		return fail(ReasonMalformed, "authorization is not Basic")
	}
	enc := strings.TrimSpace(auth[6:])
	var buf [512]byte
	if base64.StdEncoding.DecodedLen(len(enc)) > len(buf) {
		return fail(ReasonMalformed, "authorization longer than %d bytes", len(buf))
	}
	n, err := base64.StdEncoding.Decode(buf[:], []byte(enc))
	if err != nil {
		return fail(ReasonMalformed, "authorization is not base64")
	}
	user, pass, ok := bytes.Cut(buf[:n], []byte(":"))
	if !ok {
		return fail(ReasonMalformed, "authorization has no user:password")
	}
	us, ps := sha256.Sum256(user), sha256.Sum256(pass)
	found := 0
	for _, t := range v.tokens {
		found |= boolInt(hmac.Equal(us[:], t[0][:])) & boolInt(hmac.Equal(ps[:], t[1][:]))
	}
	if found == 1 {
		return nil
	}
	return fail(ReasonMismatch, "")
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
