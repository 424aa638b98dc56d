package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/webhookd/webhookd/internal/domain"
	"github.com/webhookd/webhookd/internal/store"
)

// claim moves a failed (or ignored) event back to received, so that of
// several concurrent redeliveries or replays exactly one starts its new
// run. The claim holds only while no rerun started since ev was read
// (attempts unchanged): of many concurrent redeliveries of a failed event,
// one reruns it, and those that saw the same failure do not rerun its next
// one. It returns the event as claimed and whether this caller won.
func (s *Service) claim(ctx context.Context, ev store.Event) (store.Event, bool, error) {
	won, err := s.Store.ClaimRerun(ctx, ev.Provider, ev.EventID, ev.Status, ev.Attempts)
	if err != nil || !won {
		return ev, false, err
	}
	ev.Status = domain.StatusReceived
	return ev, true, nil
}

// claimOrConflict is claim for a replay: losing is ErrConflict.
func (s *Service) claimOrConflict(ctx context.Context, ev store.Event) (store.Event, error) {
	ev, won, err := s.claim(ctx, ev)
	if err == nil && !won {
		err = fmt.Errorf("%w: event %s was replayed by someone else just now", ErrConflict, ev.WorkflowID)
	}
	return ev, err
}

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
	if ev.Status == domain.StatusIgnored && includeIgnored {
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
	ev, err := s.claimOrConflict(ctx, ev)
	if err != nil {
		return "", err
	}
	runID, err := s.Runs.Restart(ctx, ev)
	if err != nil {
		if uerr := s.Store.Unclaim(context.WithoutCancel(ctx), ev.Provider, ev.EventID, domain.StatusIgnored); uerr != nil {
			err = errors.Join(err, uerr)
		}
		return "", fmt.Errorf("event %s not replayed (still ignored): %w", ev.WorkflowID, err)
	}
	return runID, s.Store.MarkDispatched(ctx, ev.Provider, ev.EventID, runID)
}

func (s *Service) rerun(ctx context.Context, ev store.Event) (string, error) {
	switch ev.Status {
	case domain.StatusSucceeded:
		return "", fmt.Errorf("%w: event %s succeeded: only failed events are replayed; a replay would apply it twice", ErrConflict, ev.WorkflowID)
	case domain.StatusIgnored:
		return "", fmt.Errorf("%w: event %s was ignored (no handler for its type then): replay it with --include-ignored once webhookd handles %s",
			ErrConflict, ev.WorkflowID, ev.EventType)
	case domain.StatusDispatched:
		return "", fmt.Errorf("%w: event %s is still running (dispatched); replay it once it has failed", ErrConflict, ev.WorkflowID)
	case domain.StatusFailed:
		var err error
		if ev, err = s.claimOrConflict(ctx, ev); err != nil {
			return "", err
		}
	}
	runID, err := s.Runs.Start(ctx, ev)
	if errors.Is(err, ErrAlreadyStarted) {
		return "", fmt.Errorf("%w: event %s: Temporal has a run that did not fail; not replayed", ErrConflict, ev.WorkflowID)
	}
	if err != nil {
		return "", fmt.Errorf("%w (the event is queued: the sweep starts it when Temporal is back)", err)
	}
	return runID, s.Store.MarkDispatched(ctx, ev.Provider, ev.EventID, runID)
}
