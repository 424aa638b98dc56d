// Package lifecycle owns a recorded webhook event's life after its
// signature was verified: the statuses it moves through (domain.Status)
// and every rule between them. Accept records an event and starts its run
// (or queues it when Temporal is unreachable, or reruns it when a failed
// event is delivered again); Rerun is `webhookd events replay`; Sweep starts
// what could not be started and settles what a crash left half done;
// Finish writes a run's outcome; Purge deletes payloads past their
// retention. It knows Temporal only through Runs (internal/runs is the
// real one) and imports nothing of Temporal's; docs/events.md draws the
// life as a table.
package lifecycle

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/webhookd/webhookd/internal/domain"
	"github.com/webhookd/webhookd/internal/store"
)

// The errors of the event life; callers test them with errors.Is.
var (
	// ErrUnavailable wraps the errors of an accept that the provider should
	// retry: the database could not record the event or claim its rerun.
	ErrUnavailable = errors.New("temporarily unavailable")
	// ErrTooLarge: the event's workflow input, once encoded, exceeds what
	// Temporal accepts (Runs.Fits): every start of it would be refused.
	ErrTooLarge = errors.New("workflow input too large")
	// ErrAlreadyStarted: a run for the event exists (running, or closed
	// and not failed): the start was a duplicate.
	ErrAlreadyStarted = errors.New("workflow already started")
	// ErrUnreachable wraps a start that failed because Temporal could not
	// be reached or asked in time: nothing another event would escape.
	ErrUnreachable = errors.New("temporal unreachable")
	// ErrRefused wraps a start that can never succeed: Temporal refused the
	// request as invalid, or the client could not even build it.
	ErrRefused = errors.New("start refused")
	// ErrPurged: the event's payload is gone (payload retention).
	ErrPurged = errors.New("payload purged")
	// ErrConflict: someone else replayed the event, or it is in a status a
	// replay cannot start from.
	ErrConflict = errors.New("not replayable now")
)

// WorkflowID is the ID of the run for one provider event. It is the
// idempotency key: Temporal allows one open run per ID, so a duplicate
// delivery cannot start a second run.
func WorkflowID(provider, eventID string) string {
	return provider + ":" + eventID
}

// Store is what the event life needs from the database.
type Store interface {
	RecordEvent(ctx context.Context, e store.NewEvent) (store.Event, bool, error)
	GetEventByKey(ctx context.Context, provider, eventID string) (store.Event, error)
	MarkDispatched(ctx context.Context, provider, eventID, runID string) error
	Requeue(ctx context.Context, provider, eventID string) error
	ClaimRerun(ctx context.Context, provider, eventID string, from domain.Status, attempts int) (bool, error)
	Unclaim(ctx context.Context, provider, eventID string, to domain.Status) error
	RecordRun(ctx context.Context, provider, eventID, runID string) error
	Undispatched(ctx context.Context, receivedFor, runlessFor time.Duration, limit int) ([]store.Event, error)
	DeferDispatch(ctx context.Context, provider, eventID string, until time.Time) error
	FailDispatch(ctx context.Context, provider, eventID, reason string) error
	FinishEvent(ctx context.Context, u store.EventStatusUpdate) (string, error)
	PurgePayloads(ctx context.Context, cutoff time.Time, batch int) (int64, error)
	PurgeablePayloads(ctx context.Context, cutoff time.Time) (int64, error)
	Ping(ctx context.Context) error
}

// Runs starts and finds an event's ProcessWebhook runs. *runs.Temporal is
// the real one; tests stand in for it.
type Runs interface {
	// Fits returns ErrTooLarge when the event's run input would exceed
	// what Temporal accepts.
	Fits(ev store.Event) error
	// Start starts the event's run and returns its run ID, or an error
	// that is ErrAlreadyStarted, or wraps ErrUnreachable or ErrRefused
	// when it can tell.
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
	// OnRecovered, when set, is told of an event that had failed and now
	// succeeded (a replay or a redelivery recovered it), with its previous
	// error: the incident of that error hears of it. Best effort: its error
	// is logged.
	OnRecovered func(ctx context.Context, r Result, prevError string) error
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

// Accept records a verified event and starts its run; the event's
// workflow ID is set here. A new event is recorded as dispatched, its run
// about to start, so that the accepted path costs one statement; should the
// start fail it is put back to received, and should the process die first
// the sweep finds it (dispatched, no run ID). A redelivery of an event
// starts nothing, except when the event's last run failed: then one of the
// concurrent redeliveries claims it and runs it again. Errors wrap
// store.ErrInvalid (the body cannot be stored: the provider must not retry)
// or ErrUnavailable (retry later), or ErrTooLarge.
func (s *Service) Accept(ctx context.Context, e store.NewEvent) (Accepted, error) {
	e.WorkflowID, e.Status = WorkflowID(e.Provider, e.EventID), domain.StatusDispatched
	if err := s.Runs.Fits(store.Event{Provider: e.Provider, EventID: e.EventID, EventType: e.EventType,
		Data: e.Data, Format: e.Format, WorkflowID: e.WorkflowID}); err != nil {
		return Accepted{}, err
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
	if ev.Status != domain.StatusFailed || ev.PayloadPurgedAt.Valid {
		// A purged event has nothing left to run on.
		return a, nil
	}
	ev, won, err := s.claim(ctx, ev)
	if err != nil {
		return Accepted{}, errors.Join(ErrUnavailable, err)
	}
	if won {
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
	recorded := ev.Status == domain.StatusDispatched
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

// Ready checks the database and Temporal; a nil error means reachable.
func (s *Service) Ready(ctx context.Context) map[string]error {
	return map[string]error{"postgres": s.Store.Ping(ctx), "temporal": s.Runs.Ping(ctx)}
}
