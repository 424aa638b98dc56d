// Package eventlog is the event log as people and programs read it: the
// table of `events list`, the text and JSON of `events show`, and how an
// event is named on a command line (a row id or provider:event_id).
package eventlog

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

	"github.com/webhookd/webhookd/internal/domain"
	"github.com/webhookd/webhookd/internal/store"
	"github.com/webhookd/webhookd/internal/temporalui"
)

// ErrBadRef: a reference that is neither a row id nor provider:event_id.
var ErrBadRef = errors.New("want a row id or provider:event_id")

// Find is the event a reference names: a row id, or provider:event_id.
func Find(ctx context.Context, st *store.Store, ref string) (store.Event, error) {
	if n, err := strconv.ParseInt(ref, 10, 64); err == nil {
		return st.GetEvent(ctx, n)
	}
	provider, eventID, ok := strings.Cut(ref, ":")
	if !ok {
		return store.Event{}, fmt.Errorf("event %q: %w", ref, ErrBadRef)
	}
	return st.GetEventByKey(ctx, provider, eventID)
}

// RunURL is the UI page of the event's run: its last run, or the list of
// its runs while it is dispatched without one; "" otherwise.
func RunURL(ui temporalui.UI, ev store.Event) string {
	switch {
	case ev.RunID.Valid && ev.RunID.String != "":
		return ui.Run(ev.WorkflowID, ev.RunID.String)
	case ev.Status == domain.StatusDispatched:
		return ui.Runs(ev.WorkflowID)
	}
	return ""
}

// WriteList writes events as a table, or as JSON lines.
func WriteList(w io.Writer, evs []store.Event, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		for _, ev := range evs {
			if err := enc.Encode(JSON(ev, "")); err != nil {
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
			Printable(ev.Provider), Printable(ev.EventType), Printable(ev.EventID), ev.Status, ev.Attempts, Printable(errText))
	}
	if len(evs) == 0 {
		fmt.Fprintln(tw, "(no events match)")
	}
	return tw.Flush()
}

// JSON is one event as `events show --json` and `events list --json`
// print it.
func JSON(ev store.Event, runURL string) map[string]any {
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
	if ev.UserID.Valid {
		m["user_id"] = ev.UserID.String
	}
	if len(ev.Payload) > 0 && string(ev.Payload) != "null" {
		m["payload"] = json.RawMessage(ev.Payload)
	}
	return m
}

// WriteEvent writes one event as text: its row, its run and its envelope.
func WriteEvent(w io.Writer, ev store.Event, runURL string) {
	fmt.Fprintf(w, "event %d  %s %s  %s\n", ev.ID, Printable(ev.Provider), Printable(ev.EventType), Printable(ev.EventID))
	fmt.Fprintf(w, "  status       %s\n", ev.Status)
	fmt.Fprintf(w, "  runs         %d\n", ev.Attempts)
	fmt.Fprintf(w, "  received     %s\n", ev.ReceivedAt.Format(time.RFC3339))
	if ev.OccurredAt.Valid {
		fmt.Fprintf(w, "  occurred     %s\n", ev.OccurredAt.Time.Format(time.RFC3339))
	}
	if ev.ProcessedAt.Valid {
		fmt.Fprintf(w, "  processed    %s\n", ev.ProcessedAt.Time.Format(time.RFC3339))
	}
	fmt.Fprintf(w, "  workflow     %s\n", Printable(ev.WorkflowID))
	if runURL != "" {
		fmt.Fprintf(w, "  run          %s\n", runURL)
	}
	if ev.LastError.Valid {
		fmt.Fprintf(w, "  last error   %s\n", Printable(ev.LastError.String))
	}
	if ev.PayloadPurgedAt.Valid {
		fmt.Fprintf(w, "  envelope     deleted %s (payload retention); the row is the audit record, a replay is refused\n",
			ev.PayloadPurgedAt.Time.Format(time.RFC3339))
		return
	}
	var pretty strings.Builder
	var v any
	if json.Unmarshal(ev.Payload, &v) == nil {
		b, _ := json.MarshalIndent(v, "  ", "  ")
		pretty.Write(b)
	}
	fmt.Fprintf(w, "  envelope\n  %s\n", Printable(pretty.String()))
	if ev.Status == domain.StatusFailed {
		fmt.Fprintf(w, "\n  replay: webhookd events replay %s:%s\n", Printable(ev.Provider), Printable(ev.EventID))
	}
}
