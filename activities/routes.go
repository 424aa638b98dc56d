package activities

import (
	"context"
	"errors"
)

// RouteCheck names a route's child run to check on.
type RouteCheck struct {
	Route, TaskQueue  string
	WorkflowID, RunID string
}

// What a route's handler is doing (RouteState.State).
const (
	// RouteRunning: its handler has run a workflow task; how long it then
	// takes is its own business.
	RouteRunning = "running"
	// RouteClosed: the child has finished since.
	RouteClosed = "closed"
	// RouteUnpolled: no worker polls its task queue.
	RouteUnpolled = "unpolled"
	// RouteCannotStart: a worker polls its task queue but fails its first
	// workflow task (Error says why: an unregistered workflow type, a
	// handler that panics at once); the child has been terminated.
	RouteCannotStart = "cannot-start"
	// RouteWaiting: polled, not picked up yet (a busy worker).
	RouteWaiting = "waiting"
)

// RouteState is what CheckRoute found.
type RouteState struct {
	State string
	// Error is the handler's first workflow task failure (RouteCannotStart).
	Error string `json:",omitempty"`
}

// RouteChecker reads a route's child run and its task queue in Temporal.
type RouteChecker interface {
	CheckRoute(ctx context.Context, c RouteCheck) (RouteState, error)
}

// CheckRoute tells the workflow what a route's handler is doing.
func (a *Activities) CheckRoute(ctx context.Context, c RouteCheck) (RouteState, error) {
	if a.Routes == nil {
		return RouteState{}, errors.New("check route: this worker has no route checker")
	}
	return a.Routes.CheckRoute(ctx, c)
}
