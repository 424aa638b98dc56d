// Package temporalui builds links into the Temporal Web UI: where alerts,
// `webhookd events show` and replays send engineers to read a run.
package temporalui

import (
	"fmt"
	"net/url"
	"strings"
)

// UI is a Temporal Web UI and the namespace webhookd's runs live in.
type UI struct {
	Base      string // e.g. http://127.0.0.1:8233
	Namespace string
}

// Run links to a run's history.
func (u UI) Run(workflowID, runID string) string {
	return fmt.Sprintf("%s/namespaces/%s/workflows/%s/%s/history", strings.TrimRight(u.Base, "/"),
		url.PathEscape(u.Namespace), url.PathEscape(workflowID), url.PathEscape(runID))
}

// Runs links to the list of a workflow ID's runs, for an event whose run
// ID is not known (yet).
func (u UI) Runs(workflowID string) string {
	q := fmt.Sprintf("WorkflowId = %q", workflowID)
	return fmt.Sprintf("%s/namespaces/%s/workflows?query=%s", strings.TrimRight(u.Base, "/"), url.PathEscape(u.Namespace), url.QueryEscape(q))
}

// RunOrRuns is Run when runID is known, else Runs.
func (u UI) RunOrRuns(workflowID, runID string) string {
	if runID == "" {
		return u.Runs(workflowID)
	}
	return u.Run(workflowID, runID)
}
