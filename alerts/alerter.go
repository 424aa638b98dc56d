package alerts

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/webhookd/webhookd/internal/temporalui"
)

// Alerter posts each alert to every sink.
type Alerter struct {
	Sinks     []Sink
	UI        temporalui.UI
	sent      *prometheus.CounterVec
	incidents *prometheus.CounterVec
}

// NewAlerter returns an alerter over sinks (the log when there are none);
// with a registry it counts posts per sink and outcome in
// webhookd_alerts_sent_total.
func NewAlerter(sinks []Sink, ui temporalui.UI, reg prometheus.Registerer, log Log) *Alerter {
	if len(sinks) == 0 {
		sinks = []Sink{log}
	}
	a := &Alerter{Sinks: sinks, UI: ui}
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

// Send posts the failure's alert to every sink not in done, and returns
// the sinks that have it now. A caller that retries passes them back, so a
// sink that failed is retried without posting twice to one that did not.
// A sink that fails does not keep the others from their post.
func (a *Alerter) Send(ctx context.Context, f Failure, done []string) ([]string, error) {
	return a.Post(ctx, FailureAlert(f, a.UI), done)
}

// SendIncident posts an incident's message like Send.
func (a *Alerter) SendIncident(ctx context.Context, in Incident, done []string) ([]string, error) {
	done, err := a.Post(ctx, IncidentAlert(in, a.UI), done)
	if err == nil && a.incidents != nil {
		a.incidents.WithLabelValues(in.Kind).Inc()
	}
	return done, err
}

// Post posts msg to every sink not in done, as Send.
func (a *Alerter) Post(ctx context.Context, msg Alert, done []string) ([]string, error) {
	var errs []error
	for _, s := range a.Sinks {
		if slices.Contains(done, s.Name()) {
			continue
		}
		err := s.Post(ctx, msg)
		if a.sent != nil {
			outcome := "ok"
			if err != nil {
				outcome = "error"
			}
			a.sent.WithLabelValues(s.Name(), outcome).Inc()
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		done = append(done, s.Name())
	}
	return done, errors.Join(errs...)
}
