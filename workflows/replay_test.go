package workflows_test

import (
	"testing"

	"go.temporal.io/sdk/worker"

	"github.com/webhookd/webhookd/workflows"
)

// TestReplay replays histories recorded from real runs (regenerate with
// WEBHOOKD_RECORD_HISTORY=$PWD/workflows/testdata go test -run TestEndToEnd
// ./cmd/webhookd). A change that alters the commands an existing history
// expects fails here with a non-determinism error: version it with
// workflow.GetVersion instead.
func TestReplay(t *testing.T) {
	for _, file := range []string{"testdata/payment_succeeded.json", "testdata/payment_failed_smtp_down.json"} {
		t.Run(file, func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflow(workflows.ProcessWebhook)
			if err := r.ReplayWorkflowHistoryFromJSONFile(nil, file); err != nil {
				t.Fatal(err)
			}
		})
	}
}
