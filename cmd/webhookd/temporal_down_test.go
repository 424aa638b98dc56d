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
	"github.com/webhookd/webhookd/internal/dispatch"
	"github.com/webhookd/webhookd/internal/postgres/pgtest"
	"github.com/webhookd/webhookd/internal/store"
	"github.com/webhookd/webhookd/workflows"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// Temporal stopped: the ingress records the event and answers 202; once
// Temporal is back the dispatcher starts the run and it completes.
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
	s := settings{TemporalAddress: "127.0.0.1:" + strconv.Itoa(port), TemporalNamespace: "default", TemporalUIURL: "http://x", DataDir: dir, BodyLimit: 1 << 20}
	providers, err := config.LoadProviders("", true, func(string) string { return "" }, map[string]string{"dodo": "whsec_c2VjcmV0LW9uZQ=="})
	if err != nil {
		t.Fatal(err)
	}
	c, err := dialTemporal(&s, logger, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	d := &dispatch.Dispatcher{Client: c, Providers: providers}
	h, err := newIngress(&s, providers, st, d, newRegistry(), logger)
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
	if ev, _ := st.GetEventByKey(ctx, "dodo", "evt_down"); ev.Status != store.StatusReceived {
		t.Fatalf("status = %s, want received", ev.Status)
	}

	tmp, err = devstack.StartTemporal(ctx, topts)
	if err != nil {
		t.Fatal(err)
	}
	defer tmp.Stop()
	wk, _, err := newWorker(c, st, &s, logger)
	if err != nil {
		t.Fatal(err)
	}
	if err := waitTemporal(ctx, c, logger); err != nil {
		t.Fatal(err)
	}
	if err := wk.Start(); err != nil {
		t.Fatal(err)
	}
	defer wk.Stop()
	deadline := time.Now().Add(60 * time.Second)
	for {
		n, err := d.Sweep(ctx, st, 0)
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
		if ev.Status == store.StatusIgnored {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("status = %s, want ignored (the run completed)", ev.Status)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n, err := d.Sweep(ctx, st, 0); n != 0 || err != nil {
		t.Errorf("second sweep = %d, %v; want nothing left", n, err)
	}
}
