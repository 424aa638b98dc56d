// Package dispatch starts ProcessWebhook runs for recorded events: for the
// ingress right after recording, in a sweep for events recorded while
// Temporal was unreachable, and for `events replay`.
package dispatch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/webhookd/webhookd/internal/config"
	"github.com/webhookd/webhookd/internal/store"
	"github.com/webhookd/webhookd/workflows"
)

// ErrAlreadyStarted means a run for the event exists (running, or closed
// and not failed): the start was a duplicate.
var ErrAlreadyStarted = errors.New("workflow already started")

// Dispatcher starts runs.
type Dispatcher struct {
	Client client.Client
	// Providers locate the data object in stored payloads.
	Providers map[string]*config.Provider
	Retry     workflows.RetryConfig
	Logger    *slog.Logger
}

// Input is the workflow input for a recorded event.
func (d *Dispatcher) Input(ev store.Event) workflows.ProcessWebhookInput {
	p, ok := d.Providers[ev.Provider]
	if !ok {
		p = &config.Provider{Data: "json:data"}
	}
	in := workflows.ProcessWebhookInput{
		Provider: ev.Provider, EventID: ev.EventID, EventType: ev.EventType,
		OccurredAt: ev.ReceivedAt.UTC(), Data: p.ExtractData(ev.Payload), Retry: d.Retry,
	}
	if ev.OccurredAt.Valid {
		in.OccurredAt = ev.OccurredAt.Time.UTC()
	}
	return in
}

// Start starts the event's run and returns its run ID, or ErrAlreadyStarted.
//
// A failed event marks itself failed just before its run closes, so a
// replay or redelivery can arrive while that run is still open. When the
// open run is the event's last recorded run, Start waits (within ctx) for
// it to close and starts again, instead of mistaking it for a duplicate.
func (d *Dispatcher) Start(ctx context.Context, ev store.Event) (string, error) {
	runID, err := d.start(ctx, ev)
	if !errors.Is(err, ErrAlreadyStarted) || !ev.RunID.Valid || ev.RunID.String == "" {
		return runID, err
	}
	id := workflows.WorkflowID(ev.Provider, ev.EventID)
	desc, derr := d.Client.DescribeWorkflowExecution(ctx, id, "")
	if derr != nil {
		return "", fmt.Errorf("dispatch: describe %s: %w", id, derr)
	}
	if desc.GetWorkflowExecutionInfo().GetExecution().GetRunId() != ev.RunID.String {
		return "", ErrAlreadyStarted // another run than the event's last: a genuine duplicate
	}
	// The event's last run was still open at the start (it may have closed
	// since). Wait for it to close; its error is the failure we know of.
	_ = d.Client.GetWorkflow(ctx, id, ev.RunID.String).Get(ctx, nil)
	if ctx.Err() != nil {
		return "", fmt.Errorf("dispatch: %s: the previous run has not closed yet: %w", id, ctx.Err())
	}
	return d.start(ctx, ev)
}

func (d *Dispatcher) start(ctx context.Context, ev store.Event) (string, error) {
	run, err := d.Client.ExecuteWorkflow(ctx, workflows.StartOptions(ev.Provider, ev.EventID, ev.EventType),
		workflows.ProcessWebhook, d.Input(ev))
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		return "", ErrAlreadyStarted
	}
	if err != nil {
		return "", fmt.Errorf("dispatch: start %s: %w", workflows.WorkflowID(ev.Provider, ev.EventID), err)
	}
	return run.GetRunID(), nil
}

// Ping checks that Temporal answers.
func (d *Dispatcher) Ping(ctx context.Context) error {
	if _, err := d.Client.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		return fmt.Errorf("dispatch: temporal health: %w", err)
	}
	return nil
}

// Store is what the sweep needs from the database.
type Store interface {
	Undispatched(ctx context.Context, receivedFor, runlessFor time.Duration, limit int) ([]store.Event, error)
	MarkDispatched(ctx context.Context, provider, eventID, runID string) error
	RecordRun(ctx context.Context, provider, eventID, runID string) error
}

// Ages says how long an event waits before the sweep looks at it.
type Ages struct {
	// Received: an event recorded and never dispatched (Temporal was down).
	Received time.Duration
	// Runless: an event marked dispatched whose run ID is unknown. Most are
	// runs still in flight (their outcome writes the run ID); each costs the
	// sweep a describe, so this is longer than Received.
	Runless time.Duration
}

// DefaultAges waits dispatchAfter for received events and at least a minute
// for run-less dispatched ones.
func DefaultAges(dispatchAfter time.Duration) Ages {
	return Ages{Received: dispatchAfter, Runless: max(dispatchAfter, time.Minute)}
}

// Sweep starts runs for events recorded more than ages.Received ago and
// never dispatched, and settles events marked dispatched more than
// ages.Runless ago without a known run: it records the run Temporal has for
// them or, when there is none (the ingress died between recording and
// starting), starts it. It returns how many events it settled.
func (d *Dispatcher) Sweep(ctx context.Context, st Store, ages Ages) (int, error) {
	n := 0
	for {
		evs, err := st.Undispatched(ctx, ages.Received, ages.Runless, 100)
		if err != nil {
			return n, err
		}
		for _, ev := range evs {
			if ev.Status == store.StatusDispatched {
				runID, err := d.currentRun(ctx, ev)
				if err != nil {
					return n, err
				}
				if runID != "" {
					if err := st.RecordRun(ctx, ev.Provider, ev.EventID, runID); err != nil {
						return n, err
					}
					n++
					continue
				}
			}
			runID, err := d.Start(ctx, ev)
			if err != nil && !errors.Is(err, ErrAlreadyStarted) {
				return n, err // Temporal still down: try again next tick
			}
			if err := st.MarkDispatched(ctx, ev.Provider, ev.EventID, runID); err != nil {
				return n, err
			}
			n++
		}
		if len(evs) < 100 {
			return n, nil
		}
	}
}

// currentRun returns the run ID of the event's workflow, "" when Temporal
// has none.
func (d *Dispatcher) currentRun(ctx context.Context, ev store.Event) (string, error) {
	id := workflows.WorkflowID(ev.Provider, ev.EventID)
	desc, err := d.Client.DescribeWorkflowExecution(ctx, id, "")
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("dispatch: describe %s: %w", id, err)
	}
	return desc.GetWorkflowExecutionInfo().GetExecution().GetRunId(), nil
}

// Run sweeps every interval until ctx ends.
func (d *Dispatcher) Run(ctx context.Context, st Store, interval time.Duration, ages Ages) {
	logger := d.Logger
	if logger == nil {
		logger = slog.Default()
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := d.Sweep(ctx, st, ages)
		if n > 0 {
			logger.Info("dispatcher settled recorded events (started their runs or recorded their run IDs)", slog.Int("count", n))
		}
		if err != nil && ctx.Err() == nil {
			logger.Warn("dispatcher sweep failed; will retry", slog.String("error", err.Error()))
		}
	}
}
