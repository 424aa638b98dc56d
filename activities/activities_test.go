package activities_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/webhookd/webhookd/activities"
	"github.com/webhookd/webhookd/alerts"
	"github.com/webhookd/webhookd/internal/domain"
	"github.com/webhookd/webhookd/internal/email"
	"github.com/webhookd/webhookd/internal/email/smtptest"
	"github.com/webhookd/webhookd/internal/postgres/pgtest"
	"github.com/webhookd/webhookd/internal/store"
	"github.com/webhookd/webhookd/internal/temporalui"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

var a *activities.Activities

type noAlerts struct{}

func (noAlerts) Post(_ context.Context, _ alerts.Alert, done []string) ([]string, error) {
	return done, nil
}

func (noAlerts) PostThread(_ context.Context, _ alerts.Alert, done []string, refs map[string]string) ([]string, map[string]string, error) {
	return done, refs, nil
}

func (noAlerts) SendIncident(_ context.Context, _ alerts.Incident, done []string, refs map[string]string) ([]string, map[string]string, error) {
	return done, refs, nil
}

func setup(t *testing.T, mailer activities.Mailer) (*testsuite.TestActivityEnvironment, *store.Store) {
	t.Helper()
	st := store.New(pgtest.New(t))
	if err := st.UpsertUser(context.Background(), "usr_1", "one@example.com"); err != nil {
		t.Fatal(err)
	}
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.RegisterActivity(&activities.Activities{Store: st, Mailer: mailer, Alerter: noAlerts{}, From: "webhookd <no-reply@example.com>"})
	return env, st
}

func TestSendEmailOnceOverSMTP(t *testing.T) {
	srv := smtptest.Start(t)
	m, err := email.NewSMTP(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	env, st := setup(t, m)
	in := activities.SendEmailInput{
		Event:  activities.EventRef{Provider: "dodo", EventID: "evt_1", WorkflowID: "dodo:evt_1"},
		UserID: "usr_1", Template: email.PaymentConfirmation,
		Data: map[string]string{"amount": "19.99", "currency": "USD", "payment_id": "pay_1"},
	}
	// A transient SMTP failure, then the retry, then a duplicate call (an
	// activity retried after it succeeded): one message in all.
	srv.FailNext(1)
	if _, err := env.ExecuteActivity(a.SendEmail, in); err == nil {
		t.Fatal("first attempt succeeded although SMTP refused")
	}
	for i := 0; i < 2; i++ {
		if _, err := env.ExecuteActivity(a.SendEmail, in); err != nil {
			t.Fatalf("attempt %d: %v", i+2, err)
		}
	}
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("messages = %d, want 1", len(msgs))
	}
	body := string(msgs[0].Data)
	for _, want := range []string{"Subject: Payment received: 19.99 USD", "text/html", "one@example.com"} {
		if !strings.Contains(body, want) {
			t.Errorf("message lacks %q", want)
		}
	}
	logs, _ := st.EmailLogs(context.Background(), "usr_1")
	if len(logs) != 1 || logs[0].Status != store.EmailSent || logs[0].IdempotencyKey != "dodo:evt_1:payment_confirmation" {
		t.Errorf("email logs = %+v", logs)
	}
}

func TestOutboxAndBadData(t *testing.T) {
	dir := t.TempDir()
	env, _ := setup(t, email.Outbox{Dir: dir})
	in := activities.SendEmailInput{Event: activities.EventRef{WorkflowID: "dodo:evt_2"}, UserID: "usr_1", Template: email.PaymentReminder,
		Data: map[string]string{"plan": "pro", "subscription_id": "sub_1"}}
	for i := 0; i < 2; i++ {
		if _, err := env.ExecuteActivity(a.SendEmail, in); err != nil {
			t.Fatal(err)
		}
	}
	files, _ := os.ReadDir(dir)
	if len(files) != 1 || !strings.HasSuffix(files[0].Name(), ".eml") {
		t.Fatalf("outbox = %v, want one .eml", files)
	}
	raw, err := os.ReadFile(filepath.Join(dir, files[0].Name()))
	if err != nil || !bytes.Contains(raw, []byte("To: <one@example.com>")) {
		t.Errorf("outbox message = %q, %v; want it to one@example.com", raw, err)
	}
	if fi, err := os.Stat(filepath.Join(dir, files[0].Name())); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("outbox file mode = %v, %v; want 0600 (customers' addresses)", fi.Mode(), err)
	}

	// Unknown users and bad templates are not retried.
	for _, bad := range []activities.SendEmailInput{
		{Event: in.Event, UserID: "usr_nobody", Template: email.PaymentReminder},
		{Event: in.Event, UserID: "usr_1", Template: "no_such_template"},
	} {
		_, err := env.ExecuteActivity(a.SendEmail, bad)
		var appErr *temporal.ApplicationError
		if !errors.As(err, &appErr) || !appErr.NonRetryable() {
			t.Errorf("%s/%s: err = %v, want non-retryable", bad.UserID, bad.Template, err)
		}
	}
	_, err = env.ExecuteActivity(a.RecordPayment, activities.RecordPaymentInput{PaymentID: "p", UserID: "usr_nobody", Amount: 1, Currency: "USD"})
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || !appErr.NonRetryable() {
		t.Errorf("unknown user payment: err = %v, want non-retryable", err)
	}
}

// unreachableMarks fails MarkEmailSent, as a database that went away just
// after the mail server accepted the message, for the first fail calls.
type unreachableMarks struct {
	*store.Store
	fail, calls int
}

func (u *unreachableMarks) MarkEmailSent(ctx context.Context, key, messageID string) error {
	u.calls++
	if u.calls <= u.fail {
		return errors.New("dial tcp 127.0.0.1:5432: connect: connection refused")
	}
	return u.Store.MarkEmailSent(ctx, key, messageID)
}

func TestSendEmailWaitsOutADatabaseOutageAfterSending(t *testing.T) {
	srv := smtptest.Start(t)
	m, err := email.NewSMTP(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	st := store.New(pgtest.New(t))
	ctx := context.Background()
	if err := st.UpsertUser(ctx, "usr_1", "one@example.com"); err != nil {
		t.Fatal(err)
	}
	marks := &unreachableMarks{Store: st}
	acts := &activities.Activities{Store: marks, Mailer: m, Alerter: noAlerts{}, From: "webhookd <no-reply@example.com>",
		MarkSentWait: 2 * time.Second}
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.RegisterActivity(acts)
	in := func(id string) activities.SendEmailInput {
		return activities.SendEmailInput{
			Event:  activities.EventRef{Provider: "dodo", EventID: id, WorkflowID: "dodo:" + id},
			UserID: "usr_1", Template: email.PaymentConfirmation,
			Data: map[string]string{"amount": "19.99", "currency": "USD", "payment_id": "pay_" + id},
		}
	}
	status := func(id string) string {
		row, err := st.ClaimEmail(ctx, store.EmailClaim{Key: "dodo:" + id + ":payment_confirmation", UserID: "usr_1", To: "one@example.com", Template: email.PaymentConfirmation})
		if err != nil {
			t.Fatal(err)
		}
		return row.Status
	}

	// A short outage (3 failed marks, ~0.7 s): the attempt succeeds, one
	// message, the row sent; a retry of the activity sends nothing.
	marks.fail = 3
	if _, err := env.ExecuteActivity(a.SendEmail, in("evt_1")); err != nil {
		t.Fatalf("send during a short outage: %v", err)
	}
	if _, err := env.ExecuteActivity(a.SendEmail, in("evt_1")); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Messages()); n != 1 || marks.calls != 4 || status("evt_1") != store.EmailSent {
		t.Fatalf("messages %d, mark calls %d, status %s; want 1, 4, sent", n, marks.calls, status("evt_1"))
	}

	// An outage longer than MarkSentWait: the attempt gives up in time and
	// fails (Temporal retries it; the resend has the same Message-ID).
	marks.calls, marks.fail = 0, 1000
	start := time.Now()
	if _, err := env.ExecuteActivity(a.SendEmail, in("evt_2")); err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("send during a long outage: err %v, want the database error", err)
	}
	if took := time.Since(start); took < time.Second || took > 10*time.Second {
		t.Errorf("gave up after %v, want about MarkSentWait (2 s)", took)
	}
	if n := len(srv.Messages()); n != 2 || status("evt_2") != store.EmailPending {
		t.Errorf("messages %d, status %s; want 2, pending", n, status("evt_2"))
	}
}

// Through Resend's API (an HTTP server standing in for it): the id Resend
// returns is stored, so Resend's webhooks for the message match it.
func TestSendEmailThroughResend(t *testing.T) {
	var mu sync.Mutex
	var reqs []map[string]any
	var keys []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/emails" || r.Header.Get("Authorization") != "Bearer re_test_key" {
			http.Error(w, `{"message":"bad request"}`, http.StatusBadRequest)
			return
		}
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		mu.Lock()
		reqs = append(reqs, body)
		keys = append(keys, r.Header.Get("Idempotency-Key"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id":"4ef9a417-02e9-4d39-ad75-9611e0fcc33c"}`))
	}))
	defer srv.Close()
	m, err := email.NewResend("re_test_key", srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	env, st := setup(t, m)
	in := activities.SendEmailInput{
		Event:    activities.EventRef{Provider: "dodo", EventID: "evt_r", WorkflowID: "dodo:evt_r"},
		Customer: domain.Customer{UserID: "usr_1"}, Template: email.PaymentConfirmation,
		Data: map[string]string{"amount": "19.99", "currency": "USD", "payment_id": "pay_1"},
	}
	for i := 0; i < 2; i++ { // the second is a retry after success: nothing sent
		if _, err := env.ExecuteActivity(a.SendEmail, in); err != nil {
			t.Fatal(err)
		}
	}
	if len(reqs) != 1 || reqs[0]["to"].([]any)[0] != "one@example.com" || !strings.HasPrefix(reqs[0]["subject"].(string), "Payment received") || keys[0] == "" {
		t.Fatalf("requests = %v, idempotency keys %q", reqs, keys)
	}
	ctx := context.Background()
	if ok, err := st.StampEmail(ctx, "4ef9a417-02e9-4d39-ad75-9611e0fcc33c", "", "delivered", time.Now()); err != nil || !ok {
		t.Errorf("Resend's delivered webhook does not match the stored id: %v, %v", ok, err)
	}
}

// recordingAlerter notes which sinks each call was asked to post to.
type recordingAlerter struct {
	noAlerts
	asked [][]string
}

func (r *recordingAlerter) Post(_ context.Context, _ alerts.Alert, done []string) ([]string, error) {
	r.asked = append(r.asked, done)
	return append(done, "discord"), nil
}

// A retry of Notify (a dispute) passes on the sinks the last attempt
// reached (the heartbeat details), so they are not posted to twice.
func TestNotifyRetryKeepsTheSinksReached(t *testing.T) {
	rec := &recordingAlerter{}
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.RegisterActivity(&activities.Activities{Alerter: rec})
	env.SetHeartbeatDetails([]string{"slack"})
	if _, err := env.ExecuteActivity(a.Notify, alerts.Alert{Title: "Payment disputed"}); err != nil {
		t.Fatal(err)
	}
	if len(rec.asked) != 1 || len(rec.asked[0]) != 1 || rec.asked[0][0] != "slack" {
		t.Errorf("alerter asked with done = %v, want [slack]", rec.asked)
	}
}

// A dispute's outcome is a reply in the thread of its opening on Slack
// with a bot token (the thread is kept in PostgreSQL, so any worker's run
// finds it); a sink without threads gets both as messages of their own.
func TestDisputeOutcomeRepliesInTheOpeningsThread(t *testing.T) {
	var mu sync.Mutex
	var slack []string
	var discord int
	bot := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		mu.Lock()
		slack = append(slack, r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]+" thread="+r.PostForm.Get("thread_ts"))
		mu.Unlock()
		w.Write([]byte(`{"ok":true,"channel":"C1","ts":"1700000000.000200"}`))
	}))
	defer bot.Close()
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		discord++
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer hook.Close()
	st := store.New(pgtest.New(t))
	al := alerts.NewAlerter([]alerts.Sink{alerts.NewSlackBot("xoxb-test", "#oncall", bot.URL+"/", http.DefaultClient),
		&alerts.Discord{URL: hook.URL, HTTP: http.DefaultClient}}, temporalui.UI{}, nil, alerts.Log{Logger: slog.New(slog.DiscardHandler)})
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.RegisterActivity(&activities.Activities{Store: st, Alerter: al})
	for _, msg := range []alerts.Alert{
		{Title: "Payment disputed: dodo", Thread: "dispute:dodo:dsp_1"},
		{Title: "Dispute won: dodo", Thread: "dispute:dodo:dsp_1"},
		{Title: "Payment disputed: dodo", Thread: "dispute:dodo:dsp_2"},
	} {
		if _, err := env.ExecuteActivity(a.Notify, msg); err != nil {
			t.Fatal(err)
		}
	}
	want := "[chat.postMessage thread= chat.postMessage thread=1700000000.000200 chat.postMessage thread=]"
	if fmt.Sprint(slack) != want || discord != 3 {
		t.Errorf("slack calls = %v, discord posts = %d\nwant %s and 3", slack, discord, want)
	}
}
