package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/webhookd/webhookd/internal/config"
	"github.com/webhookd/webhookd/internal/devstack"
	"github.com/webhookd/webhookd/internal/domain"
	"github.com/webhookd/webhookd/internal/lifecycle"
	"github.com/webhookd/webhookd/internal/postgres/pgtest"
	"github.com/webhookd/webhookd/internal/provider"
	"github.com/webhookd/webhookd/internal/runs"
	"github.com/webhookd/webhookd/internal/store"
	"github.com/webhookd/webhookd/workflows"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// Temporal stopped: the ingress records the event and answers 202; once
// Temporal is back the sweep starts the run and it completes.
func TestTemporalDownThenDispatched(t *testing.T) {
	ctx := context.Background()
	dir := pgtest.TempDir(t)
	port := freePort(t)
	topts := devstack.TemporalOptions{DatabaseFile: filepath.Join(dir, "temporal.sqlite"), Port: port, UIPort: -1,
		SearchAttributes: workflows.SearchAttributeNames()}
	tmp, err := devstack.StartTemporal(ctx, topts)
	if err != nil {
		t.Fatal(err)
	}
	tmp.Stop() // the schema and namespace exist; now Temporal is down

	st := store.New(pgtest.New(t))
	logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
	s := config.Settings{TemporalAddress: "127.0.0.1:" + strconv.Itoa(port), TemporalNamespace: "default", TemporalUIURL: "http://x", DataDir: dir, BodyLimit: 1 << 20}
	providers, err := provider.LoadProviders("", true, func(string) string { return "" }, map[string]string{"dodo": "whsec_c2VjcmV0LW9uZQ=="})
	if err != nil {
		t.Fatal(err)
	}
	c, err := dialTemporal(&s, logger, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	a := newApp(&s, logger, st, c, newRegistry())
	h, err := a.ingressHandler(providers)
	if err != nil {
		t.Fatal(err)
	}
	headers, body, err := providers["dodo"].BuildEnvelope("evt_down", "customer.created", time.Now(), []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := providers["dodo"].Signer()
	req := httptest.NewRequest(http.MethodPost, "/webhooks/dodo", bytes.NewReader(body))
	req.Header = headers
	for k, v := range signer.Sign("evt_down", time.Now(), body) {
		req.Header[k] = v
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != http.StatusAccepted {
		t.Fatalf("with Temporal down: %d %s, want 202", w.Code, w.Body)
	}
	if ev, _ := st.GetEventByKey(ctx, "dodo", "evt_down"); ev.Status != domain.StatusReceived {
		t.Fatalf("status = %s, want received", ev.Status)
	}

	tmp, err = devstack.StartTemporal(ctx, topts)
	if err != nil {
		t.Fatal(err)
	}
	defer tmp.Stop()
	wk, _, _, err := a.newWorker()
	if err != nil {
		t.Fatal(err)
	}
	if err := runs.WaitReady(ctx, c, logger); err != nil {
		t.Fatal(err)
	}
	if err := wk.Start(); err != nil {
		t.Fatal(err)
	}
	defer wk.Stop()
	deadline := time.Now().Add(60 * time.Second)
	for {
		n, err := a.events.Sweep(ctx, lifecycle.Ages{})
		if err == nil && n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sweep never dispatched: %d, %v", n, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	for {
		ev, _ := st.GetEventByKey(ctx, "dodo", "evt_down")
		if ev.Status == domain.StatusIgnored {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("status = %s, want ignored (the run completed)", ev.Status)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n, err := a.events.Sweep(ctx, lifecycle.Ages{}); n != 0 || err != nil {
		t.Errorf("second sweep = %d, %v; want nothing left", n, err)
	}
}

// The ingress records an event as dispatched before it starts the run. The
// sweep settles such rows once they are older than its threshold: one whose
// ingress died before the start gets its run started; one whose run exists
// gets that run's ID, and no second run.
func TestSweepSettlesRunlessDispatchedEvents(t *testing.T) {
	ctx := context.Background()
	dir := pgtest.TempDir(t)
	tmp, err := devstack.StartTemporal(ctx, devstack.TemporalOptions{DatabaseFile: filepath.Join(dir, "temporal.sqlite"),
		UIPort: -1, SearchAttributes: workflows.SearchAttributeNames()})
	if err != nil {
		t.Fatal(err)
	}
	defer tmp.Stop()
	st := store.New(pgtest.New(t))
	logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
	s := config.Settings{TemporalAddress: tmp.Address(), TemporalNamespace: "default", TemporalUIURL: "http://x", DataDir: dir}
	c, err := dialTemporal(&s, logger, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	a := newApp(&s, logger, st, c, newRegistry())
	runs := &runs.Temporal{Client: c}

	record := func(id string) store.Event {
		ev, inserted, err := st.RecordEvent(ctx, store.NewEvent{Status: domain.StatusDispatched, Provider: "dodo", EventID: id, EventType: "customer.created",
			Payload: []byte(`{}`), WorkflowID: lifecycle.WorkflowID("dodo", id)})
		if err != nil || !inserted || ev.Status != domain.StatusDispatched {
			t.Fatalf("record %s = %+v, %v, %v", id, ev, inserted, err)
		}
		return ev
	}
	record("evt_crashed") // the ingress died before starting the run
	started := record("evt_started")
	runID, err := runs.Start(ctx, started) // started, but the run ID was never written
	if err != nil {
		t.Fatal(err)
	}

	// No worker yet: both runs stay open while the sweep looks at them.
	if n, err := a.events.Sweep(ctx, lifecycle.Ages{Runless: time.Hour}); n != 0 || err != nil {
		t.Fatalf("sweep within the threshold = %d, %v; want nothing", n, err)
	}
	if n, err := a.events.Sweep(ctx, lifecycle.Ages{}); n != 2 || err != nil {
		t.Fatalf("sweep = %d, %v; want 2", n, err)
	}
	ev, _ := st.GetEventByKey(ctx, "dodo", "evt_started")
	if ev.RunID.String != runID || ev.Attempts != 1 {
		t.Errorf("evt_started: run %q attempts %d; want the existing run %q, 1 attempt", ev.RunID.String, ev.Attempts, runID)
	}
	desc, err := c.DescribeWorkflowExecution(ctx, "dodo:evt_started", "")
	if err != nil || desc.WorkflowExecutionInfo.Execution.RunId != runID {
		t.Errorf("evt_started: current run %v (%v), want %s: a second run was started", desc, err, runID)
	}
	crashed, _ := st.GetEventByKey(ctx, "dodo", "evt_crashed")
	if !crashed.RunID.Valid || crashed.Status != domain.StatusDispatched {
		t.Errorf("evt_crashed: %s run %q; want dispatched with the run the sweep started", crashed.Status, crashed.RunID.String)
	}
	if n, err := a.events.Sweep(ctx, lifecycle.Ages{}); n != 0 || err != nil {
		t.Errorf("second sweep = %d, %v; want nothing left", n, err)
	}

	wk, _, _, err := a.newWorker()
	if err != nil {
		t.Fatal(err)
	}
	if err := wk.Start(); err != nil {
		t.Fatal(err)
	}
	defer wk.Stop()
	for _, id := range []string{"evt_crashed", "evt_started"} {
		deadline := time.Now().Add(30 * time.Second)
		for {
			ev, _ := st.GetEventByKey(ctx, "dodo", id)
			if ev.Status == domain.StatusIgnored {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: status %s, want ignored (its run completed)", id, ev.Status)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}
