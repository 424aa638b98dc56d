package workflows

import (
	"slices"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/webhookd/webhookd/activities"
	"github.com/webhookd/webhookd/alerts"
)

// Signals of the Incident workflow.
const (
	// IncidentFailure carries an alerts.Failure of the incident's cause.
	IncidentFailure = "failure"
	// IncidentRecovered carries the event ID of a failed event that has
	// succeeded since.
	IncidentRecovered = "recovered"
	// SignatureIncident and DatabaseIncident are the incidents of the
	// ingress (alerts.SignatureRejected, alerts.DatabaseUnreachable).
	SignatureIncident = alerts.SignatureIncident
	DatabaseIncident  = alerts.DatabaseIncident
)

// IncidentInput starts (or continues) an incident: one per provider, event
// type and cause (alerts.IncidentID is its workflow ID).
type IncidentInput struct {
	Provider, EventType, Cause string
	// SummaryInterval: at most one follow-up per interval.
	SummaryInterval time.Duration
	// Quiet: with no failure for this long, the incident resolves as soon
	// as an event of its provider and type has succeeded.
	Quiet time.Duration
	// State is carried across continue-as-new.
	State IncidentState
}

// IncidentState is what an incident knows.
type IncidentState struct {
	Opened    bool
	Failed    []string // event IDs, in order of their first failure
	Recovered []string
	Examples  []alerts.Failure // the newest failures, at most maxExamples
	Pending   int              // failures since the last message
	// LastFailure is when the newest failure was signalled.
	LastFailure time.Time
	Signals     int
	// Refs are the first message's references on threaded sinks.
	Refs map[string]string `json:",omitempty"`
}

const (
	maxExamples = 5
	// incidentSignalsPerRun bounds an incident's history: it continues as
	// new with its state after this many signals.
	incidentSignalsPerRun = 500
)

func (st *IncidentState) fail(f alerts.Failure, now time.Time) {
	st.Signals++
	st.LastFailure = now
	st.Recovered = slices.DeleteFunc(st.Recovered, func(id string) bool { return id == f.EventID })
	if !slices.Contains(st.Failed, f.EventID) {
		st.Failed = append(st.Failed, f.EventID)
	}
	st.Examples = append(st.Examples, f)
	if len(st.Examples) > maxExamples {
		st.Examples = st.Examples[len(st.Examples)-maxExamples:]
	}
	st.Pending++
}

func (st *IncidentState) recover(eventID string) {
	st.Signals++
	if slices.Contains(st.Failed, eventID) && !slices.Contains(st.Recovered, eventID) {
		st.Recovered = append(st.Recovered, eventID)
	}
}

func (in IncidentInput) message(kind string, quiet bool) alerts.Incident {
	return alerts.Incident{Provider: in.Provider, EventType: in.EventType, Cause: in.Cause, Kind: kind,
		Failed: len(in.State.Failed), Recovered: len(in.State.Recovered), Examples: in.State.Examples, Quiet: quiet}
}

// Incident is on-call's view of one cause of failures. The first failure
// is posted at once; later ones are summed up in at most one follow-up per
// SummaryInterval; when every failed event has succeeded since (a replay,
// the provider's redelivery), or the type succeeds again after Quiet with
// no failure, it posts a resolved message with the counts and ends. Its
// posts retry for hours and never hold up the events themselves.
func Incident(ctx workflow.Context, in IncidentInput) error {
	in = in.withDefaults()
	actx := workflow.WithActivityOptions(ctx, bookkeeping)
	post := func(kind string, quiet bool) {
		var refs map[string]string
		err := workflow.ExecuteActivity(actx, a.PostIncident, activities.PostIncidentInput{
			Incident: in.message(kind, quiet), Refs: in.State.Refs}).Get(ctx, &refs)
		if err != nil {
			workflow.GetLogger(ctx).Error("incident message not posted", "kind", kind, "error", err)
		} else if len(refs) > 0 {
			in.State.Refs = refs
		}
		in.State.Pending = 0
	}
	failures := workflow.GetSignalChannel(ctx, IncidentFailure)
	recoveries := workflow.GetSignalChannel(ctx, IncidentRecovered)
	var summary workflow.Future
	quietCtx, cancelQuiet := workflow.WithCancel(ctx)
	quiet := workflow.NewTimer(quietCtx, in.Quiet)
	for {
		if !in.State.Opened && len(in.State.Failed) > 0 {
			post("opened", false)
			in.State.Opened = true
		}
		if in.State.Opened && len(in.State.Recovered) == len(in.State.Failed) {
			post("resolved", false)
			return nil
		}
		if in.State.Pending > 0 && summary == nil {
			summary = workflow.NewTimer(ctx, in.SummaryInterval)
		}
		if in.State.Signals >= incidentSignalsPerRun {
			drain(ctx, failures, recoveries, &in.State)
			return workflow.NewContinueAsNewError(ctx, Incident, in)
		}
		quietFired := false
		sel := workflow.NewSelector(ctx)
		sel.AddReceive(failures, func(c workflow.ReceiveChannel, _ bool) {
			var f alerts.Failure
			c.Receive(ctx, &f)
			in.State.fail(f, workflow.Now(ctx))
			cancelQuiet()
			quietCtx, cancelQuiet = workflow.WithCancel(ctx)
			quiet = workflow.NewTimer(quietCtx, in.Quiet)
		})
		sel.AddReceive(recoveries, func(c workflow.ReceiveChannel, _ bool) {
			var id string
			c.Receive(ctx, &id)
			in.State.recover(id)
		})
		if summary != nil {
			sel.AddFuture(summary, func(workflow.Future) {
				summary = nil
				if in.State.Pending > 0 {
					post("summary", false)
				}
			})
		}
		sel.AddFuture(quiet, func(f workflow.Future) { quietFired = f.Get(ctx, nil) == nil })
		sel.Select(ctx)
		if quietFired && in.State.Opened {
			if in.typeSucceededSince(ctx, actx) {
				post("resolved", true)
				return nil
			}
			quietCtx, cancelQuiet = workflow.WithCancel(ctx)
			quiet = workflow.NewTimer(quietCtx, in.Quiet)
		}
	}
}

func (in IncidentInput) withDefaults() IncidentInput {
	if in.SummaryInterval <= 0 {
		in.SummaryInterval = 5 * time.Minute
	}
	if in.Quiet <= 0 {
		in.Quiet = 30 * time.Minute
	}
	return in
}

// typeSucceededSince asks whether what failed works again: an event of the
// incident's provider and type (of the provider, for rejected deliveries;
// any, for the database) succeeded since the newest failure.
func (in IncidentInput) typeSucceededSince(ctx, actx workflow.Context) bool {
	providerName, eventType := in.Provider, in.EventType
	switch eventType {
	case SignatureIncident:
		eventType = ""
	case DatabaseIncident:
		providerName, eventType = "", ""
	}
	var ok bool
	_ = workflow.ExecuteActivity(actx, a.SucceededSince, providerName, eventType, in.State.LastFailure).Get(ctx, &ok)
	return ok
}

// drain takes the signals already delivered, so that none is lost across
// continue-as-new.
func drain(ctx workflow.Context, failures, recoveries workflow.ReceiveChannel, st *IncidentState) {
	for {
		var f alerts.Failure
		if failures.ReceiveAsync(&f) {
			st.fail(f, workflow.Now(ctx))
			continue
		}
		var id string
		if recoveries.ReceiveAsync(&id) {
			st.recover(id)
			continue
		}
		st.Signals = 0
		return
	}
}
