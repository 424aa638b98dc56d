// Package devstack runs webhookd's dependencies inside the process: an
// embedded Temporal server persisting to SQLite, the Temporal Web UI, and a
// managed PostgreSQL cluster. `webhookd dev` and the integration tests use
// the same code, so the tests exercise what developers run.
package devstack

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uioptions "github.com/temporalio/ui-server/v2/server/server_options"
	namespacepb "go.temporal.io/api/namespace/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/membership/static"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/primitives"
	sqliteschema "go.temporal.io/server/schema/sqlite"
	temporalserver "go.temporal.io/server/temporal"
	"google.golang.org/protobuf/types/known/durationpb"
	_ "modernc.org/sqlite" // the driver Temporal's SQLite plugin uses, for trimVisibilityIndexes

	"github.com/webhookd/webhookd/internal/postgres"
	"github.com/webhookd/webhookd/internal/temporalsetup"
)

const clusterName = "active"

// TemporalOptions configures the embedded Temporal server and UI.
type TemporalOptions struct {
	// DatabaseFile is the SQLite file; it gets the schema on first use.
	DatabaseFile string
	// Port is the frontend gRPC port on 127.0.0.1; 0 picks a free one.
	Port int
	// UIPort serves the Web UI on 127.0.0.1; 0 picks a free one, -1 disables it.
	UIPort int
	// CodecEndpoint, when set, is the codec server the UI decodes payloads
	// with (its …/decode, from the browser).
	CodecEndpoint string
	// Namespace is created on first start (default "default").
	Namespace string
	// Retention of closed runs; at least 7 days by default. It bounds how long
	// a workflow ID deduplicates deliveries.
	Retention time.Duration
	// SearchAttributes are registered as keyword attributes on every start.
	SearchAttributes []string
	// Logger receives the server's warnings and errors.
	Logger *slog.Logger
	// PostgresURL, when set, makes Temporal persist to that PostgreSQL
	// server (databases temporal and temporal_visibility, created with
	// CreateDatabase) instead of the SQLite file.
	PostgresURL    string
	CreateDatabase func(name string) error
	// VisibilityPostgresURL, when set, keeps the visibility records (the
	// Web UI's lists) of a new data dir in database
	// temporal_sqlite_visibility of that PostgreSQL server (created with CreateDatabase), the workflows
	// themselves in the SQLite file. A data dir that has its visibility
	// in SQLite keeps it there.
	VisibilityPostgresURL string
	// PProfPort, when set, serves Go's pprof endpoints for the whole process
	// on localhost (the server's own pprof listener).
	PProfPort int
}

// Temporal is a running embedded Temporal server and, optionally, its UI.
type Temporal struct {
	opts    TemporalOptions
	logger  serverLogger
	address string
	uiURL   string
	server  temporalserver.Server
	ui      *uiserver.Server
	uiDone  chan struct{}
	storage string

	// dyn is the server's dynamic config. endSARefresh ends the forced
	// search-attribute cache refresh (see configureNamespace); saTimer
	// calls it once the caches have expired.
	dyn          *dynamicconfig.MemoryClient
	endSARefresh func()
	saTimer      *time.Timer
}

// searchAttributeCacheTTL outlasts the server's search-attribute cache
// (refreshed every 60 s; not configurable): a cache filled before an
// attribute was added has expired by then.
const searchAttributeCacheTTL = 61 * time.Second

// StartTemporal starts the server, waits until the namespace answers and
// registers the search attributes.
func StartTemporal(ctx context.Context, opts TemporalOptions) (*Temporal, error) {
	if opts.Namespace == "" {
		opts.Namespace = "default"
	}
	if opts.Retention == 0 {
		opts.Retention = 7 * 24 * time.Hour
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	var err error
	if opts.Port == 0 {
		if opts.Port, err = postgres.FreePort(); err != nil {
			return nil, err
		}
	}
	if err := portFree(opts.Port, "--temporal-port"); err != nil {
		return nil, err
	}
	t := &Temporal{opts: opts, address: net.JoinHostPort("127.0.0.1", strconv.Itoa(opts.Port)), logger: newServerLogger(opts.Logger)}

	var stores map[string]config.DataStore
	if opts.PostgresURL != "" {
		def, vis, err := postgresStores(opts.PostgresURL, opts.CreateDatabase, t.logger)
		if err != nil {
			return nil, err
		}
		stores = map[string]config.DataStore{"default": {SQL: def}, "visibility": {SQL: vis}}
		t.storage = "PostgreSQL databases temporal, temporal_visibility"
	} else {
		if stores, err = sqliteStores(opts, t.logger); err != nil {
			return nil, err
		}
		t.storage = "SQLite " + opts.DatabaseFile
		switch vis := stores["visibility"].SQL; {
		case vis == nil:
			t.storage += " (visibility too)"
		case vis.PluginName == sqliteplugin.PluginName:
			t.storage += ", visibility in " + vis.DatabaseName
		default:
			t.storage += ", visibility in PostgreSQL database " + vis.DatabaseName
		}
	}
	// The helper is SQLite's but writes through any SQL plugin; it does
	// nothing when the namespace exists.
	ns, err := sqliteschema.NewNamespaceConfig(clusterName, opts.Namespace, false, nil)
	if err != nil {
		return nil, fmt.Errorf("devstack: namespace config: %w", err)
	}
	ns.Detail.Config.Retention = durationpb.New(opts.Retention)
	if ns.Detail.Config.CustomSearchAttributeAliases, err = keywordColumns(opts.SearchAttributes); err != nil {
		return nil, err
	}
	if err := sqliteschema.CreateNamespaces(stores["default"].SQL, ns); err != nil {
		return nil, fmt.Errorf("devstack: create namespace: %w", err)
	}

	srv, err := t.newServer(stores)
	if err != nil {
		return nil, err
	}
	if err := srv.Start(); err != nil {
		return nil, fmt.Errorf("devstack: start temporal: %w", err)
	}
	t.server = srv
	if err := t.configureNamespace(ctx); err != nil {
		t.Stop()
		return nil, err
	}
	if opts.UIPort >= 0 {
		if err := t.startUI(ctx); err != nil {
			t.Stop()
			return nil, err
		}
	}
	return t, nil
}

// keywordColumns assigns keyword search attributes to the SQL visibility
// schema's keyword columns in order (Keyword01 first), as the server's
// AddSearchAttributes does; the columns of the first four are indexed
// (keptVisibilityIndexes). A namespace created with them has its
// attributes from its first start.
func keywordColumns(names []string) (map[string]string, error) {
	const columns = 10 // Keyword01..Keyword10
	if len(names) > columns {
		return nil, fmt.Errorf("devstack: %d search attributes: SQL visibility has %d keyword columns", len(names), columns)
	}
	cols := make(map[string]string, len(names))
	for i, name := range names {
		cols[fmt.Sprintf("Keyword%02d", i+1)] = name
	}
	return cols, nil
}

// VisibilityFile is the SQLite file that holds Temporal's visibility
// records (the Web UI's lists) beside the main file, in data dirs created
// before they moved to PostgreSQL.
func VisibilityFile(databaseFile string) string {
	return strings.TrimSuffix(databaseFile, filepath.Ext(databaseFile)) + "-visibility" + filepath.Ext(databaseFile)
}

// VisibilityMarker is the file beside databaseFile that says its
// visibility records are in PostgreSQL.
func VisibilityMarker(databaseFile string) string {
	return strings.TrimSuffix(databaseFile, filepath.Ext(databaseFile)) + "-visibility.postgres"
}

// sqliteStores opens the main store in opts.DatabaseFile, creating its
// schema on first use, and the visibility store where the data dir keeps
// it:
//
//   - a new data dir, or one marked by VisibilityMarker: in PostgreSQL
//     (opts.VisibilityPostgresURL). SQLite has one writer per file; the
//     visibility writes (an upsert of ~100 columns per run start, close and
//     search-attribute change) held the writer the workflow writes wait for,
//     and cost the SQLite driver far more CPU than they cost PostgreSQL
//     (docs/performance.md);
//   - a data dir that has a VisibilityFile, or a new one without
//     opts.VisibilityPostgresURL: in VisibilityFile, with its own writer;
//   - a data dir with only the main file: in the main file.
//
// The visibility stores lose the indexes nothing queries.
func sqliteStores(opts TemporalOptions, logger log.Logger) (map[string]config.DataStore, error) {
	open := func(file string) (*config.SQL, error) {
		conf := &config.SQL{
			PluginName:   sqliteplugin.PluginName,
			DatabaseName: file,
			// WAL lets readers run beside the one writer; synchronous=normal
			// fsyncs at checkpoints only: a power cut can lose the last
			// transactions of a dev box, never corrupt it.
			ConnectAttributes: map[string]string{"mode": "rwc", "journal_mode": "wal", "synchronous": "normal", "busy_timeout": "10000"},
		}
		if _, err := os.Stat(file); errors.Is(err, os.ErrNotExist) {
			if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
				return nil, fmt.Errorf("devstack: %w", err)
			}
			// The server's helper creates both schemas in a file; each file
			// uses one of them.
			if err := sqliteschema.SetupSchema(conf); err != nil {
				return nil, fmt.Errorf("devstack: temporal sqlite schema in %s: %w", file, err)
			}
		}
		return conf, nil
	}
	mainFile := opts.DatabaseFile
	visFile, marker := VisibilityFile(mainFile), VisibilityMarker(mainFile)
	exists := func(f string) bool { _, err := os.Stat(f); return err == nil }
	// The visibility file, trimmed on every start: once done it drops
	// nothing, and it finishes a first start that died before it.
	visibilityFile := func() (*config.SQL, error) {
		vis, err := open(visFile)
		if err != nil {
			return nil, err
		}
		return vis, trimSQLiteVisibilityIndexes(visFile)
	}
	var vis *config.SQL
	var err error
	switch {
	case exists(visFile):
		if vis, err = visibilityFile(); err != nil {
			return nil, err
		}
	case exists(marker) || !exists(mainFile) && opts.VisibilityPostgresURL != "":
		if opts.VisibilityPostgresURL == "" {
			return nil, fmt.Errorf("devstack: %s: this data dir keeps Temporal's visibility in PostgreSQL (%s): start it with its managed PostgreSQL", mainFile, marker)
		}
		// The visibility store first, then the marker, then the main file:
		// a start that dies in between resumes here next time, and never
		// leaves a main file alone, which would read as the oldest layout.
		// Setting up and trimming are idempotent, so this runs on every start.
		if vis, err = postgresStore(opts.VisibilityPostgresURL, sqliteVisibilityDatabase, opts.CreateDatabase, logger); err != nil {
			return nil, err
		}
		if !exists(marker) {
			note := "Temporal's visibility records for this data dir are in database " + sqliteVisibilityDatabase + " of its PostgreSQL.\n"
			if err := os.WriteFile(marker, []byte(note), 0o644); err != nil {
				return nil, fmt.Errorf("devstack: %w", err)
			}
		}
	case !exists(mainFile):
		// The visibility file first, for the same reason.
		if vis, err = visibilityFile(); err != nil {
			return nil, err
		}
	}
	main, err := open(mainFile)
	if err != nil {
		return nil, err
	}
	stores := map[string]config.DataStore{"default": {SQL: main}}
	if vis != nil {
		stores["visibility"] = config.DataStore{SQL: vis}
	}
	return stores, nil
}

// services binds each Temporal service to a loopback port: the frontend
// to opts.Port, the others to free ports.
func (t *Temporal) services() (map[string]config.Service, map[primitives.ServiceName]static.Hosts, error) {
	services := map[string]config.Service{}
	hosts := map[primitives.ServiceName]static.Hosts{}
	for _, name := range []primitives.ServiceName{primitives.FrontendService, primitives.HistoryService, primitives.MatchingService, primitives.WorkerService} {
		port := 0
		if name == primitives.FrontendService {
			port = t.opts.Port
		}
		if port == 0 {
			var err error
			if port, err = postgres.FreePort(); err != nil {
				return nil, nil, err
			}
		}
		services[string(name)] = config.Service{RPC: config.RPC{GRPCPort: port, BindOnIP: "127.0.0.1"}}
		hosts[name] = static.SingleLocalHost(net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	}
	return services, hosts, nil
}

// serverConfig is the static configuration of the one-host server.
func (t *Temporal) serverConfig(stores map[string]config.DataStore, services map[string]config.Service) (*config.Config, error) {
	httpPort, err := postgres.FreePort()
	if err != nil {
		return nil, err
	}
	fe := services[string(primitives.FrontendService)]
	fe.RPC.HTTPPort = httpPort
	services[string(primitives.FrontendService)] = fe

	conf := &config.Config{}
	conf.Global.Membership = config.Membership{MaxJoinDuration: 30 * time.Second, BroadcastAddress: "127.0.0.1"}
	visibility := "visibility"
	if _, ok := stores[visibility]; !ok {
		visibility = "default"
	}
	conf.Persistence = config.Persistence{
		DefaultStore: "default", VisibilityStore: visibility, NumHistoryShards: 1,
		DataStores: stores,
	}
	conf.ClusterMetadata = &cluster.Config{
		FailoverVersionIncrement: 10, MasterClusterName: clusterName, CurrentClusterName: clusterName,
		ClusterInformation: map[string]cluster.ClusterInformation{clusterName: {
			Enabled: true, InitialFailoverVersion: 1, RPCAddress: t.address,
			HTTPAddress: net.JoinHostPort("127.0.0.1", strconv.Itoa(httpPort)),
		}},
	}
	conf.DCRedirectionPolicy.Policy = "noop"
	conf.Services = services
	conf.Archival.History.State = "disabled"
	conf.Archival.Visibility.State = "disabled"
	conf.NamespaceDefaults.Archival.History.State = "disabled"
	conf.NamespaceDefaults.Archival.Visibility.State = "disabled"
	conf.PublicClient.HostPort = t.address
	conf.Global.PProf.Port = t.opts.PProfPort
	return conf, nil
}

func (t *Temporal) newServer(stores map[string]config.DataStore) (temporalserver.Server, error) {
	services, hosts, err := t.services()
	if err != nil {
		return nil, err
	}
	conf, err := t.serverConfig(stores, services)
	if err != nil {
		return nil, err
	}
	logger := t.logger
	authorizer, err := authorization.GetAuthorizerFromConfig(&conf.Global.Authorization)
	if err != nil {
		return nil, fmt.Errorf("devstack: authorizer: %w", err)
	}
	claimMapper, err := authorization.GetClaimMapperFromConfig(&conf.Global.Authorization, logger)
	if err != nil {
		return nil, fmt.Errorf("devstack: claim mapper: %w", err)
	}
	t.dyn = dynamicconfig.NewMemoryClient()
	t.dyn.OverrideSetting(dynamicconfig.FrontendMaxNamespaceVisibilityRPSPerInstance, 100)
	t.dyn.OverrideSetting(dynamicconfig.HistoryCacheHostLevelMaxSize, 8192)
	// One host: a single task-queue partition lets every task match a
	// waiting poller at once instead of landing in another partition's
	// backlog (see docs/performance.md for the measured effect).
	t.dyn.OverrideSetting(dynamicconfig.MatchingNumTaskqueueReadPartitions, 1)
	t.dyn.OverrideSetting(dynamicconfig.MatchingNumTaskqueueWritePartitions, 1)
	// The visibility queue is read once a second (default 20), in pages
	// of up to 1000 tasks (default 100, which would cap it at 100 tasks a
	// second). A run's start record and its search-attribute upserts are
	// skipped by the server when the run has closed by the time they are
	// read: a payment's run takes a few hundred milliseconds, so most of
	// them never reach PostgreSQL and only the close record is written.
	// The cost: the Web UI lists a run up to a second late.
	t.dyn.OverrideSetting(dynamicconfig.VisibilityProcessorMaxPollRPS, 1)
	t.dyn.OverrideSetting(dynamicconfig.VisibilityTaskBatchSize, 1000)
	// Search attributes added after start (a data dir from a webhookd
	// with fewer of them) are usable at once: every read of them goes to
	// the database until configureNamespace ends it. Left on, those reads
	// cost 6 % of the server's CPU under load.
	// Ended once: by configureNamespace, or by the timer it sets.
	t.endSARefresh = t.dyn.OverrideSetting(dynamicconfig.ForceSearchAttributesCacheRefreshOnRead, true)
	srv, err := temporalserver.NewServer(
		temporalserver.WithConfig(conf),
		temporalserver.ForServices(temporalserver.DefaultServices),
		temporalserver.WithStaticHosts(hosts),
		temporalserver.WithLogger(logger),
		temporalserver.WithAuthorizer(authorizer),
		temporalserver.WithClaimMapper(func(*config.Config) authorization.ClaimMapper { return claimMapper }),
		temporalserver.WithDynamicConfigClient(t.dyn),
	)
	if err != nil {
		return nil, fmt.Errorf("devstack: new temporal server: %w", err)
	}
	return srv, nil
}

// configureNamespace waits for the frontend, then makes sure the retention
// and the search attributes are what webhookd needs. Both calls are
// idempotent, so this runs on every start.
func (t *Temporal) configureNamespace(ctx context.Context) error {
	c, err := t.Dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	var desc *workflowservice.DescribeNamespaceResponse
	for {
		desc, err = c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: t.opts.Namespace})
		if err == nil {
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("devstack: temporal namespace %q not ready: %w", t.opts.Namespace, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
	if got := desc.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration(); got < t.opts.Retention {
		_, err := c.WorkflowService().UpdateNamespace(ctx, &workflowservice.UpdateNamespaceRequest{
			Namespace: t.opts.Namespace,
			Config:    &namespacepb.NamespaceConfig{WorkflowExecutionRetentionTtl: durationpb.New(t.opts.Retention)},
		})
		if err != nil {
			return fmt.Errorf("devstack: set retention: %w", err)
		}
	}
	added, err := temporalsetup.Register(ctx, c, t.opts.Namespace, t.opts.SearchAttributes)
	if err != nil {
		return fmt.Errorf("devstack: %w", err)
	}
	if len(added) == 0 {
		t.endSARefresh() // every cache read them from the database already
		return nil
	}
	// A cache filled before the add holds on to its old content until it
	// expires; until then reads keep going to the database.
	t.saTimer = time.AfterFunc(searchAttributeCacheTTL, t.endSARefresh)
	return nil
}

func (t *Temporal) startUI(ctx context.Context) error {
	port := t.opts.UIPort
	var err error
	if port == 0 {
		if port, err = postgres.FreePort(); err != nil {
			return err
		}
	}
	// The UI server exits the whole process when its port is taken, so make
	// sure it is free first.
	if err := portFree(port, "--ui-port"); err != nil {
		return err
	}
	t.ui = uiserver.NewServer(uioptions.WithConfigProvider(&uiconfig.Config{
		Host:                "127.0.0.1",
		Port:                port,
		TemporalGRPCAddress: t.address,
		EnableUI:            true,
		DefaultNamespace:    t.opts.Namespace,
		HideLogs:            true,
		DisableNewsFetch:    true,
		CORS:                uiconfig.CORS{CookieInsecure: true},
		Codec:               uiconfig.Codec{Endpoint: t.opts.CodecEndpoint},
	}))
	t.uiURL = "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	t.uiDone = make(chan struct{})
	go func() {
		defer close(t.uiDone)
		_ = t.ui.Start()
	}()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, t.uiURL+"/", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("devstack: temporal UI did not answer on %s: %w", t.uiURL, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Address is the frontend's host:port.
func (t *Temporal) Address() string { return t.address }

// Namespace is the namespace the stack created.
func (t *Temporal) Namespace() string { return t.opts.Namespace }

// Storage says where the server keeps its data, for people.
func (t *Temporal) Storage() string { return t.storage }

// UIURL is the Web UI's base URL, or "" when the UI is disabled.
func (t *Temporal) UIURL() string { return t.uiURL }

// Dial returns a client of the stack's namespace.
func (t *Temporal) Dial(ctx context.Context) (client.Client, error) {
	c, err := client.DialContext(ctx, client.Options{
		HostPort:  t.address,
		Namespace: t.opts.Namespace,
		Logger:    quietSDKLogger(t.opts.Logger),
	})
	if err != nil {
		return nil, fmt.Errorf("devstack: dial temporal %s: %w", t.address, err)
	}
	return c, nil
}

// Stop stops the UI and the server.
func (t *Temporal) Stop() {
	if t.saTimer != nil {
		t.saTimer.Stop()
	}
	if t.ui != nil {
		t.ui.Stop()
		<-t.uiDone
		t.ui = nil
	}
	if t.server != nil {
		t.logger.quiet.Store(true)
		_ = t.server.Stop()
		t.server = nil
	}
}

func portFree(port int, flag string) error {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return fmt.Errorf("devstack: %s %d: port in use (is another webhookd dev or temporal server running?): %w", flag, port, err)
	}
	return l.Close()
}

// keptVisibilityIndexes serve the queries webhookd, the Web UI and the
// server's own system workflows make: the default list (by close and start
// time), workflow ID, type, status, task queue, execution time, parent and
// root (child workflows), namespace division (schedules, internal
// workflows) and the first keyword attributes, where WebhookProvider and
// WebhookEventType land (keywordColumns). The
// schemas' other indexes (45 in SQLite, 60 in PostgreSQL), one per
// attribute column, cost every visibility write; a query on those columns
// still works on a dev-sized table, by scanning.
var keptVisibilityIndexes = map[string]bool{
	"default_idx": true, "by_execution_time": true, "by_workflow_id": true, "by_workflow_type": true,
	"by_status": true, "by_task_queue": true, "by_parent_workflow_id": true, "by_root_workflow_id": true,
	"by_temporal_namespace_division": true,
	"by_keyword_01":                  true, "by_keyword_02": true, "by_keyword_03": true, "by_keyword_04": true,
}

// trimVisibilityIndexes drops the visibility indexes outside
// keptVisibilityIndexes, as listed by listQuery; once done it drops
// nothing.
func trimVisibilityIndexes(db *sql.DB, listQuery string) error {
	names, err := indexNames(db, listQuery)
	if err != nil {
		return err
	}
	for _, name := range names {
		if keptVisibilityIndexes[name] {
			continue
		}
		if _, err := db.Exec(`DROP INDEX "` + name + `"`); err != nil {
			return fmt.Errorf("devstack: drop visibility index %s: %w", name, err)
		}
	}
	return nil
}

// sqliteVisibilityIndexes lists the named indexes of the visibility table
// of a SQLite file.
const sqliteVisibilityIndexes = `SELECT name FROM sqlite_master
	WHERE type = 'index' AND tbl_name = 'executions_visibility' AND sql IS NOT NULL ORDER BY name`

func trimSQLiteVisibilityIndexes(file string) error {
	db, err := sql.Open("sqlite", file)
	if err != nil {
		return fmt.Errorf("devstack: visibility indexes: %w", err)
	}
	defer db.Close()
	return trimVisibilityIndexes(db, sqliteVisibilityIndexes)
}

func indexNames(db *sql.DB, listQuery string) ([]string, error) {
	var names []string
	rows, err := db.Query(listQuery)
	if err != nil {
		return nil, fmt.Errorf("devstack: visibility indexes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("devstack: visibility indexes: %w", err)
		}
		names = append(names, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("devstack: visibility indexes: %w", err)
	}
	return names, nil
}
