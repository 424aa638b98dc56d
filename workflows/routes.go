package workflows

import (
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/webhookd/webhookd/activities"
	"github.com/webhookd/webhookd/alerts"
	"github.com/webhookd/webhookd/handler"
	"github.com/webhookd/webhookd/internal/domain"
)

// routesChange is the GetVersion change ID of starting the routes' child
// workflows; it is asked only for an event with routes. Version 2 checks
// on a handler that has not finished after Processor.RouteCheckAfter.
const (
	routesChange         = "routes"
	routesCheckedVersion = 2
)

// DefaultRouteCheckAfter is when a route's handler is first checked on
// (--alert-backlog-after's default); the checks then back off to hourly.
const DefaultRouteCheckAfter = 2 * time.Minute

// runRoutes starts each route of the event as a child workflow on the
// team's task queue, id {run's workflow id}/{route name}: a redelivery
// never starts a run, and a replay starts only a child that has not
// succeeded yet (the id of a child that completed is not reused; one that
// failed is). A route with wait (the default) must succeed for the event
// to; one without is abandoned to itself once it has started.
func (p Processor) runRoutes(ctx workflow.Context, ev event, in ProcessWebhookInput, version workflow.Version) error {
	info := workflow.GetInfo(ctx)
	userID, _ := workflow.GetTypedSearchAttributes(ctx).GetKeyword(UserIDKey)
	input := handler.Input{Version: handler.Version, Provider: in.Provider, EventID: in.EventID, EventType: in.EventType,
		OccurredAt: in.OccurredAt, ReceivedAt: in.ReceivedAt, Data: in.Data, Payload: in.Payload, UserID: userID}
	type started struct {
		name, taskQueue string
		wait            bool
		f               workflow.ChildWorkflowFuture
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
		children = append(children, started{r.Name, r.TaskQueue, !r.NoWait, workflow.ExecuteChildWorkflow(cctx, r.Workflow, input)})
	}
	ev.status.Step = fmt.Sprintf("running %d route(s)", len(children))
	var errs []error
	alerted := false
	for _, c := range children {
		var exec workflow.Execution
		err := c.f.GetChildWorkflowExecution().Get(ctx, &exec)
		switch {
		case err != nil || !c.wait:
		case version >= routesCheckedVersion:
			err = p.awaitRoute(ctx, ev, in, c.f, activities.RouteCheck{Route: c.name, TaskQueue: c.taskQueue,
				WorkflowID: exec.ID, RunID: exec.RunID}, &alerted)
		default:
			err = c.f.Get(ctx, nil)
		}
		if err != nil && !temporal.IsWorkflowExecutionAlreadyStartedError(err) {
			errs = append(errs, fmt.Errorf("route %s: %w", c.name, err))
		}
	}
	return errors.Join(errs...)
}

// awaitRoute waits for a route's child. A child still running after
// RouteCheckAfter is checked on, then again at doubling intervals up to
// hourly, until its handler has been seen to run:
//   - nobody polls its task queue: the event's incident opens (once per
//     event, the event's last error says why it waits), and it resolves
//     when the event succeeds, as a backlog does;
//   - its first workflow task fails (a workflow type no worker of the
//     queue registers, a handler that panics at once): the child has been
//     terminated and the route fails with Temporal's error;
//   - it runs: the wait goes on with no more checks.
func (p Processor) awaitRoute(ctx workflow.Context, ev event, in ProcessWebhookInput, f workflow.ChildWorkflowFuture, check activities.RouteCheck, alerted *bool) error {
	after := p.RouteCheckAfter
	if after <= 0 {
		after = DefaultRouteCheckAfter
	}
	for {
		tctx, cancel := workflow.WithCancel(ctx)
		done := false
		sel := workflow.NewSelector(ctx)
		sel.AddFuture(f, func(workflow.Future) { done = true })
		sel.AddFuture(workflow.NewTimer(tctx, after), func(workflow.Future) {})
		sel.Select(ctx)
		if done {
			cancel()
			return f.Get(ctx, nil)
		}
		var st activities.RouteState
		cctx := summarized(workflow.WithActivityOptions(ctx, bookkeeping), "check on route "+check.Route)
		if err := workflow.ExecuteActivity(cctx, a.CheckRoute, check).Get(ctx, &st); err != nil {
			workflow.GetLogger(ctx).Warn("route not checked", "route", check.Route, "error", err)
		}
		switch st.State {
		case activities.RouteRunning, activities.RouteClosed:
			return f.Get(ctx, nil)
		case activities.RouteCannotStart:
			msg := fmt.Sprintf("route %s: its handler cannot start on task queue %s: %s", check.Route, check.TaskQueue, st.Error)
			return temporal.NewNonRetryableApplicationError(msg, "RouteCannotStart", nil)
		case activities.RouteUnpolled:
			if !*alerted {
				*alerted = true
				p.reportWaiting(ctx, ev, in, fmt.Sprintf("route %s: nobody polls task queue %s; the handler runs once a worker does", check.Route, check.TaskQueue))
			}
		}
		after = min(after*2, time.Hour)
	}
}

// reportWaiting opens the incident of an event whose route waits for a
// worker, and records why on the event: when the event succeeds, the
// recorded error makes its success a recovery of that incident.
func (p Processor) reportWaiting(ctx workflow.Context, ev event, in ProcessWebhookInput, msg string) {
	ev.status.LastError = msg
	workflow.GetLogger(ctx).Warn("route waits for a worker", "error", msg)
	info := workflow.GetInfo(ctx)
	bctx := workflow.WithActivityOptions(ctx, bookkeeping)
	if err := workflow.ExecuteActivity(summarized(bctx, "alert on-call: route waits"), a.SendAlert, alerts.Failure{
		Provider: in.Provider, EventType: in.EventType, EventID: in.EventID,
		WorkflowID: info.WorkflowExecution.ID, RunID: info.WorkflowExecution.RunID, Error: msg,
	}).Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Error("alert not sent", "error", err)
	}
	if _, err := finish(ctx, in, domain.StatusDispatched, msg); err != nil {
		workflow.GetLogger(ctx).Error("waiting route not recorded", "error", err)
	}
}
