package workflows_test

import (
	"path/filepath"
	"testing"

	"go.temporal.io/sdk/worker"

	"github.com/webhookd/webhookd/workflows"
)

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
func TestReplay(t *testing.T) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil || len(files) < 4 {
		t.Fatalf("want at least 4 recorded histories in testdata, got %v (%v)", files, err)
	}
	for _, file := range files {
		t.Run(file, func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflow(workflows.ProcessWebhook)
			if err := r.ReplayWorkflowHistoryFromJSONFile(nil, file); err != nil {
				t.Fatal(err)
			}
		})
	}
}
