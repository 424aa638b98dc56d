// Package runs is the event life's Temporal side: it starts and finds an
// event's ProcessWebhook runs (Temporal, the lifecycle.Runs of every
// process) and groups failures into Incident workflows (Incidents). It
// tells the lifecycle what a Temporal error means (lifecycle.ErrUnreachable,
// lifecycle.ErrRefused, lifecycle.lifecycle.ErrAlreadyStarted), so that the rules
// stay in internal/lifecycle and free of Temporal.
package runs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/webhookd/webhookd/internal/lifecycle"
	"github.com/webhookd/webhookd/internal/provider"
	"github.com/webhookd/webhookd/internal/store"
	"github.com/webhookd/webhookd/workflows"
)

// MaxInputBytes bounds the encoded workflow input: Temporal's default blob
// size limit (2 MiB), below gRPC's 4 MiB message limit. The SDK's JSON
// encoding escapes <, > and & as \u003c and so on, so a body of 1 MiB can
// become an input of 6.
const MaxInputBytes = 2 << 20

// Temporal starts ProcessWebhook runs on a Temporal client. A run's
// retry policy is its worker's (workflows.Processor), not the starter's.
type Temporal struct {
	Client client.Client
}

// Input is the workflow input for a recorded event: its data object as the
// ingress stored it, and that data as a domain event of the provider's
// format.
func (t *Temporal) Input(ev store.Event) workflows.ProcessWebhookInput {
	in := workflows.ProcessWebhookInput{
		Provider: ev.Provider, EventID: ev.EventID, EventType: ev.EventType,
		OccurredAt: ev.ReceivedAt.UTC(), Data: ev.Data,
	}
	if string(in.Data) == "null" {
		in.Data = nil // the envelope has no data object
	}
	if ev.OccurredAt.Valid {
		in.OccurredAt = ev.OccurredAt.Time.UTC()
	}
	in.Normalize(specOf(ev))
	if len(in.Routes) > 0 {
		// The routes' input carries the whole envelope.
		in.Payload, in.ReceivedAt = ev.Payload, ev.ReceivedAt.UTC()
	}
	return in
}

// Fits returns lifecycle.ErrTooLarge when the event's workflow input, as
// the SDK's JSON payload converter encodes it, exceeds MaxInputBytes.
func (t *Temporal) Fits(ev store.Event) error {
	b, err := json.Marshal(t.Input(ev))
	switch {
	case err != nil: // Temporal could not encode it either
		return fmt.Errorf("%w: %v", lifecycle.ErrTooLarge, err)
	case len(b) > MaxInputBytes:
		return fmt.Errorf("%w: %d bytes encoded, at most %d", lifecycle.ErrTooLarge, len(b), MaxInputBytes)
	}
	return nil
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

// Start starts the event's run and returns its run ID, or lifecycle.ErrAlreadyStarted.
//
// A failed event marks itself failed just before its run closes, so a
// replay or redelivery can arrive while that run is still open. When the
// open run is the event's last recorded run, Start waits (within ctx) for
// it to close and starts again, instead of mistaking it for a duplicate.
func (t *Temporal) Start(ctx context.Context, ev store.Event) (string, error) {
	runID, err := t.start(ctx, ev)
	if !errors.Is(err, lifecycle.ErrAlreadyStarted) || !ev.RunID.Valid || ev.RunID.String == "" {
		return runID, err
	}
	current, err := t.Current(ctx, ev)
	if err != nil {
		return "", err
	}
	if current != ev.RunID.String {
		return "", lifecycle.ErrAlreadyStarted // another run than the event's last: a genuine duplicate
	}
	// The event's last run was still open at the start (it may have closed
	// since). Wait for it to close; its error is the failure we know of.
	_ = t.Client.GetWorkflow(ctx, ev.WorkflowID, ev.RunID.String).Get(ctx, nil)
	if ctx.Err() != nil {
		return "", fmt.Errorf("runs: %s: the previous run has not closed yet: %w", ev.WorkflowID, ctx.Err())
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
		return "", lifecycle.ErrAlreadyStarted
	}
	if err != nil {
		return "", fmt.Errorf("runs: start %s: %w", ev.WorkflowID, classify(err))
	}
	return run.GetRunID(), nil
}

// classify wraps a start error in what it means to the event life:
// Temporal out of reach (lifecycle.ErrUnreachable), or a request it can
// never accept (lifecycle.ErrRefused: refused as invalid, or not even a
// gRPC error: the client could not encode or validate it). Any other
// (a rate limit, an internal error) is left as it is: the sweep defers the
// event and tries again.
func classify(err error) error {
	var code codes.Code
	var svcErr serviceerror.ServiceError
	if errors.As(err, &svcErr) {
		code = svcErr.Status().Code()
	} else if st, ok := status.FromError(err); ok {
		code = st.Code()
	} else if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("%w: %w", lifecycle.ErrRefused, err)
	}
	switch code {
	case codes.Unavailable, codes.DeadlineExceeded, codes.Canceled:
		return fmt.Errorf("%w: %w", lifecycle.ErrUnreachable, err)
	case codes.InvalidArgument, codes.OutOfRange, codes.Unimplemented:
		return fmt.Errorf("%w: %w", lifecycle.ErrRefused, err)
	}
	return err
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
		return "", fmt.Errorf("runs: describe %s: %w", ev.WorkflowID, err)
	}
	return desc.GetWorkflowExecutionInfo().GetExecution().GetRunId(), nil
}

// Ping checks that Temporal answers.
func (t *Temporal) Ping(ctx context.Context) error {
	if _, err := t.Client.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		return fmt.Errorf("runs: temporal health: %w", err)
	}
	return nil
}
