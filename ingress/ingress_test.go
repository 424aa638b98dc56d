package ingress_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/webhookd/webhookd/ingress"
	"github.com/webhookd/webhookd/internal/domain"
	"github.com/webhookd/webhookd/internal/lifecycle"
	"github.com/webhookd/webhookd/internal/postgres"
	"github.com/webhookd/webhookd/internal/postgres/pgtest"
	"github.com/webhookd/webhookd/internal/provider"
	"github.com/webhookd/webhookd/internal/runs"
	"github.com/webhookd/webhookd/internal/store"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode)
	os.Exit(pgtest.Main(m))
}

// starter stands in for Temporal: it remembers started IDs like Temporal's
// workflow-ID guard, or fails as if Temporal were unreachable.
type starter struct {
	mu      sync.Mutex
	started map[string]int
	down    bool
}

func (s *starter) Start(_ context.Context, ev store.Event) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down {
		return "", errors.New("dial tcp 127.0.0.1:7233: connection refused")
	}
	if s.started[ev.WorkflowID] > 0 {
		return "", lifecycle.ErrAlreadyStarted
	}
	s.started[ev.WorkflowID]++
	return "run-" + ev.EventID, nil
}

func (s *starter) Current(context.Context, store.Event) (string, error) { return "", nil }

// Fits is the real check: what Temporal would refuse is refused.
func (s *starter) Fits(ev store.Event) error { return (&runs.Temporal{}).Fits(ev) }

func (s *starter) Restart(ctx context.Context, ev store.Event) (string, error) {
	return s.Start(ctx, ev)
}

func (s *starter) Ping(context.Context) error {
	if s.down {
		return errors.New("down")
	}
	return nil
}

const secret = "whsec_c2VjcmV0LW9uZS1vbmUtb25lLW9uZQ=="

type fixture struct {
	h         http.Handler
	st        *store.Store
	starter   *starter
	dodo      *provider.Provider
	providers map[string]*provider.Provider
	now       time.Time
	reg       *prometheus.Registry
}

func newFixture(t *testing.T, rec lifecycle.Store) *fixture {
	t.Helper()
	return newFixtureWith(t, rec, nil)
}

// newFixtureWith lets the caller change the ingress options.
func newFixtureWith(t *testing.T, rec lifecycle.Store, change func(*ingress.Options)) *fixture {
	t.Helper()
	env := map[string]string{"WEBHOOKD_SECRET_DODO": secret, "WEBHOOKD_SECRET_STRIPE": "sk_stripe", "WEBHOOKD_SECRET_LOCKED": "locked-secret",
		"WEBHOOKD_SECRET_GITHUB": "gh-secret-of-the-hook"}
	dir := t.TempDir()
	cfg := dir + "/providers.yaml"
	os.WriteFile(cfg, []byte(`providers:
  - name: stripe
    scheme: stripe
  - name: locked
    scheme: hmac-hex
    signature_header: dodo-signature
    allow_ips: ["203.0.113.0/24"]
  - name: github
    scheme: github
`), 0o644)
	providers, err := provider.LoadProviders(cfg, true, func(k string) string { return env[k] }, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{starter: &starter{started: map[string]int{}}, dodo: providers["dodo"], providers: providers, now: time.Now()}
	if rec == nil {
		f.st = store.New(pgtest.New(t))
		rec = f.st
	}
	opts := ingress.Options{
		Providers: providers, Events: &lifecycle.Service{Store: rec, Runs: f.starter, Logger: slog.New(slog.DiscardHandler)}, BodyLimit: 4096,
		TrustedProxies: []string{"10.0.0.0/8"},
		Logger:         slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Registry:       prometheus.NewRegistry(),
	}
	if change != nil {
		change(&opts)
	}
	f.reg = opts.Registry
	f.h, err = ingress.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func body(id, eventType string) []byte {
	b, _ := json.Marshal(map[string]any{"type": eventType, "timestamp": "2026-01-01T00:00:00Z", "data": map[string]any{"id": id}})
	return b
}

// signed returns a request signed as dodo.
func (f *fixture) signed(id string, b []byte) *http.Request {
	signer, _ := f.dodo.Signer()
	req := httptest.NewRequest(http.MethodPost, "/webhooks/dodo", bytes.NewReader(b))
	for k, v := range signer.Sign(id, f.now, b) {
		req.Header[k] = v
	}
	return req
}

func (f *fixture) do(req *http.Request) (*httptest.ResponseRecorder, map[string]any) {
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, req)
	var got map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &got)
	return w, got
}

func TestStatusTable(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()

	t.Run("new event: 200, started", func(t *testing.T) {
		w, got := f.do(f.signed("evt_new", body("evt_new", "payment.succeeded")))
		if w.Code != 200 || got["duplicate"] != false || got["workflow_id"] != "dodo:evt_new" || got["event_id"] != "evt_new" || got["received"] != true {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
		ev, err := f.st.GetEventByKey(ctx, "dodo", "evt_new")
		// One statement: recorded as dispatched; the run ID comes with the
		// run's status write (or the sweep).
		if err != nil || ev.Status != domain.StatusDispatched || ev.Attempts != 1 || ev.RunID.Valid || f.starter.started["dodo:evt_new"] != 1 {
			t.Errorf("row = %+v, %v", ev, err)
		}
	})
	t.Run("same event again: 200, duplicate, nothing started", func(t *testing.T) {
		w, got := f.do(f.signed("evt_new", body("evt_new", "payment.succeeded")))
		if w.Code != 200 || got["duplicate"] != true {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
		if n := f.starter.started["dodo:evt_new"]; n != 1 {
			t.Errorf("starts = %d, want 1", n)
		}
	})
	t.Run("Temporal unreachable: 202, recorded", func(t *testing.T) {
		f.starter.down = true
		defer func() { f.starter.down = false }()
		w, got := f.do(f.signed("evt_queued", body("evt_queued", "payment.succeeded")))
		if w.Code != 202 || got["queued"] != true || got["received"] != true {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
		ev, err := f.st.GetEventByKey(ctx, "dodo", "evt_queued")
		if err != nil || ev.Status != domain.StatusReceived {
			t.Errorf("row = %+v, %v; want received", ev, err)
		}
	})
	bad := []struct {
		name   string
		req    func() *http.Request
		status int
		errMsg string
	}{
		{"bad signature", func() *http.Request {
			r := f.signed("evt_x", body("evt_x", "t"))
			r.Header.Set("webhook-signature", "v1,"+strings.Repeat("A", 43)+"=")
			return r
		}, 401, "invalid signature"},
		{"missing signature", func() *http.Request {
			r := f.signed("evt_x", body("evt_x", "t"))
			r.Header.Del("webhook-signature")
			return r
		}, 401, "invalid signature"},
		{"tampered body", func() *http.Request {
			r := f.signed("evt_x", body("evt_x", "t"))
			r.Body = io.NopCloser(bytes.NewReader(body("evt_x", "payment.refunded")))
			return r
		}, 401, "invalid signature"},
		{"stale timestamp", func() *http.Request {
			old := *f
			old.now = time.Now().Add(-10 * time.Minute)
			return old.signed("evt_x", body("evt_x", "t"))
		}, 401, "invalid signature"},
		{"client IP not allowed", func() *http.Request {
			b := []byte(`{"id":"evt_l","type":"t"}`)
			r := httptest.NewRequest(http.MethodPost, "/webhooks/locked", bytes.NewReader(b))
			r.RemoteAddr = "198.51.100.7:5555"
			return r
		}, 403, "forbidden"},
		{"X-Forwarded-For from an untrusted peer is ignored", func() *http.Request {
			b := []byte(`{"id":"evt_l","type":"t"}`)
			r := httptest.NewRequest(http.MethodPost, "/webhooks/locked", bytes.NewReader(b))
			r.RemoteAddr = "198.51.100.7:5555"
			r.Header.Set("X-Forwarded-For", "203.0.113.9")
			return r
		}, 403, "forbidden"},
		{"X-Forwarded-For first entry is not trusted blindly", func() *http.Request {
			b := []byte(`{"id":"evt_l","type":"t"}`)
			r := httptest.NewRequest(http.MethodPost, "/webhooks/locked", bytes.NewReader(b))
			r.RemoteAddr = "10.1.2.3:5555" // a trusted proxy
			r.Header.Set("X-Forwarded-For", "203.0.113.9, 198.51.100.7")
			return r
		}, 403, "forbidden"},
		{"X-Real-IP from a trusted proxy is not believed (only X-Forwarded-For is)", func() *http.Request {
			r := f.signAs("locked", []byte(`{"id":"evt_l","type":"t"}`))
			r.RemoteAddr = "10.1.2.3:5555" // a trusted proxy
			r.Header.Set("X-Real-IP", "203.0.113.9")
			return r
		}, 403, "forbidden"},
		{"GET on the webhook route", func() *http.Request {
			return httptest.NewRequest(http.MethodGet, "/webhooks/dodo", nil)
		}, 405, "method not allowed"},
		{"unknown provider", func() *http.Request {
			return httptest.NewRequest(http.MethodPost, "/webhooks/nope", strings.NewReader(`{}`))
		}, 404, "unknown provider"},
		{"body over the limit", func() *http.Request {
			return f.signed("evt_big", []byte(`{"type":"t","data":"`+strings.Repeat("x", 5000)+`"}`))
		}, 413, "body too large"},
		{"body over the limit, chunked", func() *http.Request {
			r := f.signed("evt_big", []byte(`{"type":"t","data":"`+strings.Repeat("x", 5000)+`"}`))
			r.ContentLength = -1
			return r
		}, 413, "body too large"},
		{"body not JSON", func() *http.Request { return f.signed("evt_x", []byte("hello")) }, 400, ""},
		{"no event type", func() *http.Request { return f.signed("evt_x", []byte(`{"data":{}}`)) }, 400, ""},
		{"JSON PostgreSQL cannot store", func() *http.Request { return f.signed("evt_nul", []byte(`{"type":"t","data":"\u0000"}`)) }, 400, ""},
		{"no event id", func() *http.Request { return f.signAs("stripe", []byte(`{"id":"","type":"t"}`)) }, 400, ""},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			w, got := f.do(tt.req())
			if w.Code != tt.status {
				t.Fatalf("status = %d (%s), want %d", w.Code, w.Body, tt.status)
			}
			if tt.errMsg != "" && got["error"] != tt.errMsg {
				t.Errorf("error = %v, want %q", got["error"], tt.errMsg)
			}
			if got["error"] == nil {
				t.Errorf("body %s has no error", w.Body)
			}
		})
	}
	t.Run("allowed IP through a trusted proxy", func(t *testing.T) {
		r := f.signAs("locked", []byte(`{"id":"evt_l","type":"t"}`))
		r.RemoteAddr = "10.1.2.3:5555"
		r.Header.Set("X-Forwarded-For", "203.0.113.9")
		if w, _ := f.do(r); w.Code != 200 {
			t.Fatalf("status = %d (%s), want 200", w.Code, w.Body)
		}
	})
	t.Run("metrics count outcomes and verify failures", func(t *testing.T) {
		w, _ := f.do(httptest.NewRequest(http.MethodGet, "/metrics", nil))
		for _, want := range []string{
			`webhookd_ingress_requests_total{outcome="started",provider="dodo"}`,
			`webhookd_ingress_requests_total{outcome="duplicate",provider="dodo"}`,
			`webhookd_ingress_signature_failures_total{provider="dodo",reason="stale"}`,
			`webhookd_ingress_signature_failures_total{provider="dodo",reason="mismatch"}`,
			`webhookd_ingress_request_duration_seconds_bucket`,
		} {
			if !strings.Contains(w.Body.String(), want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
	})
}

func (f *fixture) signAs(name string, b []byte) *http.Request {
	signer, _ := f.providers[name].Signer()
	r := httptest.NewRequest(http.MethodPost, "/webhooks/"+name, bytes.NewReader(b))
	for k, v := range signer.Sign("", time.Now(), b) {
		r.Header[k] = v
	}
	return r
}

func TestDatabaseDownIs503(t *testing.T) {
	port, _ := postgres.FreePort()
	st, err := store.Open(context.Background(), "postgres://postgres@127.0.0.1:"+strconv.Itoa(port)+"/none?sslmode=disable&connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, st)
	w, got := f.do(f.signed("evt_1", body("evt_1", "payment.succeeded")))
	if w.Code != 503 || w.Header().Get("Retry-After") == "" || got["error"] != "temporarily unavailable" {
		t.Fatalf("status %d, Retry-After %q, body %s", w.Code, w.Header().Get("Retry-After"), w.Body)
	}
	if len(f.starter.started) != 0 {
		t.Error("a workflow started although nothing was recorded")
	}
	w, _ = f.do(httptest.NewRequest(http.MethodGet, "/readyz", nil))
	if w.Code != 503 {
		t.Errorf("/readyz = %d, want 503", w.Code)
	}
}

func TestFailedEventRedeliveryRunsAgainOnce(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	req := func() *http.Request { return f.signed("evt_f", body("evt_f", "payment.succeeded")) }
	if w, _ := f.do(req()); w.Code != 200 {
		t.Fatal(w.Body)
	}
	if err := f.st.SetEventStatus(ctx, store.EventStatusUpdate{Provider: "dodo", EventID: "evt_f", Status: domain.StatusFailed, LastError: "smtp down"}); err != nil {
		t.Fatal(err)
	}
	f.starter.started = map[string]int{} // Temporal's reuse policy allows a new run after a failure
	var wg sync.WaitGroup
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if w, got := f.do(req()); w.Code != 200 || got["duplicate"] != true {
				t.Errorf("redelivery: %d %s", w.Code, w.Body)
			}
		}()
	}
	wg.Wait()
	if n := f.starter.started["dodo:evt_f"]; n != 1 {
		t.Errorf("new runs = %d, want 1", n)
	}
	ev, _ := f.st.GetEventByKey(ctx, "dodo", "evt_f")
	if ev.Status != domain.StatusDispatched {
		t.Errorf("status = %s, want dispatched", ev.Status)
	}
}

// claimFails is a store whose rerun claims fail, as during an outage.
type claimFails struct{ *store.Store }

func (claimFails) ClaimRerun(context.Context, string, string, domain.Status, int) (bool, error) {
	return false, errors.New("connection reset by peer")
}

// A failed event's redelivery that cannot claim its rerun answers 503, so
// the provider delivers it again later; a 200 would lose the rerun.
func TestRerunClaimErrorIs503(t *testing.T) {
	st := store.New(pgtest.New(t))
	f := newFixture(t, claimFails{st})
	f.st = st
	req := func() *http.Request { return f.signed("evt_c", body("evt_c", "payment.succeeded")) }
	if w, _ := f.do(req()); w.Code != 200 {
		t.Fatal(w.Body)
	}
	if err := st.SetEventStatus(context.Background(), store.EventStatusUpdate{Provider: "dodo", EventID: "evt_c", Status: domain.StatusFailed}); err != nil {
		t.Fatal(err)
	}
	w, got := f.do(req())
	if w.Code != 503 || w.Header().Get("Retry-After") == "" || got["error"] != "temporarily unavailable" {
		t.Fatalf("redelivery with a failing claim: %d %s", w.Code, w.Body)
	}
}

// metric finds a collector of the fixture's registry by name.
func (f *fixture) metric(name string) prometheus.Collector {
	return collectorNamed{f.reg, name, nil}
}

func (f *fixture) metricVec(name string, labels ...string) prometheus.Collector {
	return collectorNamed{f.reg, name, labels}
}

// collectorNamed collects the one series of the registry with that name
// (and label values), for testutil.ToFloat64.
type collectorNamed struct {
	reg    *prometheus.Registry
	name   string
	labels []string
}

func (c collectorNamed) Describe(chan<- *prometheus.Desc) {}

func (c collectorNamed) Collect(ch chan<- prometheus.Metric) {
	mfs, _ := c.reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() != c.name {
			continue
		}
		for _, m := range mf.GetMetric() {
			ok := true
			for i, l := range m.GetLabel() {
				if i < len(c.labels) && l.GetValue() != c.labels[i] {
					ok = false
				}
			}
			if ok {
				ch <- prometheus.MustNewConstMetric(prometheus.NewDesc(c.name, "", nil, nil), prometheus.CounterValue, m.GetCounter().GetValue())
			}
		}
	}
}

// While Temporal is down the ingress still records events and answers 202,
// so it stays ready (a load balancer keeps sending it traffic) and says
// Temporal is unavailable.
func TestReadyWithoutTemporal(t *testing.T) {
	f := newFixture(t, nil)
	f.starter.down = true
	w, got := f.do(httptest.NewRequest(http.MethodGet, "/readyz", nil))
	if w.Code != 200 || got["postgres"] != "ok" || got["temporal"] != "unavailable" {
		t.Errorf("/readyz = %d %v, want 200 with temporal unavailable", w.Code, got)
	}
	if w, _ := f.do(f.signed("evt_q", body("evt_q", "payment.succeeded"))); w.Code != http.StatusAccepted {
		t.Errorf("delivery while Temporal is down = %d, want 202", w.Code)
	}
}
