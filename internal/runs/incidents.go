package runs

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/webhookd/webhookd/alerts"
	"github.com/webhookd/webhookd/workflows"
)

// Incidents groups failed events into Incident workflows, one per
// provider, event type and cause: a failure signals the incident of its
// cause, starting it if needed (signal-with-start), so that several
// workers reporting the same cause still make one incident.
type Incidents struct {
	Client          client.Client
	SummaryInterval time.Duration
	Quiet           time.Duration
}

// Failed adds f to the incident of its cause.
func (i *Incidents) Failed(ctx context.Context, f alerts.Failure) error {
	cause := alerts.Cause(f.Error)
	id := alerts.IncidentID(f.Provider, f.EventType, cause)
	opts := client.StartWorkflowOptions{
		ID: id, TaskQueue: workflows.TaskQueue,
		// A resolved incident's cause may come back: a new incident.
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			workflows.ProviderKey.ValueSet(f.Provider), workflows.EventTypeKey.ValueSet(f.EventType)),
	}
	in := workflows.IncidentInput{Provider: f.Provider, EventType: f.EventType, Cause: cause,
		SummaryInterval: i.SummaryInterval, Quiet: i.Quiet}
	if _, err := i.Client.SignalWithStartWorkflow(ctx, id, workflows.IncidentFailure, f, opts, workflows.Incident, in); err != nil {
		return fmt.Errorf("incident %s: %w", id, err)
	}
	return nil
}

// Recovered tells the incident of prevError that the event succeeded. An
// incident that has ended is no error.
func (i *Incidents) Recovered(ctx context.Context, provider, eventType, eventID, prevError string) error {
	id := alerts.IncidentID(provider, eventType, alerts.Cause(prevError))
	err := i.Client.SignalWorkflow(ctx, id, "", workflows.IncidentRecovered, eventID)
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return nil
	}
	return err
}
