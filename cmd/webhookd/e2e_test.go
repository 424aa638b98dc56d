package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	sdklog "go.temporal.io/sdk/log"

	"github.com/webhookd/webhookd/internal/codec"
	"github.com/webhookd/webhookd/internal/devstack"
	"github.com/webhookd/webhookd/internal/domain"
	"github.com/webhookd/webhookd/internal/email/smtptest"
	"github.com/webhookd/webhookd/internal/postgres"
	"github.com/webhookd/webhookd/internal/postgres/pgtest"
	"github.com/webhookd/webhookd/internal/store"
)

// syncBuffer is a bytes.Buffer safe for the concurrent writes of run.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// dev is a `webhookd dev` started through run, as main would.
type dev struct {
	t        *testing.T
	url      string
	dataDir  string
	env      map[string]string
	stdout   *syncBuffer
	stderr   *syncBuffer
	cancel   context.CancelFunc
	done     chan error
	st       *store.Store
	temporal client.Client
	uiURL    string
	apiURL   string
}

func freePort(t *testing.T) int {
	t.Helper()
	p, err := postgres.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func startDev(t *testing.T, env map[string]string) *dev {
	t.Helper()
	return startDevWith(t, env, pgtest.TempDir(t))
}

func startDevWith(t *testing.T, env map[string]string, dataDir string) *dev {
	t.Helper()
	d := &dev{t: t, dataDir: dataDir, env: env, stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	d.cancel = cancel
	// Port 0 everywhere: each component binds a free port as it starts; the
	// dev state file tells where the ingress ended up.
	os.Remove(devstack.StateFile(d.dataDir))
	args := []string{"dev", "--data-dir", d.dataDir, "--http", "127.0.0.1:0",
		"--temporal-port", "0", "--ui-port", "0", "--api-http", "127.0.0.1:0", "--log-level", "warn"}
	start := time.Now()
	go func() { d.done <- run(ctx, args, d.getenv, d.stdout, d.stderr) }()
	t.Cleanup(func() { d.stop() })
	var state devstack.State
	for {
		if st, ok := devstack.ReadState(d.dataDir); ok && st.IngressURL != "" {
			state, d.url, d.uiURL, d.apiURL = st, st.IngressURL, st.TemporalUIURL, st.APIURL
			resp, err := http.Get(d.url + "/readyz")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					break
				}
			}
		}
		select {
		case err := <-d.done:
			d.cancel = nil
			t.Fatalf("dev exited: %v\n%s", err, d.stderr.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Since(start) > 60*time.Second {
			t.Fatalf("dev not ready within 60s\n%s", d.stderr.String())
		}
	}
	t.Logf("dev ready in %s", time.Since(start).Round(time.Millisecond))
	var err error
	if d.st, err = store.Open(ctx, state.DatabaseURL); err != nil {
		t.Fatal(err)
	}
	if d.temporal, err = client.Dial(client.Options{HostPort: state.TemporalAddress, Namespace: "default", Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))}); err != nil {
		t.Fatal(err)
	}
	return d
}

func (d *dev) getenv(k string) string { return d.env[k] }

// stop cancels run and waits; it returns how long the shutdown took.
func (d *dev) stop() time.Duration {
	if d.cancel == nil {
		return 0
	}
	if d.temporal != nil {
		d.temporal.Close()
	}
	if d.st != nil {
		d.st.Close()
	}
	start := time.Now()
	d.cancel()
	d.cancel = nil
	select {
	case err := <-d.done:
		if err != nil {
			d.t.Errorf("dev returned %v", err)
		}
	case <-time.After(20 * time.Second):
		d.t.Errorf("dev did not stop within 20s")
	}
	return time.Since(start)
}

// cli runs another webhookd command against this dev.
func (d *dev) cli(args ...string) (string, error) {
	var out, errOut bytes.Buffer
	full := append(append([]string{}, args...), "--data-dir", d.dataDir)
	if args[0] == "send" {
		full = append(full, "--url", d.url)
	}
	err := run(context.Background(), full, d.getenv, &out, &errOut)
	return out.String() + errOut.String(), err
}

func (d *dev) send(eventType, id, data string) map[string]any {
	d.t.Helper()
	args := []string{"send", "--provider", "dodo", "--type", eventType, "--id", id}
	if data != "" {
		args = append(args, "--data", data)
	}
	out, err := d.cli(args...)
	if err != nil {
		d.t.Fatalf("send: %v\n%s", err, out)
	}
	var resp map[string]any
	lines := strings.Split(strings.TrimSpace(out), "\n")
	last := lines[len(lines)-1]
	_ = json.Unmarshal([]byte(last[strings.Index(last, "{"):]), &resp)
	return resp
}

// uiRun is a run as the Temporal UI server's HTTP API lists it.
type uiRun struct {
	Execution struct {
		WorkflowID string `json:"workflowId"`
		RunID      string `json:"runId"`
	} `json:"execution"`
}

// uiRuns lists the runs of a visibility query the way the UI's runs list
// asks its server for them, waiting up to 20 s for want of them.
func (d *dev) uiRuns(query string, want int) []uiRun {
	d.t.Helper()
	var list struct {
		Executions []uiRun `json:"executions"`
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		list.Executions = nil
		d.uiGet("/api/v1/namespaces/default/workflows?query="+url.QueryEscape(query), &list)
		if len(list.Executions) == want || time.Now().After(deadline) {
			return list.Executions
		}
	}
}

// uiSummary is the run's static summary as the UI's run page reads it:
// the payload from the UI server, decoded by dev's codec server.
func (d *dev) uiSummary(workflowID, runID string) string {
	d.t.Helper()
	var desc struct {
		ExecutionConfig struct {
			UserMetadata struct {
				Summary json.RawMessage `json:"summary"`
			} `json:"userMetadata"`
		} `json:"executionConfig"`
	}
	d.uiGet("/api/v1/namespaces/default/workflows/"+url.PathEscape(workflowID)+"?execution.runId="+runID, &desc)
	p := d.decode(desc.ExecutionConfig.UserMetadata.Summary)
	var summary string
	if err := json.Unmarshal(p.Data, &summary); err != nil {
		d.t.Errorf("%s: summary payload %q: %v", workflowID, p.Data, err)
	}
	return summary
}

// converter decodes what dev's processes encoded: its data converter,
// with the key dev keeps in its data dir.
func (d *dev) converter() converter.DataConverter {
	d.t.Helper()
	key, err := devstack.EncryptionKey(d.dataDir)
	if err != nil {
		d.t.Fatal(err)
	}
	keys, err := codec.ParseKeys(key)
	if err != nil {
		d.t.Fatal(err)
	}
	dc, _, _ := codec.DataConverter(keys)
	return dc
}

// payload is a Temporal payload in the codec server's JSON.
type payload struct {
	Metadata map[string][]byte `json:"metadata"`
	Data     []byte            `json:"data"`
}

// decode asks dev's codec server to decode one payload, as the UI does.
func (d *dev) decode(raw json.RawMessage) payload {
	d.t.Helper()
	resp, err := http.Post(d.url+"/codec/decode", "application/json", strings.NewReader(`{"payloads":[`+string(raw)+`]}`))
	if err != nil {
		d.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Payloads []payload }
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || json.Unmarshal(b, &out) != nil || len(out.Payloads) != 1 {
		d.t.Fatalf("codec decode: %s %s", resp.Status, b)
	}
	return out.Payloads[0]
}

func (d *dev) uiGet(path string, out any) {
	d.t.Helper()
	resp, err := http.Get(d.uiURL + path)
	if err != nil {
		d.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		d.t.Fatalf("UI server GET %s: %s\n%s", path, resp.Status, b)
	}
	if err := json.Unmarshal(b, out); err != nil {
		d.t.Fatalf("UI server GET %s: %v", path, err)
	}
}

// get returns the body of a GET on the dev ingress.
func (d *dev) get(path string) string {
	d.t.Helper()
	resp, err := http.Get(d.url + path)
	if err != nil {
		d.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func (d *dev) waitStatus(eventID string, want ...domain.Status) store.Event {
	d.t.Helper()
	return d.waitStatusOf("dodo", eventID, want...)
}

func (d *dev) waitStatusOf(provider, eventID string, want ...domain.Status) store.Event {
	d.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		ev, err := d.st.GetEventByKey(context.Background(), provider, eventID)
		if err == nil {
			for _, w := range want {
				if ev.Status == w {
					return ev
				}
			}
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("event %s: status %q (err %v), want %v", eventID, ev.Status, err, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// slackStandIn counts the alerts posted to an incoming-webhook URL.
type slackStandIn struct {
	*httptest.Server
	mu     sync.Mutex
	bodies []string
}

func newSlack(t *testing.T) *slackStandIn {
	s := &slackStandIn{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.bodies = append(s.bodies, string(b))
		s.mu.Unlock()
		io.WriteString(w, "ok")
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *slackStandIn) posts() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.bodies...)
}

func TestEndToEnd(t *testing.T) {
	smtpSrv := smtptest.Start(t)
	slack, discord := newSlack(t), newSlack(t)
	d := startDev(t, map[string]string{
		"SMTP_URL": smtpSrv.URL(), "SLACK_WEBHOOK_URL": slack.URL, "DISCORD_WEBHOOK_URL": discord.URL,
		"WEBHOOKD_RETRY_ATTEMPTS": "3", "WEBHOOKD_RETRY_INITIAL_INTERVAL": "50ms",
	})
	ctx := context.Background()

	t.Run("migrate status with flags after the subcommand", func(t *testing.T) {
		out, err := d.cli("migrate", "status")
		if err != nil || !strings.Contains(out, "00002_runless_dispatched_idx.sql applied") {
			t.Errorf("migrate status: %v\n%s", err, out)
		}
	})
	t.Run("payment.succeeded: one payment row, one email, then a duplicate changes nothing", func(t *testing.T) {
		resp := d.send("payment.succeeded", "evt_pay_1", `{"userId":"usr_demo","paymentId":"pay_e2e_1","amount":4200,"currency":"eur"}`)
		if resp["duplicate"] != false {
			t.Fatalf("first delivery: %v", resp)
		}
		ev := d.waitStatus("evt_pay_1", domain.StatusSucceeded)
		recordHistory(t, d.temporal, ev.WorkflowID, ev.RunID.String, "payment_succeeded.json")
		resp = d.send("payment.succeeded", "evt_pay_1", `{"userId":"usr_demo","paymentId":"pay_e2e_1","amount":4200,"currency":"eur"}`)
		if resp["duplicate"] != true {
			t.Fatalf("second delivery: %v", resp)
		}
		time.Sleep(500 * time.Millisecond)
		ps, _ := d.st.Payments(ctx, "usr_demo")
		n := 0
		for _, p := range ps {
			if p.ID == "pay_e2e_1" {
				n++
			}
		}
		if n != 1 {
			t.Errorf("payment rows = %d, want 1", n)
		}
		if got := countMessages(smtpSrv, "42.00 EUR"); got != 1 {
			t.Errorf("emails = %d, want 1", got)
		}
	})

	t.Run("an SMTP hiccup is retried and still sends one email", func(t *testing.T) {
		smtpSrv.FailNext(1)
		d.send("payment.succeeded", "evt_pay_2", `{"userId":"usr_demo","paymentId":"pay_e2e_2","amount":777,"currency":"usd"}`)
		d.waitStatus("evt_pay_2", domain.StatusSucceeded)
		if got := countMessages(smtpSrv, "7.77 USD"); got != 1 {
			t.Errorf("emails = %d, want 1", got)
		}
	})

	t.Run("50 concurrent identical deliveries: one run, one row, 49 duplicates", func(t *testing.T) {
		body := `{"userId":"usr_demo","paymentId":"pay_storm","amount":100,"currency":"usd"}`
		var wg sync.WaitGroup
		var mu sync.Mutex
		dups, fresh := 0, 0
		for i := 0; i < 50; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				resp := d.send("payment.succeeded", "evt_storm", body)
				mu.Lock()
				defer mu.Unlock()
				if resp["duplicate"] == true {
					dups++
				} else if resp["duplicate"] == false {
					fresh++
				}
			}()
		}
		wg.Wait()
		if fresh != 1 || dups != 49 {
			t.Errorf("fresh %d, duplicates %d; want 1 and 49", fresh, dups)
		}
		d.waitStatus("evt_storm", domain.StatusSucceeded)
		evs, _ := d.st.ListEvents(ctx, store.EventFilter{Type: "payment.succeeded", Limit: 1000})
		rows := 0
		for _, ev := range evs {
			if ev.EventID == "evt_storm" {
				rows++
			}
		}
		if rows != 1 {
			t.Errorf("event rows = %d, want 1", rows)
		}
		runs := listRuns(t, d.temporal, `WorkflowId = "dodo:evt_storm"`, 1)
		if runs != 1 {
			t.Errorf("runs = %d, want 1", runs)
		}
		if got := countMessages(smtpSrv, "1.00 USD"); got != 1 {
			t.Errorf("emails = %d, want 1", got)
		}
	})

	t.Run("SMTP down: one Slack alert with the run link, event failed, run Failed; replay after the fix succeeds", func(t *testing.T) {
		smtpSrv.SetDown(true)
		d.send("payment.succeeded", "evt_down", `{"userId":"usr_demo","paymentId":"pay_down","amount":5000,"currency":"usd"}`)
		ev := d.waitStatus("evt_down", domain.StatusFailed)
		recordHistory(t, d.temporal, ev.WorkflowID, ev.RunID.String, "payment_failed_smtp_down.json")
		if !strings.Contains(ev.LastError.String, "451") {
			t.Errorf("last error = %q", ev.LastError.String)
		}
		var alerts []string
		for deadline := time.Now().Add(10 * time.Second); len(alerts) == 0 && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			alerts = nil
			for _, p := range slack.posts() {
				if strings.Contains(p, "evt_down") {
					alerts = append(alerts, p)
				}
			}
		}
		time.Sleep(300 * time.Millisecond) // no second post follows
		if len(alerts) != 1 {
			t.Fatalf("alerts for evt_down = %d, want 1", len(alerts))
		}
		link := "/namespaces/default/workflows/dodo:evt_down/" + ev.RunID.String + "/history"
		if !strings.Contains(alerts[0], link) {
			t.Errorf("alert lacks the run link %s:\n%s", link, alerts[0])
		}
		var embeds []string
		for deadline := time.Now().Add(5 * time.Second); len(discord.posts()) == 0 && time.Now().Before(deadline); {
			time.Sleep(100 * time.Millisecond)
		}
		for _, p := range discord.posts() {
			if strings.Contains(p, "evt_down") && strings.Contains(p, `"embeds"`) && strings.Contains(p, link) {
				embeds = append(embeds, p)
			}
		}
		if len(embeds) != 1 {
			t.Errorf("discord alerts for evt_down = %d, want 1 embed with the run link:\n%v", len(embeds), discord.posts())
		}
		desc, err := d.temporal.DescribeWorkflowExecution(ctx, "dodo:evt_down", ev.RunID.String)
		if err != nil || desc.WorkflowExecutionInfo.Status != enums.WORKFLOW_EXECUTION_STATUS_FAILED {
			t.Errorf("run status = %v, %v; want Failed", desc.GetWorkflowExecutionInfo().GetStatus(), err)
		}
		if runs := listRuns(t, d.temporal, `WebhookProvider = "dodo" AND ExecutionStatus = "Failed"`, 1); runs != 1 {
			t.Errorf("failed dodo runs = %d, want 1", runs)
		}
		// The README's "metrics worth alerting on" that a failure emits.
		metrics := d.get("/metrics")
		for _, name := range []string{"temporal_workflow_failed", "temporal_activity_execution_failed", "temporal_activity_schedule_to_start_latency", "temporal_workflow_task_schedule_to_start_latency"} {
			if !strings.Contains(metrics, "\n"+name+"{") {
				t.Errorf("/metrics lacks %s after a failed run", name)
			}
		}

		out, err := d.cli("events", "list", "--status", "failed")
		if err != nil || !strings.Contains(out, "evt_down") {
			t.Errorf("events list --status failed: %v\n%s", err, out)
		}
		out, err = d.cli("events", "show", "dodo:evt_down")
		if err != nil || !strings.Contains(out, link) {
			t.Errorf("events show lacks the run link: %v\n%s", err, out)
		}

		smtpSrv.SetDown(false)
		out, err = d.cli("events", "replay", "dodo:evt_down")
		if err != nil {
			t.Fatalf("replay: %v\n%s", err, out)
		}
		d.waitStatus("evt_down", domain.StatusSucceeded)
		if got := countMessages(smtpSrv, "50.00 USD"); got != 1 {
			t.Errorf("emails after replay = %d, want 1", got)
		}
		out, err = d.cli("events", "replay", "dodo:evt_down")
		if err == nil || !strings.Contains(err.Error(), "only failed events") {
			t.Errorf("replaying a succeeded event: %v\n%s", err, out)
		}
	})

	t.Run("the UI lists a user's runs, each with its summary", func(t *testing.T) {
		// An event that names only the customer: the run finds the user by
		// the address and then sets WebhookUserID itself.
		d.send("payment.succeeded", "evt_by_customer", `{"payment_id":"pay_by_customer","total_amount":1234,"currency":"USD","customer":{"customer_id":"cus_e2e","email":"demo@example.com"}}`)
		d.waitStatus("evt_by_customer", domain.StatusSucceeded)
		// evt_pay_1, evt_pay_2, evt_storm, evt_down (failed, then its
		// replay) and evt_by_customer.
		runs := d.uiRuns(`WebhookUserID = "usr_demo"`, 6)
		if len(runs) != 6 {
			t.Fatalf("runs of usr_demo in the UI = %d, want 6", len(runs))
		}
		for _, r := range runs {
			summary := d.uiSummary(r.Execution.WorkflowID, r.Execution.RunID)
			want := "dodo payment.succeeded · usr_demo · "
			if r.Execution.WorkflowID == "dodo:evt_by_customer" {
				want = "dodo payment.succeeded · cus_e2e · 12.34 USD · pay_by_customer"
			}
			if !strings.HasPrefix(summary, want) {
				t.Errorf("%s: summary %q, want %q…", r.Execution.WorkflowID, summary, want)
			}
		}
		if failed := d.uiRuns(`WebhookUserID = "usr_demo" AND ExecutionStatus = "Failed"`, 1); len(failed) != 1 || failed[0].Execution.WorkflowID != "dodo:evt_down" {
			t.Errorf("failed runs of usr_demo = %+v, want dodo:evt_down", failed)
		}
		if byCustomer := d.uiRuns(`WebhookCustomerID = "cus_e2e"`, 1); len(byCustomer) != 1 {
			t.Errorf("runs of cus_e2e = %d, want 1", len(byCustomer))
		}
	})

	t.Run("metrics after traffic", func(t *testing.T) {
		resp, err := http.Get(d.url + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, want := range []string{
			`webhookd_ingress_requests_total{outcome="started",provider="dodo"}`,
			`webhookd_ingress_requests_total{outcome="duplicate",provider="dodo"}`,
			`temporal_workflow_completed`,
			`temporal_activity_execution_latency`,
			`temporal_request`,
		} {
			if !bytes.Contains(b, []byte(want)) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
	})

	if took := d.stop(); took > 10*time.Second {
		t.Errorf("shutdown took %s, want < 10s", took)
	}
	if out, err := exec.Command("pgrep", "-f", "postgres -D "+d.dataDir).Output(); err == nil {
		t.Errorf("postgres still running after shutdown: %s", out)
	}
}

func countMessages(s *smtptest.Server, substr string) int {
	n := 0
	for _, m := range s.Messages() {
		if bytes.Contains(m.Data, []byte(substr)) {
			n++
		}
	}
	return n
}

func listRuns(t *testing.T, c client.Client, query string, want int) int {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := c.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{Query: query})
		n := len(resp.GetExecutions())
		if (err == nil && n == want) || time.Now().After(deadline) {
			if err != nil {
				t.Logf("ListWorkflow %s: %v", query, err)
			}
			return n
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestRestartKeepsData(t *testing.T) {
	d := startDev(t, map[string]string{})
	d.send("subscription.created", "evt_sub", "")
	d.waitStatus("evt_sub", domain.StatusSucceeded)
	dataDir := d.dataDir
	if took := d.stop(); took > 10*time.Second {
		t.Errorf("shutdown took %s", took)
	}
	// Same data dir again: the event, the run and the dev secrets are still there.
	d2 := startDevWith(t, map[string]string{}, dataDir)
	ev := d2.waitStatus("evt_sub", domain.StatusSucceeded)
	if _, err := d2.temporal.DescribeWorkflowExecution(context.Background(), ev.WorkflowID, ev.RunID.String); err != nil {
		t.Errorf("run after restart: %v", err)
	}
	resp := d2.send("subscription.created", "evt_sub", "")
	if resp["duplicate"] != true {
		t.Errorf("redelivery after restart: %v", resp)
	}
}

// recordHistory writes a run's history as JSON for the workflows package's
// replay test, when WEBHOOKD_RECORD_HISTORY names a directory.
func recordHistory(t *testing.T, c client.Client, workflowID, runID, name string) {
	dir := os.Getenv("WEBHOOKD_RECORD_HISTORY")
	if dir == "" {
		return
	}
	hist := &historypb.History{}
	it := c.GetWorkflowHistory(context.Background(), workflowID, runID, false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		hist.Events = append(hist.Events, ev)
	}
	b, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(hist)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir+"/"+name, b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("recorded %s (%d events)", name, len(hist.Events))
}
