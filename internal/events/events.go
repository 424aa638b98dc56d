// Package events owns an event's life after its signature was verified:
// Accept records it and starts its run (or queues it when Temporal is
// unreachable, or reruns it when a failed event is delivered again), Rerun
// is what `webhookd events replay` does, and Sweep starts what could not be
// started and settles what a crash left half done. Every status change of
// webhook_events outside a run's own outcome happens here; docs/events.md
// draws the life as a table.
package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/webhookd/webhookd/internal/store"
)

// ErrUnavailable wraps the errors of an accept that the provider should
// retry: the database could not record the event or claim its rerun.
var ErrUnavailable = errors.New("temporarily unavailable")

// ErrTooLarge means the event's workflow input, as the SDK encodes it,
// exceeds MaxInputBytes: Temporal would refuse every start of it.
var ErrTooLarge = errors.New("workflow input too large")

// MaxInputBytes bounds the encoded workflow input: Temporal's default blob
// size limit (2 MiB), below gRPC's 4 MiB message limit. The SDK's JSON
// encoding escapes <, > and & as \u003c and so on, so a body of 1 MiB can
// become an input of 6.
const MaxInputBytes = 2 << 20

// ErrAlreadyStarted means a run for the event exists (running, or closed
// and not failed): the start was a duplicate.
var ErrAlreadyStarted = errors.New("workflow already started")

// Store is what the event life needs from the database.
type Store interface {
	RecordEvent(ctx context.Context, e store.NewEvent) (store.Event, bool, error)
	GetEventByKey(ctx context.Context, provider, eventID string) (store.Event, error)
	MarkDispatched(ctx context.Context, provider, eventID, runID string) error
	Requeue(ctx context.Context, provider, eventID string) error
	ClaimRerun(ctx context.Context, provider, eventID string, from store.Status, attempts int) (bool, error)
	Unclaim(ctx context.Context, provider, eventID string, to store.Status) error
	RecordRun(ctx context.Context, provider, eventID, runID string) error
	Undispatched(ctx context.Context, receivedFor, runlessFor time.Duration, limit int) ([]store.Event, error)
	DeferDispatch(ctx context.Context, provider, eventID string, until time.Time) error
	FailDispatch(ctx context.Context, provider, eventID, reason string) error
	Ping(ctx context.Context) error
}

// Runs starts and finds an event's ProcessWebhook runs. *Temporal is the
// real one; the ingress tests stand in for it.
type Runs interface {
	// Start starts the event's run and returns its run ID, or
	// ErrAlreadyStarted.
	Start(ctx context.Context, ev store.Event) (string, error)
	// Restart starts a new run of an event whose last run closed without
	// failing (an ignored event's).
	Restart(ctx context.Context, ev store.Event) (string, error)
	// Current returns the run ID of the event's workflow, "" when there
	// is none.
	Current(ctx context.Context, ev store.Event) (string, error)
	Ping(ctx context.Context) error
}

// Service is the event life over one database and one Temporal.
type Service struct {
	Store Store
	Runs  Runs
	// StartTimeout bounds a start on the accept path before the event is
	// queued and the answer is 202 (default 5 s).
	StartTimeout time.Duration
	Logger       *slog.Logger
	// OnStartFailed, when set, is told of an event the sweep failed because
	// its run can never be started (the worker alerts on-call).
	OnStartFailed func(ctx context.Context, ev store.Event, reason string)
}

// Outcome is what Accept did with a delivery.
type Outcome string

// The outcomes of Accept, also the ingress's metric and log labels.
const (
	// Started: a new event, its run started.
	Started Outcome = "started"
	// Duplicate: a redelivery (or a run already existed); nothing new ran,
	// except a failed event's rerun (Accepted.Rerun).
	Duplicate Outcome = "duplicate"
	// Queued: recorded; Temporal was unreachable, the sweep starts it.
	Queued Outcome = "queued"
)

// Accepted is the result of Accept.
type Accepted struct {
	Event   store.Event
	Outcome Outcome
	// Rerun: the delivery repeated a failed event, and this call started
	// (or queued) its new run.
	Rerun bool
	// StartQueued: the start failed and the event waits for the sweep; on
	// a new event Outcome is Queued, on a rerun Outcome stays Duplicate.
	StartQueued bool
	// BodyChanged: a redelivery whose body differs from the recorded one.
	// The recorded one stays; the caller logs and counts it.
	BodyChanged bool
}

func (s *Service) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.Default()
	}
	return s.Logger
}

// inputSize is the size of the event's workflow input as the SDK's JSON
// payload converter encodes it.
func inputSize(e store.NewEvent) int {
	b, err := json.Marshal((&Temporal{}).Input(store.Event{Provider: e.Provider, EventID: e.EventID,
		EventType: e.EventType, Data: e.Data, Format: e.Format, WorkflowID: e.WorkflowID}))
	if err != nil {
		return MaxInputBytes + 1 // Temporal could not encode it either
	}
	return len(b)
}

// Accept records a verified event and starts its run. A redelivery of an
// event starts nothing, except when the event's last run failed: then one
// of the concurrent redeliveries claims it and runs it again. Errors wrap
// store.ErrInvalid (the body cannot be stored: the provider must not retry)
// or ErrUnavailable (retry later), or are ErrTooLarge.
func (s *Service) Accept(ctx context.Context, e store.NewEvent) (Accepted, error) {
	if n := inputSize(e); n > MaxInputBytes {
		return Accepted{}, fmt.Errorf("%w: %d bytes encoded, at most %d", ErrTooLarge, n, MaxInputBytes)
	}
	ev, inserted, err := s.Store.RecordEvent(ctx, e)
	if err != nil {
		if errors.Is(err, store.ErrInvalid) {
			return Accepted{}, err
		}
		return Accepted{}, errors.Join(ErrUnavailable, err)
	}
	if inserted {
		a := Accepted{Event: ev}
		a.Outcome, a.StartQueued = s.startAccepted(ctx, ev)
		return a, nil
	}
	a := Accepted{Event: ev, Outcome: Duplicate, BodyChanged: ev.BodyChanged}
	if ev.Status != store.StatusFailed || ev.PayloadPurgedAt.Valid {
		// A purged event has nothing left to run on.
		return a, nil
	}
	// The claim holds only while no rerun started since this delivery read
	// the row (attempts unchanged): of many concurrent redeliveries of a
	// failed event, one reruns it, and those that saw the same failure do
	// not rerun its next one.
	won, err := s.Store.ClaimRerun(ctx, ev.Provider, ev.EventID, store.StatusFailed, ev.Attempts)
	if err != nil {
		return Accepted{}, errors.Join(ErrUnavailable, err)
	}
	if won {
		ev.Status = store.StatusReceived
		a.Rerun = true
		_, a.StartQueued = s.startAccepted(ctx, ev)
	}
	return a, nil
}

// startAccepted starts the run of an event on the accept path. A new event
// was recorded as dispatched already (one statement on the accepted path);
// a rerun was claimed back to received and is marked dispatched here. When
// Temporal cannot be reached within StartTimeout the event is (back to)
// received and the sweep starts it later.
func (s *Service) startAccepted(ctx context.Context, ev store.Event) (Outcome, bool) {
	timeout := s.StartTimeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	sctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	runID, err := s.Runs.Start(sctx, ev)
	// The caller's context may be canceled by a client that hung up; the
	// bookkeeping should still land.
	mctx, mcancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer mcancel()
	recorded := ev.Status == store.StatusDispatched
	switch {
	case errors.Is(err, ErrAlreadyStarted):
		return Duplicate, false
	case err != nil:
		s.logger().Warn("workflow start failed; event queued for the sweep",
			slog.String("provider", ev.Provider), slog.String("event_id", ev.EventID), slog.String("error", err.Error()))
		if recorded {
			// Should this fail too, the sweep still finds the row:
			// dispatched without a run ID.
			if err := s.Store.Requeue(mctx, ev.Provider, ev.EventID); err != nil {
				s.logger().Warn("requeue failed", slog.String("event_id", ev.EventID), slog.String("error", err.Error()))
			}
		}
		return Queued, true
	}
	if !recorded {
		if err := s.Store.MarkDispatched(mctx, ev.Provider, ev.EventID, runID); err != nil {
			s.logger().Warn("mark dispatched failed", slog.String("event_id", ev.EventID), slog.String("error", err.Error()))
		}
	}
	return Started, false
}

// ErrPurged: the event's payload is gone (payload retention).
var ErrPurged = errors.New("payload purged")

// Rerun starts a new run of a failed event (or of one never dispatched),
// as `webhookd events replay` does, and returns the event as it was and
// the new run's ID. A succeeded event is refused: running it again would
// apply it twice. An ignored event is refused unless includeIgnored: its
// run applied nothing, so a newer webhookd that handles its type may run
// it again.
func (s *Service) Rerun(ctx context.Context, provider, eventID string, includeIgnored bool) (store.Event, string, error) {
	ev, err := s.Store.GetEventByKey(ctx, provider, eventID)
	if err != nil {
		return store.Event{}, "", err
	}
	if ev.PayloadPurgedAt.Valid {
		return ev, "", fmt.Errorf("%w: the payload of %s was deleted on %s (payload retention): it cannot be replayed",
			ErrPurged, ev.WorkflowID, ev.PayloadPurgedAt.Time.UTC().Format(time.DateOnly))
	}
	if ev.Status == store.StatusIgnored && includeIgnored {
		runID, err := s.rerunIgnored(ctx, ev)
		return ev, runID, err
	}
	runID, err := s.rerun(ctx, ev)
	return ev, runID, err
}

// rerunIgnored starts a new run of an ignored event. Its closed run
// succeeded, so the start must allow a new run of the workflow ID; should
// the start fail, the event is ignored again (the sweep must not start it
// under the usual policy, which would find the old run).
func (s *Service) rerunIgnored(ctx context.Context, ev store.Event) (string, error) {
	won, err := s.Store.ClaimRerun(ctx, ev.Provider, ev.EventID, store.StatusIgnored, ev.Attempts)
	if err != nil {
		return "", err
	}
	if !won {
		return "", fmt.Errorf("event %s was replayed by someone else just now", ev.WorkflowID)
	}
	ev.Status = store.StatusReceived
	runID, err := s.Runs.Restart(ctx, ev)
	if err != nil {
		if uerr := s.Store.Unclaim(context.WithoutCancel(ctx), ev.Provider, ev.EventID, store.StatusIgnored); uerr != nil {
			err = errors.Join(err, uerr)
		}
		return "", fmt.Errorf("event %s not replayed (still ignored): %w", ev.WorkflowID, err)
	}
	if err := s.Store.MarkDispatched(ctx, ev.Provider, ev.EventID, runID); err != nil {
		return runID, err
	}
	return runID, nil
}

func (s *Service) rerun(ctx context.Context, ev store.Event) (string, error) {
	switch ev.Status {
	case store.StatusSucceeded:
		return "", fmt.Errorf("event %s succeeded: only failed events are replayed; a replay would apply it twice", ev.WorkflowID)
	case store.StatusIgnored:
		return "", fmt.Errorf("event %s was ignored (no handler for its type then): replay it with --include-ignored once webhookd handles %s", ev.WorkflowID, ev.EventType)
	case store.StatusDispatched:
		return "", fmt.Errorf("event %s is still running (dispatched); replay it once it has failed", ev.WorkflowID)
	case store.StatusFailed:
		won, err := s.Store.ClaimRerun(ctx, ev.Provider, ev.EventID, store.StatusFailed, ev.Attempts)
		if err != nil {
			return "", err
		}
		if !won {
			return "", fmt.Errorf("event %s was replayed by someone else just now", ev.WorkflowID)
		}
		ev.Status = store.StatusReceived
	}
	runID, err := s.Runs.Start(ctx, ev)
	if errors.Is(err, ErrAlreadyStarted) {
		return "", fmt.Errorf("event %s: Temporal has a run that did not fail; not replayed", ev.WorkflowID)
	}
	if err != nil {
		return "", fmt.Errorf("%w (the event is queued: the sweep starts it when Temporal is back)", err)
	}
	if err := s.Store.MarkDispatched(ctx, ev.Provider, ev.EventID, runID); err != nil {
		return runID, err
	}
	return runID, nil
}

// Ready checks the database and Temporal; a nil error means reachable.
func (s *Service) Ready(ctx context.Context) map[string]error {
	return map[string]error{"postgres": s.Store.Ping(ctx), "temporal": s.Runs.Ping(ctx)}
}
