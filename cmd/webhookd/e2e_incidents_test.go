package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/webhookd/webhookd/internal/email/smtptest"
	"github.com/webhookd/webhookd/internal/store"
)

// SMTP down while 30 payments arrive: one incident, a handful of posts in
// all with the count of 30 in one; after SMTP is back, the replay recovers
// every event and the incident posts that it is resolved.
func TestIncidentOnCallCanLiveWith(t *testing.T) {
	smtpSrv := smtptest.Start(t)
	slack, discord := newSlack(t), newSlack(t)
	d := startDev(t, map[string]string{"SMTP_URL": smtpSrv.URL(), "SLACK_WEBHOOK_URL": slack.URL, "DISCORD_WEBHOOK_URL": discord.URL,
		"WEBHOOKD_RETRY_ATTEMPTS": "2", "WEBHOOKD_RETRY_INITIAL_INTERVAL": "50ms", "WEBHOOKD_ALERT_SUMMARY_INTERVAL": "3s"})
	smtpSrv.SetDown(true)
	const n = 30
	for i := 0; i < n; i++ {
		d.send("payment.succeeded", fmt.Sprintf("evt_inc_%d", i), fmt.Sprintf(`{"userId":"usr_demo","paymentId":"pay_inc_%d","amount":100,"currency":"usd"}`, i))
	}
	for i := 0; i < n; i++ {
		d.waitStatus(fmt.Sprintf("evt_inc_%d", i), store.StatusFailed)
	}
	waitFor(t, 20*time.Second, func() bool {
		return anyContains(slack.posts(), fmt.Sprintf(`Still failing: dodo payment.succeeded (%d events)`, n))
	})
	if got := len(slack.posts()); got > 4 {
		t.Errorf("slack posts for %d failures = %d, want a handful", n, got)
	}
	if len(discord.posts()) != len(slack.posts()) {
		t.Errorf("discord got %d posts, slack %d: want the same incidents", len(discord.posts()), len(slack.posts()))
	}
	smtpSrv.SetDown(false)
	if out, err := d.cli("events", "replay", "--status", "failed"); err != nil {
		t.Fatalf("replay: %v\n%s", err, out)
	}
	for i := 0; i < n; i++ {
		d.waitStatus(fmt.Sprintf("evt_inc_%d", i), store.StatusSucceeded)
	}
	waitFor(t, 20*time.Second, func() bool {
		return anyContains(slack.posts(), "resolved: dodo payment.succeeded (30 failed, 30 recovered, 0 still failed)")
	})
}

func anyContains(posts []string, s string) bool {
	for _, p := range posts {
		if strings.Contains(p, s) {
			return true
		}
	}
	return false
}

func waitFor(t *testing.T, limit time.Duration, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(limit); !ok(); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s", limit)
		}
	}
}
