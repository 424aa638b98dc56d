package workflows

import (
	"errors"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/webhookd/webhookd/handler"
)

// routesChange is the GetVersion change ID of starting the routes' child
// workflows; it is asked only for an event with routes.
const routesChange = "routes"

// runRoutes starts each route of the event as a child workflow on the
// team's task queue, id {run's workflow id}/{route name}: a redelivery
// never starts a run, and a replay starts only a child that has not
// succeeded yet (the id of a child that completed is not reused; one that
// failed is). A route with wait (the default) must succeed for the event
// to; one without is abandoned to itself once it has started.
func runRoutes(ctx workflow.Context, ev event, in ProcessWebhookInput) error {
	info := workflow.GetInfo(ctx)
	userID, _ := workflow.GetTypedSearchAttributes(ctx).GetKeyword(UserIDKey)
	input := handler.Input{Version: handler.Version, Provider: in.Provider, EventID: in.EventID, EventType: in.EventType,
		OccurredAt: in.OccurredAt, ReceivedAt: in.ReceivedAt, Data: in.Data, Payload: in.Payload, UserID: userID}
	type started struct {
		name string
		wait bool
		f    workflow.ChildWorkflowFuture
	}
	var children []started
	for _, r := range in.Routes {
		policy := enumspb.PARENT_CLOSE_POLICY_TERMINATE
		if r.NoWait {
			policy = enumspb.PARENT_CLOSE_POLICY_ABANDON
		}
		cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
			WorkflowID:            info.WorkflowExecution.ID + "/" + r.Name,
			TaskQueue:             r.TaskQueue,
			WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
			ParentClosePolicy:     policy,
			StaticSummary:         "route " + r.Name + ": " + in.Provider + " " + in.EventType,
		})
		children = append(children, started{r.Name, !r.NoWait, workflow.ExecuteChildWorkflow(cctx, r.Workflow, input)})
	}
	ev.status.Step = fmt.Sprintf("running %d route(s)", len(children))
	var errs []error
	for _, c := range children {
		err := c.f.GetChildWorkflowExecution().Get(ctx, nil)
		if err == nil && c.wait {
			err = c.f.Get(ctx, nil)
		}
		if err != nil && !temporal.IsWorkflowExecutionAlreadyStartedError(err) {
			errs = append(errs, fmt.Errorf("route %s: %w", c.name, err))
		}
	}
	return errors.Join(errs...)
}
