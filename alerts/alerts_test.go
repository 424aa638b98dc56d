package alerts_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/webhookd/webhookd/alerts"
)

var failure = alerts.Failure{Provider: "dodo", EventType: "payment.succeeded", EventID: "evt_1",
	WorkflowID: "dodo:evt_1", RunID: "run-1", Attempts: 5, Error: "smtp: 451 try again later"}

const runLink = "http://ui.test/namespaces/default/workflows/dodo:evt_1/run-1/history"

func TestIncomingWebhook(t *testing.T) {
	var got []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = io.ReadAll(r.Body)
	}))
	defer srv.Close()
	a := alerts.New(alerts.Config{WebhookURL: srv.URL, UIURL: "http://ui.test", Namespace: "default"})
	if err := a.Send(context.Background(), failure); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"evt_1", "payment.succeeded", "dodo", "Attempts*\\n5", "451 try again later", runLink, `"type":"button"`} {
		if !bytes.Contains(got, []byte(want)) {
			t.Errorf("message lacks %s:\n%s", want, got)
		}
	}
}

func TestBotToken(t *testing.T) {
	var form url.Values
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		form = r.PostForm
		if !strings.HasSuffix(r.URL.Path, "chat.postMessage") || (r.Header.Get("Authorization") != "Bearer xoxb-test" && form.Get("token") != "xoxb-test") {
			t.Errorf("request %s without the bot token", r.URL.Path)
		}
		io.WriteString(w, `{"ok":true,"channel":"C1","ts":"1.2"}`)
	}))
	defer srv.Close()
	a := alerts.New(alerts.Config{BotToken: "xoxb-test", Channel: "#oncall", APIURL: srv.URL + "/", UIURL: "http://ui.test", Namespace: "default"})
	if err := a.Send(context.Background(), failure); err != nil {
		t.Fatal(err)
	}
	if form.Get("channel") != "#oncall" || !strings.Contains(form.Get("blocks"), runLink) {
		t.Errorf("form = %v", form)
	}
}

func TestRateLimitIsRetriedAfterSlacksDelay(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "7")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer srv.Close()
	err := alerts.New(alerts.Config{WebhookURL: srv.URL}).Send(context.Background(), failure)
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.NextRetryDelay() != 7*time.Second {
		t.Fatalf("err = %v, want an application error with a 7s next retry delay", err)
	}
}

func TestNoSlackLogs(t *testing.T) {
	var buf bytes.Buffer
	a := alerts.New(alerts.Config{Logger: slog.New(slog.NewJSONHandler(&buf, nil)), UIURL: "http://ui.test", Namespace: "default"})
	if err := a.Send(context.Background(), failure); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"level":"ERROR"`) || !strings.Contains(buf.String(), runLink) {
		t.Errorf("log = %s", buf.String())
	}
}

func TestRunLinks(t *testing.T) {
	if got, want := alerts.RunURL("http://ui", "default", "dodo:evt 1", "r1"), "http://ui/namespaces/default/workflows/dodo:evt%201/r1/history"; got != want {
		t.Errorf("RunURL = %s, want %s", got, want)
	}
	if got, want := alerts.RunsURL("http://ui", "default", `dodo:evt "1"`), `http://ui/namespaces/default/workflows?query=WorkflowId+%3D+%22dodo%3Aevt+%5C%221%5C%22%22`; got != want {
		t.Errorf("RunsURL = %s, want %s", got, want)
	}
}
