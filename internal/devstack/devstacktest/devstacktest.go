// Package devstacktest starts a dev stack for a test: free ports, a
// temporary data dir, stopped when the test ends.
package devstacktest

import (
	"context"
	"testing"
	"time"

	"github.com/webhookd/webhookd/internal/devstack"
	"github.com/webhookd/webhookd/internal/postgres/pgtest"
)

// New starts a stack (in opts.DataDir, or a new temporary one) and stops it
// when the test ends.
func New(tb testing.TB, opts devstack.Options) *devstack.Stack {
	tb.Helper()
	if opts.DataDir == "" {
		opts.DataDir = pgtest.TempDir(tb)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := devstack.Start(ctx, opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Stop)
	return s
}
