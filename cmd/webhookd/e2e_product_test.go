package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"go.temporal.io/api/serviceerror"

	"github.com/webhookd/webhookd/internal/devstack"
	"github.com/webhookd/webhookd/internal/domain"
	"github.com/webhookd/webhookd/internal/email/smtptest"
)

// The product's side, as docs/api.md tells it: a checkout naming the
// product's user id creates the user; the management API reads what the
// user may use and the user's events; users are imported and erased, the
// erasure reaching Temporal's runs.
func TestProduct(t *testing.T) {
	smtpSrv := smtptest.Start(t)
	rcv := newReceiver(t, notifySecret)
	d := startDev(t, map[string]string{"SMTP_URL": smtpSrv.URL(), "WEBHOOKD_NOTIFY_URL": rcv.srv.URL, "WEBHOOKD_NOTIFY_SECRET": notifySecret,
		"WEBHOOKD_RETRY_INITIAL_INTERVAL": "50ms"})
	rcv.failNext(2) // down for a moment: retried, same ids
	ctx := context.Background()
	token, err := devstack.APIToken(d.dataDir)
	if err != nil || d.apiURL == "" {
		t.Fatalf("dev's API: %q, %v", d.apiURL, err)
	}
	call := func(method, path, body string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(method, d.apiURL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}

	// The first payment of a user webhookd has never seen: the product put
	// its id in the checkout's metadata, the provider the address.
	d.sendAs("dodo", "payment.succeeded", "evt_fresh", example(t, "dodo", "payment.succeeded", map[string]any{
		"payment_id": "pay_fresh", "metadata": map[string]any{"user_id": "usr_fresh"},
		"customer": map[string]any{"customer_id": "cus_fresh", "email": "fresh@example.com", "name": "Fresh", "phone_number": nil, "metadata": map[string]any{}}}), time.Now())
	if ev := d.waitStatusOf("dodo", "evt_fresh", domain.StatusSucceeded, domain.StatusFailed); ev.Status != domain.StatusSucceeded {
		t.Fatalf("first payment of a new user: %s %q", ev.Status, ev.LastError.String)
	}
	if n := countMessages(smtpSrv, "To: <fresh@example.com>"); n != 1 {
		t.Errorf("receipts to the new user = %d, want 1", n)
	}
	// The product heard of the new user and the payment, each once, signed.
	waitFor(t, 30*time.Second, func() bool { return rcv.count() >= 2 })
	time.Sleep(500 * time.Millisecond)
	if got := rcv.types(); got != "payment.recorded,user.created" || rcv.bad() != 0 || rcv.refusedOnce() != 2 {
		t.Errorf("notifications = %q (bad signatures %d, refused %d); want payment.recorded and user.created once each", got, rcv.bad(), rcv.refusedOnce())
	}
	code, u := call("GET", "/v1/users/usr_fresh", "")
	pays, _ := u["last_payments"].([]any)
	if code != 200 || u["email"] != "fresh@example.com" || len(pays) != 1 {
		t.Fatalf("GET the new user: %d %v", code, u)
	}
	code, list := call("GET", "/v1/events?user_id=usr_fresh", "")
	if evs, _ := list["events"].([]any); code != 200 || len(evs) != 1 {
		t.Errorf("events of the new user: %d %v", code, list)
	}

	// Ids from the data longer than Temporal's visibility keeps (255
	// bytes in PostgreSQL, 2 KiB for a search attribute) are bounded: the
	// run is listed and found by its customer.
	longCus := "cus_" + strings.Repeat("x", 3000)
	d.sendAs("dodo", "payment.succeeded", "evt_longcus", example(t, "dodo", "payment.succeeded", map[string]any{
		"payment_id": "pay_longcus", "metadata": map[string]any{"user_id": "usr_long"},
		"customer": map[string]any{"customer_id": longCus, "email": "long@example.com", "name": "Fresh", "phone_number": nil, "metadata": map[string]any{}}}), time.Now())
	if ev := d.waitStatusOf("dodo", "evt_longcus", domain.StatusSucceeded, domain.StatusFailed); ev.Status != domain.StatusSucceeded {
		t.Errorf("a 3 KB customer id: %s %q", ev.Status, ev.LastError.String)
	}
	if n := listRuns(t, d.temporal, `WebhookCustomerID = "`+domain.Keyword(longCus)+`"`, 1); n != 1 {
		t.Errorf("runs listed by the bounded customer id = %d, want 1", n)
	}

	// Import, show.
	file := filepath.Join(t.TempDir(), "users.csv")
	os.WriteFile(file, []byte("id,email\nusr_imp1,imp1@example.com\nusr_imp2,not-an-address\n"), 0o600)
	out, err := d.cli("users", "import", file)
	if err == nil || !strings.Contains(out, "skipped line 3: email") || !strings.Contains(out, "created 1, updated 0, invalid 1") {
		t.Errorf("users import: %v\n%s", err, out)
	}
	if out, err := d.cli("users", "show", "usr_imp1"); err != nil || !strings.Contains(out, `"email": "imp1@example.com"`) {
		t.Errorf("users show: %v\n%s", err, out)
	}
	if code, _ := call("PUT", "/v1/users/usr_api", `{"email":"api@example.com"}`); code != 200 {
		t.Errorf("PUT: %d", code)
	}

	// Erasure: the address, the payloads and the runs go; the payment
	// stays under a tombstone.
	if n := listRuns(t, d.temporal, `WebhookUserID = "usr_fresh"`, 1); n != 1 {
		t.Fatalf("runs of usr_fresh before the erasure = %d", n)
	}
	out, err = d.cli("users", "erase", "usr_fresh")
	if err != nil || !strings.Contains(out, `"runs_deleted": 1`) || !strings.Contains(out, `"event_payloads_removed": 1`) {
		t.Fatalf("users erase: %v\n%s", err, out)
	}
	// Temporal deletes a run asynchronously, once its close is recorded
	// everywhere.
	waitFor(t, 90*time.Second, func() bool {
		_, err := d.temporal.DescribeWorkflowExecution(ctx, "dodo:evt_fresh", "")
		var notFound *serviceerror.NotFound
		return errors.As(err, &notFound)
	})
	if n := listRuns(t, d.temporal, `WorkflowId = "dodo:evt_fresh"`, 0); n != 0 {
		t.Errorf("runs of the erased user's event in the visibility store = %d, want 0", n)
	}
	ev, _ := d.st.GetEventByKey(ctx, "dodo", "evt_fresh")
	if bytes.Contains(ev.Payload, []byte("fresh@example.com")) || !ev.PayloadPurgedAt.Valid || !strings.HasPrefix(ev.UserID.String, "erased_") {
		t.Errorf("the event after the erasure: user %q, payload %s", ev.UserID.String, ev.Payload)
	}
	if ps, _ := d.st.Payments(ctx, ev.UserID.String); len(ps) != 1 || ps[0].ID != "pay_fresh" {
		t.Errorf("payments under the tombstone: %+v", ps)
	}
	if code, _ := call("GET", "/v1/users/usr_fresh", ""); code != 404 {
		t.Errorf("GET after the erasure: %d", code)
	}
	if code, er := call("DELETE", "/v1/users/usr_api", ""); code != 200 || er["user"] != true {
		t.Errorf("DELETE: %d %v", code, er)
	}
}

const notifySecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// receiver is the product's endpoint: it verifies each notification with
// the Standard Webhooks library and keeps the first of each webhook-id.
type receiver struct {
	srv *httptest.Server
	mu  sync.Mutex
	ids map[string]string // webhook-id -> type
	// payments maps each payment_id to the webhook-ids it came with.
	payments                 map[string]map[string]bool
	badSigs, failing, failed int
	down                     bool
}

func newReceiver(t *testing.T, secret string) *receiver {
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	r := &receiver{ids: map[string]string{}, payments: map[string]map[string]bool{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.failing > 0 || r.down {
			r.failing = max(r.failing-1, 0)
			r.failed++
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		if err := wh.Verify(body, req.Header); err != nil {
			r.badSigs++
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var msg struct {
			Type string
			Data struct {
				PaymentID string `json:"payment_id"`
			}
		}
		_ = json.Unmarshal(body, &msg)
		id := req.Header.Get("webhook-id")
		if _, seen := r.ids[id]; !seen {
			r.ids[id] = msg.Type
		}
		if p := msg.Data.PaymentID; p != "" {
			if r.payments[p] == nil {
				r.payments[p] = map[string]bool{}
			}
			r.payments[p][id] = true
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) failNext(n int) { r.mu.Lock(); r.failing = n; r.mu.Unlock() }
func (r *receiver) count() int     { r.mu.Lock(); defer r.mu.Unlock(); return len(r.ids) }
func (r *receiver) bad() int       { r.mu.Lock(); defer r.mu.Unlock(); return r.badSigs }
func (r *receiver) refusedOnce() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed
}
func (r *receiver) types() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ts []string
	for _, typ := range r.ids {
		ts = append(ts, typ)
	}
	sort.Strings(ts)
	return strings.Join(ts, ",")
}
