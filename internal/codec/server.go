package codec

import (
	"crypto/subtle"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	"google.golang.org/protobuf/encoding/protojson"
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

// Server serves POST …/encode and …/decode with the Codecs of keys, in
// Temporal's codec-server format (the UI's and the temporal CLI's
// --codec-endpoint): a JSON Payloads in, the same out. 401 without the
// token, 400 for a malformed request or a payload that does not decode (the
// message names the key id), 403 for another namespace, 413 for a request
// over 16 MiB or whose payloads inflate past MaxInflate each or
// MaxInflateRequest together.
func Server(keys []Key, o ServerOptions) (http.Handler, error) {
	enc, err := NewEncryption(keys)
	if err != nil {
		return nil, err
	}
	comp := newCompression()
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
		serveCodec(w, r, enc, comp)
	}), nil
}

// serveCodec answers one encode or decode request.
func serveCodec(w http.ResponseWriter, r *http.Request, enc *Encryption, comp *compression) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		http.Error(w, "codec: request over 16 MiB", http.StatusRequestEntityTooLarge)
		return
	}
	var in commonpb.Payloads
	if err == nil {
		err = protojson.Unmarshal(body, &in)
	}
	if err != nil {
		http.Error(w, "codec: malformed request: "+err.Error(), http.StatusBadRequest)
		return
	}
	var out []*commonpb.Payload
	switch {
	case strings.HasSuffix(r.URL.Path, "/encode"):
		if out, err = comp.Encode(in.Payloads); err == nil {
			out, err = enc.Encode(out)
		}
	case strings.HasSuffix(r.URL.Path, "/decode"):
		left := int64(MaxInflateRequest)
		if out, err = enc.Decode(in.Payloads); err == nil {
			out, err = comp.decode(out, &left)
		}
	default:
		http.NotFound(w, r)
		return
	}
	switch {
	case errors.Is(err, ErrTooLarge):
		http.Error(w, "codec: payloads inflate past the limit", http.StatusRequestEntityTooLarge)
		return
	case err != nil:
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	b, err := protojson.Marshal(&commonpb.Payloads{Payloads: out})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

// MountOptions say what the process's settings give the codec server.
type MountOptions struct {
	Keys, Token, UIURL, Namespace string
	// Loopback: the listener it is mounted on is reached only from this
	// host, where the codec server may go without a token.
	Loopback bool
}

// Mount is the codec server of the keys under /codec, the Temporal UI at
// UIURL allowed to call it from the browser. It is nil without keys, and
// nil (with a warning) on a listener beyond loopback without a token:
// whoever reached it could decrypt every payload.
func Mount(o MountOptions, logger *slog.Logger) http.Handler {
	keys, _ := ParseKeys(o.Keys) // validated with the settings
	if len(keys) == 0 {
		return nil
	}
	if o.Token == "" && !o.Loopback {
		logger.Warn("codec server off: its port is reachable beyond this host and WEBHOOKD_CODEC_AUTH_TOKEN is unset")
		return nil
	}
	srv, err := Server(keys, ServerOptions{Token: o.Token, Origins: UIOrigins(o.UIURL), Namespace: o.Namespace})
	if err != nil {
		return nil
	}
	return http.StripPrefix("/codec", srv)
}

// LogPrivacy says once at start whether payloads sent to Temporal are
// encrypted.
func LogPrivacy(logger *slog.Logger, keysText string) {
	keys, _ := ParseKeys(keysText)
	if len(keys) == 0 {
		logger.Warn("payload encryption off: Temporal stores event data (names, addresses) as plain JSON; set WEBHOOKD_ENCRYPTION_KEYS")
		return
	}
	logger.Info("payloads encrypted before they reach Temporal", slog.String("key_id", keys[0].ID), slog.Int("keys", len(keys)))
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
