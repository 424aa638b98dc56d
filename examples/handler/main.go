// Command handler is an example of a team's own worker behind a webhookd
// route: it registers HandleGitHubEvent on HANDLER_TASK_QUEUE (default
// ci-events) and decodes webhookd's encrypted payloads with the keys of
// WEBHOOKD_ENCRYPTION_KEYS (else dev's, in .data/encryption-keys).
//
//	go run ./examples/handler
package main

import (
	"fmt"
	"log/slog"
	"os"
	"strings"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/webhookd/webhookd/codec"
	"github.com/webhookd/webhookd/examples/handler/github"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "handler:", err)
		os.Exit(1)
	}
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func run() error {
	keys := os.Getenv("WEBHOOKD_ENCRYPTION_KEYS")
	if keys == "" {
		b, err := os.ReadFile(".data/encryption-keys")
		if err != nil {
			return fmt.Errorf("WEBHOOKD_ENCRYPTION_KEYS unset and no dev key: %w", err)
		}
		keys = strings.TrimSpace(string(b))
	}
	dc, fc, err := codec.Converters(keys)
	if err != nil {
		return err
	}
	// Temporal's own client configuration: TEMPORAL_ADDRESS,
	// TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*, profiles.
	opts, err := envconfig.LoadDefaultClientOptions()
	if err != nil {
		return err
	}
	if opts.HostPort == "" {
		opts.HostPort = "127.0.0.1:7233"
	}
	opts.DataConverter, opts.FailureConverter = dc, fc
	opts.Logger = sdklog.NewStructuredLogger(slog.Default())
	c, err := client.Dial(opts)
	if err != nil {
		return err
	}
	defer c.Close()
	w := worker.New(c, env("HANDLER_TASK_QUEUE", "ci-events"), worker.Options{})
	w.RegisterWorkflowWithOptions(github.HandleGitHubEvent, workflow.RegisterOptions{Name: github.WorkflowType})
	return w.Run(worker.InterruptCh())
}
