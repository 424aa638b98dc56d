package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/webhookd/webhookd/internal/provider"
	"github.com/webhookd/webhookd/internal/store"
	"github.com/webhookd/webhookd/workflows"
)

// Temporal starts ProcessWebhook runs on a Temporal client.
type Temporal struct {
	Client client.Client
	Retry  workflows.RetryConfig
}

// Input is the workflow input for a recorded event: its data object as the
// ingress stored it, and that data as a domain event of the provider's
// format.
func (t *Temporal) Input(ev store.Event) workflows.ProcessWebhookInput {
	in := workflows.ProcessWebhookInput{
		Provider: ev.Provider, EventID: ev.EventID, EventType: ev.EventType,
		OccurredAt: ev.ReceivedAt.UTC(), Data: ev.Data, Retry: t.Retry,
	}
	if string(in.Data) == "null" {
		in.Data = nil // the envelope has no data object
	}
	if ev.OccurredAt.Valid {
		in.OccurredAt = ev.OccurredAt.Time.UTC()
	}
	in.Normalize(specOf(ev))
	return in
}

// specOf is the provider's format settings recorded with the event. An
// event recorded before they were kept is read as its built-in provider's
// format (dodo, resend), else the generic shapes.
func specOf(ev store.Event) provider.Spec {
	var spec provider.Spec
	if len(ev.Format) > 0 && json.Unmarshal(ev.Format, &spec) == nil && spec.Format != "" {
		return spec
	}
	for _, p := range provider.DevProviders() {
		if p.Name == ev.Provider {
			return p.Spec()
		}
	}
	return provider.Spec{Format: "generic"}
}

// Start starts the event's run and returns its run ID, or ErrAlreadyStarted.
//
// A failed event marks itself failed just before its run closes, so a
// replay or redelivery can arrive while that run is still open. When the
// open run is the event's last recorded run, Start waits (within ctx) for
// it to close and starts again, instead of mistaking it for a duplicate.
func (t *Temporal) Start(ctx context.Context, ev store.Event) (string, error) {
	runID, err := t.start(ctx, ev)
	if !errors.Is(err, ErrAlreadyStarted) || !ev.RunID.Valid || ev.RunID.String == "" {
		return runID, err
	}
	current, err := t.Current(ctx, ev)
	if err != nil {
		return "", err
	}
	if current != ev.RunID.String {
		return "", ErrAlreadyStarted // another run than the event's last: a genuine duplicate
	}
	// The event's last run was still open at the start (it may have closed
	// since). Wait for it to close; its error is the failure we know of.
	_ = t.Client.GetWorkflow(ctx, ev.WorkflowID, ev.RunID.String).Get(ctx, nil)
	if ctx.Err() != nil {
		return "", fmt.Errorf("events: %s: the previous run has not closed yet: %w", ev.WorkflowID, ctx.Err())
	}
	return t.start(ctx, ev)
}

// Restart starts a new run of an event whose last run closed without
// failing: the workflow ID's reuse policy allows it this once.
func (t *Temporal) Restart(ctx context.Context, ev store.Event) (string, error) {
	return t.startWith(ctx, ev, enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE)
}

func (t *Temporal) start(ctx context.Context, ev store.Event) (string, error) {
	return t.startWith(ctx, ev, enumspb.WORKFLOW_ID_REUSE_POLICY_UNSPECIFIED)
}

// startWith starts the run; reuse, when set, overrides the ID reuse policy.
func (t *Temporal) startWith(ctx context.Context, ev store.Event, reuse enumspb.WorkflowIdReusePolicy) (string, error) {
	in := t.Input(ev)
	opts := workflows.StartOptions(in)
	if reuse != enumspb.WORKFLOW_ID_REUSE_POLICY_UNSPECIFIED {
		opts.WorkflowIDReusePolicy = reuse
	}
	run, err := t.Client.ExecuteWorkflow(ctx, opts, workflows.ProcessWebhook, in)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		return "", ErrAlreadyStarted
	}
	if err != nil {
		return "", fmt.Errorf("events: start %s: %w", ev.WorkflowID, err)
	}
	return run.GetRunID(), nil
}

// Current returns the run ID of the event's workflow (its latest run), ""
// when Temporal has none.
func (t *Temporal) Current(ctx context.Context, ev store.Event) (string, error) {
	desc, err := t.Client.DescribeWorkflowExecution(ctx, ev.WorkflowID, "")
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("events: describe %s: %w", ev.WorkflowID, err)
	}
	return desc.GetWorkflowExecutionInfo().GetExecution().GetRunId(), nil
}

// Ping checks that Temporal answers.
func (t *Temporal) Ping(ctx context.Context) error {
	if _, err := t.Client.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		return fmt.Errorf("events: temporal health: %w", err)
	}
	return nil
}
