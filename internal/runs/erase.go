package runs

import (
	"context"
	"errors"
	"fmt"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/webhookd/webhookd/internal/domain"
)

// Eraser deletes a person's runs from Temporal: their histories hold the
// events' data (encrypted or not) for the namespace's retention.
type Eraser struct {
	Client    client.Client
	Namespace string
}

// visibilityString quotes s for a visibility query.
func visibilityString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// runsOf lists the runs a visibility query matches.
func (e *Eraser) runsOf(ctx context.Context, query string) ([]*commonpb.WorkflowExecution, error) {
	var out []*commonpb.WorkflowExecution
	var token []byte
	for {
		resp, err := e.Client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: e.Namespace, Query: query, NextPageToken: token})
		if err != nil {
			return nil, fmt.Errorf("runs: list %s: %w", query, err)
		}
		for _, info := range resp.GetExecutions() {
			out = append(out, info.GetExecution())
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			return out, nil
		}
	}
}

// EraseUser deletes every run tagged with the user (WebhookUserID) and
// every run of the workflow ids given (the user's events in the database),
// and returns how many runs it deleted and the workflow ids Temporal tied
// to the user. A run already gone counts as deleted.
func (e *Eraser) EraseUser(ctx context.Context, userID string, workflowIDs []string) (int, []string, error) {
	tagged, err := e.runsOf(ctx, "WebhookUserID = "+visibilityString(domain.Keyword(userID)))
	if err != nil {
		return 0, nil, err
	}
	all := tagged
	for _, id := range workflowIDs {
		runs, err := e.runsOf(ctx, "WorkflowId = "+visibilityString(id))
		if err != nil {
			return 0, nil, err
		}
		all = append(all, runs...)
	}
	seen := map[string]bool{}
	var ids []string
	for _, ex := range tagged {
		if !seen[ex.GetWorkflowId()] {
			seen[ex.GetWorkflowId()] = true
			ids = append(ids, ex.GetWorkflowId())
		}
	}
	deleted, done := 0, map[string]bool{}
	for _, ex := range all {
		key := ex.GetWorkflowId() + "/" + ex.GetRunId()
		if done[key] {
			continue
		}
		done[key] = true
		_, err := e.Client.WorkflowService().DeleteWorkflowExecution(ctx, &workflowservice.DeleteWorkflowExecutionRequest{
			Namespace: e.Namespace, WorkflowExecution: ex})
		var notFound *serviceerror.NotFound
		if err != nil && !errors.As(err, &notFound) {
			return deleted, ids, fmt.Errorf("runs: delete %s: %w", ex.GetWorkflowId(), err)
		}
		deleted++
	}
	return deleted, ids, nil
}
