package main

import (
	"context"
	"fmt"

	"github.com/pressly/goose/v3"
	"github.com/spf13/cobra"

	"github.com/webhookd/webhookd/internal/config"
	"github.com/webhookd/webhookd/internal/devstack"
	"github.com/webhookd/webhookd/migrations"
)

func (c *cli) migrateCmd() *cobra.Command {
	cmd, s := c.group("migrate", config.Migrate, "schema migrations: up, down, status (goose, SQL embedded from migrations/)")
	with := func(do func(ctx context.Context, p *goose.Provider) error) func(context.Context, *cobra.Command, []string) error {
		return func(ctx context.Context, _ *cobra.Command, _ []string) error {
			st, err := devstack.OpenStore(ctx, s, c.getenv)
			if err != nil {
				return err
			}
			defer st.Close()
			p, err := migrations.NewProvider(st.DB())
			if err != nil {
				return err
			}
			return do(ctx, p)
		}
	}
	c.sub(cmd, config.Migrate, s, "up", "apply every pending migration", cobra.NoArgs, with(c.migrateUp))
	c.sub(cmd, config.Migrate, s, "down", "roll back the last migration", cobra.NoArgs, with(c.migrateDown))
	c.sub(cmd, config.Migrate, s, "status", "list migrations and when they were applied", cobra.NoArgs, with(c.migrateStatus))
	return cmd
}

func (c *cli) migrateUp(ctx context.Context, p *goose.Provider) error {
	res, err := p.Up(ctx)
	for _, r := range res {
		fmt.Fprintf(c.stdout, "applied %s (%s)\n", r.Source.Path, r.Duration.Round(1000))
	}
	if err != nil {
		return fmt.Errorf("migrate up: %w", err)
	}
	if len(res) == 0 {
		fmt.Fprintln(c.stdout, "no pending migrations")
	}
	return nil
}

func (c *cli) migrateDown(ctx context.Context, p *goose.Provider) error {
	r, err := p.Down(ctx)
	if err != nil {
		return fmt.Errorf("migrate down: %w", err)
	}
	fmt.Fprintf(c.stdout, "rolled back %s\n", r.Source.Path)
	return nil
}

func (c *cli) migrateStatus(ctx context.Context, p *goose.Provider) error {
	sts, err := p.Status(ctx)
	if err != nil {
		return fmt.Errorf("migrate status: %w", err)
	}
	for _, m := range sts {
		when := "pending"
		if !m.AppliedAt.IsZero() {
			when = "applied " + m.AppliedAt.Format("2006-01-02 15:04:05")
		}
		fmt.Fprintf(c.stdout, "%-30s %s\n", m.Source.Path, when)
	}
	return nil
}
