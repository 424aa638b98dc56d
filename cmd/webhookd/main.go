// Command webhookd receives, verifies and processes webhooks from payment
// and email providers as Temporal workflows. See README.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/webhookd/webhookd/internal/config"
	"github.com/webhookd/webhookd/internal/eventlog"
	"github.com/webhookd/webhookd/internal/provider"
	"github.com/webhookd/webhookd/internal/users"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "webhookd:", err)
		os.Exit(exitCode(err))
	}
}

// errUsage marks a command line webhookd cannot run: exit status 2.
var errUsage = errors.New("usage")

// usageError is an error of the command line; errors.Is(err, errUsage).
type usageError struct{ error }

// usageErrors are the packages' errors that mean a command line webhookd
// cannot run (a bad filter, event reference or user field).
var usageErrors = []error{eventlog.ErrBadFilter, eventlog.ErrBadRef, users.ErrInvalid, provider.ErrConfig}

func (usageError) Is(target error) bool { return target == errUsage }
func (u usageError) Unwrap() error      { return u.error }

func exitCode(err error) int {
	if errors.Is(err, errUsage) {
		return 2
	}
	return 1
}

// cli is what every command gets from the process.
type cli struct {
	getenv         func(string) string
	stdout, stderr io.Writer
	// ran is set once a command's own code starts: an error before that
	// is cobra's (unknown command or flag, wrong arguments), a usage error.
	ran bool
}

// run is the whole program; main only supplies the process's environment.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c := &cli{getenv: getenv, stdout: stdout, stderr: stderr}
	root := c.root()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	cmd, err := root.ExecuteContextC(ctx)
	if err != nil && !c.ran && !errors.Is(err, errUsage) {
		return usageError{fmt.Errorf("%v (see 'webhookd %s--help')", err, cmdPath(cmd))}
	}
	for _, target := range usageErrors {
		if errors.Is(err, target) {
			return usageError{err}
		}
	}
	return err
}

func cmdPath(cmd *cobra.Command) string {
	if cmd == nil || !cmd.HasParent() {
		return ""
	}
	return cmd.CommandPath()[len("webhookd "):] + " "
}

func (c *cli) root() *cobra.Command {
	root := &cobra.Command{
		Use:   "webhookd",
		Short: "webhookd receives webhooks, verifies them and processes each event once as a Temporal workflow",
		Long: `webhookd receives webhooks, verifies them and processes each event once as a Temporal workflow.

Every setting is a flag that falls back to the environment variable its help
names, then to its default. See README.md.`,
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          cobra.NoArgs,
		RunE:          func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	root.AddCommand(c.devCmd(), c.ingressCmd(), c.workerCmd(), c.migrateCmd(), c.sendCmd(), c.eventsCmd(), c.healthCmd(), c.setupCmd(), c.usersCmd(), c.providersCmd())
	root.CompletionOptions.HiddenDefaultCmd = false
	return root
}

// command builds a command that takes the settings of name (from
// config.Table) and calls do once they are read and valid.
func (c *cli) command(use, name, short string, args cobra.PositionalArgs, do func(ctx context.Context, s *config.Settings, cmd *cobra.Command, args []string) error) *cobra.Command {
	s := &config.Settings{}
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  args,
		RunE: c.runE(name, s, func(ctx context.Context, cmd *cobra.Command, args []string) error {
			return do(ctx, s, cmd, args)
		}),
	}
	config.Bind(cmd.PersistentFlags(), name, s)
	return cmd
}

// group is a command whose subcommands share its settings (migrate, events).
func (c *cli) group(use, name, short string) (*cobra.Command, *config.Settings) {
	s := &config.Settings{}
	cmd := &cobra.Command{Use: use, Short: short, Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_ = cmd.Help()
			return usageError{fmt.Errorf("%s needs a subcommand", cmd.Name())}
		}}
	config.Bind(cmd.PersistentFlags(), name, s)
	return cmd, s
}

// sub adds a subcommand of a group; it reads and checks the group's
// settings before do.
func (c *cli) sub(parent *cobra.Command, name string, s *config.Settings, use, short string, args cobra.PositionalArgs, do func(ctx context.Context, cmd *cobra.Command, args []string) error) *cobra.Command {
	cmd := &cobra.Command{Use: use, Short: short, Args: args, RunE: c.runE(name, s, do)}
	parent.AddCommand(cmd)
	return cmd
}

// runE reads and checks the settings of name into s, then calls do.
func (c *cli) runE(name string, s *config.Settings, do func(ctx context.Context, cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if err := config.Apply(cmd.Flags(), name, s, c.getenv); err != nil {
			return usageError{err}
		}
		c.ran = true
		return do(cmd.Context(), cmd, args)
	}
}
