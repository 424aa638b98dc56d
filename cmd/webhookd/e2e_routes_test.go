package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/webhookd/webhookd/alerts"
	"github.com/webhookd/webhookd/codec"
	"github.com/webhookd/webhookd/examples/handler/github"
	"github.com/webhookd/webhookd/handler"
	"github.com/webhookd/webhookd/internal/devstack"
	"github.com/webhookd/webhookd/internal/domain"
	"github.com/webhookd/webhookd/internal/store"
)

// A push shaped as GitHub's push event (octokit's PushEvent type): ref,
// before/after, pusher, commits, head_commit, repository, sender.
const pushEvent = `{"ref":"refs/heads/main","before":"6113728f27ae82c7b1a177c8d03f9e96e0adf246","after":"0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c",
"created":false,"deleted":false,"forced":false,"base_ref":null,"compare":"https://github.com/octo-org/octo-repo/compare/6113728f27ae...0d1a26e67d8f",
"commits":[{"id":"0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c","tree_id":"f9d2a07e9488b91af2641b26b9407fe22a451433","distinct":true,"message":"Update README.md","timestamp":"2026-12-03T10:01:02Z","url":"https://github.com/octo-org/octo-repo/commit/0d1a26e6","author":{"name":"Octo Cat","email":"octocat@github.com","username":"octocat"},"committer":{"name":"GitHub","email":"noreply@github.com","username":"web-flow"},"added":[],"removed":[],"modified":["README.md"]},
{"id":"5f3c2f1d0e2a4b7c9e8d6f5a4b3c2d1e0f9a8b7c","tree_id":"a1b2c3d4e5f60718293a4b5c6d7e8f9012345678","distinct":true,"message":"Fix typo","timestamp":"2026-12-03T10:03:04Z","url":"https://github.com/octo-org/octo-repo/commit/5f3c2f1d","author":{"name":"Octo Cat","email":"octocat@github.com","username":"octocat"},"committer":{"name":"GitHub","email":"noreply@github.com","username":"web-flow"},"added":[],"removed":[],"modified":["docs/a.md"]}],
"head_commit":null,"repository":{"id":17273051,"node_id":"MDEwOlJlcG9zaXRvcnkxNzI3MzA1MQ==","name":"octo-repo","full_name":"octo-org/octo-repo","private":true},
"pusher":{"name":"octocat","email":"octocat@github.com"},"sender":{"login":"octocat","id":583231,"type":"User"}}`

// routeTestKeys are the workflows package's replay keys, so that the
// histories this test records replay there.
const routeTestKeys = "replay-1:K2yNJM88HdfjC+000wPGkeODOk3WedfcnbjnFuEOvEM="

// Routes hand a provider's events to the team's own workflows on their own
// task queue: the example handler reads a push; a route without wait is
// abandoned once started; a failing handler fails the event, and a replay
// reruns that child only; a redelivery runs nothing twice.
func TestRoutes(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "providers.yaml")
	os.WriteFile(cfg, []byte(`providers:
  - name: github
    scheme: github
routes:
  - provider: github
    types: ["push"]
    workflow: HandleGitHubEvent
    task_queue: ci-events
  - provider: github
    name: audit
    types: ["*"]
    workflow: Audit
    task_queue: ci-events
    wait: false
  - provider: github
    name: triage
    types: ["issue*"]
    workflow: Triage
    task_queue: ci-events
  - provider: github
    name: ghost
    types: ["ping"]
    workflow: NotRegistered
    task_queue: ci-events
  - provider: github
    name: nightly
    types: ["release"]
    workflow: Audit
    task_queue: nobody-polls
`), 0o600)
	d := startDev(t, map[string]string{"WEBHOOKD_CONFIG": cfg, "WEBHOOKD_SECRET_GITHUB": "gh-route-secret-1234",
		"WEBHOOKD_ALERT_BACKLOG_AFTER": "3s", "WEBHOOKD_ENCRYPTION_KEYS": routeTestKeys})
	ctx := context.Background()

	// The team's worker: another task queue, webhookd's codec.
	dc, fc, err := codec.Converters(routeTestKeys)
	if err != nil {
		t.Fatal(err)
	}
	state, _ := devstack.ReadState(d.dataDir)
	tc, err := client.Dial(client.Options{HostPort: state.TemporalAddress, DataConverter: dc, FailureConverter: fc,
		Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	var triageFails atomic.Bool
	triageFails.Store(true)
	w := worker.New(tc, "ci-events", worker.Options{})
	w.RegisterWorkflowWithOptions(github.HandleGitHubEvent, workflow.RegisterOptions{Name: github.WorkflowType})
	audit := func(ctx workflow.Context, in handler.Input) (string, error) { return in.EventType, nil }
	w.RegisterWorkflowWithOptions(audit, workflow.RegisterOptions{Name: "Audit"})
	w.RegisterWorkflowWithOptions(func(ctx workflow.Context, in handler.Input) (string, error) {
		var fail bool
		_ = workflow.SideEffect(ctx, func(workflow.Context) any { return triageFails.Load() }).Get(&fail)
		if fail {
			return "", temporal.NewNonRetryableApplicationError("triage: no label for this issue", "NoLabel", nil)
		}
		return "labelled", nil
	}, workflow.RegisterOptions{Name: "Triage"})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()

	eventOf := func(eventType string) store.Event {
		t.Helper()
		evs, _ := d.st.ListEvents(ctx, store.EventFilter{Provider: "github", Type: eventType})
		if len(evs) != 1 {
			t.Fatalf("%d github %s events", len(evs), eventType)
		}
		return d.waitStatusOf("github", evs[0].EventID, domain.StatusSucceeded, domain.StatusFailed)
	}

	// A push: the example handler's result, and the audit route started.
	for range 2 { // the second is a redelivery: nothing runs twice
		out, err := d.cli("send", "--provider", "github", "--type", "push", "--data", pushEvent)
		if err != nil {
			t.Fatalf("send push: %v\n%s", err, out)
		}
		if !strings.Contains(out, "route HandleGitHubEvent → HandleGitHubEvent on task queue ci-events\n") ||
			!strings.Contains(out, "route audit → Audit on task queue ci-events (wait: false)") {
			t.Errorf("send does not list the push's routes:\n%s", out)
		}
	}
	push := eventOf("push")
	if push.Status != domain.StatusSucceeded {
		t.Fatalf("push: %s %q", push.Status, push.LastError.String)
	}
	var res github.PushResult
	if err := tc.GetWorkflow(ctx, push.WorkflowID+"/HandleGitHubEvent", "").Get(ctx, &res); err != nil || res.Pusher != "octocat" || res.Commits != 2 || res.Ref != "refs/heads/main" {
		t.Errorf("handler result %+v, %v", res, err)
	}
	var audited string
	if err := tc.GetWorkflow(ctx, push.WorkflowID+"/audit", "").Get(ctx, &audited); err != nil || audited != "push" {
		t.Errorf("audit route: %q, %v", audited, err)
	}
	out, err := d.cli("events", "show", "github:"+push.EventID)
	if err != nil || !strings.Contains(out, "route        HandleGitHubEvent → HandleGitHubEvent on ci-events: completed  http") ||
		!strings.Contains(out, "route        audit → Audit on ci-events: completed") {
		t.Errorf("events show of a routed event: %v\n%s", err, out)
	}
	for _, id := range []string{push.WorkflowID, push.WorkflowID + "/HandleGitHubEvent", push.WorkflowID + "/audit"} {
		if n := listRuns(t, d.temporal, `WorkflowId = "`+id+`"`, 1); n != 1 {
			t.Errorf("%s ran %d times, want once", id, n)
		}
	}
	uiShowsChildren(t, d, push)

	// A failing handler fails the event with its error; the replay reruns
	// the failed child only.
	if out, err := d.cli("send", "--provider", "github", "--type", "issues", "--data", `{"action":"opened","issue":{"number":7,"title":"Crash"}}`); err != nil {
		t.Fatalf("send issues: %v\n%s", err, out)
	}
	issue := eventOf("issues")
	if issue.Status != domain.StatusFailed || !strings.Contains(issue.LastError.String, "triage: no label for this issue") {
		t.Fatalf("issue with a failing route: %s %q", issue.Status, issue.LastError.String)
	}
	triageFails.Store(false)
	if out, err := d.cli("events", "replay", "github:"+issue.EventID); err != nil {
		t.Fatalf("replay: %v\n%s", err, out)
	}
	waitFor(t, 30*time.Second, func() bool {
		ev, _ := d.st.GetEventByKey(ctx, "github", issue.EventID)
		return ev.Status == domain.StatusSucceeded
	})
	if n := listRuns(t, d.temporal, `WorkflowId = "`+issue.WorkflowID+`/triage"`, 2); n != 2 {
		t.Errorf("triage ran %d times, want 2 (failed, then replayed)", n)
	}
	if n := listRuns(t, d.temporal, `WorkflowId = "`+issue.WorkflowID+`/audit"`, 1); n != 1 {
		t.Errorf("audit ran %d times, want once", n)
	}

	// A route to a workflow type its queue's worker does not register
	// fails with Temporal's error, once checked on: no silent wait.
	if out, err := d.cli("send", "--provider", "github", "--type", "ping", "--data", `{"zen":"Keep it logically awesome.","hook_id":1}`); err != nil {
		t.Fatalf("send ping: %v\n%s", err, out)
	}
	ping := eventOf("ping")
	recordHistory(t, d.temporal, ping.WorkflowID, ping.RunID.String, "route_cannot_start.json")
	if ping.Status != domain.StatusFailed || !strings.Contains(ping.LastError.String, "route ghost: its handler cannot start") ||
		!strings.Contains(ping.LastError.String, "NotRegistered") {
		t.Errorf("ping routed to an unregistered type: %s %q", ping.Status, ping.LastError.String)
	}

	// A route whose task queue nobody polls: the event waits, says why,
	// and opens an incident; the incident resolves when a worker comes.
	if out, err := d.cli("send", "--provider", "github", "--type", "release", "--data", `{"action":"published","release":{"tag_name":"v1.0.0"}}`); err != nil {
		t.Fatalf("send release: %v\n%s", err, out)
	}
	var release store.Event
	waitFor(t, 60*time.Second, func() bool {
		evs, _ := d.st.ListEvents(ctx, store.EventFilter{Provider: "github", Type: "release"})
		if len(evs) == 1 {
			release = evs[0]
		}
		return len(evs) == 1 && strings.Contains(evs[0].LastError.String, "route nightly: nobody polls task queue nobody-polls")
	})
	if release.Status != domain.StatusDispatched {
		t.Errorf("release waiting for a worker: %s, want dispatched", release.Status)
	}
	incident := alerts.IncidentID("github", "release", alerts.Cause(release.LastError.String))
	if n := listRuns(t, d.temporal, `WorkflowId = "`+incident+`" AND ExecutionStatus = "Running"`, 1); n != 1 {
		t.Errorf("the unpolled route's incident %s: %d open, want 1", incident, n)
	}
	w2 := worker.New(tc, "nobody-polls", worker.Options{})
	w2.RegisterWorkflowWithOptions(audit, workflow.RegisterOptions{Name: "Audit"})
	if err := w2.Start(); err != nil {
		t.Fatal(err)
	}
	defer w2.Stop()
	if ev := eventOf("release"); ev.Status != domain.StatusSucceeded || ev.LastError.Valid {
		t.Errorf("release once a worker polls: %s %q", ev.Status, ev.LastError.String)
	} else {
		recordHistory(t, d.temporal, ev.WorkflowID, ev.RunID.String, "route_waits_for_worker.json")
	}
	if n := listRuns(t, d.temporal, `WorkflowId = "`+incident+`" AND ExecutionStatus = "Completed"`, 1); n != 1 {
		t.Errorf("the unpolled route's incident %s is not resolved once the route ran", incident)
	}
}

// uiShowsChildren loads the parent's run page in the Temporal UI, in a
// browser, and checks that it shows the route's child; with
// WEBHOOKD_UI_SCREENSHOT=dir it also saves the page as dir/routed-event.png.
func uiShowsChildren(t *testing.T, d *dev, ev store.Event) {
	t.Helper()
	browser := chromium(t)
	page := d.uiURL + "/namespaces/default/workflows/" + url.PathEscape(ev.WorkflowID) + "/" + ev.RunID.String + "/relationships"
	args := []string{"--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=15000", "--user-data-dir=" + t.TempDir()}
	dom, err := exec.Command(browser, append(args, "--dump-dom", page)...).Output()
	if err != nil {
		t.Fatalf("%s --dump-dom: %v", browser, err)
	}
	if !bytes.Contains(dom, []byte(ev.WorkflowID+"/HandleGitHubEvent")) {
		t.Errorf("the UI's page of a routed event does not show its child %s/HandleGitHubEvent (%d bytes of DOM)", ev.WorkflowID, len(dom))
	}
	if dir := os.Getenv("WEBHOOKD_UI_SCREENSHOT"); dir != "" {
		shot := filepath.Join(dir, "routed-event.png")
		if out, err := exec.Command(browser, append(args, "--window-size=1600,1000", "--screenshot="+shot, page)...).CombinedOutput(); err != nil {
			t.Logf("screenshot: %v\n%s", err, out)
		}
	}
}

// Routes are checked at start: a clear error and exit 2.
func TestRoutesAreChecked(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ routes, want string }{
		{`[{provider: nope, types: ["*"], workflow: W, task_queue: q}]`, `unknown provider "nope"`},
		{`[{provider: github, types: ["*"], workflow: W}]`, "task_queue"},
		{`[{provider: github, types: ["*"], task_queue: q}]`, "workflow"},
		{`[{provider: github, types: ["*"], workflow: W, task_queue: q}, {provider: github, types: ["push"], workflow: W, task_queue: r}]`, `two routes named "W"`},
		{`[{provider: github, types: ["[x"], workflow: W, task_queue: q}]`, "type pattern"},
	} {
		cfg := filepath.Join(dir, "p.yaml")
		os.WriteFile(cfg, []byte("providers:\n  - name: github\n    scheme: github\nroutes: "+tc.routes+"\n"), 0o600)
		_, _, err := runCLI([]string{"send", "--config", cfg, "--provider", "github", "--data-dir", dir}, map[string]string{"WEBHOOKD_SECRET_GITHUB": "gh-route-secret-1234"})
		if err == nil || !strings.Contains(err.Error(), tc.want) || exitCode(err) != 2 || !errors.Is(err, errUsage) {
			t.Errorf("%s: %v (exit %d), want %q and exit 2", tc.routes, err, exitCode(err), tc.want)
		}
	}
}
