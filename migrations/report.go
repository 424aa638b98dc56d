package migrations

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"time"

	"github.com/pressly/goose/v3"
)

// Run runs a `webhookd migrate` command on db (Commands), writing what it
// did to w.
func Run(ctx context.Context, db *sql.DB, command string, w io.Writer) error {
	p, err := NewProvider(db)
	if err != nil {
		return err
	}
	return Commands[command](ctx, p, w)
}

// Commands are what `webhookd migrate` runs: up applies every pending
// migration, down rolls back the last, status lists them with when they
// were applied.
var Commands = map[string]func(ctx context.Context, p *goose.Provider, w io.Writer) error{
	"up": func(ctx context.Context, p *goose.Provider, w io.Writer) error {
		res, err := p.Up(ctx)
		for _, r := range res {
			fmt.Fprintf(w, "applied %s (%s)\n", r.Source.Path, r.Duration.Round(time.Microsecond))
		}
		if err != nil {
			return fmt.Errorf("migrate up: %w", err)
		}
		if len(res) == 0 {
			fmt.Fprintln(w, "no pending migrations")
		}
		return nil
	},
	"down": func(ctx context.Context, p *goose.Provider, w io.Writer) error {
		r, err := p.Down(ctx)
		if err != nil {
			return fmt.Errorf("migrate down: %w", err)
		}
		fmt.Fprintf(w, "rolled back %s\n", r.Source.Path)
		return nil
	},
	"status": func(ctx context.Context, p *goose.Provider, w io.Writer) error {
		sts, err := p.Status(ctx)
		if err != nil {
			return fmt.Errorf("migrate status: %w", err)
		}
		for _, m := range sts {
			when := "pending"
			if !m.AppliedAt.IsZero() {
				when = "applied " + m.AppliedAt.Format("2006-01-02 15:04:05")
			}
			fmt.Fprintf(w, "%-30s %s\n", m.Source.Path, when)
		}
		return nil
	},
}
