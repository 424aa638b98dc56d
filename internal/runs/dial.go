package runs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	tally "github.com/uber-go/tally/v4"
	tallyprom "github.com/uber-go/tally/v4/prometheus"
	"go.temporal.io/sdk/client"
	sdktally "go.temporal.io/sdk/contrib/tally"
	"go.temporal.io/sdk/converter"
	sdklog "go.temporal.io/sdk/log"

	"github.com/webhookd/webhookd/internal/codec"
	"github.com/webhookd/webhookd/internal/store"
	"github.com/webhookd/webhookd/internal/temporalui"
	"github.com/webhookd/webhookd/workflows"
)

// DialOptions is how a process reaches Temporal.
type DialOptions struct {
	// Client has the address, namespace, TLS, credentials and headers
	// (config.Settings.TemporalClientOptions).
	Client client.Options
	// NoCompression turns off gRPC's gzip (the server is in this process,
	// or the network is fast).
	NoCompression bool
	// EncryptionKeys, when set, encrypt every payload and failure (codec).
	EncryptionKeys []codec.Key
	Logger         *slog.Logger
	// Registry, when set, receives the SDK's client and worker metrics
	// (temporal_*) beside webhookd's own.
	Registry prometheus.Registerer
}

// Dial connects lazily: the ingress must start (and answer 202) while
// Temporal is down.
func Dial(o DialOptions) (client.Client, error) {
	opts := o.Client
	opts.Logger = sdklog.NewStructuredLogger(o.Logger.With(slog.String("component", "temporal-sdk")))
	if o.NoCompression {
		opts.ConnectionOptions.GrpcCompression = &client.GrpcCompressionNone{}
	}
	if len(o.EncryptionKeys) > 0 {
		opts.DataConverter, opts.FailureConverter, _ = codec.DataConverter(o.EncryptionKeys)
	}
	if o.Registry != nil {
		opts.MetricsHandler = metricsHandler(o.Registry, o.Logger)
	}
	return client.NewLazyClient(opts)
}

// FailureConverter is the failure converter of a client dialled with
// keys: the codec's, or nil (the SDK's default) without keys.
func FailureConverter(keys []codec.Key) converter.FailureConverter {
	if len(keys) == 0 {
		return nil
	}
	_, fc, _ := codec.DataConverter(keys)
	return fc
}

func metricsHandler(reg prometheus.Registerer, logger *slog.Logger) client.MetricsHandler {
	reporter := tallyprom.NewReporter(tallyprom.Options{
		Registerer:      reg,
		OnRegisterError: func(err error) { logger.Warn("sdk metric not registered", slog.String("error", err.Error())) },
	})
	scope, _ := tally.NewRootScope(tally.ScopeOptions{
		CachedReporter:  reporter,
		Separator:       tallyprom.DefaultSeparator,
		SanitizeOptions: &sdktally.PrometheusSanitizeOptions,
	}, time.Second)
	return sdktally.NewMetricsHandler(scope)
}

// WaitReady blocks until Temporal answers a health check, so a worker
// started before (or while) Temporal restarts waits instead of exiting.
func WaitReady(ctx context.Context, c client.Client, logger *slog.Logger) error {
	delay := 200 * time.Millisecond
	for i := 0; ; i++ {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := c.CheckHealth(cctx, &client.CheckHealthRequest{})
		cancel()
		if err == nil {
			return nil
		}
		if i%10 == 5 {
			logger.Warn("waiting for Temporal", slog.String("error", err.Error()))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		delay = min(2*delay, 5*time.Second)
	}
}

// InFlight asks a run in flight where it is: its status query, and each
// activity it is retrying with its attempts and last error. Nothing when it
// cannot be asked (Temporal unreachable, the run closed meanwhile).
func InFlight(ctx context.Context, c client.Client, workflowID string) []string {
	qctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	var lines []string
	var st workflows.RunStatus
	v, err := c.QueryWorkflow(qctx, workflowID, "", workflows.StatusQuery)
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		// A run answers between workflow tasks: a task kept open (a local
		// activity retrying within it) or no worker polling delays it.
		lines = append(lines, "(no answer to the status query within 3s: the run is inside a workflow task, or no worker is polling)")
	case err == nil && v.Get(&st) == nil:
		line := st.Step
		if st.LastError != "" {
			line += ": " + st.LastError
		}
		lines = append(lines, line)
	}
	desc, err := c.DescribeWorkflowExecution(qctx, workflowID, "")
	if err != nil {
		return lines
	}
	for _, pa := range desc.GetPendingActivities() {
		line := fmt.Sprintf("%s: attempt %d", pa.GetActivityType().GetName(), pa.GetAttempt())
		if max := pa.GetMaximumAttempts(); max > 0 {
			line += fmt.Sprintf(" of %d", max)
		}
		if f := pa.GetLastFailure(); f != nil {
			line += ", last error: " + f.GetMessage()
		}
		if next := pa.GetNextAttemptScheduleTime(); next != nil {
			line += ", next attempt in " + time.Until(next.AsTime()).Round(time.Second).String()
		}
		lines = append(lines, line)
	}
	return lines
}

// Routes says where each route's child of the event is: its status and
// its page in the UI ("not started" when Temporal has none).
func Routes(ctx context.Context, c client.Client, ui temporalui.UI, ev store.Event) []string {
	var lines []string
	for _, r := range specOf(ev).RoutesFor(ev.EventType) {
		id := ev.WorkflowID + "/" + r.Name
		dctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		desc, err := c.DescribeWorkflowExecution(dctx, id, "")
		cancel()
		if err != nil {
			lines = append(lines, fmt.Sprintf("%s → %s on %s: not started", r.Name, r.Workflow, r.TaskQueue))
			continue
		}
		info := desc.GetWorkflowExecutionInfo()
		lines = append(lines, fmt.Sprintf("%s → %s on %s: %s  %s", r.Name, r.Workflow, r.TaskQueue,
			strings.ToLower(info.GetStatus().String()), ui.Run(id, info.GetExecution().GetRunId())))
	}
	return lines
}
