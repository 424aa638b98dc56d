package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/webhookd/webhookd/examples"
	"github.com/webhookd/webhookd/internal/config"
	"github.com/webhookd/webhookd/internal/devstack"
	"github.com/webhookd/webhookd/internal/provider"
)

// sendOptions are send's own flags: the event to send, not settings.
type sendOptions struct {
	provider, eventType, id, data, occurredAt string
}

func (c *cli) sendCmd() *cobra.Command {
	var o sendOptions
	cmd := c.command("send", config.Send, "sign and POST a test event exactly as a provider would", cobra.NoArgs,
		func(ctx context.Context, s *config.Settings, _ *cobra.Command, _ []string) error {
			return c.runSend(ctx, s, o)
		})
	cmd.Flags().StringVar(&o.provider, "provider", "dodo", "provider to sign as")
	cmd.Flags().StringVar(&o.eventType, "type", "payment.succeeded", "event type")
	cmd.Flags().StringVar(&o.id, "id", "", "event id (default: a new random evt_…)")
	cmd.Flags().StringVar(&o.data, "data", "", "the data object: JSON, or @file (default: the built-in example for --type in the provider's format)")
	cmd.Flags().StringVar(&o.occurredAt, "occurred-at", "", "the event time in the envelope, RFC 3339 (default: now; an earlier one sends an out-of-order event)")
	return cmd
}

// runSend signs and POSTs an event exactly as the provider's scheme would,
// with the provider's secret from WEBHOOKD_SECRET_<PROVIDER>, else the dev
// secret of the data dir.
func (c *cli) runSend(ctx context.Context, s *config.Settings, o sendOptions) error {
	target := s.IngressURL
	if target == "" {
		target = "http://127.0.0.1:8080"
		if st, ok := devstack.ReadState(s.DataDir); ok && st.IngressURL != "" {
			target = st.IngressURL
		}
	}
	devSecrets, err := provider.LoadDevSecrets(s.DataDir)
	if err != nil {
		return err
	}
	providers, err := provider.LoadProviders(s.ConfigFile, true, c.getenv, devSecrets)
	if err != nil {
		return err
	}
	p, ok := providers[o.provider]
	if !ok {
		return fmt.Errorf("--provider %q: unknown; configured: %s", o.provider, strings.Join(provider.Names(providers), ", "))
	}
	if _, err := p.Signer(); err != nil {
		return fmt.Errorf("%w (in dev, run `webhookd dev` once with the same --data-dir to generate it)", err)
	}
	payload, err := examples.Load(o.data, p.Format, o.eventType)
	if err != nil {
		return err
	}
	id := o.id
	if id == "" {
		id = provider.NewEventID()
	}
	occurred := time.Now()
	if o.occurredAt != "" {
		if occurred, err = time.Parse(time.RFC3339, o.occurredAt); err != nil {
			return usageError{fmt.Errorf("--occurred-at: %w", err)}
		}
	}
	sent, err := p.Send(ctx, target, id, o.eventType, occurred, payload)
	if err != nil {
		return fmt.Errorf("send: %w (is `webhookd dev` running? start `make dev`, or set --url / WEBHOOKD_URL)", err)
	}
	fmt.Fprintf(c.stdout, "POST %s  %s %s\n%s %s\n", sent.URL, p.Name, o.eventType, sent.Status, sent.Body)
	if sent.StatusCode == http.StatusUnauthorized {
		return fmt.Errorf("send: ingress answered %s: the ingress has another secret for %s than this command (%s, else the dev secret of --data-dir)", sent.Status, p.Name, provider.SecretEnv(p.Name))
	}
	if sent.StatusCode >= 300 {
		return fmt.Errorf("send: ingress answered %s", sent.Status)
	}
	// The routes the event goes to, as this command's providers file
	// says (the ingress's should be the same file).
	for _, r := range p.Spec().RoutesFor(o.eventType) {
		wait := ""
		if r.NoWait {
			wait = " (wait: false)"
		}
		fmt.Fprintf(c.stdout, "route %s → %s on task queue %s%s\n", r.Name, r.Workflow, r.TaskQueue, wait)
	}
	return nil
}
