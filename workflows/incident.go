package workflows

import (
	"fmt"
	"slices"
	"strings"
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

// IncidentInput starts (or continues) an incident: one per provider and
// cause, across event types (alerts.IncidentID is its workflow ID);
// EventType is the first failure's.
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

// IncidentState is what an incident knows. Its size is bounded whatever
// the number of failures: counts, the ids still failed (at most
// maxOutstanding), the event types (at most maxTypes) and a few examples.
type IncidentState struct {
	Opened bool
	// Failed and Recovered are the event ids of states carried before the
	// counts (read once by upgrade, then empty).
	Failed    []string `json:",omitempty"`
	Recovered []string `json:",omitempty"`
	// FailedCount and RecoveredCount count distinct failed events, and
	// those of them that succeeded since.
	FailedCount, RecoveredCount int
	// Outstanding are the ids failed and not recovered yet; Untracked
	// counts those beyond maxOutstanding, which only a quiet period
	// resolves.
	Outstanding []string
	Untracked   int
	// Types are the event types of the incident's failures (its cause may
	// span several), at most maxTypes, and MoreTypes counts the others.
	Types     []string         `json:",omitempty"`
	MoreTypes int              `json:",omitempty"`
	Examples  []alerts.Failure // the newest failures, at most maxExamples
	Pending   int              // failures since the last message
	// LastFailure is when the newest failure was signalled.
	LastFailure time.Time
	Signals     int
	// Refs are the first message's references on threaded sinks.
	Refs map[string]string `json:",omitempty"`
}

const (
	maxExamples    = 5
	maxOutstanding = 1000
	maxTypes       = 10
	// incidentSignalsPerRun bounds an incident's history: it continues as
	// new with its state after this many signals.
	incidentSignalsPerRun = 500
)

// upgrade turns the id lists of a state carried before the counts into
// counts and the ids still failed.
func (st *IncidentState) upgrade() {
	if len(st.Failed) == 0 {
		return
	}
	st.FailedCount, st.RecoveredCount = len(st.Failed), len(st.Recovered)
	for _, id := range st.Failed {
		if !slices.Contains(st.Recovered, id) {
			st.Outstanding = append(st.Outstanding, id)
		}
	}
	st.Failed, st.Recovered = nil, nil
}

// resolved: every failed event has succeeded since.
func (st *IncidentState) resolved() bool {
	return st.FailedCount > 0 && len(st.Outstanding) == 0 && st.Untracked == 0
}

func (st *IncidentState) fail(f alerts.Failure, now time.Time) {
	st.Signals++
	st.LastFailure = now
	if !slices.Contains(st.Outstanding, f.EventID) {
		st.FailedCount++
		if len(st.Outstanding) < maxOutstanding {
			st.Outstanding = append(st.Outstanding, f.EventID)
		} else {
			st.Untracked++
		}
	}
	if !slices.Contains(st.Types, f.EventType) {
		if len(st.Types) < maxTypes {
			st.Types = append(st.Types, f.EventType)
		} else {
			st.MoreTypes++
		}
	}
	st.Examples = append(st.Examples, f)
	if len(st.Examples) > maxExamples {
		st.Examples = st.Examples[len(st.Examples)-maxExamples:]
	}
	st.Pending++
}

func (st *IncidentState) recover(eventID string) {
	st.Signals++
	if i := slices.Index(st.Outstanding, eventID); i >= 0 {
		st.Outstanding = slices.Delete(st.Outstanding, i, i+1)
		st.RecoveredCount++
	}
}

// types names the incident's event types: its input's when it has seen
// no other, else the types of its failures.
func (in IncidentInput) types() string {
	if len(in.State.Types) <= 1 {
		return in.EventType
	}
	t := strings.Join(in.State.Types, ", ")
	if in.State.MoreTypes > 0 {
		t += fmt.Sprintf(" and %d more", in.State.MoreTypes)
	}
	return t
}

func (in IncidentInput) message(kind string, quiet bool) alerts.Incident {
	return alerts.Incident{Provider: in.Provider, EventType: in.types(), Cause: in.Cause, Kind: kind,
		Failed: in.State.FailedCount, Recovered: in.State.RecoveredCount, Examples: in.State.Examples, Quiet: quiet}
}

// Incident is on-call's view of one cause of failures. The first failure
// is posted at once; later ones are summed up in at most one follow-up per
// SummaryInterval; when every failed event has succeeded since (a replay,
// the provider's redelivery), or the type succeeds again after Quiet with
// no failure, it posts a resolved message with the counts and ends. Its
// posts retry for hours and never hold up the events themselves.
func Incident(ctx workflow.Context, in IncidentInput) error {
	in = in.withDefaults()
	in.State.upgrade()
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
		if !in.State.Opened && in.State.FailedCount > 0 {
			post("opened", false)
			in.State.Opened = true
		}
		if in.State.Opened && in.State.resolved() {
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
	if len(in.State.Types) > 1 {
		eventType = "" // a cause across types: any event of the provider
	}
	switch in.EventType {
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
