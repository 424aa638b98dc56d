package devstack

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/webhookd/webhookd/internal/postgres"
)

// Options configures a whole dev stack.
type Options struct {
	// DataDir holds the Temporal SQLite file and the PostgreSQL cluster.
	DataDir string
	// TemporalPort, UIPort: see TemporalOptions.
	TemporalPort int
	UIPort       int
	// CodecEndpoint: see TemporalOptions.
	CodecEndpoint string
	// DatabaseURL, when set, is used as is and no PostgreSQL is started.
	DatabaseURL string
	// TemporalStore is "sqlite" (default: a file in DataDir, with the
	// visibility records of a new data dir in the managed PostgreSQL) or
	// "postgres" (Temporal's own databases in the stack's PostgreSQL
	// server).
	TemporalStore string
	// SearchAttributes are registered on the Temporal namespace.
	SearchAttributes []string
	Logger           *slog.Logger
	// PProfPort: see TemporalOptions.
	PProfPort int
}

// Stack is a running dev stack.
type Stack struct {
	Temporal    *Temporal
	Postgres    *postgres.Cluster // nil when Options.DatabaseURL was set
	DatabaseURL string
	DataDir     string
}

// Start starts PostgreSQL (unless DatabaseURL is set), then Temporal and its UI.
func Start(ctx context.Context, opts Options) (*Stack, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	dir, err := filepath.Abs(opts.DataDir)
	if err != nil {
		return nil, fmt.Errorf("devstack: data dir: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("devstack: data dir: %w", err)
	}
	s := &Stack{DataDir: dir, DatabaseURL: opts.DatabaseURL}
	if s.DatabaseURL == "" {
		s.Postgres, err = postgres.Start(ctx, postgres.Options{Dir: filepath.Join(dir, "postgres")})
		if err != nil {
			return nil, err
		}
		s.DatabaseURL = s.Postgres.DatabaseURL()
	}
	topts := TemporalOptions{
		DatabaseFile:     filepath.Join(dir, "temporal.sqlite"),
		Port:             opts.TemporalPort,
		UIPort:           opts.UIPort,
		CodecEndpoint:    opts.CodecEndpoint,
		SearchAttributes: opts.SearchAttributes,
		Logger:           opts.Logger,
		PProfPort:        opts.PProfPort,
	}
	createDB := func(name string) error { return postgres.CreateDatabaseAt(ctx, s.DatabaseURL, name) }
	switch {
	case opts.TemporalStore == "" || opts.TemporalStore == "sqlite":
		// A new data dir keeps Temporal's visibility records in the managed
		// PostgreSQL; on a server given by DatabaseURL nothing is created.
		if s.Postgres != nil {
			topts.VisibilityPostgresURL, topts.CreateDatabase = s.DatabaseURL, createDB
		}
	case isPostgresStore(opts.TemporalStore):
		topts.PostgresURL, topts.CreateDatabase = s.DatabaseURL, createDB
	default:
		s.Stop()
		return nil, fmt.Errorf("--temporal-store %q: want sqlite or postgres", opts.TemporalStore)
	}
	s.Temporal, err = StartTemporal(ctx, topts)
	if err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// Stop stops Temporal, then PostgreSQL.
func (s *Stack) Stop() {
	if s.Temporal != nil {
		s.Temporal.Stop()
	}
	if s.Postgres != nil {
		s.Postgres.Close()
	}
}
