package devstack_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/lib/pq"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"go.temporal.io/server/common/config"
	sqliteschema "go.temporal.io/server/schema/sqlite"

	"github.com/webhookd/webhookd/internal/devstack"
	"github.com/webhookd/webhookd/internal/devstack/devstacktest"
	"github.com/webhookd/webhookd/internal/postgres/pgtest"
)

var providerKey = temporal.NewSearchAttributeKeyKeyword("WebhookProvider")

func echo(ctx workflow.Context, s string) (string, error) { return "echo:" + s, nil }

func runEcho(t *testing.T, c client.Client, id string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	w := worker.New(c, "devstack-test", worker.Options{})
	w.RegisterWorkflowWithOptions(echo, workflow.RegisterOptions{Name: "echo"})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: id, TaskQueue: "devstack-test",
		TypedSearchAttributes: temporal.NewSearchAttributes(providerKey.ValueSet("x")),
	}, "echo", "hi")
	if err != nil {
		t.Fatal(err)
	}
	var got string
	if err := run.Get(ctx, &got); err != nil {
		t.Fatal(err)
	}
	if got != "echo:hi" {
		t.Fatalf("result = %q, want echo:hi", got)
	}
}

// countVisible polls the visibility store, which is eventually consistent.
func countVisible(t *testing.T, c client.Client, query string, want int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := c.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{Query: query})
		if err == nil && len(resp.Executions) == want {
			return
		}
		if time.Now().After(deadline) {
			n := -1
			if resp != nil {
				n = len(resp.Executions)
			}
			t.Fatalf("ListWorkflow(%s) = %d runs (err %v), want %d", query, n, err, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// startDialed starts a stack and a client of its namespace; the caller
// closes the client and stops the stack.
func startDialed(t *testing.T, opts devstack.Options) (*devstack.Stack, client.Client) {
	t.Helper()
	s, err := devstack.Start(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.Temporal.Dial(context.Background())
	if err != nil {
		s.Stop()
		t.Fatal(err)
	}
	return s, c
}

func TestStackRunsWorkflowsAndSurvivesRestart(t *testing.T) {
	dir := pgtest.TempDir(t)
	opts := devstack.Options{DataDir: dir, SearchAttributes: []string{"WebhookProvider", "WebhookEventType"}}

	s, c := startDialed(t, opts)
	// The namespace is created with its attributes: the server's cache
	// serves their reads from the start.
	if s.Temporal.SearchAttributeRefreshForced() {
		t.Error("first start: search-attribute reads forced to the database")
	}
	// A short run's start record and upserts are skipped by the server
	// when the queue reads them after the run closed (temporal.go).
	if rps, page := s.Temporal.VisibilityQueueReads(); rps != 1 || page != 1000 {
		t.Errorf("visibility queue read %v times a second, %v tasks a page; want 1, 1000", rps, page)
	}
	runEcho(t, c, "wf-1")
	countVisible(t, c, `WebhookProvider = "x"`, 1)

	// Visibility lives in the managed PostgreSQL, without the indexes
	// nothing uses; queries on an unindexed column still answer.
	file := filepath.Join(dir, "temporal.sqlite")
	if _, err := os.Stat(devstack.VisibilityMarker(file)); err != nil {
		t.Errorf("no visibility marker: %v", err)
	}
	if got, want := s.Temporal.Storage(), "SQLite "+file+", visibility in PostgreSQL database temporal_sqlite_visibility"; got != want {
		t.Errorf("Storage() = %q, want %q", got, want)
	}
	if _, err := os.Stat(devstack.VisibilityFile(file)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a visibility file appeared: %v", err)
	}
	vis, err := sql.Open("postgres", s.Postgres.URL("temporal_sqlite_visibility"))
	if err != nil {
		t.Fatal(err)
	}
	idx := map[string]bool{}
	rows, err := vis.Query(`SELECT indexname FROM pg_indexes WHERE tablename = 'executions_visibility'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		idx[n] = true
	}
	rows.Close()
	for _, want := range []string{"executions_visibility_pkey", "default_idx", "by_workflow_id", "by_status", "by_keyword_01", "by_keyword_02"} {
		if !idx[want] {
			t.Errorf("visibility index %s missing", want)
		}
	}
	for _, gone := range []string{"by_bool_01", "by_history_length", "by_int_03", "by_temporal_change_version"} {
		if idx[gone] {
			t.Errorf("visibility index %s kept", gone)
		}
	}
	// The attributes are in the first keyword columns, the indexed ones.
	var n int
	if err := vis.QueryRow(`SELECT count(*) FROM executions_visibility WHERE keyword01 = 'x'`).Scan(&n); err != nil || n != 1 {
		t.Errorf("runs with Keyword01 (WebhookProvider) = x: %d, %v; want 1", n, err)
	}
	vis.Close()
	countVisible(t, c, `WorkflowType = "echo" AND ExecutionStatus = "Completed" AND HistoryLength > 0`, 1)

	// The Web UI answers on its port.
	resp, err := http.Get(s.Temporal.UIURL() + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("UI GET / = %d, want 200", resp.StatusCode)
	}

	// Retention is at least seven days.
	ns, err := c.WorkflowService().DescribeNamespace(context.Background(), &workflowservice.DescribeNamespaceRequest{Namespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	if got := ns.Config.WorkflowExecutionRetentionTtl.AsDuration(); got < 7*24*time.Hour {
		t.Errorf("retention = %v, want >= 168h", got)
	}

	db, err := sql.Open("postgres", s.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE kept (v TEXT); INSERT INTO kept VALUES ('still here')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	c.Close()
	s.Stop()

	// Restart on the same data dir: the completed run and the rows are
	// kept. The new version of webhookd has one more search attribute: it
	// is added, and usable at once because reads bypass the server's cache
	// until that has expired.
	opts.SearchAttributes = append(opts.SearchAttributes, "WebhookExtra")
	s, err = devstack.Start(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Temporal.SearchAttributeRefreshForced() {
		t.Error("restart with a new attribute: search-attribute reads not forced to the database")
	}
	defer s.Stop()
	c, err = s.Temporal.Dial(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var result string
	if err := c.GetWorkflow(context.Background(), "wf-1", "").Get(context.Background(), &result); err != nil || result != "echo:hi" {
		t.Errorf("after restart: wf-1 result %q, %v; want echo:hi", result, err)
	}
	countVisible(t, c, `WebhookProvider = "x"`, 1)
	runEcho(t, c, "wf-2")
	countVisible(t, c, `WebhookProvider = "x"`, 2)
	extra := temporal.NewSearchAttributeKeyKeyword("WebhookExtra")
	if _, err := c.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{ID: "wf-extra", TaskQueue: "devstack-test",
		TypedSearchAttributes: temporal.NewSearchAttributes(extra.ValueSet("y"))}, "echo", "hi"); err != nil {
		t.Fatalf("start with the new attribute: %v", err)
	}
	countVisible(t, c, `WebhookExtra = "y"`, 1)

	db, err = sql.Open("postgres", s.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v string
	if err := db.QueryRow(`SELECT v FROM kept`).Scan(&v); err != nil || v != "still here" {
		t.Errorf("after restart: kept row = %q, %v", v, err)
	}
}

// sqliteIndexes lists the named indexes of executions_visibility in file.
func sqliteIndexes(t *testing.T, file string) map[string]bool {
	t.Helper()
	names, err := devstack.VisibilityIndexes(file)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, n := range names {
		got[n] = true
	}
	return got
}

// Data dirs from before visibility moved to PostgreSQL keep their layout
// when it is offered: visibility in the main file (the first layout), or
// in its own SQLite file (the second, also what a stack on an outside
// PostgreSQL server gets).
func TestOlderDataDirsKeepTheirLayout(t *testing.T) {
	pg := pgtest.Cluster(t)
	withPostgres := func(opts devstack.TemporalOptions) devstack.TemporalOptions {
		opts.VisibilityPostgresURL = pg.URL("postgres")
		opts.CreateDatabase = func(name string) error {
			t.Errorf("database %s created for a data dir that has its visibility", name)
			return errors.New("unexpected")
		}
		return opts
	}
	for _, tc := range []struct {
		name    string
		prepare func(t *testing.T, file string) devstack.TemporalOptions // the options the old data dir was made with
		visFile bool
	}{
		{"single file", func(t *testing.T, file string) devstack.TemporalOptions {
			if err := sqliteschema.SetupSchema(&config.SQL{PluginName: "sqlite", DatabaseName: file,
				ConnectAttributes: map[string]string{"mode": "rwc"}}); err != nil {
				t.Fatal(err)
			}
			return devstack.TemporalOptions{DatabaseFile: file, UIPort: -1, SearchAttributes: []string{"WebhookProvider"}}
		}, false},
		{"visibility file", func(t *testing.T, file string) devstack.TemporalOptions {
			return devstack.TemporalOptions{DatabaseFile: file, UIPort: -1, SearchAttributes: []string{"WebhookProvider"}}
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(pgtest.TempDir(t), "temporal.sqlite")
			opts := tc.prepare(t, file)
			for round := 0; round < 3; round++ {
				if round > 0 {
					opts = withPostgres(opts)
				}
				tmp, err := devstack.StartTemporal(context.Background(), opts)
				if err != nil {
					t.Fatal(err)
				}
				c, err := tmp.Dial(context.Background())
				if err != nil {
					tmp.Stop()
					t.Fatal(err)
				}
				runEcho(t, c, fmt.Sprintf("old-%d", round))
				countVisible(t, c, `WebhookProvider = "x"`, round+1)
				countVisible(t, c, `WorkflowType = "echo" AND HistoryLength > 0`, round+1)
				want := "SQLite " + file + " (visibility too)"
				if tc.visFile {
					want = "SQLite " + file + ", visibility in " + devstack.VisibilityFile(file)
				}
				if got := tmp.Storage(); got != want {
					t.Errorf("Storage() = %q, want %q", got, want)
				}
				c.Close()
				tmp.Stop()
			}
			if _, err := os.Stat(devstack.VisibilityFile(file)); (err == nil) != tc.visFile {
				t.Fatalf("visibility file: %v, want it to exist: %v", err, tc.visFile)
			}
			if tc.visFile {
				// Without the indexes nothing uses; queries on an unindexed
				// column still answer (checked in countVisible above with
				// the attribute, here with HistoryLength).
				idx := sqliteIndexes(t, devstack.VisibilityFile(file))
				for _, want := range []string{"default_idx", "by_workflow_id", "by_status", "by_keyword_01"} {
					if !idx[want] {
						t.Errorf("visibility index %s missing", want)
					}
				}
				for _, gone := range []string{"by_bool_01", "by_history_length", "by_int_03"} {
					if idx[gone] {
						t.Errorf("visibility index %s kept", gone)
					}
				}
			}
			if _, err := os.Stat(devstack.VisibilityMarker(file)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a visibility marker appeared: %v", err)
			}
		})
	}
}

func TestBusyPortIsAClearError(t *testing.T) {
	s := devstacktest.New(t, devstack.Options{UIPort: -1})
	_, err := devstack.StartTemporal(context.Background(), devstack.TemporalOptions{
		DatabaseFile: pgtest.TempDir(t) + "/t.sqlite",
		Port:         portOf(t, s.Temporal.Address()),
		UIPort:       -1,
	})
	if err == nil {
		t.Fatal("second server on a busy port started")
	}
	if want := "port in use"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not say %q", err, want)
	}
}

func portOf(t *testing.T, addr string) int {
	var port int
	if _, err := fmt.Sscanf(addr, "127.0.0.1:%d", &port); err != nil {
		t.Fatal(err)
	}
	return port
}

func TestTemporalOnPostgres(t *testing.T) {
	opts := devstack.Options{DataDir: pgtest.TempDir(t), UIPort: -1, TemporalStore: "postgres",
		SearchAttributes: []string{"WebhookProvider", "WebhookEventType"}}
	for round := 0; round < 2; round++ { // the second start finds the schema in place
		s, c := startDialed(t, opts)
		runEcho(t, c, fmt.Sprintf("pg-%d", round))
		countVisible(t, c, `WebhookProvider = "x"`, round+1)
		c.Close()
		s.Stop()
	}
}
