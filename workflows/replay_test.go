package workflows_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/webhookd/webhookd/codec"
	"github.com/webhookd/webhookd/workflows"
)

// ReplayKeys encrypt the payloads of the recorded histories that have any
// (a test key, nothing else uses it).
const ReplayKeys = "replay-1:K2yNJM88HdfjC+000wPGkeODOk3WedfcnbjnFuEOvEM="

// TestReplay replays histories recorded from real runs: the current code's
// (record them with WEBHOOKD_RECORD_HISTORY=$PWD/workflows/testdata go test
// -run 'TestEndToEnd|TestRealProviders|TestStripe' ./cmd/webhookd) and
// those of runs of earlier versions of the workflow, which a deploy may
// find in flight: *_v0.json (before local database writes), *_v1.json
// (before domain events) and *_v2.json (before the user's search attribute
// and the timer that waits for a customer's link). Before recording, keep
// the current files as *_vN.json of the version they are. A change that
// alters the commands an existing history expects fails here
// with a non-determinism error: version it with workflow.GetVersion instead.
// Histories recorded with payloads encrypted use ReplayKeys (TestRoutes
// runs dev with them); the codec passes plain payloads through.
func TestReplay(t *testing.T) {
	dc, fc, err := codec.Converters(ReplayKeys)
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("testdata/*.json")
	if err != nil || len(files) < 4 {
		t.Fatalf("want at least 4 recorded histories in testdata, got %v (%v)", files, err)
	}
	for _, file := range files {
		t.Run(file, func(t *testing.T) {
			r, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{DataConverter: dc, FailureConverter: fc})
			if err != nil {
				t.Fatal(err)
			}
			r.RegisterWorkflow(workflows.ProcessWebhook)
			f, err := os.Open(file)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			hist, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if err := r.ReplayWorkflowHistoryWithOptions(nil, hist, worker.ReplayWorkflowHistoryOptions{
				OriginalExecution: workflow.Execution{ID: workflowID(hist), RunID: "replay"},
			}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// workflowID is the recorded run's workflow ID where its history shows it:
// a route's child is named after it ({workflow id}/{route}). Other
// histories do not depend on it.
func workflowID(h *historypb.History) string {
	for _, ev := range h.GetEvents() {
		if a := ev.GetStartChildWorkflowExecutionInitiatedEventAttributes(); a != nil {
			if i := strings.LastIndexByte(a.GetWorkflowId(), '/'); i > 0 {
				return a.GetWorkflowId()[:i]
			}
		}
	}
	return "replay"
}
