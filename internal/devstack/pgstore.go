package devstack

import (
	"fmt"
	"net"
	"net/url"
	"strings"

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
	u, err := url.Parse(serverURL)
	if err != nil {
		return nil, nil, fmt.Errorf("devstack: temporal postgres url: %w", err)
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
	mk := func(db string) *config.SQL {
		return &config.SQL{
			PluginName: pgplugin.PluginName, DatabaseName: db, ConnectAddr: host, ConnectProtocol: "tcp",
			User: u.User.Username(), Password: pass, ConnectAttributes: attrs,
			MaxConns: 20, MaxIdleConns: 20,
		}
	}
	def, vis := mk("temporal"), mk("temporal_visibility")
	for _, s := range []struct {
		cfg    *config.SQL
		schema string
	}{{def, "postgresql/v12/temporal"}, {vis, "postgresql/v12/visibility"}} {
		if err := createDB(s.cfg.DatabaseName); err != nil {
			return nil, nil, err
		}
		if err := setupSchema(s.cfg, s.schema, logger); err != nil {
			return nil, nil, err
		}
	}
	return def, vis, nil
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
