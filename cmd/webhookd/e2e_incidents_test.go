package main

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/webhookd/webhookd/internal/domain"
	"github.com/webhookd/webhookd/internal/email/smtptest"
	"github.com/webhookd/webhookd/internal/provider"
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
		d.waitStatus(fmt.Sprintf("evt_inc_%d", i), domain.StatusFailed)
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
		d.waitStatus(fmt.Sprintf("evt_inc_%d", i), domain.StatusSucceeded)
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

// After a secret rotation at the provider every delivery is rejected: 20
// of them open one incident naming the provider and its variable.
func TestSignatureRejectionsOpenAnIncident(t *testing.T) {
	slack := newSlack(t)
	d := startDev(t, map[string]string{"SLACK_WEBHOOK_URL": slack.URL})
	wrong, err := provider.LoadProviders("", true, func(k string) string {
		return map[string]string{"WEBHOOKD_SECRET_DODO": "whsec_cm90YXRlZC1hdC10aGUtcHJvdmlkZXI="}[k]
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := wrong["dodo"]
	signer, _ := p.Signer()
	for i := 0; i < 20; i++ {
		id := fmt.Sprintf("evt_rot_%d", i)
		h, body, _ := p.BuildEnvelope(id, "payment.succeeded", time.Now(), []byte(`{"userId":"usr_demo"}`))
		for k, v := range signer.Sign(id, time.Now(), body) {
			h[k] = v
		}
		req, _ := http.NewRequest(http.MethodPost, d.url+"/webhooks/dodo", bytes.NewReader(body))
		req.Header = h
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("delivery with the old secret: %v %v", resp, err)
		}
		resp.Body.Close()
	}
	waitFor(t, 20*time.Second, func() bool { return anyContains(slack.posts(), "Deliveries rejected: dodo") })
	time.Sleep(time.Second)
	n := 0
	for _, p := range slack.posts() {
		if strings.Contains(p, "Deliveries rejected: dodo") {
			n++
			if !strings.Contains(p, "WEBHOOKD_SECRET_DODO") || !strings.Contains(p, "mismatch") {
				t.Errorf("incident lacks the variable or the reason:\n%s", p)
			}
		}
	}
	if n != 1 {
		t.Errorf("signature incident posts = %d, want 1", n)
	}
}
