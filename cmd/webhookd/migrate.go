package main

import (
	"context"
	"fmt"
	"io"

	"github.com/webhookd/webhookd/migrations"
)

func runMigrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var s settings
	fs, b := newFlags("migrate", fDB|fData, &s, getenv, stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: webhookd migrate up|down|status [flags]")
		fs.PrintDefaults()
	}
	// Flags may come before or after the subcommand, as the usage shows.
	if err := b.parse(interleave(fs, args), &s); err != nil {
		return err
	}
	applyDevState(&s, getenv)
	if fs.NArg() != 1 {
		fs.Usage()
		return fmt.Errorf("%w: migrate needs one of up, down, status", errUsage)
	}
	st, err := openStore(ctx, &s)
	if err != nil {
		return err
	}
	defer st.Close()
	p, err := migrations.NewProvider(st.DB())
	if err != nil {
		return err
	}
	switch fs.Arg(0) {
	case "up":
		res, err := p.Up(ctx)
		for _, r := range res {
			fmt.Fprintf(stdout, "applied %s (%s)\n", r.Source.Path, r.Duration.Round(1000))
		}
		if err != nil {
			return fmt.Errorf("migrate up: %w", err)
		}
		if len(res) == 0 {
			fmt.Fprintln(stdout, "no pending migrations")
		}
	case "down":
		r, err := p.Down(ctx)
		if err != nil {
			return fmt.Errorf("migrate down: %w", err)
		}
		fmt.Fprintf(stdout, "rolled back %s\n", r.Source.Path)
	case "status":
		sts, err := p.Status(ctx)
		if err != nil {
			return fmt.Errorf("migrate status: %w", err)
		}
		for _, m := range sts {
			when := "pending"
			if !m.AppliedAt.IsZero() {
				when = "applied " + m.AppliedAt.Format("2006-01-02 15:04:05")
			}
			fmt.Fprintf(stdout, "%-30s %s\n", m.Source.Path, when)
		}
	default:
		fs.Usage()
		return fmt.Errorf("%w: migrate %q: want up, down or status", errUsage, fs.Arg(0))
	}
	return nil
}
