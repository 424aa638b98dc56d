package ingress_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/webhookd/webhookd/ingress"
	"github.com/webhookd/webhookd/internal/postgres"
	"github.com/webhookd/webhookd/internal/store"
)

// Attacks and clumsy providers, through the real router and PostgreSQL:
// each gets a clear 4xx (or a 503 to retry) and nothing is left stuck.
func TestAttacks(t *testing.T) {
	f := newFixtureWith(t, nil, func(o *ingress.Options) { o.BodyLimit = 2 << 20 })
	huge := []byte(`{"type":"payment.succeeded","data":{"note":"` + strings.Repeat("<", 1<<20) + `"}}`)
	for _, tc := range []struct {
		name   string
		id     string
		body   string
		status int
	}{
		{"non-ASCII webhook-id", "evt_é", `{"type":"t"}`, 400},
		{"full-width webhook-id", "ｅｖｔ１", `{"type":"t"}`, 400},
		{"id of 251 bytes: over 255 with dodo:", strings.Repeat("x", 251), `{"type":"t"}`, 400},
		{"id of 250 bytes: fits", strings.Repeat("y", 250), `{"type":"t"}`, 200},
		{"1 MiB of < in data: 6 MiB encoded", "evt_lt", string(huge), 413},
		{"event time in year 10000", "evt_y10k", `{"type":"t","timestamp":253402300800}`, 400},
		{"event time of 9e18 ms", "evt_ms", `{"type":"t","timestamp":9000000000000000000}`, 400},
		{"number out of PostgreSQL's range", "evt_num", `{"type":"t","data":{"amount":1e1000000}}`, 400},
		{"NUL escape PostgreSQL cannot store", "evt_nul", `{"type":"t","data":"\u0000"}`, 400},
		{"keys that differ only by case: applied one way, shown another", "evt_case", `{"type":"payment.succeeded","data":{"paymentId":"A","PAYMENTID":"B"}}`, 400},
		{"a key repeated", "evt_dupkey", `{"type":"t","data":{"a":1,"a":2}}`, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, _ := f.do(f.signed(tc.id, []byte(tc.body)))
			if w.Code != tc.status {
				t.Fatalf("status = %d (%.200s), want %d", w.Code, w.Body, tc.status)
			}
			if ev, err := f.st.GetEventByKey(context.Background(), "dodo", tc.id); tc.status != 200 && err == nil {
				t.Errorf("refused event recorded as %s", ev.Status)
			}
		})
	}
}

// timeoutReader fails as a connection whose read deadline passed.
type timeoutReader struct{}

func (timeoutReader) Read([]byte) (int, error) { return 0, os.ErrDeadlineExceeded }

func TestReadTimeoutIs408(t *testing.T) {
	f := newFixture(t, nil)
	req := httptest.NewRequest(http.MethodPost, "/webhooks/dodo", timeoutReader{})
	if w, got := f.do(req); w.Code != http.StatusRequestTimeout || got["error"] != "request timeout" {
		t.Fatalf("status = %d %s, want 408", w.Code, w.Body)
	}
}

// blockingBody is a body that is being uploaded: it blocks until released.
type blockingBody struct {
	reading chan struct{}
	release chan struct{}
	once    sync.Once
}

func (b *blockingBody) Read(p []byte) (int, error) {
	b.once.Do(func() { close(b.reading) })
	<-b.release
	return 0, io.EOF
}

// Bodies being read share a budget: past it a request gets 503 with
// Retry-After before a byte of its body is read, and the budget comes back.
func TestInFlightBodyBudget(t *testing.T) {
	f := newFixtureWith(t, nil, func(o *ingress.Options) { o.BodyLimit, o.InFlightBytes = 4096, 4096 })
	slow := &blockingBody{reading: make(chan struct{}), release: make(chan struct{})}
	req := httptest.NewRequest(http.MethodPost, "/webhooks/dodo", slow)
	req.ContentLength = 4096
	done := make(chan int)
	go func() { w, _ := f.do(req); done <- w.Code }()
	<-slow.reading
	w, _ := f.do(f.signed("evt_b1", body("evt_b1", "t")))
	if w.Code != 503 || w.Header().Get("Retry-After") == "" {
		t.Fatalf("over the budget: %d %s, want 503 with Retry-After", w.Code, w.Body)
	}
	close(slow.release)
	<-done
	if w, _ := f.do(f.signed("evt_b2", body("evt_b2", "t"))); w.Code != 200 {
		t.Fatalf("after the slow body: %d %s, want 200", w.Code, w.Body)
	}
	if n := testutil.ToFloat64(f.metric("webhookd_ingress_over_budget_total")); n != 1 {
		t.Errorf("over-budget count = %v, want 1", n)
	}
}

// GitHub signs the body only: a captured delivery replayed under a new
// X-GitHub-Delivery and another X-GitHub-Event is a duplicate.
func TestGitHubReplayWithNewDeliveryIsDuplicate(t *testing.T) {
	f := newFixture(t, nil)
	b := []byte(`{"action":"opened","number":7}`)
	send := func(delivery, event string) map[string]any {
		r := f.signAs("github", b)
		r.Header.Set("X-GitHub-Delivery", delivery)
		r.Header.Set("X-GitHub-Event", event)
		w, got := f.do(r)
		if w.Code != 200 {
			t.Fatalf("%s: %d %s", delivery, w.Code, w.Body)
		}
		return got
	}
	if got := send("d-1", "pull_request"); got["duplicate"] != false {
		t.Fatalf("first delivery: %v", got)
	}
	if got := send("d-2-forged", "push"); got["duplicate"] != true {
		t.Errorf("replay with a new delivery id: %v, want a duplicate", got)
	}
}

// A redelivery whose body differs from the recorded one keeps the recorded
// one, and is counted and logged (without the body).
func TestRedeliveryWithAnotherBodyIsCounted(t *testing.T) {
	f := newFixture(t, nil)
	if w, _ := f.do(f.signed("evt_c", body("evt_c", "t"))); w.Code != 200 {
		t.Fatal(w.Body)
	}
	if w, _ := f.do(f.signed("evt_c", body("evt_c", "t"))); w.Code != 200 {
		t.Fatal(w.Body)
	}
	changed := bytes.Replace(body("evt_c", "t"), []byte(`"evt_c"}`), []byte(`"evt_other"}`), 1)
	if w, got := f.do(f.signed("evt_c", changed)); w.Code != 200 || got["duplicate"] != true {
		t.Fatalf("changed redelivery: %d %s", w.Code, w.Body)
	}
	if n := testutil.ToFloat64(f.metricVec("webhookd_ingress_redelivery_changed_body_total", "dodo")); n != 1 {
		t.Errorf("changed-body count = %v, want 1 (the identical redelivery does not count)", n)
	}
	ev, _ := f.st.GetEventByKey(context.Background(), "dodo", "evt_c")
	if !strings.Contains(string(ev.Data), `"evt_c"`) {
		t.Errorf("recorded data = %s, want the first body's", ev.Data)
	}
}

// Five deliveries answered 503 within a minute (the database unreachable)
// tell the owner once: the worker's incident workflow posts it.
func TestUnavailableAnswersAreReportedOnce(t *testing.T) {
	port, _ := postgres.FreePort()
	st, err := store.Open(context.Background(), "postgres://postgres@127.0.0.1:"+strconv.Itoa(port)+"/none?sslmode=disable&connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	reported := make(chan int, 4)
	f := newFixtureWith(t, st, func(o *ingress.Options) {
		o.UnavailableAnswers, o.OnUnavailable = 5, func(n int) { reported <- n }
	})
	for i := 0; i < 8; i++ {
		if w, _ := f.do(f.signed("evt_503", body("evt_503", "t"))); w.Code != 503 {
			t.Fatalf("status %d", w.Code)
		}
	}
	select {
	case n := <-reported:
		if n != 5 {
			t.Errorf("reported %d, want 5", n)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("not reported")
	}
	select {
	case n := <-reported:
		t.Errorf("reported twice (%d)", n)
	case <-time.After(200 * time.Millisecond):
	}
}

// 64 requests that send headers only, each declaring a 1 MiB body, used to
// hold the whole 64 MiB budget until the read timeout: the budget is now
// charged for bytes received, so signed deliveries still get through, and
// the idle requests are answered 408 once they fall under the minimum rate.
func TestHeaderOnlyFloodDoesNotSpendTheBudget(t *testing.T) {
	f := newFixtureWith(t, nil, func(o *ingress.Options) { o.BodyLimit, o.InFlightBytes = 1<<20, 64<<20 })
	srv := httptest.NewServer(f.h)
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	var conns []net.Conn
	for i := range 64 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "POST /webhooks/dodo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1048576\r\nwebhook-id: flood%d\r\n\r\n", i)
		conns = append(conns, c)
	}
	time.Sleep(300 * time.Millisecond)
	for i := range 5 {
		id := fmt.Sprintf("evt_during_flood_%d", i)
		req := f.signed(id, body(id, "t"))
		req.RequestURI = ""
		req.URL, _ = url.Parse(srv.URL + "/webhooks/dodo")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("signed delivery during the flood: %d, want 200", resp.StatusCode)
		}
	}
	// The idle ones fall under MinBodyRate: 408 after about 3 s.
	conns[0].SetReadDeadline(time.Now().Add(10 * time.Second))
	line, err := bufio.NewReader(conns[0]).ReadString('\n')
	if err != nil || !strings.Contains(line, "408") {
		t.Errorf("an idle body: %q, %v; want 408", line, err)
	}
}
