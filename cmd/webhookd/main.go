// Command webhookd receives, verifies and processes webhooks from payment
// and email providers as Temporal workflows. See README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "webhookd:", err)
		}
		os.Exit(exitCode(err))
	}
}

func exitCode(err error) int {
	if errors.Is(err, errUsage) || errors.Is(err, flag.ErrHelp) {
		return 2
	}
	return 1
}

var errUsage = errors.New("usage")

const usage = `webhookd receives webhooks, verifies them and processes each event once as a Temporal workflow.

Usage: webhookd <command> [flags]

Commands:
  dev        everything on one machine: embedded Temporal + UI, managed PostgreSQL, worker, ingress
  ingress    the HTTP ingress alone (production)
  worker     the Temporal worker and dispatcher alone (production)
  migrate    up | down | status: schema migrations
  send       sign and POST a test event as a provider would
  events     list | show | replay: the event log
  health     GET a health URL, exit 1 unless 200 (container healthchecks)

Run 'webhookd <command> -h' for the command's flags.
`

// run is the whole program; main only supplies the process's environment.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("%w: no command", errUsage)
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "dev":
		return runDev(ctx, rest, getenv, stdout, stderr)
	case "ingress":
		return runIngress(ctx, rest, getenv, stdout, stderr)
	case "worker":
		return runWorker(ctx, rest, getenv, stdout, stderr)
	case "migrate":
		return runMigrate(ctx, rest, getenv, stdout, stderr)
	case "send":
		return runSend(ctx, rest, getenv, stdout, stderr)
	case "events":
		return runEvents(ctx, rest, getenv, stdout, stderr)
	case "health":
		return runHealth(ctx, rest, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("%w: unknown command %q", errUsage, cmd)
	}
}
