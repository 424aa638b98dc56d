#!/bin/sh
# Creates or updates the roles of Temporal and webhookd, and webhookd's
# database, as the PostgreSQL superuser. Idempotent: it runs on every
# `docker compose up`, on a new volume and on an existing one, and sets the
# passwords from the env file each time (so changing one there and running
# `up` rotates it).
#
#   temporal  may create databases: temporal-schema creates and owns
#             temporal and temporal_visibility
#   webhookd  owns the database webhookd; nothing else
set -eu
: "${PGHOST:?PGHOST: the PostgreSQL host}"
: "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in deploy/stack.env}"
: "${TEMPORAL_DB_PASSWORD:?set TEMPORAL_DB_PASSWORD in deploy/stack.env}"
: "${WEBHOOKD_DB_PASSWORD:?set WEBHOOKD_DB_PASSWORD in deploy/stack.env}"
export PGPASSWORD="$POSTGRES_PASSWORD"

psql -v ON_ERROR_STOP=1 --no-psqlrc -q -U "${PGUSER:-postgres}" -d postgres \
  -v temporal_pw="$TEMPORAL_DB_PASSWORD" -v webhookd_pw="$WEBHOOKD_DB_PASSWORD" <<'SQL'
SELECT 'CREATE ROLE temporal' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'temporal') \gexec
SELECT format('ALTER ROLE temporal LOGIN CREATEDB NOSUPERUSER PASSWORD %L', :'temporal_pw') \gexec
SELECT 'CREATE ROLE webhookd' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'webhookd') \gexec
SELECT format('ALTER ROLE webhookd LOGIN NOCREATEDB NOSUPERUSER PASSWORD %L', :'webhookd_pw') \gexec
SELECT 'CREATE DATABASE webhookd OWNER webhookd' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'webhookd') \gexec
REVOKE ALL ON DATABASE webhookd FROM PUBLIC;
SQL
echo "postgres roles temporal and webhookd ready"
