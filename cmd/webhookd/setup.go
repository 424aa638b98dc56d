package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/webhookd/webhookd/internal/config"
	"github.com/webhookd/webhookd/internal/temporalsetup"
	"github.com/webhookd/webhookd/workflows"
)

func (c *cli) setupCmd() *cobra.Command {
	return c.command("setup", config.Setup,
		"prepare Temporal: create the namespace if missing and register webhookd's search attributes, retrying until Temporal answers (a one-shot job before ingress and worker)",
		cobra.NoArgs, func(ctx context.Context, s *config.Settings, _ *cobra.Command, _ []string) error {
			logger := newLogger(c.stderr, s.LogLevel)
			tc, err := dialTemporal(s, logger, nil)
			if err != nil {
				return err
			}
			defer tc.Close()
			ctx, cancel := context.WithTimeout(ctx, s.SetupTimeout)
			defer cancel()
			return temporalsetup.Run(ctx, tc, temporalsetup.Options{
				Namespace: s.TemporalNamespace, Retention: s.NamespaceRetention, Keywords: workflows.SearchAttributeNames(),
			}, logger)
		})
}
