package lifecycle

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/webhookd/webhookd/internal/domain"
	"github.com/webhookd/webhookd/internal/store"
)

// Result is a run's outcome, as the run writes it at its end.
type Result struct {
	Provider  string
	EventID   string
	EventType string
	Status    domain.Status
	RunID     string
	LastError string
	// UserID is whose event it was, when the run resolved the user.
	UserID string
}

// IsResult reports whether a run may write st as its outcome: succeeded,
// failed or ignored, or dispatched (runs from before the ingress recorded
// the dispatch marked it themselves). Received is only ever the event
// life's own: a run never moves its event back.
func IsResult(st domain.Status) bool {
	switch st {
	case domain.StatusDispatched, domain.StatusSucceeded, domain.StatusFailed, domain.StatusIgnored:
		return true
	}
	return false
}

// Finish writes a run's outcome to its event. An event that had failed and
// now succeeds is a recovery: OnRecovered hears of it, best effort (an
// incident that is gone, or Temporal out of reach, does not keep the
// event's status from being written). An outcome that is no result wraps
// store.ErrInvalid.
func (s *Service) Finish(ctx context.Context, r Result) error {
	if !IsResult(r.Status) {
		return fmt.Errorf("lifecycle: %q is not a run's outcome: %w", r.Status, store.ErrInvalid)
	}
	prev, err := s.Store.FinishEvent(ctx, store.EventStatusUpdate{
		Provider: r.Provider, EventID: r.EventID, Status: r.Status, RunID: r.RunID, LastError: r.LastError, UserID: r.UserID,
	})
	if err != nil {
		return err
	}
	if s.OnRecovered != nil && r.Status == domain.StatusSucceeded && prev != "" && r.EventType != "" {
		if err := s.OnRecovered(ctx, r, prev); err != nil {
			s.logger().Warn("incident not told of a recovery", slog.String("event_id", r.EventID), slog.String("error", err.Error()))
		}
	}
	return nil
}

// purgeBatch is how many rows one statement of the payload retention
// updates: short statements, and a large backlog still worked off in one
// sweep.
const purgeBatch = 1000

// Purge deletes the payload and data of settled events received more than
// retention ago (an event still to run keeps what it runs on); the rows
// stay as the audit record. It returns how many it purged.
func (s *Service) Purge(ctx context.Context, retention time.Duration) (int64, error) {
	return s.Store.PurgePayloads(ctx, time.Now().Add(-retention), purgeBatch)
}

// Purgeable counts what Purge(retention) would delete.
func (s *Service) Purgeable(ctx context.Context, retention time.Duration) (int64, error) {
	return s.Store.PurgeablePayloads(ctx, time.Now().Add(-retention))
}

const (
	// PurgeFirstAfter is how long after a worker starts its first purge
	// runs (not in the middle of a start-up).
	PurgeFirstAfter = time.Minute
	// MinRetention is the shortest retention a purge by hand takes without
	// --force: shorter deletes events that have just settled.
	MinRetention = time.Hour
	// PurgeInterval is how often payloads past retention are purged.
	PurgeInterval = 24 * time.Hour
)

// RunPurges purges the payloads past retention once first has passed, then
// every interval, until ctx ends. Every worker runs it; two at once update
// disjoint batches or nothing.
func (s *Service) RunPurges(ctx context.Context, retention, first, interval time.Duration) {
	purge := func() {
		n, err := s.Purge(ctx, retention)
		switch {
		case err != nil && ctx.Err() == nil:
			s.logger().Warn("payload retention sweep failed; next one retries", slog.String("error", err.Error()))
		case n > 0:
			s.logger().Info("payloads past retention deleted", slog.Int64("events", n), slog.String("retention", retention.String()))
		}
	}
	select {
	case <-ctx.Done():
		return
	case <-time.After(first):
	}
	purge()
	Every(ctx, interval, purge)
}
