package codec

import (
	"crypto/subtle"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"go.temporal.io/sdk/converter"
)

// ServerOptions configure the codec server.
type ServerOptions struct {
	// Token, when set, is required as "Authorization: Bearer <token>".
	Token string
	// Origins may call from a browser (CORS): the Temporal UI's origin.
	Origins []string
	// Namespace, when set, is the only namespace served: a request whose
	// X-Namespace header names another gets 403 (its runs may be encrypted
	// with other keys).
	Namespace string
}

// maxBody bounds a codec request: a page of history's payloads.
const maxBody = 16 << 20

// Server serves POST …/encode and …/decode in Temporal's codec-server
// format (the UI's and the temporal CLI's --codec-endpoint): a JSON
// Payloads in, the same out. 401 without the token, 400 for a malformed
// request or a payload that does not decode (the message names the key id),
// 403 for another namespace.
func Server(codecs []converter.PayloadCodec, o ServerOptions) http.Handler {
	inner := converter.NewPayloadCodecHTTPHandler(codecs...)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if origin := r.Header.Get("Origin"); origin != "" && slices.Contains(o.Origins, origin) {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Credentials", "true")
			h.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
			h.Set("Access-Control-Allow-Headers", "Content-Type, Authorization, X-Namespace")
			h.Add("Vary", "Origin")
		}
		if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if r.Method != http.MethodPost {
			http.Error(w, "codec: POST …/encode or …/decode", http.StatusMethodNotAllowed)
			return
		}
		if o.Token != "" {
			got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(o.Token)) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="webhookd codec"`)
				http.Error(w, "codec: unauthorized", http.StatusUnauthorized)
				return
			}
		}
		if ns := r.Header.Get("X-Namespace"); ns != "" && o.Namespace != "" && ns != o.Namespace {
			http.Error(w, "codec: this codec server serves namespace "+o.Namespace, http.StatusForbidden)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		inner.ServeHTTP(w, r)
	})
}

// UIOrigins are the browser origins of the Temporal UI at uiURL, which
// calls the codec server from the page: its own, and the other spelling of
// the loopback host (127.0.0.1 and localhost are different origins).
func UIOrigins(uiURL string) []string {
	u, err := url.Parse(uiURL)
	if err != nil || u.Host == "" {
		return nil
	}
	origins := []string{u.Scheme + "://" + u.Host}
	switch host, port, _ := net.SplitHostPort(u.Host); host {
	case "127.0.0.1":
		origins = append(origins, u.Scheme+"://localhost:"+port)
	case "localhost":
		origins = append(origins, u.Scheme+"://127.0.0.1:"+port)
	}
	return origins
}
