// Package api is the management API the product calls: JSON over HTTP on
// a listener of its own (--api-http), never the public webhook port, behind
// bearer tokens. It creates, reads and erases users (internal/users) and
// reads the event log (internal/eventlog). openapi.json describes it; a
// test keeps the routes and the document equal.
package api

import (
	"context"
	"crypto/subtle"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/webhookd/webhookd/internal/domain"
	"github.com/webhookd/webhookd/internal/eventlog"
	"github.com/webhookd/webhookd/internal/httpserve"
	"github.com/webhookd/webhookd/internal/store"
	"github.com/webhookd/webhookd/internal/temporalui"
	"github.com/webhookd/webhookd/internal/users"
)

//go:embed openapi.json
var openAPI []byte

// MaxBody bounds a request body.
const MaxBody = 64 << 10

// maxEvents bounds an events page.
const maxEvents = 500

// Options are what the API serves from.
type Options struct {
	Users  *users.Service
	Store  *store.Store
	Tokens []string
	UI     temporalui.UI
	Logger *slog.Logger
}

// ErrNoToken: the API never serves without a token.
var ErrNoToken = errors.New("WEBHOOKD_API_TOKENS: the management API needs at least one token")

// route is one endpoint: its method and path as the OpenAPI document
// spells them, and its handler.
type route struct {
	method, path string
	h            func(s *server, w http.ResponseWriter, r *http.Request) (int, any)
}

// routes are the API, the document's paths in Go's pattern syntax (the
// same {name} placeholders).
var routes = []route{
	{"PUT", "/v1/users/{id}", (*server).putUser},
	{"GET", "/v1/users/{id}", (*server).getUser},
	{"DELETE", "/v1/users/{id}", (*server).eraseUser},
	{"GET", "/v1/events", (*server).listEvents},
	{"GET", "/v1/events/{provider}/{event_id}", (*server).getEvent},
}

type server struct {
	Options
	tokens [][]byte
}

// New is the API's handler. /v1/openapi.json is served to anyone (it is
// the document in the repository); every other route wants
// "Authorization: Bearer <one of Tokens>".
func New(o Options) (http.Handler, error) {
	s := &server{Options: o}
	for _, t := range o.Tokens {
		if t = strings.TrimSpace(t); t != "" {
			s.tokens = append(s.tokens, []byte(t))
		}
	}
	if len(s.tokens) == 0 {
		return nil, ErrNoToken
	}
	if s.Logger == nil {
		s.Logger = slog.New(slog.DiscardHandler)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/openapi.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(openAPI)
	})
	allowed := map[string][]string{}
	for _, rt := range routes {
		mux.HandleFunc(rt.method+" "+rt.path, s.serve(rt))
		allowed[rt.path] = append(allowed[rt.path], rt.method)
	}
	for path, methods := range allowed {
		allow := strings.Join(methods, ", ")
		mux.HandleFunc(path, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Allow", allow)
			httpserve.WriteJSON(w, http.StatusMethodNotAllowed, apiError{Error: "method not allowed: " + allow})
		})
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		httpserve.WriteJSON(w, http.StatusNotFound, apiError{Error: "no such endpoint; see /v1/openapi.json"})
	})
	return mux, nil
}

// apiError is every error's body.
type apiError struct {
	Error string `json:"error"`
	Field string `json:"field,omitempty"`
}

// authorized checks the bearer token against every token, in constant
// time for each.
func (s *server) authorized(r *http.Request) bool {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	match := 0
	for _, t := range s.tokens {
		match |= subtle.ConstantTimeCompare([]byte(got), t)
	}
	return ok && match == 1
}

func (s *server) serve(rt route) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		status, body := http.StatusUnauthorized, any(apiError{Error: "unauthorized: send Authorization: Bearer <a WEBHOOKD_API_TOKENS token>"})
		if s.authorized(r) {
			r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
			status, body = rt.h(s, w, r)
		} else {
			w.Header().Set("WWW-Authenticate", `Bearer realm="webhookd"`)
		}
		if status == http.StatusNoContent {
			w.WriteHeader(status)
		} else {
			httpserve.WriteJSON(w, status, body)
		}
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		}
		s.Logger.Log(r.Context(), level, "api", slog.String("method", rt.method), slog.String("route", rt.path),
			slog.Int("status", status), slog.Duration("took", time.Since(start)))
	}
}

// fail is the answer to err: 400 naming the field, 404, 413, else 500
// (logged; the body says no more).
func (s *server) fail(ctx context.Context, err error) (int, any) {
	var fe *users.FieldError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &fe):
		return http.StatusBadRequest, apiError{Error: fe.Error(), Field: fe.Field}
	case errors.As(err, &tooBig):
		return http.StatusRequestEntityTooLarge, apiError{Error: fmt.Sprintf("body over %d bytes", MaxBody)}
	case errors.Is(err, users.ErrNotFound), errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound, apiError{Error: err.Error()}
	}
	s.Logger.ErrorContext(ctx, "api: internal error", slog.String("error", err.Error()))
	return http.StatusInternalServerError, apiError{Error: "internal error; see webhookd's log"}
}

func (s *server) putUser(_ http.ResponseWriter, r *http.Request) (int, any) {
	var body struct {
		Email *string `json:"email"`
	}
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(&body); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return s.fail(r.Context(), err)
		}
		return http.StatusBadRequest, apiError{Error: "malformed JSON: want {\"email\": \"…\"}", Field: "body"}
	}
	if body.Email == nil {
		return http.StatusBadRequest, apiError{Error: "email: required", Field: "email"}
	}
	u, _, err := s.Users.Put(r.Context(), r.PathValue("id"), *body.Email)
	if err != nil {
		return s.fail(r.Context(), err)
	}
	return http.StatusOK, u
}

func (s *server) getUser(_ http.ResponseWriter, r *http.Request) (int, any) {
	u, err := s.Users.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		return s.fail(r.Context(), err)
	}
	return http.StatusOK, u
}

func (s *server) eraseUser(_ http.ResponseWriter, r *http.Request) (int, any) {
	out, err := s.Users.Erase(r.Context(), r.PathValue("id"))
	if err != nil {
		return s.fail(r.Context(), err)
	}
	return http.StatusOK, out
}

// listEvents is `events list --json` over HTTP: ?user_id, provider, type,
// status, since (a duration such as 24h, or RFC 3339), limit.
func (s *server) listEvents(_ http.ResponseWriter, r *http.Request) (int, any) {
	q := r.URL.Query()
	f := store.EventFilter{UserID: q.Get("user_id"), Provider: q.Get("provider"), Type: q.Get("type"), Limit: 50}
	if f.UserID != "" {
		if err := users.CheckID(f.UserID); err != nil {
			fe := err.(*users.FieldError)
			return http.StatusBadRequest, apiError{Error: "user_id: " + fe.Reason, Field: "user_id"}
		}
	}
	if v := q.Get("status"); v != "" {
		st, err := domain.ParseStatus(v)
		if err != nil {
			return http.StatusBadRequest, apiError{Error: "status: " + err.Error(), Field: "status"}
		}
		f.Status = st
	}
	if v := q.Get("limit"); v != "" {
		if _, err := fmt.Sscan(v, &f.Limit); err != nil || f.Limit < 1 || f.Limit > maxEvents {
			return http.StatusBadRequest, apiError{Error: fmt.Sprintf("limit: 1 to %d", maxEvents), Field: "limit"}
		}
	}
	if v := q.Get("since"); v != "" {
		if d, err := time.ParseDuration(v); err == nil && d > 0 {
			f.Since = time.Now().Add(-d)
		} else if t, err := time.Parse(time.RFC3339, v); err == nil {
			f.Since = t
		} else {
			return http.StatusBadRequest, apiError{Error: "since: a duration such as 24h, or an RFC 3339 time", Field: "since"}
		}
	}
	evs, err := s.Store.ListEvents(r.Context(), f)
	if err != nil {
		return s.fail(r.Context(), err)
	}
	out := make([]map[string]any, 0, len(evs))
	for _, ev := range evs {
		out = append(out, eventlog.JSON(ev, eventlog.RunURL(s.UI, ev)))
	}
	return http.StatusOK, map[string]any{"events": out}
}

// getEvent is `events show --json` over HTTP, with the envelope.
func (s *server) getEvent(_ http.ResponseWriter, r *http.Request) (int, any) {
	ev, err := s.Store.GetEventByKey(r.Context(), r.PathValue("provider"), r.PathValue("event_id"))
	if err != nil {
		return s.fail(r.Context(), err)
	}
	return http.StatusOK, eventlog.JSON(ev, eventlog.RunURL(s.UI, ev))
}

// Routes lists the served routes as "METHOD /path" (the test compares
// them with openapi.json).
func Routes() []string {
	out := make([]string, len(routes))
	for i, r := range routes {
		out[i] = r.method + " " + r.path
	}
	return out
}

// Serve serves the API on addr until ctx ends, and returns the URL it
// answers on; an empty addr or "off" serves nothing. Without a token it
// does not start (ErrNoToken).
func Serve(ctx context.Context, addr string, o Options) (string, error) {
	if addr == "" || addr == "off" {
		return "", nil
	}
	h, err := New(o)
	if err != nil {
		return "", err
	}
	l, err := httpserve.Listen(addr, 0, "--api-http / WEBHOOKD_API_HTTP")
	if err != nil {
		return "", err
	}
	go func() { _ = httpserve.Serve(ctx, l, h, o.Logger, nil) }()
	return "http://" + httpserve.LocalHost(l.Addr()), nil
}
