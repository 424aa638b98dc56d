// Package github is the example handler of a webhookd route: a Temporal
// workflow that receives GitHub events (handler.Input) and reads a push.
package github

import (
	"encoding/json"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/webhookd/webhookd/handler"
)

// WorkflowType is the name the route's `workflow:` gives.
const WorkflowType = "HandleGitHubEvent"

// PushResult is what the handler made of a push.
type PushResult struct {
	Ref     string `json:"ref"`
	Pusher  string `json:"pusher"`
	Commits int    `json:"commits"`
}

// HandleGitHubEvent logs the pusher and the commit count of a push; other
// event types are left alone.
func HandleGitHubEvent(ctx workflow.Context, in handler.Input) (PushResult, error) {
	if in.EventType != "push" {
		return PushResult{}, nil
	}
	var push struct {
		Ref    string `json:"ref"`
		Pusher struct {
			Name string `json:"name"`
		} `json:"pusher"`
		Commits []json.RawMessage `json:"commits"`
	}
	if err := json.Unmarshal(in.Payload, &push); err != nil {
		// Retrying cannot make it readable: fail the event once.
		return PushResult{}, temporal.NewNonRetryableApplicationError("push payload: "+err.Error(), "BadPush", nil)
	}
	res := PushResult{Ref: push.Ref, Pusher: push.Pusher.Name, Commits: len(push.Commits)}
	workflow.GetLogger(ctx).Info("push", "event_id", in.EventID, "ref", res.Ref, "pusher", res.Pusher, "commits", res.Commits)
	return res, nil
}
