package runs

import (
	"context"
	"errors"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/webhookd/webhookd/activities"
)

// RouteChecker tells what a route's child run is doing (activities.RouteChecker).
type RouteChecker struct {
	Client client.Client
	// Failures decodes the handler's failure (the codec's, when payloads
	// are encrypted: a handler using it sends its failures encoded).
	Failures converter.FailureConverter
}

// maxHistoryScan bounds how many events of a child's history a check reads
// to find whether its handler has run: the first workflow task is among
// the first few events.
const maxHistoryScan = 100

// CheckRoute reads the child's history for its first workflow task's fate
// and, if none has run, the pollers of its task queue. A child whose first
// workflow task failed is terminated with that failure as the reason (a
// workflow type nobody on the queue registers fails every attempt), so
// that the route fails instead of waiting forever; `events replay` starts
// it again once the handler is deployed.
func (r *RouteChecker) CheckRoute(ctx context.Context, c activities.RouteCheck) (activities.RouteState, error) {
	desc, err := r.Client.DescribeWorkflowExecution(ctx, c.WorkflowID, c.RunID)
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return activities.RouteState{State: activities.RouteClosed}, nil
	}
	if err != nil {
		return activities.RouteState{}, fmt.Errorf("check route %s: %w", c.Route, err)
	}
	if desc.GetWorkflowExecutionInfo().GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		return activities.RouteState{State: activities.RouteClosed}, nil
	}
	failure := ""
	it := r.Client.GetWorkflowHistory(ctx, c.WorkflowID, c.RunID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for n := 0; it.HasNext() && n < maxHistoryScan; n++ {
		ev, err := it.Next()
		if err != nil {
			return activities.RouteState{}, fmt.Errorf("check route %s: history: %w", c.Route, err)
		}
		switch ev.GetEventType() {
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
			return activities.RouteState{State: activities.RouteRunning}, nil
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED:
			attrs := ev.GetWorkflowTaskFailedEventAttributes()
			failure = attrs.GetFailure().GetMessage()
			if r.Failures != nil && attrs.GetFailure() != nil {
				failure = r.Failures.FailureToError(attrs.GetFailure()).Error()
			}
			if failure == "" {
				failure = ev.GetWorkflowTaskFailedEventAttributes().GetCause().String()
			}
		}
	}
	if failure != "" {
		reason := "webhookd: the handler cannot start: " + failure
		if err := r.Client.TerminateWorkflow(ctx, c.WorkflowID, c.RunID, reason); err != nil && !errors.As(err, &notFound) {
			return activities.RouteState{}, fmt.Errorf("check route %s: terminate: %w", c.Route, err)
		}
		return activities.RouteState{State: activities.RouteCannotStart, Error: failure}, nil
	}
	tq, err := r.Client.DescribeTaskQueue(ctx, c.TaskQueue, enumspb.TASK_QUEUE_TYPE_WORKFLOW)
	if err != nil {
		return activities.RouteState{}, fmt.Errorf("check route %s: task queue %s: %w", c.Route, c.TaskQueue, err)
	}
	if len(tq.GetPollers()) == 0 {
		return activities.RouteState{State: activities.RouteUnpolled}, nil
	}
	return activities.RouteState{State: activities.RouteWaiting}, nil
}
