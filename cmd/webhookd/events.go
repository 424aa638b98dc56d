package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/webhookd/webhookd/internal/domain"
	"github.com/webhookd/webhookd/internal/lifecycle"
	"github.com/webhookd/webhookd/internal/runs"
	"github.com/webhookd/webhookd/internal/store"
	"github.com/webhookd/webhookd/workflows"
)

// eventFilter is the flags that select events (list, replay).
type eventFilter struct {
	provider, eventType, status string
	since                       time.Duration
	limit                       int
}

func (f *eventFilter) bind(fs *pflag.FlagSet, withLimit bool) {
	fs.StringVar(&f.provider, "provider", "", "only this provider")
	fs.StringVar(&f.eventType, "type", "", "only this event type")
	fs.StringVar(&f.status, "status", "", "only this status: "+statusNames())
	fs.DurationVar(&f.since, "since", 24*time.Hour, "only events received within this window")
	if withLimit {
		fs.IntVar(&f.limit, "limit", 50, "at most this many events")
	}
}

// store turns the flags into a store filter; errors name the flag.
func (f *eventFilter) store() (store.EventFilter, error) {
	out := store.EventFilter{Provider: f.provider, Type: f.eventType, Since: time.Now().Add(-f.since), Limit: f.limit}
	if f.status != "" {
		st, err := domain.ParseStatus(f.status)
		if err != nil {
			return out, usageError{fmt.Errorf("--status: %w", err)}
		}
		out.Status = st
	}
	if f.since <= 0 {
		return out, usageError{fmt.Errorf("--since: must be positive, got %s", f.since)}
	}
	if f.limit < 0 {
		return out, usageError{fmt.Errorf("--limit: must be positive, got %d", f.limit)}
	}
	return out, nil
}

func statusNames() string {
	var names []string
	for _, st := range domain.Statuses() {
		names = append(names, string(st))
	}
	return strings.Join(names, ", ")
}

func (c *cli) eventsCmd() *cobra.Command {
	cmd, s := c.group("events", cmdEvents, "the event log: list, show, replay, purge")
	var listF, replayF eventFilter
	var asJSON, showJSON, dryRun, includeIgnored bool
	list := c.sub(cmd, cmdEvents, s, "list", "list events, newest first", cobra.NoArgs,
		func(ctx context.Context, _ *cobra.Command, _ []string) error {
			return c.eventsList(ctx, s, listF, asJSON)
		})
	listF.bind(list.Flags(), true)
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON lines instead of a table")
	show := c.sub(cmd, cmdEvents, s, "show ID", "one event: envelope, status, runs, last error, run link (ID: row id or provider:event_id)", cobra.ExactArgs(1),
		func(ctx context.Context, _ *cobra.Command, args []string) error {
			return c.eventsShow(ctx, s, args[0], showJSON)
		})
	show.Flags().BoolVar(&showJSON, "json", false, "print JSON instead of text")
	replay := c.sub(cmd, cmdEvents, s, "replay [ID]", "a new run of one failed event, or of every failed event matching --status failed and the filters", cobra.MaximumNArgs(1),
		func(ctx context.Context, _ *cobra.Command, args []string) error {
			return c.eventsReplay(ctx, s, args, replayF, replayOptions{dryRun, includeIgnored})
		})
	replayF.bind(replay.Flags(), false)
	replay.Flags().BoolVar(&dryRun, "dry-run", false, "list what would run, start nothing")
	replay.Flags().BoolVar(&includeIgnored, "include-ignored", false, "also replay ignored events (their run applied nothing): after an upgrade that handles their type")
	var olderThan time.Duration
	var purgeDry bool
	purge := c.sub(cmd, cmdEvents, s, "purge --older-than D", "delete the payloads (envelope and data) of settled events received more than D ago, keeping their rows; what the worker's daily retention sweep does",
		cobra.NoArgs, func(ctx context.Context, _ *cobra.Command, _ []string) error {
			return c.eventsPurge(ctx, s, olderThan, purgeDry)
		})
	purge.Flags().DurationVar(&olderThan, "older-than", 0, "age of the payloads to delete, e.g. 720h (required)")
	purge.Flags().BoolVar(&purgeDry, "dry-run", false, "count what would be deleted, delete nothing")
	return cmd
}

func (c *cli) eventsPurge(ctx context.Context, s *settings, olderThan time.Duration, dryRun bool) error {
	if olderThan <= 0 {
		return usageError{errors.New("--older-than: required, a positive duration such as 720h")}
	}
	st, err := openCLIStore(ctx, s, c.getenv)
	if err != nil {
		return err
	}
	defer st.Close()
	cutoff := time.Now().Add(-olderThan)
	if dryRun {
		n, err := st.PurgeablePayloads(ctx, cutoff)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "would delete the payloads of %d events received before %s\n", n, cutoff.UTC().Format(time.RFC3339))
		return nil
	}
	n, err := st.PurgePayloads(ctx, cutoff, 1000)
	fmt.Fprintf(c.stdout, "deleted the payloads of %d events received before %s\n", n, cutoff.UTC().Format(time.RFC3339))
	return err
}

func (c *cli) eventsList(ctx context.Context, s *settings, f eventFilter, asJSON bool) error {
	filter, err := f.store()
	if err != nil {
		return err
	}
	st, err := openCLIStore(ctx, s, c.getenv)
	if err != nil {
		return err
	}
	defer st.Close()
	evs, err := st.ListEvents(ctx, filter)
	if err != nil {
		return err
	}
	return printEvents(c.stdout, evs, asJSON)
}

func (c *cli) eventsShow(ctx context.Context, s *settings, id string, asJSON bool) error {
	st, err := openCLIStore(ctx, s, c.getenv)
	if err != nil {
		return err
	}
	defer st.Close()
	ev, err := findEvent(ctx, st, id)
	if err != nil {
		return err
	}
	if err := printEvent(c.stdout, s, ev, asJSON); err != nil || asJSON || ev.Status != domain.StatusDispatched {
		return err
	}
	// A run in flight says where it is: its status query, and the
	// activity it is retrying with its attempts and last error.
	for _, line := range c.inFlight(ctx, s, ev.WorkflowID) {
		fmt.Fprintf(c.stdout, "  in flight    %s\n", line)
	}
	return nil
}

// inFlight asks a run in flight where it is; nothing when it cannot be
// asked (Temporal unreachable, the run closed meanwhile).
func (c *cli) inFlight(ctx context.Context, s *settings, workflowID string) []string {
	tc, err := dialTemporal(s, newLogger(io.Discard, "error"), nil)
	if err != nil {
		return nil
	}
	defer tc.Close()
	qctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	var lines []string
	var st workflows.RunStatus
	v, err := tc.QueryWorkflow(qctx, workflowID, "", workflows.StatusQuery)
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		// A run answers between workflow tasks: a task kept open (a local
		// activity retrying within it) or no worker polling delays it.
		lines = append(lines, "(no answer to the status query within 3s: the run is inside a workflow task, or no worker is polling)")
	case err == nil && v.Get(&st) == nil:
		line := st.Step
		if st.LastError != "" {
			line += ": " + st.LastError
		}
		lines = append(lines, line)
	}
	desc, err := tc.DescribeWorkflowExecution(qctx, workflowID, "")
	if err != nil {
		return lines
	}
	for _, pa := range desc.GetPendingActivities() {
		line := fmt.Sprintf("%s: attempt %d", pa.GetActivityType().GetName(), pa.GetAttempt())
		if max := pa.GetMaximumAttempts(); max > 0 {
			line += fmt.Sprintf(" of %d", max)
		}
		if f := pa.GetLastFailure(); f != nil {
			line += ", last error: " + f.GetMessage()
		}
		if next := pa.GetNextAttemptScheduleTime(); next != nil {
			line += ", next attempt in " + time.Until(next.AsTime()).Round(time.Second).String()
		}
		lines = append(lines, line)
	}
	return lines
}

// replayOptions are replay's own flags.
type replayOptions struct {
	dryRun, includeIgnored bool
}

func (c *cli) eventsReplay(ctx context.Context, s *settings, args []string, f eventFilter, o replayOptions) error {
	filter, err := f.store()
	if err != nil {
		return err
	}
	bulkOK := filter.Status == domain.StatusFailed || (filter.Status == domain.StatusIgnored && o.includeIgnored)
	if len(args) == 0 && !bulkOK {
		return usageError{fmt.Errorf("events replay needs an ID, or --status failed (or --status ignored --include-ignored)")}
	}
	st, err := openCLIStore(ctx, s, c.getenv)
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
	return c.replayAll(ctx, svc, evs, filter, o)
}

func (c *cli) replayOne(ctx context.Context, s *settings, st *store.Store, svc *lifecycle.Service, id string, o replayOptions) error {
	ev, err := findEvent(ctx, st, id)
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
	fmt.Fprintf(c.stdout, "replayed %s: run %s\n%s\n", ev.WorkflowID, runID, s.ui().Run(ev.WorkflowID, runID))
	return nil
}

func (c *cli) replayAll(ctx context.Context, svc *lifecycle.Service, evs []store.Event, filter store.EventFilter, o replayOptions) error {
	dryRun := o.dryRun
	fmt.Fprintf(c.stdout, "%d %s events since %s\n", len(evs), filter.Status, filter.Since.Format(time.RFC3339))
	ok, failed := 0, 0
	for i, ev := range evs {
		prefix := fmt.Sprintf("[%d/%d] %s", i+1, len(evs), ev.WorkflowID)
		if dryRun {
			fmt.Fprintf(c.stdout, "%s  would replay\n", prefix)
			continue
		}
		_, runID, err := svc.Rerun(ctx, ev.Provider, ev.EventID, o.includeIgnored)
		if err != nil {
			failed++
			fmt.Fprintf(c.stdout, "%s  not replayed: %v\n", prefix, err)
			continue
		}
		ok++
		fmt.Fprintf(c.stdout, "%s  started run %s\n", prefix, runID)
	}
	if dryRun {
		return nil
	}
	fmt.Fprintf(c.stdout, "replayed %d, not replayed %d\n", ok, failed)
	if failed > 0 {
		return fmt.Errorf("%d events not replayed", failed)
	}
	return nil
}

func findEvent(ctx context.Context, st *store.Store, id string) (store.Event, error) {
	if n, err := strconv.ParseInt(id, 10, 64); err == nil {
		return st.GetEvent(ctx, n)
	}
	provider, eventID, ok := strings.Cut(id, ":")
	if !ok {
		return store.Event{}, usageError{fmt.Errorf("event %q: want a row id or provider:event_id", id)}
	}
	return st.GetEventByKey(ctx, provider, eventID)
}

func printEvents(w io.Writer, evs []store.Event, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		for _, ev := range evs {
			if err := enc.Encode(eventJSON(ev, "")); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tRECEIVED\tPROVIDER\tTYPE\tEVENT ID\tSTATUS\tRUNS\tLAST ERROR")
	for _, ev := range evs {
		errText := ev.LastError.String
		if len(errText) > 60 {
			errText = errText[:57] + "..."
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", ev.ID, ev.ReceivedAt.Local().Format("2006-01-02 15:04:05"),
			ev.Provider, ev.EventType, ev.EventID, ev.Status, ev.Attempts, errText)
	}
	if len(evs) == 0 {
		fmt.Fprintln(tw, "(no events match)")
	}
	return tw.Flush()
}

func eventJSON(ev store.Event, runURL string) map[string]any {
	m := map[string]any{
		"id": ev.ID, "provider": ev.Provider, "event_id": ev.EventID, "event_type": ev.EventType,
		"status": ev.Status, "workflow_id": ev.WorkflowID, "run_id": ev.RunID.String, "runs": ev.Attempts,
		"last_error": ev.LastError.String, "received_at": ev.ReceivedAt,
	}
	if ev.OccurredAt.Valid {
		m["occurred_at"] = ev.OccurredAt.Time
	}
	if ev.ProcessedAt.Valid {
		m["processed_at"] = ev.ProcessedAt.Time
	}
	if runURL != "" {
		m["run_url"] = runURL
	}
	if len(ev.Payload) > 0 && string(ev.Payload) != "null" {
		m["payload"] = json.RawMessage(ev.Payload)
	}
	return m
}

func printEvent(w io.Writer, s *settings, ev store.Event, asJSON bool) error {
	url := ""
	if ev.RunID.Valid && ev.RunID.String != "" {
		url = s.ui().Run(ev.WorkflowID, ev.RunID.String)
	} else if ev.Status == domain.StatusDispatched {
		url = s.ui().Runs(ev.WorkflowID)
	}
	if asJSON {
		return json.NewEncoder(w).Encode(eventJSON(ev, url))
	}
	fmt.Fprintf(w, "event %d  %s %s  %s\n", ev.ID, ev.Provider, ev.EventType, ev.EventID)
	fmt.Fprintf(w, "  status       %s\n", ev.Status)
	fmt.Fprintf(w, "  runs         %d\n", ev.Attempts)
	fmt.Fprintf(w, "  received     %s\n", ev.ReceivedAt.Format(time.RFC3339))
	if ev.OccurredAt.Valid {
		fmt.Fprintf(w, "  occurred     %s\n", ev.OccurredAt.Time.Format(time.RFC3339))
	}
	if ev.ProcessedAt.Valid {
		fmt.Fprintf(w, "  processed    %s\n", ev.ProcessedAt.Time.Format(time.RFC3339))
	}
	fmt.Fprintf(w, "  workflow     %s\n", ev.WorkflowID)
	if url != "" {
		fmt.Fprintf(w, "  run          %s\n", url)
	}
	if ev.LastError.Valid {
		fmt.Fprintf(w, "  last error   %s\n", ev.LastError.String)
	}
	if ev.PayloadPurgedAt.Valid {
		fmt.Fprintf(w, "  envelope     deleted %s (payload retention); the row is the audit record, a replay is refused\n",
			ev.PayloadPurgedAt.Time.Format(time.RFC3339))
		return nil
	}
	var pretty strings.Builder
	var v any
	if json.Unmarshal(ev.Payload, &v) == nil {
		b, _ := json.MarshalIndent(v, "  ", "  ")
		pretty.Write(b)
	}
	fmt.Fprintf(w, "  envelope\n  %s\n", pretty.String())
	if ev.Status == domain.StatusFailed {
		fmt.Fprintf(w, "\n  replay: webhookd events replay %s:%s\n", ev.Provider, ev.EventID)
	}
	return nil
}
