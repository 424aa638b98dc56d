package alerts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/webhookd/webhookd/internal/temporalui"
)

// Alerter posts each alert to every sink.
type Alerter struct {
	Sinks     []Sink
	UI        temporalui.UI
	sent      *prometheus.CounterVec
	incidents *prometheus.CounterVec
	// fallback gets an alert a sink refused (a 4xx), so it is not lost.
	fallback Log
}

// NewAlerter returns an alerter over sinks (the log when there are none);
// with a registry it counts posts per sink and outcome in
// webhookd_alerts_sent_total.
func NewAlerter(sinks []Sink, ui temporalui.UI, reg prometheus.Registerer, log Log) *Alerter {
	if len(sinks) == 0 {
		sinks = []Sink{log}
	}
	a := &Alerter{Sinks: sinks, UI: ui, fallback: log}
	if reg != nil {
		a.sent = prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "webhookd_alerts_sent_total",
			Help: "Alerts posted, by sink (slack, discord, log) and outcome (ok, error).",
		}, []string{"sink", "outcome"})
		a.incidents = prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "webhookd_incidents_total",
			Help: "Incident messages posted, by kind (opened, summary, resolved).",
		}, []string{"kind"})
		reg.MustRegister(a.sent, a.incidents)
	}
	return a
}

// Destination describes where alerts go, for the start-up banner.
func (a *Alerter) Destination() string {
	names := make([]string, len(a.Sinks))
	for i, s := range a.Sinks {
		names[i] = s.Name()
	}
	return strings.Join(names, ", ")
}

// SendIncident posts an incident's message like Send. On a threaded sink
// (Slack with a bot token) the first message's reference is kept in refs;
// later messages update that first message with the current counts and go
// in its thread.
func (a *Alerter) SendIncident(ctx context.Context, in Incident, done []string, refs map[string]string) ([]string, map[string]string, error) {
	if refs == nil {
		refs = map[string]string{}
	}
	msg := IncidentAlert(in, a.UI)
	done, err := a.toSinks(ctx, msg, done, func(s Sink) error { return a.postIncident(ctx, s, in, msg, refs) })
	if err == nil && a.incidents != nil {
		a.incidents.WithLabelValues(in.Kind).Inc()
	}
	return done, refs, err
}

func (a *Alerter) postIncident(ctx context.Context, s Sink, in Incident, msg Alert, refs map[string]string) error {
	th, ok := threaded(s)
	if !ok {
		return s.Post(ctx, msg)
	}
	ref := refs[s.Name()]
	if ref == "" {
		r, err := th.PostRef(ctx, msg)
		if err == nil {
			refs[s.Name()] = r
		}
		return err
	}
	head := in
	head.Kind = "opened"
	first := IncidentAlert(head, a.UI)
	first.Title = fmt.Sprintf("%s — %d failed, %d recovered", first.Title, in.Failed, in.Recovered)
	if in.Kind == "resolved" {
		first.Title = "Resolved — " + first.Title
	}
	if err := th.Update(ctx, ref, first); err != nil {
		return err
	}
	return th.Reply(ctx, ref, msg)
}

func threaded(s Sink) (Threaded, bool) {
	if t, ok := s.(interface{ Threaded() (Threaded, bool) }); ok {
		return t.Threaded()
	}
	return nil, false
}

func (a *Alerter) count(sink string, err error) {
	if a.sent == nil {
		return
	}
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	a.sent.WithLabelValues(sink, outcome).Inc()
}

// Post posts msg to every sink not in done, as Send.
func (a *Alerter) Post(ctx context.Context, msg Alert, done []string) ([]string, error) {
	return a.toSinks(ctx, msg, done, func(s Sink) error { return s.Post(ctx, msg) })
}

// PostThread posts msg to every sink not in done, as Post; on a threaded
// sink it replies in the thread refs names for that sink, or starts one
// and adds its reference to refs (a dispute's opening, then its outcome).
func (a *Alerter) PostThread(ctx context.Context, msg Alert, done []string, refs map[string]string) ([]string, map[string]string, error) {
	if refs == nil {
		refs = map[string]string{}
	}
	done, err := a.toSinks(ctx, msg, done, func(s Sink) error {
		th, ok := threaded(s)
		switch {
		case !ok:
			return s.Post(ctx, msg)
		case refs[s.Name()] != "":
			return th.Reply(ctx, refs[s.Name()], msg)
		}
		ref, err := th.PostRef(ctx, msg)
		if err == nil {
			refs[s.Name()] = ref
		}
		return err
	})
	return done, refs, err
}

// toSinks calls post for every sink not in done, counts each outcome, and
// returns the sinks done now with the errors of the others. An alert a
// sink refuses (a 4xx other than 429), or does not answer within
// sinkTimeout, goes to the log instead and is not posted to it again: a
// refusal would repeat, and a timed-out post may have arrived.
func (a *Alerter) toSinks(ctx context.Context, msg Alert, done []string, post func(Sink) error) ([]string, error) {
	var errs []error
	for _, s := range a.Sinks {
		if slices.Contains(done, s.Name()) {
			continue
		}
		err := post(s)
		a.count(s.Name(), err)
		var refused *Refused
		var netErr net.Error
		switch {
		case a.fallback.Logger == nil:
		case errors.As(err, &refused):
			// A retry would be refused again: the log has it instead, and
			// the sink counts as done.
			_ = a.fallback.Post(ctx, msg)
			a.fallback.Logger.Error("alert refused by its sink, logged instead", slog.String("sink", s.Name()),
				slog.Int("status", refused.Status), slog.String("answer", refused.Body))
			err = nil
		case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &netErr) && netErr.Timeout():
			// The sink may have the alert: posting again could double it.
			// At most once per sink; the log has it in case it did not.
			_ = a.fallback.Post(ctx, msg)
			a.fallback.Logger.Error("alert sink did not answer in time; not posted again, logged instead", slog.String("sink", s.Name()))
			err = nil
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		done = append(done, s.Name())
	}
	return done, errors.Join(errs...)
}

// Sinks says where alerts go: Slack (an incoming webhook, or a bot token
// and a channel) and Discord, each optional.
type Sinks struct {
	SlackWebhookURL, SlackBotToken, SlackChannel string
	DiscordWebhookURL                            string
}

// sinkTimeout bounds one post to a sink.
const sinkTimeout = 10 * time.Second

// New is the alerter of the configured sinks; with none, the log.
func New(c Sinks, ui temporalui.UI, reg prometheus.Registerer, logger *slog.Logger) *Alerter {
	hc := &http.Client{Timeout: sinkTimeout}
	var sinks []Sink
	switch {
	case c.SlackWebhookURL != "":
		sinks = append(sinks, NewSlackWebhook(c.SlackWebhookURL, hc))
	case c.SlackBotToken != "":
		sinks = append(sinks, NewSlackBot(c.SlackBotToken, c.SlackChannel, "", hc))
	}
	if c.DiscordWebhookURL != "" {
		sinks = append(sinks, &Discord{URL: c.DiscordWebhookURL, HTTP: hc})
	}
	return NewAlerter(sinks, ui, reg, Log{Logger: logger})
}
