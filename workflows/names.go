// Package workflows holds ProcessWebhook, the Temporal workflow that applies
// one webhook event, with the names every other package shares: the task
// queue, the workflow ID scheme, the search attributes and the start options.
package workflows

import (
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

// TaskQueue is the task queue webhook workflows and activities run on.
const TaskQueue = "webhooks"

// Search attributes set on every run so engineers can filter runs in the UI:
// WebhookProvider = "dodo" AND ExecutionStatus = "Failed".
var (
	ProviderKey  = temporal.NewSearchAttributeKeyKeyword("WebhookProvider")
	EventTypeKey = temporal.NewSearchAttributeKeyKeyword("WebhookEventType")
)

// SearchAttributeNames lists the keyword attributes to register on a namespace.
func SearchAttributeNames() []string {
	return []string{ProviderKey.GetName(), EventTypeKey.GetName()}
}

// WorkflowID is the ID of the run for one provider event. It is the
// idempotency key: Temporal allows one open run per ID, so a duplicate
// delivery cannot start a second run.
func WorkflowID(provider, eventID string) string {
	return provider + ":" + eventID
}

// StartOptions are the options every start of ProcessWebhook uses, from the
// ingress, the sweep and `events replay` alike. A start for an ID that
// already ran fails with *serviceerror.WorkflowExecutionAlreadyStarted unless
// the earlier run failed: a failed event may run again (replay, redelivery),
// a succeeded one never.
func StartOptions(provider, eventID, eventType string) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID:                                       WorkflowID(provider, eventID),
		TaskQueue:                                TaskQueue,
		WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
		WorkflowIDConflictPolicy:                 enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			ProviderKey.ValueSet(provider),
			EventTypeKey.ValueSet(eventType),
		),
	}
}
