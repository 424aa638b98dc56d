package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/webhookd/webhookd/internal/config"
	"github.com/webhookd/webhookd/internal/devstack"
	"github.com/webhookd/webhookd/internal/runs"
	"github.com/webhookd/webhookd/internal/users"
)

func (c *cli) usersCmd() *cobra.Command {
	cmd, s := c.group("users", config.Users, "the product's users: import, show, erase (what the management API does)")
	c.sub(cmd, config.Users, s, "import FILE", "create or update users from CSV lines id,email or JSON lines {\"id\",\"email\"} (- reads stdin); bad lines are named and skipped", cobra.ExactArgs(1),
		func(ctx context.Context, _ *cobra.Command, args []string) error {
			return c.withUsers(ctx, s, false, func(svc *users.Service) error { return c.usersImport(ctx, svc, args[0]) })
		})
	c.sub(cmd, config.Users, s, "show ID", "a user as GET /v1/users/{id} shows it: plan, subscriptions, address state, last payments (JSON)", cobra.ExactArgs(1),
		func(ctx context.Context, _ *cobra.Command, args []string) error {
			return c.withUsers(ctx, s, false, func(svc *users.Service) error {
				u, err := svc.Get(ctx, args[0])
				if err != nil {
					return err
				}
				return c.printJSON(u)
			})
		})
	c.sub(cmd, config.Users, s, "erase ID", "erase a person: address, event payloads, customer links, runs in Temporal; payments and subscriptions stay under a tombstone id", cobra.ExactArgs(1),
		func(ctx context.Context, _ *cobra.Command, args []string) error {
			return c.withUsers(ctx, s, true, func(svc *users.Service) error {
				out, err := svc.Erase(ctx, args[0])
				return errors.Join(c.printJSON(out), err)
			})
		})
	return cmd
}

// withUsers opens the database (and Temporal, for an erasure) of the
// settings, or of the dev stack in the data dir, for do.
func (c *cli) withUsers(ctx context.Context, s *config.Settings, temporal bool, do func(*users.Service) error) error {
	st, err := devstack.OpenStore(ctx, s, c.getenv)
	if err != nil {
		return err
	}
	defer st.Close()
	svc := &users.Service{Store: st}
	if temporal {
		tc, err := dialTemporal(s, newLogger(c.stderr, "warn"), nil)
		if err != nil {
			return err
		}
		defer tc.Close()
		svc.Runs = &runs.Eraser{Client: tc, Namespace: s.TemporalNamespace}
	}
	return do(svc)
}

func (c *cli) printJSON(v any) error {
	enc := json.NewEncoder(c.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// usersImport imports a file and prints a summary; any bad line makes the
// command fail after the good ones are in.
func (c *cli) usersImport(ctx context.Context, svc *users.Service, path string) error {
	var r io.Reader = os.Stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return usageError{err}
		}
		defer f.Close()
		r = f
	}
	res, err := svc.Import(ctx, r)
	res.Write(c.stdout)
	if err == nil && len(res.Invalid) > 0 {
		err = fmt.Errorf("%d lines not imported", len(res.Invalid))
	}
	return err
}
