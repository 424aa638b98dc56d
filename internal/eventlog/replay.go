package eventlog

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/webhookd/webhookd/internal/lifecycle"
	"github.com/webhookd/webhookd/internal/store"
)

// Rerunner starts a new run of a settled event (lifecycle.Service.Rerun).
type Rerunner interface {
	Rerun(ctx context.Context, provider, eventID string, includeIgnored bool) (store.Event, string, error)
}

// Replay is what `events replay` does over a list of events: with dryRun
// it lists what would run; otherwise it starts a new run of each, writes
// one line per event and a summary, and fails if any was not replayed.
func Replay(ctx context.Context, w io.Writer, r Rerunner, evs []store.Event, f store.EventFilter, dryRun, includeIgnored bool) error {
	fmt.Fprintf(w, "%d %s events since %s\n", len(evs), f.Status, f.Since.Format(time.RFC3339))
	ok, failed := 0, 0
	for i, ev := range evs {
		prefix := fmt.Sprintf("[%d/%d] %s", i+1, len(evs), ev.WorkflowID)
		if dryRun {
			fmt.Fprintf(w, "%s  would replay\n", prefix)
			continue
		}
		_, runID, err := r.Rerun(ctx, ev.Provider, ev.EventID, includeIgnored)
		if err != nil {
			failed++
			fmt.Fprintf(w, "%s  not replayed: %v\n", prefix, err)
			continue
		}
		ok++
		fmt.Fprintf(w, "%s  started run %s\n", prefix, runID)
	}
	if dryRun {
		return nil
	}
	fmt.Fprintf(w, "replayed %d, not replayed %d\n", ok, failed)
	if failed > 0 {
		return fmt.Errorf("%d events not replayed", failed)
	}
	return nil
}

// Purger deletes, or counts, the payloads of settled events received more
// than a retention ago (lifecycle.Service).
type Purger interface {
	Purge(ctx context.Context, retention time.Duration) (int64, error)
	Purgeable(ctx context.Context, retention time.Duration) (int64, error)
}

// Purge is what `events purge` does: deletes (or, with dryRun, counts) the
// payloads received more than olderThan ago and says how many. An
// olderThan that is not positive, or under lifecycle.MinRetention without
// force, is ErrBadFilter.
func Purge(ctx context.Context, w io.Writer, p Purger, olderThan time.Duration, dryRun, force bool) error {
	if olderThan <= 0 {
		return badFilter{fmt.Errorf("--older-than: required, a positive duration such as 720h")}
	}
	if olderThan < lifecycle.MinRetention && !force {
		return badFilter{fmt.Errorf("--older-than %s: under %s deletes the payloads of events just settled; add --force if that is meant", olderThan, lifecycle.MinRetention)}
	}
	cutoff := time.Now().Add(-olderThan).UTC().Format(time.RFC3339)
	if dryRun {
		n, err := p.Purgeable(ctx, olderThan)
		if err == nil {
			fmt.Fprintf(w, "would delete the payloads of %d events received before %s\n", n, cutoff)
		}
		return err
	}
	n, err := p.Purge(ctx, olderThan)
	fmt.Fprintf(w, "deleted the payloads of %d events received before %s\n", n, cutoff)
	return err
}
