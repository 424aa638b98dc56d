#!/bin/sh
# Creates Temporal's two databases if missing and brings their schemas to
# the version of the admin-tools image running this (its versioned schema
# directories). Idempotent: on an existing volume it applies only what is
# new, which is also how a Temporal upgrade updates the schema (run it with
# the new admin-tools image before the new server starts).
set -eu
: "${SQL_HOST:?SQL_HOST: the PostgreSQL host}"
: "${SQL_USER:?SQL_USER: Temporal's role}"
# Temporal's password: from the file SQL_PASSWORD_FILE names (a compose
# secret), else SQL_PASSWORD.
if [ -n "${SQL_PASSWORD_FILE:-}" ]; then
  SQL_PASSWORD=$(cat "$SQL_PASSWORD_FILE") || { echo "SQL_PASSWORD_FILE: cannot read $SQL_PASSWORD_FILE" >&2; exit 1; }
  export SQL_PASSWORD
fi
: "${SQL_PASSWORD:?Temporal database password: set SQL_PASSWORD_FILE to a file that holds it (docs/production.md, Secrets)}"
export SQL_PLUGIN="${SQL_PLUGIN:-postgres12}" SQL_PORT="${SQL_PORT:-5432}"
schema="${TEMPORAL_SCHEMA_DIR:-/etc/temporal/schema}/postgresql/v12"

for pair in "${TEMPORAL_DB:-temporal}:temporal" "${TEMPORAL_VISIBILITY_DB:-temporal_visibility}:visibility"; do
  db=${pair%%:*} dir=${pair#*:}
  temporal-sql-tool --db "$db" create
  temporal-sql-tool --db "$db" setup-schema -v 0.0
  temporal-sql-tool --db "$db" update-schema -d "$schema/$dir/versioned"
  echo "temporal schema of $db up to date"
done
