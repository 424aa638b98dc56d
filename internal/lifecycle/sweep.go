package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/webhookd/webhookd/internal/domain"
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

const (
	// sweepBatch is how many rows one query of the sweep reads, and
	// sweepBatches how many queries one sweep makes at most: a backlog is
	// worked off over several ticks.
	sweepBatch   = 100
	sweepBatches = 10
	// giveUpAfter: an event whose start keeps failing for reasons of its
	// own this long after it was received is failed, not deferred again.
	giveUpAfter = 24 * time.Hour
)

// Sweep starts runs for events recorded more than ages.Received ago and
// never dispatched, and settles events marked dispatched more than
// ages.Runless ago without a known run: it records the run Temporal has for
// them or, when there is none (the ingress died between recording and
// starting), starts it. It returns how many events it settled.
//
// No event can hold up the others. When Temporal or the database cannot be
// reached the sweep ends (every other start would fail the same way) and
// the next tick tries again. A start error that concerns the event alone
// defers that event, with a backoff that grows with its age; one that can
// never succeed (Temporal refuses the request as invalid, or the input
// cannot be encoded) fails the event with the reason, tells OnStartFailed,
// and the sweep goes on.
func (s *Service) Sweep(ctx context.Context, ages Ages) (int, error) {
	n := 0
	for range sweepBatches {
		evs, err := s.Store.Undispatched(ctx, ages.Received, ages.Runless, sweepBatch)
		if err != nil {
			return n, err
		}
		for _, ev := range evs {
			err := s.settle(ctx, ev)
			if err == nil {
				n++
				continue
			}
			if unreachable(err) {
				return n, err
			}
			if err := s.startFailed(ctx, ev, err); err != nil {
				return n, err
			}
		}
		if len(evs) < sweepBatch {
			return n, nil
		}
	}
	return n, nil
}

// startError is a start that failed for a reason of the event's own.
type startError struct{ err error }

func (e startError) Error() string { return e.err.Error() }
func (e startError) Unwrap() error { return e.err }

// settle records the run of a run-less dispatched event, or starts one.
// Errors other than a startError are the database's or Temporal's.
func (s *Service) settle(ctx context.Context, ev store.Event) error {
	if ev.Status == domain.StatusDispatched {
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
		return startError{err}
	}
	return s.Store.MarkDispatched(ctx, ev.Provider, ev.EventID, runID)
}

// unreachable reports whether err means Temporal or the database could not
// be reached (or asked in time): nothing the next event would escape.
func unreachable(err error) bool {
	var se startError
	if !errors.As(err, &se) {
		return true // the database, or a describe
	}
	return errors.Is(err, ErrUnreachable) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}

// startFailed fails an event whose start can never succeed, or defers it.
func (s *Service) startFailed(ctx context.Context, ev store.Event, err error) error {
	age := time.Since(ev.ReceivedAt)
	if !errors.Is(err, ErrRefused) && age < giveUpAfter {
		wait := min(max(age/4, 2*time.Second), 5*time.Minute)
		s.logger().Warn("sweep: start failed; event deferred", slog.String("provider", ev.Provider),
			slog.String("event_id", ev.EventID), slog.Duration("retry_in", wait), slog.String("error", err.Error()))
		return s.Store.DeferDispatch(ctx, ev.Provider, ev.EventID, time.Now().Add(wait))
	}
	reason := fmt.Sprintf("its run could not be started: %v", err)
	s.logger().Error("sweep: event failed", slog.String("provider", ev.Provider),
		slog.String("event_id", ev.EventID), slog.String("error", reason))
	if err := s.Store.FailDispatch(ctx, ev.Provider, ev.EventID, reason); err != nil {
		return err
	}
	if s.OnStartFailed != nil {
		s.OnStartFailed(ctx, ev, reason)
	}
	return nil
}

// SweepInterval is how often a worker sweeps.
const SweepInterval = 2 * time.Second

// RunSweeps sweeps every interval until ctx ends.
func (s *Service) RunSweeps(ctx context.Context, interval time.Duration, ages Ages) {
	Every(ctx, interval, func() {
		n, err := s.Sweep(ctx, ages)
		if n > 0 {
			s.logger().Info("sweep settled recorded events (started their runs or recorded their run IDs)", slog.Int("count", n))
		}
		if err != nil && ctx.Err() == nil {
			s.logger().Warn("sweep stopped: Temporal or PostgreSQL unreachable; next tick retries", slog.String("error", err.Error()))
		}
	})
}

// Every calls fn every interval until ctx ends.
func Every(ctx context.Context, interval time.Duration, fn func()) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		fn()
	}
}
