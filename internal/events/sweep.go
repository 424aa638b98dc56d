package events

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/webhookd/webhookd/internal/store"
)

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

// sweepBatch is how many rows one query of the sweep reads.
const sweepBatch = 100

// Sweep starts runs for events recorded more than ages.Received ago and
// never dispatched, and settles events marked dispatched more than
// ages.Runless ago without a known run: it records the run Temporal has for
// them or, when there is none (the ingress died between recording and
// starting), starts it. It returns how many events it settled.
func (s *Service) Sweep(ctx context.Context, ages Ages) (int, error) {
	n := 0
	for {
		evs, err := s.Store.Undispatched(ctx, ages.Received, ages.Runless, sweepBatch)
		if err != nil {
			return n, err
		}
		for _, ev := range evs {
			if err := s.settle(ctx, ev); err != nil {
				return n, err // Temporal or the database still down: try again next tick
			}
			n++
		}
		if len(evs) < sweepBatch {
			return n, nil
		}
	}
}

// settle records the run of a run-less dispatched event, or starts one.
func (s *Service) settle(ctx context.Context, ev store.Event) error {
	if ev.Status == store.StatusDispatched {
		runID, err := s.Runs.Current(ctx, ev)
		if err != nil {
			return err
		}
		if runID != "" {
			return s.Store.RecordRun(ctx, ev.Provider, ev.EventID, runID)
		}
	}
	runID, err := s.Runs.Start(ctx, ev)
	if err != nil && !errors.Is(err, ErrAlreadyStarted) {
		return err
	}
	return s.Store.MarkDispatched(ctx, ev.Provider, ev.EventID, runID)
}

// RunSweeps sweeps every interval until ctx ends.
func (s *Service) RunSweeps(ctx context.Context, interval time.Duration, ages Ages) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := s.Sweep(ctx, ages)
		if n > 0 {
			s.logger().Info("sweep settled recorded events (started their runs or recorded their run IDs)", slog.Int("count", n))
		}
		if err != nil && ctx.Err() == nil {
			s.logger().Warn("sweep failed; will retry", slog.String("error", err.Error()))
		}
	}
}
