// Package alerts tells on-call that an event failed for good. An alert is
// one message, built once (Alert) and posted to every configured sink:
// Slack (slack-go, incoming webhook or bot token), Discord (its webhook API,
// an embed) and, with neither, the log. Each sink keeps within its
// service's size limits and turns a rate limit (429) into a retry after the
// delay the service asked for.
package alerts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/webhookd/webhookd/internal/temporalui"
)

// Failure is an event whose processing failed for good.
type Failure struct {
	Provider   string
	EventType  string
	EventID    string
	WorkflowID string
	RunID      string // empty: its run could not be started
	Attempts   int32
	Error      string
	// Hint says what to check, for failures that are not an event's.
	Hint string `json:",omitempty"`
}

// Alert is a message for on-call, independent of the sink.
type Alert struct {
	// Summary is the one-line text (notifications, fallbacks).
	Summary string
	Title   string
	Fields  []Field
	// Error is shown as code.
	Error    string
	Link     string
	LinkText string
	// Footer is a hint such as the replay command.
	Footer string
	// Thread, when set, names the thread of related messages this one
	// belongs to (a dispute's opening and outcome): on a threaded sink the
	// first message with a thread starts it and later ones reply in it.
	Thread string `json:",omitempty"`
}

// Field is a short name and value shown side by side.
type Field struct{ Name, Value string }

// FailureAlert is the alert of one failed event, linking to its run.
func FailureAlert(f Failure, ui temporalui.UI) Alert {
	f = f.clean()
	a := Alert{
		Summary: fmt.Sprintf("webhookd: %s %s event %s failed after %d attempts", f.Provider, f.EventType, f.EventID, f.Attempts),
		Title:   "Webhook failed: " + f.Provider + " " + f.EventType,
		Fields: []Field{{"Provider", f.Provider}, {"Event type", f.EventType},
			{"Event ID", Code(f.EventID)}, {"Attempts", strconv.Itoa(int(f.Attempts))}},
		Error:    f.Error,
		Link:     ui.RunOrRuns(f.WorkflowID, f.RunID),
		LinkText: "Open run in Temporal UI",
		Footer:   "Replay after fixing the cause: " + Code("webhookd events replay "+f.Provider+":"+f.EventID),
	}
	switch {
	case f.WorkflowID == "": // not an event: deliveries the ingress rejected
		a.Summary = fmt.Sprintf("webhookd: %s %s: %s", f.Provider, f.EventType, f.Error)
		a.Title = "Deliveries rejected: " + f.Provider
		a.Fields = []Field{{"Provider", f.Provider}, {"Check", Code(f.Hint)}}
		a.Link, a.LinkText, a.Footer = "", "", f.Hint
	case f.RunID == "":
		a.Summary = fmt.Sprintf("webhookd: %s %s event %s failed: its run could not be started", f.Provider, f.EventType, f.EventID)
	}
	return a
}

// Sink is where alerts are posted.
type Sink interface {
	// Name identifies the sink in metrics, logs and the banner.
	Name() string
	Post(ctx context.Context, a Alert) error
}

// RateLimited is a sink's answer 429: retry after Delay.
type RateLimited struct {
	Sink  string
	Delay time.Duration
}

func (e *RateLimited) Error() string {
	return fmt.Sprintf("%s: rate limited, retry after %s", e.Sink, e.Delay)
}

// Retryable turns a sink's error into the activity error Temporal should
// act on: a rate limit retries after the delay the service asked for; a
// refusal (4xx) is a misconfiguration that retrying cannot fix.
//
// With several sinks failing, a rate limit wins (its delay is the one to
// wait), and the post is given up only when every sink refused it.
func Retryable(err error) error {
	if err == nil {
		return nil
	}
	var rl *RateLimited
	if errors.As(err, &rl) {
		return temporal.NewApplicationErrorWithOptions(err.Error(), "RateLimited",
			temporal.ApplicationErrorOptions{NextRetryDelay: rl.Delay, Cause: err})
	}
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	for _, e := range errs {
		var refused *Refused
		if !errors.As(e, &refused) {
			return err
		}
	}
	return temporal.NewNonRetryableApplicationError(err.Error(), "SinkRefused", err)
}

// Refused is a sink's answer 4xx other than 429: the URL, token or message
// is wrong, and retrying will not help.
type Refused struct {
	Sink   string
	Status int
	Body   string
}

func (e *Refused) Error() string {
	return fmt.Sprintf("%s: refused with %d: %s", e.Sink, e.Status, e.Body)
}

// Log is the sink when none is configured: the alert at error level.
type Log struct{ Logger *slog.Logger }

// Name implements Sink.
func (Log) Name() string { return "log" }

// Post implements Sink.
func (l Log) Post(_ context.Context, a Alert) error {
	attrs := []any{slog.String("title", a.Title), slog.String("error", a.Error), slog.String("run_url", a.Link)}
	for _, f := range a.Fields {
		attrs = append(attrs, slog.String(f.Name, f.Value))
	}
	l.Logger.Error(a.Summary, attrs...)
	return nil
}

// truncate cuts s to at most n runes, marking the cut.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
