package migrations

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"time"
)

// Commands are what `webhookd migrate` runs, each writing what it did to
// w: up applies every pending migration, down rolls back the last, status
// lists them with when they were applied.
var Commands = map[string]func(ctx context.Context, db *sql.DB, w io.Writer) error{
	"up": func(ctx context.Context, db *sql.DB, w io.Writer) error {
		p, err := NewProvider(db)
		if err != nil {
			return err
		}
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
	"down": func(ctx context.Context, db *sql.DB, w io.Writer) error {
		p, err := NewProvider(db)
		if err != nil {
			return err
		}
		r, err := p.Down(ctx)
		if err != nil {
			return fmt.Errorf("migrate down: %w", err)
		}
		fmt.Fprintf(w, "rolled back %s\n", r.Source.Path)
		return nil
	},
	"status": func(ctx context.Context, db *sql.DB, w io.Writer) error {
		p, err := NewProvider(db)
		if err != nil {
			return err
		}
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
