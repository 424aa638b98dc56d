package workflows

import (
	"encoding/json"
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/webhookd/webhookd/activities"
	"github.com/webhookd/webhookd/alerts"
	"github.com/webhookd/webhookd/internal/domain"
	"github.com/webhookd/webhookd/internal/notify"
	"github.com/webhookd/webhookd/internal/provider"
)

// RetryConfig is the retry policy of the event's activities. Zero fields take
// the defaults: 5 attempts, backoff ×2 from 1 s, at most 1 min apart.
type RetryConfig struct {
	MaximumAttempts    int32
	InitialInterval    time.Duration
	BackoffCoefficient float64
	MaximumInterval    time.Duration
}

// ProcessWebhookInput is one verified event, as recorded by the ingress.
type ProcessWebhookInput struct {
	Provider   string
	EventID    string
	EventType  string
	OccurredAt time.Time
	// Data is the envelope's "data" object, as the provider sent it.
	Data json.RawMessage
	// Domain is Data as a domain event (provider.Spec.Normalize, before
	// the start); nil when the type has no handler (the event is ignored)
	// or when BadData says why it cannot be applied.
	Domain  *domain.JSON `json:",omitempty"`
	BadData string       `json:",omitempty"`
	// Retry is the policy of runs started before the worker held it
	// (Processor.Retry); starters leave it empty.
	Retry RetryConfig `json:",omitzero"`
	// Routes are the team's workflows the event goes to (the provider's
	// routes that take its type); Payload and ReceivedAt are set with
	// them, for the routes' input (routes.go).
	Routes     []provider.RouteSpec `json:",omitempty"`
	Payload    json.RawMessage      `json:",omitempty"`
	ReceivedAt time.Time            `json:",omitzero"`
}

// Normalize sets Domain or BadData from Data as spec's format reads the
// event type. Starters call it before the start, so that the domain event
// is in the run's input beside the raw data.
func (in *ProcessWebhookInput) Normalize(spec provider.Spec) {
	dom, err := spec.Normalize(in.EventType, in.Data)
	in.Domain, in.BadData, in.Routes = nil, "", spec.RoutesFor(in.EventType)
	switch {
	case err != nil:
		in.BadData = domain.BadDataReason(err)
	case dom != nil:
		in.Domain = &domain.JSON{Event: dom}
	}
}

// StatusQuery is the query an in-flight run answers with its RunStatus
// (the UI's Queries tab, `temporal workflow query --type status`).
const StatusQuery = "status"

// RunStatus is where a run is.
type RunStatus struct {
	Step      string
	LastError string `json:",omitempty"`
}

// ProcessWebhookResult is the run's outcome.
type ProcessWebhookResult struct {
	Status domain.Status
}

// localWritesChange is the GetVersion change ID of the workflow's shape:
// version 1 runs the short database writes as local activities; version 2
// also routes on the domain event of the input (Domain, BadData) where
// earlier runs read the generic shapes from Data; version 3 also sets the
// WebhookUserID search attribute once an activity has resolved the user.
const (
	localWritesChange = "local-db-writes"
	domainVersion     = 2
	userAttrVersion   = 3
)

// a is only used to name activities; Temporal calls the worker's instance.
var a *activities.Activities

func (r RetryConfig) policy() *temporal.RetryPolicy {
	p := &temporal.RetryPolicy{
		MaximumAttempts:    5,
		InitialInterval:    time.Second,
		BackoffCoefficient: 2,
		MaximumInterval:    time.Minute,
	}
	if r.MaximumAttempts > 0 {
		p.MaximumAttempts = r.MaximumAttempts
	}
	if r.InitialInterval > 0 {
		p.InitialInterval = r.InitialInterval
	}
	if r.BackoffCoefficient >= 1 {
		p.BackoffCoefficient = r.BackoffCoefficient
	}
	if r.MaximumInterval > 0 {
		p.MaximumInterval = r.MaximumInterval
	}
	return p
}

// bookkeeping is the policy of the alert and status activities: they must
// get through even when Slack or PostgreSQL are down for a while.
var bookkeeping = workflow.ActivityOptions{
	StartToCloseTimeout: 30 * time.Second,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval:    time.Second,
		BackoffCoefficient: 2,
		MaximumInterval:    5 * time.Minute,
		MaximumAttempts:    50,
	},
}

// Processor holds the worker's settings the workflow obeys: they are the
// worker's, whichever process started the run (the ingress, the sweep,
// `events replay`). Changing them changes no command in a history: a
// policy is read by the SDK, not matched on replay.
type Processor struct {
	// Retry is the activities' policy; zero fields fall back to the run's
	// input (runs started before the worker held it), then the defaults.
	Retry RetryConfig
	// RouteCheckAfter is how long a route's handler may wait before it is
	// checked on (routes.go); 0 means DefaultRouteCheckAfter.
	RouteCheckAfter time.Duration
}

// ProcessWebhook is ProcessWebhook of a worker with default settings.
func ProcessWebhook(ctx workflow.Context, in ProcessWebhookInput) (ProcessWebhookResult, error) {
	return Processor{}.ProcessWebhook(ctx, in)
}

// retry is the policy of the run: the worker's fields, else the input's.
func (p Processor) retry(in RetryConfig) RetryConfig {
	r := p.Retry
	if r.MaximumAttempts <= 0 {
		r.MaximumAttempts = in.MaximumAttempts
	}
	if r.InitialInterval <= 0 {
		r.InitialInterval = in.InitialInterval
	}
	if r.BackoffCoefficient < 1 {
		r.BackoffCoefficient = in.BackoffCoefficient
	}
	if r.MaximumInterval <= 0 {
		r.MaximumInterval = in.MaximumInterval
	}
	return r
}

// ProcessWebhook applies one event. It routes on the event type; an unknown
// type is recorded as ignored. When a step fails for good (retries exhausted
// or bad data) it posts one alert, marks the event failed and fails, so the
// run is red in the Temporal UI and can be replayed.
func (p Processor) ProcessWebhook(ctx workflow.Context, in ProcessWebhookInput) (ProcessWebhookResult, error) {
	status := &RunStatus{Step: "starting"}
	// Queries are not commands: registering one changes no history.
	if err := workflow.SetQueryHandler(ctx, StatusQuery, func() (RunStatus, error) { return *status, nil }); err != nil {
		return ProcessWebhookResult{}, err
	}
	// Starts by webhookd set these; a start by hand (tctl, the UI) may not.
	if _, ok := workflow.GetTypedSearchAttributes(ctx).GetKeyword(ProviderKey); !ok {
		if err := workflow.UpsertTypedSearchAttributes(ctx, ProviderKey.ValueSet(in.Provider), EventTypeKey.ValueSet(in.EventType)); err != nil {
			return ProcessWebhookResult{}, err
		}
	}
	info := workflow.GetInfo(ctx)
	ev := event{
		ref: activities.EventRef{
			Provider: in.Provider, EventID: in.EventID, EventType: in.EventType,
			WorkflowID: info.WorkflowExecution.ID, OccurredAt: in.OccurredAt,
		},
		data: in.Data,
	}
	version := workflow.GetVersion(ctx, localWritesChange, workflow.DefaultVersion, userAttrVersion)
	ev.version, ev.status, ev.notes = version, status, new([]notify.Notification)
	dom, bad := domainEvent(in, version)
	routesVersion := workflow.DefaultVersion
	if len(in.Routes) > 0 {
		routesVersion = workflow.GetVersion(ctx, routesChange, workflow.DefaultVersion, routesCheckedVersion)
	}
	routed := routesVersion >= 1
	if dom == nil && bad == nil && !routed {
		workflow.GetLogger(ctx).Info("event type has no handler; recorded as ignored", "event_type", in.EventType)
		return finish(ctx, in, domain.StatusIgnored, "")
	}
	policy := p.retry(in.Retry).policy()
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy:         policy,
	})
	ev.attempts = policy.MaximumAttempts
	ev.writeCtx = writeContext(ctx, version, policy)
	err := bad
	if err == nil && dom != nil {
		status.Step = "applying " + string(dom.Kind())
		err = handle(actx, ev, dom)
	}
	if err == nil && routed {
		err = p.runRoutes(ctx, ev, in, routesVersion)
	}
	if err == nil {
		// The event is applied once its writes are: its status says so
		// even while the product's receiver is down for hours.
		res, err := finish(ctx, in, domain.StatusSucceeded, "")
		if err == nil {
			notifyProduct(ctx, ev)
		}
		return res, err
	}
	msg, attempts := describe(err, policy.MaximumAttempts)
	status.Step, status.LastError = "failed: alerting on-call", msg
	workflow.GetLogger(ctx).Error("event failed for good", "event_type", in.EventType, "error", msg)
	alertErr := workflow.ExecuteActivity(summarized(workflow.WithActivityOptions(ctx, bookkeeping), "alert on-call"), a.SendAlert, alerts.Failure{
		Provider: in.Provider, EventType: in.EventType, EventID: in.EventID,
		WorkflowID: info.WorkflowExecution.ID, RunID: info.WorkflowExecution.RunID,
		Attempts: attempts, Error: msg,
	}).Get(ctx, nil)
	if alertErr != nil {
		// The run still fails and is marked failed: it is red in the UI and
		// listed by `events list --status failed` even if Slack never answered.
		workflow.GetLogger(ctx).Error("alert not sent", "error", alertErr)
	}
	if _, err := finish(ctx, in, domain.StatusFailed, msg); err != nil {
		return ProcessWebhookResult{}, err
	}
	// The message is the root cause's; the activity error chain is in the
	// history already.
	return ProcessWebhookResult{}, temporal.NewNonRetryableApplicationError(msg, "EventFailed", nil)
}

// notifyChange is the GetVersion change ID of telling the product what a
// run changed: runs before it had nothing to tell (their writes noted
// nothing), so the version is asked only when there is something to send.
const notifyChange = "notify-product"

// notifyProduct sends what the run's writes changed to the product, one
// activity per change on the bookkeeping policy (hours of retries while
// the receiver is down). A notification that fails for good is logged
// and, when refused, has opened its incident; the event stays applied.
func notifyProduct(ctx workflow.Context, ev event) {
	if len(*ev.notes) == 0 || workflow.GetVersion(ctx, notifyChange, workflow.DefaultVersion, 1) < 1 {
		return
	}
	ev.status.Step = "telling the product"
	nctx := workflow.WithActivityOptions(ctx, bookkeeping)
	futures := make([]workflow.Future, len(*ev.notes))
	for i, n := range *ev.notes {
		futures[i] = workflow.ExecuteActivity(summarized(nctx, "tell the product: "+n.Type), a.NotifyProduct, n)
	}
	for i, f := range futures {
		if err := f.Get(ctx, nil); err != nil {
			workflow.GetLogger(ctx).Error("notification not delivered", "type", (*ev.notes)[i].Type, "webhook_id", (*ev.notes)[i].ID, "error", err)
		}
	}
}

// writeContext runs the short database writes as local activities, inside
// the workflow task, from version 1: one activity, one workflow task and
// their matching trips fewer per event (docs/performance.md). Runs started
// before keep replaying their regular activities (nil).
func writeContext(ctx workflow.Context, version workflow.Version, policy *temporal.RetryPolicy) workflow.Context {
	if version < 1 {
		return nil
	}
	if version >= userAttrVersion {
		// write waits for a customer's link on a timer (event.write).
		p := *policy
		p.NonRetryableErrorTypes = []string{activities.ErrTypeUserNotKnownYet}
		policy = &p
	}
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		// The retry policy bounds the attempts; without this the attempts
		// would stop at StartToCloseTimeout.
		ScheduleToCloseTimeout: 24 * time.Hour,
		RetryPolicy:            policy,
	})
}

// finish writes the run's outcome to the event's row. The write is one
// short UPDATE: a local activity runs it inside the workflow task, saving
// the schedule/start/complete round trips. ScheduleToClose must be set: it
// defaults to StartToClose, which would give up on the status after 10 s of
// a database outage (the PostgreSQL drill covers it).
func finish(ctx workflow.Context, in ProcessWebhookInput, status domain.Status, lastErr string) (ProcessWebhookResult, error) {
	info := workflow.GetInfo(ctx)
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout:    10 * time.Second,
		ScheduleToCloseTimeout: 24 * time.Hour,
		RetryPolicy:            bookkeeping.RetryPolicy,
		Summary:                "mark event " + string(status),
	})
	// Whose event it was, as the run found it (knowUser): the event log
	// keeps it for the product API and for an erasure.
	userID, _ := workflow.GetTypedSearchAttributes(ctx).GetKeyword(UserIDKey)
	err := workflow.ExecuteLocalActivity(lctx, a.SetEventStatus, activities.SetEventStatusInput{
		Provider: in.Provider, EventID: in.EventID, EventType: in.EventType, Status: status,
		RunID: info.WorkflowExecution.RunID, LastError: lastErr, UserID: userID,
	}).Get(ctx, nil)
	if err != nil {
		return ProcessWebhookResult{}, err
	}
	return ProcessWebhookResult{Status: status}, nil
}

// domainEvent is the event to apply, or why it cannot be; both nil: no
// handler (ignored). Runs before domainVersion read the generic shapes from
// the data (the only ones they knew), so that they replay as they ran.
func domainEvent(in ProcessWebhookInput, version workflow.Version) (domain.Event, error) {
	if version < domainVersion {
		dom, err := provider.Spec{Format: "generic"}.Normalize(in.EventType, in.Data)
		if err != nil {
			return nil, badData("%s", domain.BadDataReason(err))
		}
		return dom, nil
	}
	if in.BadData != "" {
		return nil, badData("%s", in.BadData)
	}
	if in.Domain == nil {
		return nil, nil
	}
	return in.Domain.Event, nil
}

// describe returns the root error message and how many attempts were made:
// one for bad data (not retried), the policy's maximum otherwise.
func describe(err error, maxAttempts int32) (string, int32) {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		if appErr.NonRetryable() {
			return appErr.Message(), 1
		}
		return appErr.Message(), maxAttempts
	}
	return err.Error(), maxAttempts
}
