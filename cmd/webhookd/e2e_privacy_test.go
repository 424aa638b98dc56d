package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/webhookd/webhookd/internal/devstack"
	"github.com/webhookd/webhookd/internal/domain"
	"github.com/webhookd/webhookd/internal/store"
)

// With dev's encryption key, a customer's address in an event's data is in
// no Temporal file or table; the codec server, `events show` and the UI's
// run page (in a headless browser) show it decrypted.
func TestPayloadsStayPrivate(t *testing.T) {
	const secret = "zq-private-7c1e@example.com"
	d := startDev(t, map[string]string{})
	ctx := context.Background()
	if err := d.st.UpsertUser(ctx, "usr_private", secret); err != nil {
		t.Fatal(err)
	}
	d.send("payment.succeeded", "evt_private", `{"payment_id":"pay_private","total_amount":4321,"currency":"USD","customer":{"customer_id":"cus_private","email":"`+secret+`","name":"Private Person"},"metadata":{"user_id":"usr_private"}}`)
	ev := d.waitStatus("evt_private", domain.StatusSucceeded)

	// Temporal's history, as stored: no trace of the address.
	hist, err := d.temporal.WorkflowService().GetWorkflowExecutionHistory(ctx, historyRequest(ev))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := temporalproto.CustomJSONMarshalOptions{}.Marshal(hist.History)
	if bytes.Contains(raw, []byte(secret)) || bytes.Contains(raw, []byte("Private Person")) {
		t.Error("the history holds the customer's data in the clear")
	}
	// An event that fails for good (an unknown customer, its address in
	// the data): the failure, its alert and the log name ids, never the
	// address; the history (failures included) holds no trace of it.
	const probe = "zq-probe-failing-91@example.com"
	d.send("payment.succeeded", "evt_probe", `{"payment_id":"pay_probe","total_amount":100,"currency":"USD","customer":{"customer_id":"cus_probe","email":"`+probe+`","name":"Probe"},"metadata":{}}`)
	failed := d.waitStatus("evt_probe", domain.StatusFailed)
	if strings.Contains(failed.LastError.String, probe) || !strings.Contains(failed.LastError.String, "cus_probe") {
		t.Errorf("last error: %q", failed.LastError.String)
	}
	hist, err = d.temporal.WorkflowService().GetWorkflowExecutionHistory(ctx, historyRequest(failed))
	if err != nil {
		t.Fatal(err)
	}
	if raw, _ := (temporalproto.CustomJSONMarshalOptions{}).Marshal(hist.History); bytes.Contains(raw, []byte(probe)) {
		t.Error("the failed run's history holds the address in the clear")
	} else if bytes.Contains(raw, []byte("no user for customer")) {
		for _, e := range hist.History.Events {
			if b, _ := (temporalproto.CustomJSONMarshalOptions{}).Marshal(e); bytes.Contains(b, []byte("no user for customer")) {
				i := bytes.Index(b, []byte("no user for customer"))
				t.Errorf("a failure message is in the history in the clear: %s …%s…", e.GetEventType(), b[max(0, i-300):min(len(b), i+100)])
			}
		}
	}
	if strings.Contains(d.stderr.String(), probe) {
		t.Error("the log holds the address")
	}
	// Every persistence file of Temporal and its visibility tables.
	d.stop()
	files, _ := filepath.Glob(filepath.Join(d.dataDir, "temporal.sqlite*"))
	if len(files) == 0 {
		t.Fatal("no Temporal file in the data dir")
	}
	for _, f := range files {
		b, _ := os.ReadFile(f)
		if bytes.Contains(b, []byte(secret)) || bytes.Contains(b, []byte(probe)) {
			t.Errorf("%s holds an address in the clear", f)
		}
	}
	d = startDevWith(t, map[string]string{}, d.dataDir)
	// Dev keeps Temporal's visibility records in the managed PostgreSQL.
	var visibility string
	row := d.st.DB().QueryRowContext(ctx, `SELECT datname FROM pg_database WHERE datname LIKE 'temporal%visibility' LIMIT 1`)
	if err := row.Scan(&visibility); err != nil {
		t.Fatalf("no visibility database: %v", err)
	}
	state, _ := devstack.ReadState(d.dataDir)
	vis, err := store.Open(ctx, strings.Replace(state.DatabaseURL, "/webhookd?", "/"+visibility+"?", 1))
	if err != nil {
		t.Fatal(err)
	}
	var n, all int
	if err := vis.DB().QueryRowContext(ctx, `SELECT count(*) FILTER (WHERE position(convert_to($1, 'UTF8') in coalesce(memo, ''::bytea)) > 0
		OR search_attributes::text LIKE '%' || $1 || '%'), count(*) FROM executions_visibility`, secret).Scan(&n, &all); err != nil || n != 0 || all == 0 {
		t.Errorf("visibility rows with the address: %d of %d (%v)", n, all, err)
	}
	vis.Close()

	// The codec server decrypts the run's input for whoever may see it.
	hist, err = d.temporal.WorkflowService().GetWorkflowExecutionHistory(ctx, historyRequest(ev))
	if err != nil {
		t.Fatal(err)
	}
	input, _ := temporalproto.CustomJSONMarshalOptions{}.Marshal(hist.History.Events[0].GetWorkflowExecutionStartedEventAttributes().GetInput().GetPayloads()[0])
	if p := d.decode(input); !bytes.Contains(p.Data, []byte(secret)) {
		t.Errorf("decoded input lacks the address: %s", p.Data)
	}
	out, err := d.cli("events", "show", "dodo:evt_private")
	if err != nil || !strings.Contains(out, secret) {
		t.Errorf("events show: %v\n%s", err, out)
	}

	// The UI's run page, in a browser, decodes it through the codec server.
	browser := chromium(t)
	page := d.uiURL + "/namespaces/default/workflows/" + ev.WorkflowID + "/" + ev.RunID.String + "/history"
	dom, err := exec.CommandContext(ctx, browser, "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=15000",
		"--user-data-dir="+t.TempDir(), "--dump-dom", page).Output()
	if err != nil {
		t.Fatalf("%s --dump-dom: %v", browser, err)
	}
	if !bytes.Contains(dom, []byte(secret)) {
		t.Errorf("the UI's run page does not show the decoded input (%d bytes of DOM)", len(dom))
	}

	// Retention by hand: the payload goes, the audit row stays, a replay
	// is refused with the reason.
	if _, err := d.cli("events", "purge", "--older-than", "1ns"); err == nil || !strings.Contains(err.Error(), "add --force") {
		t.Errorf("purge --older-than 1ns without --force: %v, want refused", err)
	}
	if out, err := d.cli("events", "purge", "--older-than", "1ns", "--force", "--dry-run"); err != nil || !strings.Contains(out, "would delete the payloads of 2 events") {
		t.Errorf("purge --dry-run: %v\n%s", err, out)
	}
	if out, err := d.cli("events", "purge", "--older-than", "1ns", "--force"); err != nil || !strings.Contains(out, "deleted the payloads of 2 events") {
		t.Errorf("purge: %v\n%s", err, out)
	}
	out, err = d.cli("events", "show", "dodo:evt_private")
	if err != nil || strings.Contains(out, secret) || !strings.Contains(out, "(payload retention)") || !strings.Contains(out, "status       succeeded") {
		t.Errorf("events show after the purge: %v\n%s", err, out)
	}
	if out, err := d.cli("events", "replay", "dodo:evt_private"); err == nil || !strings.Contains(err.Error(), "cannot be replayed") {
		t.Errorf("replay of a purged event: %v\n%s", err, out)
	}
}

func historyRequest(ev store.Event) *workflowservice.GetWorkflowExecutionHistoryRequest {
	return &workflowservice.GetWorkflowExecutionHistoryRequest{Namespace: "default", Execution: &commonpb.WorkflowExecution{WorkflowId: ev.WorkflowID, RunId: ev.RunID.String},
		HistoryEventFilterType: enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT, MaximumPageSize: 1000}
}

// chromium is the headless browser of the UI checks: Debian's chromium,
// which .ci/run installs when missing.
func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no chromium: .ci/run installs it (apt-get install chromium)")
	}
	t.Skip("no chromium (apt-get install chromium) for the UI check")
	return ""
}
