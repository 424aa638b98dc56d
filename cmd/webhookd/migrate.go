package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/webhookd/webhookd/internal/config"
	"github.com/webhookd/webhookd/internal/devstack"
	"github.com/webhookd/webhookd/migrations"
)

func (c *cli) migrateCmd() *cobra.Command {
	cmd, s := c.group("migrate", config.Migrate, "schema migrations: up, down, status (goose, SQL embedded from migrations/)")
	for _, sub := range [][2]string{{"up", "apply every pending migration"}, {"down", "roll back the last migration"}, {"status", "list migrations and when they were applied"}} {
		c.sub(cmd, config.Migrate, s, sub[0], sub[1], cobra.NoArgs, func(ctx context.Context, _ *cobra.Command, _ []string) error {
			st, err := devstack.OpenStore(ctx, s, c.getenv)
			if err != nil {
				return err
			}
			defer st.Close()
			return migrations.Run(ctx, st.DB(), sub[0], c.stdout)
		})
	}
	return cmd
}
