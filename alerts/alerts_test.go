package alerts_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.temporal.io/sdk/temporal"

	"github.com/webhookd/webhookd/alerts"
	"github.com/webhookd/webhookd/internal/temporalui"
)

var failure = alerts.Failure{Provider: "dodo", EventType: "payment.succeeded", EventID: "evt_1",
	WorkflowID: "dodo:evt_1", RunID: "run-1", Attempts: 5, Error: "smtp: 451 try again later"}

var ui = temporalui.UI{Base: "http://ui.test", Namespace: "default"}

const runLink = "http://ui.test/namespaces/default/workflows/dodo:evt_1/run-1/history"

func alerter(reg prometheus.Registerer, sinks ...alerts.Sink) *alerts.Alerter {
	return alerts.NewAlerter(sinks, ui, reg, alerts.Log{Logger: slog.New(slog.DiscardHandler)})
}

func TestIncomingWebhook(t *testing.T) {
	var got []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = io.ReadAll(r.Body)
	}))
	defer srv.Close()
	if _, err := alerter(nil, alerts.NewSlackWebhook(srv.URL, http.DefaultClient)).Post(context.Background(), alerts.FailureAlert(failure, ui), nil); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"evt_1", "payment.succeeded", "dodo", "Attempts*\\n5", "451 try again later", runLink, `"type":"button"`, "webhookd events replay dodo:evt_1"} {
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
	if _, err := alerter(nil, alerts.NewSlackBot("xoxb-test", "#oncall", srv.URL+"/", http.DefaultClient)).Post(context.Background(), alerts.FailureAlert(failure, ui), nil); err != nil {
		t.Fatal(err)
	}
	if form.Get("channel") != "#oncall" || !strings.Contains(form.Get("blocks"), runLink) {
		t.Errorf("form = %v", form)
	}
}

// Discord gets an embed: the title links to the run, the fields, the error
// and the replay hint, within Discord's limits.
func TestDiscordEmbed(t *testing.T) {
	var got map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewDecoder(r.Body).Decode(&got)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	long := failure
	long.Error = strings.Repeat("x", 10000)
	if _, err := alerter(nil, &alerts.Discord{URL: srv.URL, HTTP: http.DefaultClient}).Post(context.Background(), alerts.FailureAlert(long, ui), nil); err != nil {
		t.Fatal(err)
	}
	embed := got["embeds"].([]any)[0].(map[string]any)
	if embed["url"] != runLink || !strings.Contains(embed["title"].(string), "dodo payment.succeeded") {
		t.Errorf("embed = %v", embed)
	}
	if n := len([]rune(embed["description"].(string))); n > 4096 {
		t.Errorf("description of %d characters, over Discord's 4096", n)
	}
	fields, _ := json.Marshal(embed["fields"])
	if !strings.Contains(string(fields), `"Event ID"`) || !strings.Contains(embed["footer"].(map[string]any)["text"].(string), "events replay dodo:evt_1") {
		t.Errorf("fields %s, footer %v", fields, embed["footer"])
	}
}

// A rate limit is retried after the delay the service asked for; a refusal
// (4xx) is not retried: the alert goes to the log instead.
func TestRateLimitsAndRefusals(t *testing.T) {
	status := func(code int, header, body string) *httptest.Server {
		return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if header != "" {
				w.Header().Set("Retry-After", header)
			}
			w.WriteHeader(code)
			io.WriteString(w, body)
		}))
	}
	slack429, discord429, discord404 := status(429, "7", ""), status(429, "", `{"retry_after":1.5}`), status(404, "", `{"message":"Unknown Webhook"}`)
	defer slack429.Close()
	defer discord429.Close()
	defer discord404.Close()
	for _, tc := range []struct {
		name      string
		sinks     []alerts.Sink
		delay     time.Duration
		retryable bool
	}{
		{"slack 429", []alerts.Sink{alerts.NewSlackWebhook(slack429.URL, http.DefaultClient)}, 7 * time.Second, true},
		{"discord 429", []alerts.Sink{&alerts.Discord{URL: discord429.URL, HTTP: http.DefaultClient}}, 1500 * time.Millisecond, true},
	} {
		_, err := alerter(nil, tc.sinks...).Post(context.Background(), alerts.FailureAlert(failure, ui), nil)
		var appErr *temporal.ApplicationError
		err = alerts.Retryable(err)
		if !errors.As(err, &appErr) || appErr.NextRetryDelay() != tc.delay || appErr.NonRetryable() == tc.retryable {
			t.Errorf("%s: err = %v, want delay %s, retryable %v", tc.name, err, tc.delay, tc.retryable)
		}
	}
	var logged bytes.Buffer
	a := alerts.NewAlerter([]alerts.Sink{&alerts.Discord{URL: discord404.URL, HTTP: http.DefaultClient}}, ui, nil,
		alerts.Log{Logger: slog.New(slog.NewJSONHandler(&logged, nil))})
	done, err := a.Post(context.Background(), alerts.FailureAlert(failure, ui), nil)
	if err != nil || len(done) != 1 || !strings.Contains(logged.String(), "Webhook failed") || !strings.Contains(logged.String(), "refused by its sink") {
		t.Errorf("discord 404: done %v, err %v; log:\n%s", done, err, logged.String())
	}
}

// A sink that fails does not keep the others from the alert, and a retry
// posts to the failed sink only.
func TestFanOutRetriesOnlyTheFailedSink(t *testing.T) {
	var mu sync.Mutex
	posts := map[string]int{}
	down := true
	handler := func(name string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			defer mu.Unlock()
			if name == "discord" && down {
				w.WriteHeader(http.StatusBadGateway)
				return
			}
			posts[name]++
			if name == "slack" {
				io.WriteString(w, "ok") // Slack's incoming webhooks answer 200 ok
				return
			}
			w.WriteHeader(http.StatusNoContent)
		}
	}
	slackSrv, discordSrv := httptest.NewServer(handler("slack")), httptest.NewServer(handler("discord"))
	defer slackSrv.Close()
	defer discordSrv.Close()
	reg := prometheus.NewRegistry()
	a := alerter(reg, alerts.NewSlackWebhook(slackSrv.URL, http.DefaultClient), &alerts.Discord{URL: discordSrv.URL, HTTP: http.DefaultClient})
	done, err := a.Post(context.Background(), alerts.FailureAlert(failure, ui), nil)
	if err == nil || len(done) != 1 || done[0] != "slack" {
		t.Fatalf("first try: done %v, err %v", done, err)
	}
	down = false
	if done, err = a.Post(context.Background(), alerts.FailureAlert(failure, ui), done); err != nil || len(done) != 2 {
		t.Fatalf("retry: done %v, err %v", done, err)
	}
	if posts["slack"] != 1 || posts["discord"] != 1 {
		t.Errorf("posts = %v, want one each", posts)
	}
	if n := testutil.ToFloat64(counter(reg, "discord", "error")); n != 1 {
		t.Errorf("discord errors counted = %v", n)
	}
}

func counter(reg *prometheus.Registry, sink, outcome string) prometheus.Collector {
	return collect(func(ch chan<- prometheus.Metric) {
		mfs, _ := reg.Gather()
		for _, mf := range mfs {
			for _, m := range mf.GetMetric() {
				labels := map[string]string{}
				for _, l := range m.GetLabel() {
					labels[l.GetName()] = l.GetValue()
				}
				if mf.GetName() == "webhookd_alerts_sent_total" && labels["sink"] == sink && labels["outcome"] == outcome {
					ch <- prometheus.MustNewConstMetric(prometheus.NewDesc("c", "", nil, nil), prometheus.CounterValue, m.GetCounter().GetValue())
				}
			}
		}
	})
}

type collect func(chan<- prometheus.Metric)

func (collect) Describe(chan<- *prometheus.Desc)      {}
func (c collect) Collect(ch chan<- prometheus.Metric) { c(ch) }

func TestNoSinkLogs(t *testing.T) {
	var buf bytes.Buffer
	a := alerts.NewAlerter(nil, ui, nil, alerts.Log{Logger: slog.New(slog.NewJSONHandler(&buf, nil))})
	if _, err := a.Post(context.Background(), alerts.FailureAlert(failure, ui), nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"level":"ERROR"`) || !strings.Contains(buf.String(), runLink) || a.Destination() != "log" {
		t.Errorf("log = %s", buf.String())
	}
}

func TestRunLinks(t *testing.T) {
	u := temporalui.UI{Base: "http://ui", Namespace: "default"}
	if got, want := u.Run("dodo:evt 1", "r1"), "http://ui/namespaces/default/workflows/dodo:evt%201/r1/history"; got != want {
		t.Errorf("Run = %s, want %s", got, want)
	}
	if got, want := u.Runs(`dodo:evt "1"`), `http://ui/namespaces/default/workflows?query=WorkflowId+%3D+%22dodo%3Aevt+%5C%221%5C%22%22`; got != want {
		t.Errorf("Runs = %s, want %s", got, want)
	}
}

// With a bot token, an incident's first message is updated in place with
// the counts and its follow-ups go in its thread.
func TestIncidentThreadsWithABotToken(t *testing.T) {
	var mu sync.Mutex
	var calls []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		mu.Lock()
		calls = append(calls, r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]+" thread="+r.PostForm.Get("thread_ts")+" ts="+r.PostForm.Get("ts"))
		mu.Unlock()
		io.WriteString(w, `{"ok":true,"channel":"C1","ts":"1700000000.000100"}`)
	}))
	defer srv.Close()
	a := alerter(nil, alerts.NewSlackBot("xoxb-test", "#oncall", srv.URL+"/", http.DefaultClient))
	in := alerts.Incident{Provider: "dodo", EventType: "payment.succeeded", Kind: "opened", Failed: 1, Examples: []alerts.Failure{failure}}
	_, refs, err := a.SendIncident(context.Background(), in, nil, nil)
	if err != nil || refs["slack"] != "C1/1700000000.000100" {
		t.Fatalf("opened: refs %v, %v", refs, err)
	}
	in.Kind, in.Failed = "summary", 30
	if _, _, err := a.SendIncident(context.Background(), in, nil, refs); err != nil {
		t.Fatal(err)
	}
	want := "[chat.postMessage thread= ts= chat.update thread= ts=1700000000.000100 chat.postMessage thread=1700000000.000100 ts=]"
	if fmt.Sprint(calls) != want {
		t.Errorf("calls = %v\nwant    %s", calls, want)
	}
}

// Event data cannot format, link or mention in an alert: a hostile event
// type, id and error reach Slack and Discord escaped, and a backtick in
// them cannot end a code span.
func TestAlertTextIsEscaped(t *testing.T) {
	var mu sync.Mutex
	bodies := map[string]string{}
	stand := func(name string) *httptest.Server {
		return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			mu.Lock()
			bodies[name] = string(b)
			mu.Unlock()
			io.WriteString(w, "ok")
		}))
	}
	sl, dc := stand("slack"), stand("discord")
	defer sl.Close()
	defer dc.Close()
	a := alerter(nil, alerts.NewSlackWebhook(sl.URL, http.DefaultClient), &alerts.Discord{URL: dc.URL, HTTP: http.DefaultClient})
	f := alerts.Failure{Provider: "dodo", EventType: "<!channel>*bold*", EventID: "evt`<@U123>`", WorkflowID: "dodo:x", RunID: "r",
		Attempts: 1, Error: "user @everyone <https://evil.example|click> ``` & more"}
	if _, err := a.Post(context.Background(), alerts.FailureAlert(f, ui), nil); err != nil {
		t.Fatal(err)
	}
	var sm struct {
		Text   string
		Blocks []struct {
			Text     *struct{ Type, Text string }
			Fields   []struct{ Type, Text string }
			Elements []struct {
				Type string
				Text json.RawMessage
			}
		}
	}
	if err := json.Unmarshal([]byte(bodies["slack"]), &sm); err != nil {
		t.Fatal(err)
	}
	mrkdwn := []string{sm.Text}
	for _, b := range sm.Blocks {
		if b.Text != nil && b.Text.Type == "mrkdwn" {
			mrkdwn = append(mrkdwn, b.Text.Text)
		}
		for _, f := range b.Fields {
			mrkdwn = append(mrkdwn, f.Text)
		}
		for _, e := range b.Elements {
			var text string
			if e.Type == "mrkdwn" && json.Unmarshal(e.Text, &text) == nil {
				mrkdwn = append(mrkdwn, text)
			}
		}
	}
	for _, text := range mrkdwn {
		// Slack's control sequences all start with < (links, mentions,
		// dates); a code span's end is a backtick.
		if strings.ContainsAny(text, "<>") || strings.Contains(text, "evt`") {
			t.Errorf("slack mrkdwn unescaped: %q", text)
		}
	}
	var dm struct {
		Content         string
		AllowedMentions struct{ Parse []string } `json:"allowed_mentions"`
		Embeds          []struct {
			Description string
			Fields      []struct{ Name, Value string }
		}
	}
	if err := json.Unmarshal([]byte(bodies["discord"]), &dm); err != nil {
		t.Fatal(err)
	}
	if dm.AllowedMentions.Parse == nil || len(dm.AllowedMentions.Parse) != 0 {
		t.Errorf("discord may mention: %+v", dm.AllowedMentions)
	}
	texts := []string{dm.Content}
	for _, f := range dm.Embeds[0].Fields {
		texts = append(texts, f.Value)
	}
	for _, text := range texts {
		outside := strings.Split(text, "`")[0]
		if regexp.MustCompile(`(^|[^\\])(\*bold|<@|<!)`).MatchString(outside) || strings.Contains(text, "evt`") {
			t.Errorf("discord markdown unescaped: %q", text)
		}
	}
	if d := dm.Embeds[0].Description; strings.Count(d, "```") != 2 {
		t.Errorf("the error ends its code block: %q", d)
	}
}

// A sink that hangs past the timeout gets the alert once: it may have it,
// so it is not posted again; the log has it.
func TestSinkTimeoutIsNotRetriedIntoDuplicates(t *testing.T) {
	var posts atomic.Int32
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		posts.Add(1)
		time.Sleep(300 * time.Millisecond)
	}))
	defer hang.Close()
	var logged bytes.Buffer
	a := alerts.NewAlerter([]alerts.Sink{&alerts.Discord{URL: hang.URL, HTTP: &http.Client{Timeout: 50 * time.Millisecond}}}, ui, nil,
		alerts.Log{Logger: slog.New(slog.NewJSONHandler(&logged, nil))})
	var done []string
	for range 3 { // the activity's attempts
		var err error
		if done, err = a.Post(context.Background(), alerts.FailureAlert(failure, ui), done); err != nil {
			t.Fatalf("post: %v", err)
		}
	}
	if posts.Load() != 1 || !strings.Contains(logged.String(), "not posted again") {
		t.Errorf("posts = %d, want 1; log:\n%s", posts.Load(), logged.String())
	}
}
