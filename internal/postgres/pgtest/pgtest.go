// Package pgtest gives tests a real, freshly migrated PostgreSQL database.
// One cluster is started per test binary (initdb costs seconds); every call
// to New creates a new database in it, so tests are isolated and parallel.
package pgtest

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/webhookd/webhookd/internal/postgres"
	"github.com/webhookd/webhookd/internal/store"
	"github.com/webhookd/webhookd/migrations"
)

var (
	once    sync.Once
	cluster *postgres.Cluster
	dir     string
	err     error
	seq     atomic.Int64
)

// Main runs the package's tests and then stops the shared cluster. Call it
// from TestMain: os.Exit(pgtest.Main(m)).
func Main(m *testing.M) int {
	code := m.Run()
	Stop()
	return code
}

// Stop stops the shared cluster, if one was started, and removes its files.
func Stop() {
	if cluster != nil {
		cluster.Close()
		os.RemoveAll(dir)
	}
}

// Cluster returns the shared cluster, starting it on first use.
func Cluster(tb testing.TB) *postgres.Cluster {
	tb.Helper()
	once.Do(func() {
		// Not t.TempDir: its parents are private to root, and the server runs
		// as the postgres user when the tests run as root.
		dir, err = os.MkdirTemp("", "webhookd-pgtest-")
		if err != nil {
			return
		}
		if err = os.Chmod(dir, 0o755); err != nil {
			return
		}
		cluster, err = postgres.Start(context.Background(), postgres.Options{
			Dir:      dir + "/data",
			Database: "postgres",
			// Durability is irrelevant for throwaway test data.
			ExtraConfig: map[string]string{"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"},
		})
	})
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	return cluster
}

// NewURL creates an empty database (no migrations) and returns its URL.
func NewURL(tb testing.TB) string {
	tb.Helper()
	c := Cluster(tb)
	name := fmt.Sprintf("test_%d_%d", os.Getpid(), seq.Add(1))
	if err := c.CreateDatabase(context.Background(), name); err != nil {
		tb.Fatal(err)
	}
	return c.URL(name)
}

// New returns a connection to a new database migrated to the latest schema.
func New(tb testing.TB) *sqlx.DB {
	tb.Helper()
	// Connected as webhookd connects (binary parameters).
	db, err := store.Connect(NewURL(tb))
	if err == nil {
		err = db.Ping()
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	if err := migrations.Up(context.Background(), db.DB); err != nil {
		tb.Fatal(err)
	}
	return db
}

// TempDir returns a temporary directory, removed when the test ends, that
// the PostgreSQL server can use even when the tests run as root and the
// server as the postgres user (t.TempDir's parents are private to root).
func TempDir(tb testing.TB) string {
	tb.Helper()
	dir, err := os.MkdirTemp("", "webhookd-test-")
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}
