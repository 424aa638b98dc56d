package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/webhookd/webhookd/internal/config"
	"github.com/webhookd/webhookd/internal/devstack"
	"github.com/webhookd/webhookd/internal/domain"
	"github.com/webhookd/webhookd/internal/eventlog"
	"github.com/webhookd/webhookd/internal/lifecycle"
	"github.com/webhookd/webhookd/internal/runs"
	"github.com/webhookd/webhookd/internal/store"
)

func (c *cli) eventsCmd() *cobra.Command {
	cmd, s := c.group("events", config.Events, "the event log: list, show, replay, purge")
	var listF, replayF eventlog.Filter
	var asJSON, showJSON, dryRun, includeIgnored bool
	list := c.sub(cmd, config.Events, s, "list", "list events, newest first", cobra.NoArgs,
		func(ctx context.Context, _ *cobra.Command, _ []string) error {
			return c.eventsList(ctx, s, listF, asJSON)
		})
	listF.Bind(list.Flags(), true)
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON lines instead of a table")
	show := c.sub(cmd, config.Events, s, "show ID", "one event: envelope, status, runs, last error, run link (ID: row id or provider:event_id)", cobra.ExactArgs(1),
		func(ctx context.Context, _ *cobra.Command, args []string) error {
			return c.eventsShow(ctx, s, args[0], showJSON)
		})
	show.Flags().BoolVar(&showJSON, "json", false, "print JSON instead of text")
	replay := c.sub(cmd, config.Events, s, "replay [ID]", "a new run of one failed event, or of every failed event matching --status failed and the filters", cobra.MaximumNArgs(1),
		func(ctx context.Context, _ *cobra.Command, args []string) error {
			return c.eventsReplay(ctx, s, args, replayF, replayOptions{dryRun, includeIgnored})
		})
	replayF.Bind(replay.Flags(), false)
	replay.Flags().BoolVar(&dryRun, "dry-run", false, "list what would run, start nothing")
	replay.Flags().BoolVar(&includeIgnored, "include-ignored", false, "also replay ignored events (their run applied nothing): after an upgrade that handles their type")
	var olderThan time.Duration
	var purgeDry, force bool
	purge := c.sub(cmd, config.Events, s, "purge --older-than D", "delete the payloads (envelope and data) of settled events received more than D ago, keeping their rows; what the worker's daily retention sweep does",
		cobra.NoArgs, func(ctx context.Context, _ *cobra.Command, _ []string) error {
			return c.eventsPurge(ctx, s, olderThan, purgeDry, force)
		})
	purge.Flags().DurationVar(&olderThan, "older-than", 0, "age of the payloads to delete, e.g. 720h (required)")
	purge.Flags().BoolVar(&purgeDry, "dry-run", false, "count what would be deleted, delete nothing")
	purge.Flags().BoolVar(&force, "force", false, "allow an --older-than under an hour")
	return cmd
}

func (c *cli) eventsPurge(ctx context.Context, s *config.Settings, olderThan time.Duration, dryRun, force bool) error {
	st, err := devstack.OpenStore(ctx, s, c.getenv)
	if err != nil {
		return err
	}
	defer st.Close()
	return eventlog.Purge(ctx, c.stdout, &lifecycle.Service{Store: st}, olderThan, dryRun, force)
}

func (c *cli) eventsList(ctx context.Context, s *config.Settings, f eventlog.Filter, asJSON bool) error {
	filter, err := f.Store(time.Now())
	if err != nil {
		return err
	}
	st, err := devstack.OpenStore(ctx, s, c.getenv)
	if err != nil {
		return err
	}
	defer st.Close()
	evs, err := st.ListEvents(ctx, filter)
	if err != nil {
		return err
	}
	return eventlog.WriteList(c.stdout, evs, asJSON)
}

func (c *cli) eventsShow(ctx context.Context, s *config.Settings, id string, asJSON bool) error {
	st, err := devstack.OpenStore(ctx, s, c.getenv)
	if err != nil {
		return err
	}
	defer st.Close()
	ev, err := eventlog.Find(ctx, st, id)
	if err != nil {
		return err
	}
	if asJSON {
		return c.printJSON(eventlog.JSON(ev, eventlog.RunURL(s.UI(), ev)))
	}
	eventlog.WriteEvent(c.stdout, ev, eventlog.RunURL(s.UI(), ev))
	tc, err := dialTemporal(s, newLogger(io.Discard, "error"), nil)
	if err != nil {
		return nil
	}
	defer tc.Close()
	// Each route's child, and a run in flight's whereabouts: its status
	// query, and the activity it is retrying with its attempts and error.
	for _, line := range runs.Routes(ctx, tc, s.UI(), ev) {
		fmt.Fprintf(c.stdout, "  route        %s\n", line)
	}
	if ev.Status == domain.StatusDispatched {
		for _, line := range runs.InFlight(ctx, tc, ev.WorkflowID) {
			fmt.Fprintf(c.stdout, "  in flight    %s\n", line)
		}
	}
	return nil
}

// replayOptions are replay's own flags.
type replayOptions struct {
	dryRun, includeIgnored bool
}

func (c *cli) eventsReplay(ctx context.Context, s *config.Settings, args []string, f eventlog.Filter, o replayOptions) error {
	filter, err := f.Store(time.Now())
	if err != nil {
		return err
	}
	bulkOK := filter.Status == domain.StatusFailed || (filter.Status == domain.StatusIgnored && o.includeIgnored)
	if len(args) == 0 && !bulkOK {
		return usageError{fmt.Errorf("events replay needs an ID, or --status failed (or --status ignored --include-ignored)")}
	}
	st, err := devstack.OpenStore(ctx, s, c.getenv)
	if err != nil {
		return err
	}
	defer st.Close()
	tc, err := dialTemporal(s, newLogger(c.stderr, "warn"), nil)
	if err != nil {
		return err
	}
	defer tc.Close()
	svc := &lifecycle.Service{Store: st, Runs: &runs.Temporal{Client: tc}}
	if len(args) == 1 {
		return c.replayOne(ctx, s, st, svc, args[0], o)
	}
	filter.Limit = 10000
	evs, err := st.ListEvents(ctx, filter)
	if err != nil {
		return err
	}
	return eventlog.Replay(ctx, c.stdout, svc, evs, filter, o.dryRun, o.includeIgnored)
}

func (c *cli) replayOne(ctx context.Context, s *config.Settings, st *store.Store, svc *lifecycle.Service, id string, o replayOptions) error {
	ev, err := eventlog.Find(ctx, st, id)
	if err != nil {
		return err
	}
	if o.dryRun {
		fmt.Fprintf(c.stdout, "would replay %s (%s)\n", ev.WorkflowID, ev.Status)
		return nil
	}
	_, runID, err := svc.Rerun(ctx, ev.Provider, ev.EventID, o.includeIgnored)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "replayed %s: run %s\n%s\n", ev.WorkflowID, runID, s.UI().Run(ev.WorkflowID, runID))
	return nil
}
