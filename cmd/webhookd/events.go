package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/webhookd/webhookd/alerts"
	"github.com/webhookd/webhookd/internal/dispatch"
	"github.com/webhookd/webhookd/internal/store"
)

const eventsUsage = `Usage:
  webhookd events list [--provider P] [--type T] [--status S] [--since 24h] [--limit N] [--json]
  webhookd events show ID                  ID is the row id or provider:event_id
  webhookd events replay ID
  webhookd events replay --status failed --since 24h [--provider P] [--type T] [--dry-run]
`

func runEvents(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, eventsUsage)
		return fmt.Errorf("%w: events needs list, show or replay", errUsage)
	}
	var s settings
	groups := fData | fDB | fTemporal | fProviders
	fs, b := newFlags("events "+args[0], groups, &s, getenv, stderr)
	provider := fs.String("provider", "", "only this provider")
	eventType := fs.String("type", "", "only this event type")
	status := fs.String("status", "", "only this status: received, dispatched, succeeded, failed, ignored")
	since := fs.Duration("since", 24*time.Hour, "only events received within this window")
	limit := fs.Int("limit", 50, "at most this many events")
	asJSON := fs.Bool("json", false, "print JSON lines instead of a table")
	dryRun := fs.Bool("dry-run", false, "replay: list what would run, start nothing")
	fs.Usage = func() { fmt.Fprint(stderr, eventsUsage); fs.PrintDefaults() }
	sub := args[0]
	if err := b.parse(interleave(fs, args[1:]), &s); err != nil {
		return err
	}
	applyDevState(&s, getenv)
	st, err := openStore(ctx, &s)
	if err != nil {
		return err
	}
	defer st.Close()
	filter := store.EventFilter{Provider: *provider, Type: *eventType, Status: *status, Since: time.Now().Add(-*since), Limit: *limit}

	switch sub {
	case "list":
		evs, err := st.ListEvents(ctx, filter)
		if err != nil {
			return err
		}
		return printEvents(stdout, evs, *asJSON)
	case "show":
		if fs.NArg() != 1 {
			return fmt.Errorf("%w: events show needs one ID", errUsage)
		}
		ev, err := findEvent(ctx, st, fs.Arg(0))
		if err != nil {
			return err
		}
		return printEvent(stdout, &s, ev, *asJSON)
	case "replay":
		providers, err := s.providers(true, getenv)
		if err != nil {
			return err
		}
		c, err := dialTemporal(&s, newLogger(stderr, "warn"), nil)
		if err != nil {
			return err
		}
		defer c.Close()
		d := &dispatch.Dispatcher{Client: c, Providers: providers}
		if fs.NArg() == 1 {
			ev, err := findEvent(ctx, st, fs.Arg(0))
			if err != nil {
				return err
			}
			if *dryRun {
				fmt.Fprintf(stdout, "would replay %s (%s)\n", ev.WorkflowID, ev.Status)
				return nil
			}
			runID, err := replay(ctx, st, d, ev)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "replayed %s: run %s\n%s\n", ev.WorkflowID, runID, alerts.RunURL(s.TemporalUIURL, s.TemporalNamespace, ev.WorkflowID, runID))
			return nil
		}
		if *status == "" {
			return fmt.Errorf("%w: events replay needs an ID or --status failed", errUsage)
		}
		if *status != store.StatusFailed {
			return fmt.Errorf("--status %s: only failed events can be replayed", *status)
		}
		filter.Limit = 10000
		evs, err := st.ListEvents(ctx, filter)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%d failed events since %s\n", len(evs), filter.Since.Format(time.RFC3339))
		ok, failed := 0, 0
		for i, ev := range evs {
			prefix := fmt.Sprintf("[%d/%d] %s", i+1, len(evs), ev.WorkflowID)
			if *dryRun {
				fmt.Fprintf(stdout, "%s  would replay\n", prefix)
				continue
			}
			runID, err := replay(ctx, st, d, ev)
			if err != nil {
				failed++
				fmt.Fprintf(stdout, "%s  not replayed: %v\n", prefix, err)
				continue
			}
			ok++
			fmt.Fprintf(stdout, "%s  started run %s\n", prefix, runID)
		}
		if !*dryRun {
			fmt.Fprintf(stdout, "replayed %d, not replayed %d\n", ok, failed)
		}
		if failed > 0 {
			return fmt.Errorf("%d events not replayed", failed)
		}
		return nil
	default:
		fmt.Fprint(stderr, eventsUsage)
		return fmt.Errorf("%w: events %q: want list, show or replay", errUsage, sub)
	}
}

// interleave lets flags follow the positional ID (events show 12 --json).
func interleave(fs *flag.FlagSet, args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			pos = append(pos, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		if f := fs.Lookup(name); f != nil {
			if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && bf.IsBoolFlag() {
				continue
			}
			if i+1 < len(args) {
				flags = append(flags, args[i+1])
				i++
			}
		}
	}
	return append(flags, pos...)
}

func findEvent(ctx context.Context, st *store.Store, id string) (store.Event, error) {
	if n, err := strconv.ParseInt(id, 10, 64); err == nil {
		return st.GetEvent(ctx, n)
	}
	provider, eventID, ok := strings.Cut(id, ":")
	if !ok {
		return store.Event{}, fmt.Errorf("event %q: want a row id or provider:event_id", id)
	}
	return st.GetEventByKey(ctx, provider, eventID)
}

// replay starts a new run of a failed (or never dispatched) event.
func replay(ctx context.Context, st *store.Store, d *dispatch.Dispatcher, ev store.Event) (string, error) {
	switch ev.Status {
	case store.StatusSucceeded, store.StatusIgnored:
		return "", fmt.Errorf("event %s %s: only failed events are replayed; a replay would apply it twice", ev.WorkflowID, ev.Status)
	case store.StatusDispatched:
		return "", fmt.Errorf("event %s is still running (dispatched); replay it once it has failed", ev.WorkflowID)
	case store.StatusFailed:
		won, err := st.ClaimRerun(ctx, ev.Provider, ev.EventID)
		if err != nil {
			return "", err
		}
		if !won {
			return "", fmt.Errorf("event %s was replayed by someone else just now", ev.WorkflowID)
		}
	}
	if len(ev.Payload) == 0 || string(ev.Payload) == "null" { // list rows carry no payload
		full, err := st.GetEventByKey(ctx, ev.Provider, ev.EventID)
		if err != nil {
			return "", err
		}
		ev.Payload = full.Payload
	}
	runID, err := d.Start(ctx, ev)
	if errors.Is(err, dispatch.ErrAlreadyStarted) {
		return "", fmt.Errorf("event %s: Temporal has a run that did not fail; not replayed", ev.WorkflowID)
	}
	if err != nil {
		return "", fmt.Errorf("%w (the event is queued: the dispatcher starts it when Temporal is back)", err)
	}
	if err := st.MarkDispatched(ctx, ev.Provider, ev.EventID, runID); err != nil {
		return runID, err
	}
	return runID, nil
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
		url = alerts.RunURL(s.TemporalUIURL, s.TemporalNamespace, ev.WorkflowID, ev.RunID.String)
	} else if ev.Status == store.StatusDispatched {
		url = alerts.RunsURL(s.TemporalUIURL, s.TemporalNamespace, ev.WorkflowID)
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
	var pretty strings.Builder
	var v any
	if json.Unmarshal(ev.Payload, &v) == nil {
		b, _ := json.MarshalIndent(v, "  ", "  ")
		pretty.Write(b)
	}
	fmt.Fprintf(w, "  envelope\n  %s\n", pretty.String())
	if ev.Status == store.StatusFailed {
		fmt.Fprintf(w, "\n  replay: webhookd events replay %s:%s\n", ev.Provider, ev.EventID)
	}
	return nil
}
