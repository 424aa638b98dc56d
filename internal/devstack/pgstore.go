package devstack

import (
	"database/sql"
	"fmt"
	"net"
	"net/url"
	"strings"

	_ "github.com/lib/pq" // for trimming the visibility indexes
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/log"
	pgplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/postgresql"
	"go.temporal.io/server/tools/common/schema"
	sqltool "go.temporal.io/server/tools/sql"
)

// postgresStores returns Temporal's default and visibility stores in the
// PostgreSQL server at serverURL (databases temporal and
// temporal_visibility), with their schemas set up or updated.
func postgresStores(serverURL string, createDB func(name string) error, logger log.Logger) (*config.SQL, *config.SQL, error) {
	def, err := postgresStore(serverURL, "temporal", createDB, logger)
	if err != nil {
		return nil, nil, err
	}
	vis, err := postgresStore(serverURL, "temporal_visibility", createDB, logger)
	if err != nil {
		return nil, nil, err
	}
	return def, vis, nil
}

// sqliteVisibilityDatabase holds the visibility records of a Temporal
// whose workflows are in SQLite; a Temporal wholly in PostgreSQL has its
// own, temporal_visibility.
const sqliteVisibilityDatabase = "temporal_sqlite_visibility"

// postgresStore returns the store of database db in the PostgreSQL server
// at serverURL, created with its schema set up or updated: Temporal's main
// schema for database temporal, the visibility schema for the others,
// which also lose the indexes nothing queries (keptVisibilityIndexes).
func postgresStore(serverURL, db string, createDB func(name string) error, logger log.Logger) (*config.SQL, error) {
	u, err := url.Parse(serverURL)
	if err != nil {
		return nil, fmt.Errorf("devstack: temporal postgres url: %w", err)
	}
	pass, _ := u.User.Password()
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "5432")
	}
	attrs := map[string]string{}
	if mode := u.Query().Get("sslmode"); mode != "" {
		attrs["sslmode"] = mode
	}
	cfg := &config.SQL{
		// pgx caches a prepared statement per query and connection; lib/pq
		// (the plugin's other driver) has PostgreSQL parse and plan every
		// visibility upsert anew: noop +17–35 %, e2e +16–29 %
		// (docs/performance.md).
		PluginName: pgplugin.PluginNamePGX, DatabaseName: db, ConnectAddr: host, ConnectProtocol: "tcp",
		User: u.User.Username(), Password: pass, ConnectAttributes: attrs,
		MaxConns: 20, MaxIdleConns: 20,
	}
	visibility := db != "temporal"
	schemaName := "postgresql/v12/temporal"
	if visibility {
		schemaName = "postgresql/v12/visibility"
	}
	if err := createDB(db); err != nil {
		return nil, err
	}
	if err := setupSchema(cfg, schemaName, logger); err != nil {
		return nil, err
	}
	if visibility {
		// After the schema update, so each start trims what an update
		// added. An update that alters one of the dropped indexes would
		// fail: check the versioned schema when upgrading the server.
		u.Path = "/" + db
		conn, err := sql.Open("postgres", u.String())
		if err != nil {
			return nil, fmt.Errorf("devstack: %s: %w", db, err)
		}
		defer conn.Close()
		if err := trimVisibilityIndexes(conn, `SELECT indexname FROM pg_indexes
			WHERE schemaname = current_schema() AND tablename = 'executions_visibility'
			  AND indexname <> 'executions_visibility_pkey' ORDER BY indexname`); err != nil {
			return nil, err
		}
	}
	return cfg, nil
}

// setupSchema creates the version tables and applies every versioned
// schema change not yet applied, as temporal-sql-tool setup-schema -v 0.0 and
// update-schema do; it is idempotent.
func setupSchema(cfg *config.SQL, name string, logger log.Logger) error {
	conn, err := sqltool.NewConnection(cfg, logger)
	if err != nil {
		return fmt.Errorf("devstack: connect %s: %w", cfg.DatabaseName, err)
	}
	defer conn.Close()
	if err := schema.NewSetupSchemaTask(conn, &schema.SetupConfig{InitialVersion: "0.0"}, logger).Run(); err != nil {
		return fmt.Errorf("devstack: setup %s schema: %w", cfg.DatabaseName, err)
	}
	if err := schema.NewUpdateSchemaTask(conn, &schema.UpdateConfig{DBName: cfg.DatabaseName, SchemaName: name}, logger).Run(); err != nil {
		return fmt.Errorf("devstack: update %s schema: %w", cfg.DatabaseName, err)
	}
	return nil
}

func isPostgresStore(s string) bool { return strings.EqualFold(s, "postgres") }
