package workflows_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/webhookd/webhookd/activities"
	"github.com/webhookd/webhookd/alerts"
	"github.com/webhookd/webhookd/workflows"
)

// incidentEnv runs an Incident with recorded posts; succeeded answers the
// quiet check.
func incidentEnv(t *testing.T, succeeded bool) (*testsuite.TestWorkflowEnvironment, *[]alerts.Incident) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	var posts []alerts.Incident
	env.OnActivity(a.PostIncident, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.PostIncidentInput) (map[string]string, error) {
		posts = append(posts, in.Incident)
		return map[string]string{"slack": "C1/1.2"}, nil
	}).Maybe()
	env.OnActivity(a.SucceededSince, mock.Anything, mock.Anything, mock.Anything, mock.Anything).Return(succeeded, nil).Maybe()
	return env, &posts
}

func failureOf(i int) alerts.Failure {
	return alerts.Failure{Provider: "dodo", EventType: "payment.succeeded", EventID: fmt.Sprintf("evt_%d", i),
		WorkflowID: fmt.Sprintf("dodo:evt_%d", i), RunID: "r", Attempts: 5, Error: "send email: smtp: 451 try again"}
}

var incidentIn = workflows.IncidentInput{Provider: "dodo", EventType: "payment.succeeded", Cause: "send email: smtp: _ try again",
	SummaryInterval: 5 * time.Minute, Quiet: 30 * time.Minute}

// 50 failures within one interval: the first posted at once, one summary
// that says 50; all replayed: one resolved message with the counts.
func TestIncidentRollsUpAndResolves(t *testing.T) {
	env, posts := incidentEnv(t, false)
	for i := 0; i < 50; i++ {
		env.RegisterDelayedCallback(func() { env.SignalWorkflow(workflows.IncidentFailure, failureOf(i)) }, time.Duration(i)*time.Second)
	}
	for i := 0; i < 50; i++ {
		env.RegisterDelayedCallback(func() { env.SignalWorkflow(workflows.IncidentRecovered, fmt.Sprintf("evt_%d", i)) }, 20*time.Minute+time.Duration(i)*time.Second)
	}
	env.ExecuteWorkflow(workflows.Incident, incidentIn)
	if err := env.GetWorkflowError(); err != nil || !env.IsWorkflowCompleted() {
		t.Fatalf("incident: completed %v, %v", env.IsWorkflowCompleted(), err)
	}
	var kinds []string
	for _, p := range *posts {
		kinds = append(kinds, fmt.Sprintf("%s:%d/%d", p.Kind, p.Failed, p.Recovered))
	}
	if want := "[opened:1/0 summary:50/0 resolved:50/50]"; fmt.Sprint(kinds) != want {
		t.Errorf("posts = %v, want %s", kinds, want)
	}
}

// No failure for the quiet period and the type succeeds again: resolved,
// saying how many are still failed.
func TestIncidentResolvesAfterAQuietPeriod(t *testing.T) {
	env, posts := incidentEnv(t, true)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(workflows.IncidentFailure, failureOf(1)) }, time.Second)
	env.ExecuteWorkflow(workflows.Incident, incidentIn)
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	last := (*posts)[len(*posts)-1]
	if len(*posts) != 2 || last.Kind != "resolved" || !last.Quiet || last.Failed-last.Recovered != 1 {
		t.Errorf("posts = %+v", *posts)
	}
}

// Long incidents continue as new with their counts.
func TestIncidentContinuesAsNewWithItsCounts(t *testing.T) {
	env, _ := incidentEnv(t, false)
	for i := 0; i < 510; i++ {
		env.RegisterDelayedCallback(func() { env.SignalWorkflow(workflows.IncidentFailure, failureOf(i)) }, time.Duration(i)*time.Millisecond)
	}
	env.ExecuteWorkflow(workflows.Incident, incidentIn)
	var can *workflow.ContinueAsNewError
	if err := env.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("err = %v, want continue-as-new", err)
	}
	var next workflows.IncidentInput
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	if next.State.FailedCount < 500 || len(next.State.Outstanding) != next.State.FailedCount || !next.State.Opened || next.Cause != incidentIn.Cause {
		t.Errorf("carried state: %d failed, %d outstanding, opened %v", next.State.FailedCount, len(next.State.Outstanding), next.State.Opened)
	}
}

// One cause however the ids differ; another cause, another incident.
func TestIncidentCause(t *testing.T) {
	a := alerts.Cause(`resolve user: store: no user for customer "cus_9sQ2" (user id "usr_1", email "a@b.co"): unknown user`)
	b := alerts.Cause(`resolve user: store: no user for customer "cus_x" (user id "usr_2", email "z@y.org"): unknown user`)
	c := alerts.Cause("send email payment_confirmation: email: smtp send: dial tcp 127.0.0.1:2525: connect: connection refused")
	if a != b || alerts.IncidentID("dodo", "t", a) != alerts.IncidentID("dodo", "t", b) || alerts.IncidentID("dodo", "t", a) != alerts.IncidentID("dodo", "u", a) {
		t.Errorf("one cause: %q vs %q", a, b)
	}
	if alerts.IncidentID("dodo", "t", a) == alerts.IncidentID("dodo", "t", c) {
		t.Errorf("two causes share an incident")
	}
}

// One cause across 30 event types is one incident: its summary names the
// first ten types and counts the rest; a state carried before the counts
// (id lists) is read as counts.
func TestIncidentSpansEventTypes(t *testing.T) {
	env, posts := incidentEnv(t, false)
	for i := 0; i < 30; i++ {
		f := failureOf(i)
		f.EventType = fmt.Sprintf("type.%02d", i)
		env.RegisterDelayedCallback(func() { env.SignalWorkflow(workflows.IncidentFailure, f) }, time.Duration(i)*time.Second)
	}
	for i := 0; i < 30; i++ {
		env.RegisterDelayedCallback(func() { env.SignalWorkflow(workflows.IncidentRecovered, fmt.Sprintf("evt_%d", i)) }, 20*time.Minute+time.Duration(i)*time.Second)
	}
	in := incidentIn
	in.EventType = "type.00"
	env.ExecuteWorkflow(workflows.Incident, in)
	if err := env.GetWorkflowError(); err != nil || !env.IsWorkflowCompleted() {
		t.Fatalf("incident: completed %v, %v", env.IsWorkflowCompleted(), err)
	}
	last := (*posts)[len(*posts)-1]
	if len(*posts) != 3 || last.Kind != "resolved" || last.Failed != 30 || last.Recovered != 30 ||
		last.EventType != "type.00, type.01, type.02, type.03, type.04, type.05, type.06, type.07, type.08, type.09 and 20 more" {
		t.Errorf("posts = %d, last %+v", len(*posts), last)
	}

	old, oldPosts := incidentEnv(t, false)
	carried := incidentIn
	carried.State = workflows.IncidentState{Opened: true, Failed: []string{"evt_1", "evt_2"}, Recovered: []string{"evt_1"}}
	old.RegisterDelayedCallback(func() { old.SignalWorkflow(workflows.IncidentRecovered, "evt_2") }, time.Second)
	old.ExecuteWorkflow(workflows.Incident, carried)
	if err := old.GetWorkflowError(); err != nil || len(*oldPosts) != 1 || (*oldPosts)[0].Failed != 2 || (*oldPosts)[0].Recovered != 2 {
		t.Errorf("carried id lists: %v, posts %+v", err, *oldPosts)
	}
}
