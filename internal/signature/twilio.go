package signature

import (
	"crypto/sha256"
	"encoding/hex"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// Twilio's signature, as the twilio npm library (webhooks.ts,
// validateRequest and validateRequestWithBody) checks it:
//
//   - X-Twilio-Signature is the base64 HMAC of the URL Twilio called
//     followed, for a form body, by each parameter's name and value, sorted
//     by name (a repeated name: its distinct values, sorted). HMAC-SHA1
//     with the auth token, or the algorithm named in
//     X-Twilio-Webhooks-Signature-Settings (SharedKey: HMAC_SHA1 or
//     HMAC_SHA256).
//   - When the URL has "bodySHA256" in it, the body is JSON: the signature
//     is of the URL alone and the URL's bodySHA256 query parameter must be
//     the hex SHA-256 of the body.
//   - The URL is tried as received with and without its port (the default
//     one added when it has none), then as WHATWG `new URL()` normalizes it
//     (percent-encoding, default port dropped, dot segments resolved), with
//     and without the port and with the query re-encoded as Node's legacy
//     querystring module does, since Twilio's back ends sign either.
//
// A non-empty body that is neither a form nor covered by bodySHA256 is
// refused: nothing would sign it.
func (v *Verifier) verifyTwilio(h http.Header, body []byte, u string) error {
	sig, err := header(h, "X-Twilio-Signature")
	if err != nil {
		return err
	}
	if u == "" {
		return fail(ReasonMissing, "request url")
	}
	id, err := twilioHash(firstHeader(h, "X-Twilio-Webhooks-Signature-Settings"))
	if err != nil {
		return err
	}
	var c candidates
	if !c.addBase64Size(sig, id.size()) {
		return fail(ReasonMalformed, "x-twilio-signature is not a base64 %s MAC", id)
	}
	var params []byte // the sorted parameters, appended to each URL
	if strings.Contains(u, "bodySHA256") {
		if !twilioBodyHashMatches(u, body) {
			return fail(ReasonMismatch, "bodySHA256 is not the body's")
		}
	} else if len(body) > 0 {
		mt, _, _ := mime.ParseMediaType(firstHeader(h, "Content-Type"))
		if mt != "application/x-www-form-urlencoded" {
			return fail(ReasonMalformed, "body is neither a form nor signed by bodySHA256")
		}
		if params, err = twilioParams(body); err != nil {
			return err
		}
	}
	// The URL as received, without and with its port; only then the
	// normalized variants, as the library does.
	if c.matchHash(v, id, params, twilioRemovePort(u)) {
		return nil
	}
	if with := twilioAddPort(u); with != twilioRemovePort(u) && c.matchHash(v, id, params, with) {
		return nil
	}
	urls := twilioURLs(u)
	for i, cand := range urls {
		if i < 2 || slices.Contains(urls[:i], cand) {
			continue
		}
		if c.matchHash(v, id, params, cand) {
			return nil
		}
	}
	return fail(ReasonMismatch, "")
}

// twilioHash reads the algorithm of X-Twilio-Webhooks-Signature-Settings,
// e.g. "key=webhooks_sharedkey_…,algorithm=HMAC_SHA256": HMAC_SHA1 when
// absent.
func twilioHash(settings string) (hashID, error) {
	alg := ""
	for part := range strings.SplitSeq(settings, ",") {
		if k, val, ok := strings.Cut(part, "="); ok && strings.TrimSpace(k) == "algorithm" {
			if val = strings.TrimSpace(val); val != "" {
				alg = val
				break
			}
		}
	}
	switch strings.ToUpper(alg) {
	case "", "HMAC_SHA1":
		return sha1ID, nil
	case "HMAC_SHA256":
		return sha256ID, nil
	}
	return 0, fail(ReasonMalformed, "x-twilio-webhooks-signature-settings names algorithm %.20q", alg)
}

// twilioBodyHashMatches reports whether the URL's bodySHA256 query
// parameter is the hex SHA-256 of body.
func twilioBodyHashMatches(u string, body []byte) bool {
	_, query, _ := strings.Cut(u, "?")
	query, _, _ = strings.Cut(query, "#")
	want := ""
	for kv := range strings.SplitSeq(query, "&") {
		k, val, _ := strings.Cut(kv, "=")
		if k, err := url.QueryUnescape(k); err == nil && k == "bodySHA256" {
			want, _ = url.QueryUnescape(val)
			break
		}
	}
	sum := sha256.Sum256(body)
	var got [2 * sha256.Size]byte
	hex.Encode(got[:], sum[:])
	return len(want) == len(got) && constantTimeEqual(want, got[:])
}

func constantTimeEqual(a string, b []byte) bool {
	var x byte
	for i := range b {
		x |= a[i] ^ b[i]
	}
	return x == 0
}

// twilioParams decodes a form body into what Twilio appends to the URL:
// the names sorted (as JavaScript sorts strings, by UTF-16 code units),
// each followed by its value; a repeated name once per distinct value,
// the values sorted.
func twilioParams(body []byte) ([]byte, error) {
	type field struct{ name, value string }
	var fields []field
	err := eachFormField(string(body), func(name, value string) {
		fields = append(fields, field{name, value})
	})
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(fields, func(a, b field) int {
		if c := compareUTF16(a.name, b.name); c != 0 {
			return c
		}
		return compareUTF16(a.value, b.value)
	})
	fields = slices.Compact(fields)
	var out []byte
	for _, f := range fields {
		out = append(out, f.name...)
		out = append(out, f.value...)
	}
	return out, nil
}

// compareUTF16 orders strings as JavaScript's default sort does.
func compareUTF16(a, b string) int {
	for a != "" && b != "" {
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		if ra != rb {
			return cmpUnits(ra, rb)
		}
		a, b = a[na:], b[nb:]
	}
	return len(a) - len(b)
}

func cmpUnits(a, b rune) int {
	ua, ub := [2]rune{a}, [2]rune{b}
	if a >= 0x10000 {
		ua[0], ua[1] = utf16.EncodeRune(a)
	}
	if b >= 0x10000 {
		ub[0], ub[1] = utf16.EncodeRune(b)
	}
	if ua[0] != ub[0] {
		return int(ua[0] - ub[0])
	}
	return int(ua[1] - ub[1])
}

// twilioURLs lists the URLs Twilio's library tries, in its order.
func twilioURLs(u string) []string {
	urls := []string{twilioRemovePort(u), twilioAddPort(u)}
	if n, ok := whatwgNormalize(u); ok {
		without, with := twilioRemovePort(n), twilioAddPort(n)
		urls = append(urls, without, with, legacyQuerystring(without), legacyQuerystring(with))
	}
	return urls
}

// twilioSplit splits a URL as the library's splitUrl does: scheme://,
// userinfo@, host, :port and the rest, without normalizing anything.
func twilioSplit(u string) (scheme, userInfo, host, port, rest string, ok bool) {
	i := strings.Index(u, "://")
	if i < 1 || !isSchemeName(u[:i]) {
		return "", "", "", "", "", false
	}
	scheme = u[:i+3]
	end := len(scheme)
	for end < len(u) && !strings.ContainsRune("/?#", rune(u[end])) {
		end++
	}
	authority := u[len(scheme):end]
	at := strings.LastIndexByte(authority, '@')
	userInfo, hostPort := authority[:at+1], authority[at+1:]
	from := strings.LastIndexByte(hostPort, ']') + 1
	if c := strings.IndexByte(hostPort[from:], ':'); c >= 0 {
		host, port = hostPort[:from+c], hostPort[from+c:]
	} else {
		host = hostPort
	}
	return scheme, userInfo, host, port, u[end:], true
}

func isSchemeName(s string) bool {
	for i, c := range []byte(s) {
		alpha := c|0x20 >= 'a' && c|0x20 <= 'z'
		if !alpha && (i == 0 || !(c >= '0' && c <= '9' || c == '+' || c == '.' || c == '-')) {
			return false
		}
	}
	return s != ""
}

func twilioAddPort(u string) string {
	scheme, userInfo, host, port, rest, ok := twilioSplit(u)
	if !ok || port != "" {
		return u
	}
	port = ":80"
	if strings.EqualFold(scheme, "https://") {
		port = ":443"
	}
	return scheme + userInfo + host + port + rest
}

func twilioRemovePort(u string) string {
	scheme, userInfo, host, _, rest, ok := twilioSplit(u)
	if !ok {
		return u
	}
	return scheme + userInfo + host + rest
}

// legacyQuerystring re-encodes the query as Node's querystring module's
// stringify(parse(query)) does: fields grouped by name (integer-like names
// first, ascending), values decoded and escaped again.
func legacyQuerystring(u string) string {
	q := strings.IndexByte(u, '?')
	if q < 0 || q == len(u)-1 {
		return u
	}
	type group struct {
		name   string
		values []string
	}
	var groups []*group
	byName := map[string]*group{}
	n := 0
	for kv := range strings.SplitSeq(u[q+1:], "&") {
		if kv == "" {
			continue
		}
		if n++; n > maxFormFields {
			break
		}
		k, val, _ := strings.Cut(kv, "=")
		k, val = nodeUnescape(k), nodeUnescape(val)
		g := byName[k]
		if g == nil {
			g = &group{name: k}
			byName[k] = g
			groups = append(groups, g)
		}
		g.values = append(g.values, val)
	}
	// JavaScript objects list array-index keys first, in numeric order.
	slices.SortStableFunc(groups, func(a, b *group) int {
		ia, aok := arrayIndex(a.name)
		ib, bok := arrayIndex(b.name)
		switch {
		case aok && bok:
			return int(ia - ib)
		case aok:
			return -1
		case bok:
			return 1
		}
		return 0
	})
	var out strings.Builder
	out.WriteString(u[:q+1])
	first := true
	for _, g := range groups {
		for _, val := range g.values {
			if !first {
				out.WriteByte('&')
			}
			first = false
			out.WriteString(nodeEscape(g.name))
			out.WriteByte('=')
			out.WriteString(nodeEscape(val))
		}
	}
	return out.String()
}

// arrayIndex reports whether s is a canonical array index, as JavaScript
// orders object keys.
func arrayIndex(s string) (int64, bool) {
	if s == "" || len(s) > 10 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n >= 1<<32-1 || strconv.FormatInt(n, 10) != s {
		return 0, false
	}
	return n, true
}

// nodeUnescape decodes as querystring.unescape: '+' is a space, %XX a
// byte, a malformed escape stays as it is; invalid UTF-8 becomes U+FFFD.
func nodeUnescape(s string) string {
	if !strings.ContainsAny(s, "%+") {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '+':
			b = append(b, ' ')
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		default:
			b = append(b, c)
		}
	}
	if utf8.Valid(b) {
		return string(b)
	}
	var out strings.Builder
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		out.WriteRune(r) // RuneError for each invalid byte
		b = b[n:]
	}
	return out.String()
}

// nodeEscape encodes as querystring.escape: all but A-Z a-z 0-9 - _ . ! ~
// * ' ( ) as %XX of the UTF-8 bytes.
func nodeEscape(s string) string {
	const upper = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-_.!~*'()", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(upper[c>>4])
		b.WriteByte(upper[c&15])
	}
	return b.String()
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'f'
}

func unhex(c byte) byte {
	if c <= '9' {
		return c - '0'
	}
	return c | 0x20 - 'a' + 10
}

// whatwgNormalize serializes an http(s) URL as WHATWG's URL parser (and
// so Node's `new URL(u).toString()`) does, for the URLs a webhook is
// sent to: scheme and host lower-cased (IDNA for a non-ASCII host),
// default or empty port dropped, dot segments resolved, and the path,
// query and fragment percent-encoded with the WHATWG sets. It gives up
// (ok false) on what it does not model: other schemes, user info, IP
// addresses other than dotted-decimal IPv4 and bracketed IPv6 as written.
func whatwgNormalize(u string) (string, bool) {
	u = strings.TrimFunc(u, func(r rune) bool { return r <= ' ' })
	if strings.ContainsAny(u, "\t\n\r") {
		u = strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(u)
	}
	colon := strings.IndexByte(u, ':')
	if colon < 1 || !isSchemeName(u[:colon]) {
		return "", false
	}
	scheme := strings.ToLower(u[:colon])
	defPort := map[string]string{"http": "80", "https": "443"}[scheme]
	if defPort == "" {
		return "", false
	}
	rest := strings.TrimLeft(u[colon+1:], `/\`)
	end := strings.IndexAny(rest, `/\?#`)
	if end < 0 {
		end = len(rest)
	}
	authority, rest := rest[:end], rest[end:]
	if authority == "" || strings.Contains(authority, "@") {
		return "", false
	}
	host, port := authority, ""
	if c := strings.LastIndexByte(authority, ':'); c >= 0 && c > strings.LastIndexByte(authority, ']') {
		host, port = authority[:c], authority[c+1:]
	}
	if port != "" {
		n, err := strconv.ParseUint(port, 10, 16)
		if err != nil {
			return "", false
		}
		if port = strconv.FormatUint(n, 10); port == defPort {
			port = ""
		}
	}
	host, ok := whatwgHost(host)
	if !ok {
		return "", false
	}
	path, query, fragment := rest, "", ""
	hasQuery, hasFragment := false, false
	if i := strings.IndexByte(path, '#'); i >= 0 {
		path, fragment, hasFragment = path[:i], path[i+1:], true
	}
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path, query, hasQuery = path[:i], path[i+1:], true
	}
	var out strings.Builder
	out.WriteString(scheme + "://" + host)
	if port != "" {
		out.WriteString(":" + port)
	}
	out.WriteString(whatwgPath(path))
	if hasQuery {
		out.WriteByte('?')
		percentEncode(&out, query, func(c byte) bool { return strings.IndexByte(" \"#<>'", c) >= 0 })
	}
	if hasFragment {
		out.WriteByte('#')
		percentEncode(&out, fragment, func(c byte) bool { return strings.IndexByte(" \"<>`", c) >= 0 })
	}
	return out.String(), true
}

// whatwgIDNA is UTS #46 ToASCII as the URL standard calls it.
var whatwgIDNA = idna.New(idna.MapForLookup(), idna.BidiRule(), idna.CheckJoiners(true),
	idna.StrictDomainName(false), idna.CheckHyphens(false), idna.Transitional(false))

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// whatwgHost serializes a domain or IP literal as the URL parser does.
func whatwgHost(host string) (string, bool) {
	if host == "" {
		return "", false
	}
	if host[0] == '[' {
		// IPv6: only the lower-casing of what is written is modelled.
		return strings.ToLower(host), strings.HasSuffix(host, "]")
	}
	if strings.Contains(host, "%") {
		h, err := url.PathUnescape(host)
		if err != nil {
			return "", false
		}
		host = h
	}
	ascii := strings.ToLower(host)
	if !isASCII(host) {
		a, err := whatwgIDNA.ToASCII(host)
		if err != nil {
			return "", false
		}
		ascii = a
	}
	for i := 0; i < len(ascii); i++ {
		if c := ascii[i]; c <= ' ' || c >= 0x7f || strings.IndexByte("#%/:<>?@[\\]^|", c) >= 0 {
			return "", false // a forbidden domain code point
		}
	}
	// A last label that is numeric makes the host an IPv4 address: only
	// the dotted-decimal form is modelled.
	labels := strings.Split(strings.TrimSuffix(ascii, "."), ".")
	last := labels[len(labels)-1]
	if last != "" && (last[0] >= '0' && last[0] <= '9') {
		if len(labels) != 4 {
			return "", false
		}
		for _, l := range labels {
			n, err := strconv.Atoi(l)
			if err != nil || n > 255 || strconv.Itoa(n) != l {
				return "", false
			}
		}
	}
	return ascii, true
}

// whatwgPath resolves dot segments and percent-encodes the path (special
// scheme: '\' is '/'; empty is "/").
func whatwgPath(path string) string {
	path = strings.ReplaceAll(path, `\`, "/")
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	var out []string
	for i, s := range segs {
		last := i == len(segs)-1
		switch strings.ToLower(s) {
		case ".", "%2e":
			if last {
				out = append(out, "")
			}
		case "..", ".%2e", "%2e.", "%2e%2e":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
			if last {
				out = append(out, "")
			}
		default:
			out = append(out, s)
		}
	}
	var b strings.Builder
	for _, s := range out {
		b.WriteByte('/')
		percentEncode(&b, s, func(c byte) bool { return strings.IndexByte(" \"#<>?`{}", c) >= 0 })
	}
	if b.Len() == 0 {
		return "/"
	}
	return b.String()
}

// percentEncode writes s with C0 controls, bytes above '~' and those of
// set as %XX; existing escapes stay.
func percentEncode(b *strings.Builder, s string, set func(byte) bool) {
	const upper = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e || set(c) {
			b.WriteByte('%')
			b.WriteByte(upper[c>>4])
			b.WriteByte(upper[c&15])
			continue
		}
		b.WriteByte(c)
	}
}
