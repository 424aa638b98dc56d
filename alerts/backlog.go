package alerts

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/webhookd/webhookd/internal/lifecycle"
)

// Backlog is what the backlog check needs of the database.
type Backlog interface {
	Backlog(ctx context.Context) (int, time.Time, error)
	SetAlertMark(ctx context.Context, key string, open bool) (bool, error)
}

// CheckBacklog opens an incident when events have waited in received
// longer than after (Temporal unreachable: the ingress answered 202 and
// the sweep cannot start them), and posts its resolution once none wait.
// It posts directly, without Temporal, which is what is down; the mark in
// PostgreSQL makes one worker of several post each.
func CheckBacklog(ctx context.Context, st Backlog, after time.Duration, now time.Time, post func(context.Context, Alert) error) error {
	n, oldest, err := st.Backlog(ctx)
	if err != nil {
		return err
	}
	var msg Alert
	switch {
	case n > 0 && now.Sub(oldest) > after:
		opened, err := st.SetAlertMark(ctx, "backlog", true)
		if err != nil || !opened {
			return err
		}
		age := now.Sub(oldest).Round(time.Second)
		msg = Alert{
			Summary: fmt.Sprintf("webhookd: %d events recorded but not started, the oldest for %s: is Temporal reachable?", n, age),
			Title:   "Backlog: events waiting for Temporal",
			Fields:  []Field{{Name: "Waiting", Value: fmt.Sprint(n)}, {Name: "Oldest", Value: age.String()}},
			Error:   "events stay received while Temporal is unreachable; the ingress answers 202 and the sweep starts them when it is back",
			Footer:  "Check TEMPORAL_ADDRESS and the Temporal cluster; `webhookd events list --status received` lists them.",
		}
	case n == 0:
		closed, err := st.SetAlertMark(ctx, "backlog", false)
		if err != nil || !closed {
			return err
		}
		msg = Alert{Summary: "webhookd: resolved: the backlog is worked off", Title: "Resolved: backlog",
			Error: "every recorded event has been started", Footer: "Temporal is reachable again."}
	default:
		return nil
	}
	return post(ctx, msg)
}

// BacklogInterval is how often WatchBacklog checks.
const BacklogInterval = 10 * time.Second

// WatchBacklog runs CheckBacklog every BacklogInterval until ctx ends,
// posting straight to al's sinks.
func WatchBacklog(ctx context.Context, st Backlog, after time.Duration, al *Alerter, logger *slog.Logger) {
	post := func(ctx context.Context, msg Alert) error {
		_, err := al.Post(ctx, msg, nil)
		return err
	}
	lifecycle.Every(ctx, BacklogInterval, func() {
		if err := CheckBacklog(ctx, st, after, time.Now(), post); err != nil && ctx.Err() == nil {
			logger.Warn("backlog check failed", slog.String("error", err.Error()))
		}
	})
}
