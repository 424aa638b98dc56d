// Package workflows holds ProcessWebhook, the Temporal workflow that applies
// one webhook event, and Incident, which groups failures for on-call, with
// the names the Temporal side shares: the task queue, the search attributes
// and the start options (the workflow ID is lifecycle.WorkflowID).
package workflows

import (
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/webhookd/webhookd/internal/domain"
	"github.com/webhookd/webhookd/internal/lifecycle"
)

// TaskQueue is the task queue webhook workflows and activities run on.
const TaskQueue = "webhooks"

// Search attributes of every run, so engineers can filter runs in the UI:
// WebhookProvider = "dodo" AND ExecutionStatus = "Failed", or every run of
// one user: WebhookUserID = "usr_123". The provider and type are set at the
// start; the customer id and the user id too when the event names them,
// else the user id is set by the run once it has resolved the user.
// They hold ids and types only, never personal data: they are stored in
// Temporal's visibility store unencrypted.
var (
	ProviderKey   = temporal.NewSearchAttributeKeyKeyword("WebhookProvider")
	EventTypeKey  = temporal.NewSearchAttributeKeyKeyword("WebhookEventType")
	UserIDKey     = temporal.NewSearchAttributeKeyKeyword("WebhookUserID")
	CustomerIDKey = temporal.NewSearchAttributeKeyKeyword("WebhookCustomerID")
)

// SearchAttributeNames lists the keyword attributes to register on a
// namespace, in the order a new namespace takes them (the SQL visibility
// store indexes the first four keyword columns).
func SearchAttributeNames() []string {
	return []string{ProviderKey.GetName(), EventTypeKey.GetName(), UserIDKey.GetName(), CustomerIDKey.GetName()}
}

// StartOptions are the options every start of ProcessWebhook uses, from the
// ingress, the sweep and `events replay` alike: the ID, the search
// attributes and the summary the UI lists. A start for an ID that
// already ran fails with *serviceerror.WorkflowExecutionAlreadyStarted unless
// the earlier run failed: a failed event may run again (replay, redelivery),
// a succeeded one never.
func StartOptions(in ProcessWebhookInput) client.StartWorkflowOptions {
	attrs := []temporal.SearchAttributeUpdate{ProviderKey.ValueSet(in.Provider), EventTypeKey.ValueSet(in.EventType)}
	var c domain.Customer
	if in.Domain != nil {
		c = domain.CustomerOf(in.Domain.Event)
	}
	if c.UserID != "" {
		attrs = append(attrs, UserIDKey.ValueSet(domain.Keyword(c.UserID)))
	}
	if c.CustomerID != "" {
		attrs = append(attrs, CustomerIDKey.ValueSet(domain.Keyword(c.CustomerID)))
	}
	opts := client.StartWorkflowOptions{
		ID:                                       lifecycle.WorkflowID(in.Provider, in.EventID),
		TaskQueue:                                TaskQueue,
		WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
		WorkflowIDConflictPolicy:                 enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		TypedSearchAttributes:                    temporal.NewSearchAttributes(attrs...),
	}
	opts.StaticSummary, opts.StaticDetails = Summary(in)
	return opts
}
