package ingress

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/webhookd/webhookd/internal/lifecycle"
	"github.com/webhookd/webhookd/internal/provider"
	"github.com/webhookd/webhookd/internal/signature"
	"github.com/webhookd/webhookd/internal/store"
)

// Errors of the request path, one per meaning; answers maps each to its
// HTTP answer.
var (
	ErrUnknownProvider = errors.New("unknown provider")
	ErrForbidden       = errors.New("client IP not allowed")
	ErrBodyTooLarge    = errors.New("body too large")
	ErrTimeout         = errors.New("timed out reading the body")
	ErrBusy            = errors.New("too many bodies in flight")
)

// answer is how the ingress answers one kind of error: the HTTP status,
// the outcome (the requests metric's label and the log's), the message the
// client sees ("": the error's own text, which is safe to show), and the
// level its log line takes.
type answer struct {
	err     error
	status  int
	outcome string
	message string
	level   slog.Level
}

// answers is the error vocabulary of the webhook route, first match wins;
// docs/http.md lists it for providers.
var answers = []answer{
	{ErrUnknownProvider, http.StatusNotFound, "unknown_provider", "unknown provider", slog.LevelInfo},
	{ErrForbidden, http.StatusForbidden, "forbidden", "forbidden", slog.LevelWarn},
	{ErrBodyTooLarge, http.StatusRequestEntityTooLarge, "too_large", "body too large", slog.LevelInfo},
	{lifecycle.ErrTooLarge, http.StatusRequestEntityTooLarge, "too_large",
		"body too large: its data exceeds what Temporal accepts as workflow input once encoded", slog.LevelInfo},
	{ErrTimeout, http.StatusRequestTimeout, "timeout", "request timeout", slog.LevelInfo},
	{ErrBusy, http.StatusServiceUnavailable, "busy", "temporarily unavailable", slog.LevelWarn},
	{signature.ErrInvalid, http.StatusUnauthorized, "invalid_signature", "invalid signature", slog.LevelWarn},
	{store.ErrInvalid, http.StatusBadRequest, "bad_request", "bad envelope: the body cannot be stored as JSON (e.g. a \\u0000 escape)", slog.LevelInfo},
	{provider.ErrBadEnvelope, http.StatusBadRequest, "bad_request", "", slog.LevelInfo},
	{lifecycle.ErrUnavailable, http.StatusServiceUnavailable, "db_unavailable", "temporarily unavailable", slog.LevelWarn},
}

// unforeseen answers an error no row of answers names: a bug, not an
// outage. The provider retries (503), and the log says error.
var unforeseen = answer{status: http.StatusServiceUnavailable, outcome: "internal_error", message: "temporarily unavailable", level: slog.LevelError}

// answerFor is err's answer.
func answerFor(err error) answer {
	for _, a := range answers {
		if errors.Is(err, a.err) {
			return a
		}
	}
	return unforeseen
}

// Status maps an error of the request path to its HTTP status and the
// message the client sees. Details stay in the log.
func Status(err error) (int, string) {
	a := answerFor(err)
	msg := a.message
	if msg == "" {
		msg = err.Error()
	}
	return a.status, msg
}

// acceptOutcomes are the outcomes of a delivery that was accepted.
var acceptOutcomes = []string{string(lifecycle.Started), string(lifecycle.Duplicate), string(lifecycle.Queued)}

// outcomes lists every outcome label, for the metric's help text.
func outcomes() string {
	seen := map[string]bool{}
	list := append([]string{}, acceptOutcomes...)
	for _, a := range append(answers, unforeseen) {
		if !seen[a.outcome] {
			seen[a.outcome] = true
			list = append(list, a.outcome)
		}
	}
	return strings.Join(list, ", ")
}
