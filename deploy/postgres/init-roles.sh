#!/bin/sh
# Creates or updates the roles of Temporal and webhookd and webhookd's
# database, and sets every password from its secret file, the superuser's
# too. Idempotent: it runs on every `docker compose up`, on a new volume and
# on an existing one, so changing a secret file and running `up` rotates
# that password (docs/production.md, "Secrets").
#
#   postgres  the superuser: the image applies POSTGRES_PASSWORD_FILE to an
#             empty data directory only; this keeps it current
#   temporal  may create databases: temporal-schema creates and owns
#             temporal and temporal_visibility
#   webhookd  owns the database webhookd; nothing else. Its password is the
#             one in webhookd's DATABASE_URL, so the two cannot disagree
#
# docker-compose.yml runs it in the postgres container's network namespace,
# against 127.0.0.1, which the image's pg_hba.conf trusts (as it trusts
# `docker compose exec postgres psql`): it needs no password to connect, so
# it can change the superuser's. Where loopback is not trusted it logs in
# with POSTGRES_PASSWORD_FILE's password.
#
# Each secret comes from <VAR>_FILE (a compose secret), else from <VAR>.
set -eu
: "${PGHOST:?PGHOST: the PostgreSQL host}"

# secret VAR prints the value of the file VAR_FILE names, else of VAR.
secret() {
  eval "file=\${$1_FILE:-} value=\${$1:-}"
  if [ -n "$file" ]; then
    if [ ! -r "$file" ]; then
      echo "$1_FILE: cannot read $file (docs/production.md, \"Secrets\")" >&2
      exit 1
    fi
    value=$(cat "$file")
    if [ -z "$value" ]; then
      echo "$1_FILE: $file is empty (docs/production.md, \"Secrets\")" >&2
      exit 1
    fi
  fi
  if [ -z "$value" ]; then
    echo "$1: unset: set ${1}_FILE to a file that holds it (docs/production.md, \"Secrets\")" >&2
    exit 1
  fi
  printf '%s' "$value"
}

postgres_pw=$(secret POSTGRES_PASSWORD)
temporal_pw=$(secret TEMPORAL_DB_PASSWORD)
url=$(secret WEBHOOKD_DATABASE_URL)

# webhookd's password, from postgres://webhookd:<password>@postgres:5432/…
case "$url" in
  postgres://webhookd:?*@* | postgresql://webhookd:?*@*) ;;
  *)
    echo "webhookd's DATABASE_URL: want postgres://webhookd:<password>@postgres:5432/webhookd?sslmode=disable" >&2
    exit 1
    ;;
esac
userinfo=${url#*://}
userinfo=${userinfo%%@*}
webhookd_pw=${userinfo#webhookd:}
case "$webhookd_pw" in
  *[!A-Za-z0-9._~-]*)
    echo "webhookd's password in DATABASE_URL: letters, digits and . _ ~ - only, as it is not URL-decoded (openssl rand -hex 24)" >&2
    exit 1
    ;;
esac

export PGPASSWORD="$postgres_pw"
psql -v ON_ERROR_STOP=1 --no-psqlrc -q -U "${PGUSER:-postgres}" -d postgres \
  -v postgres_pw="$postgres_pw" -v temporal_pw="$temporal_pw" -v webhookd_pw="$webhookd_pw" <<'SQL'
SELECT format('ALTER ROLE %I PASSWORD %L', current_user, :'postgres_pw') \gexec
SELECT 'CREATE ROLE temporal' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'temporal') \gexec
SELECT format('ALTER ROLE temporal LOGIN CREATEDB NOSUPERUSER PASSWORD %L', :'temporal_pw') \gexec
SELECT 'CREATE ROLE webhookd' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'webhookd') \gexec
SELECT format('ALTER ROLE webhookd LOGIN NOCREATEDB NOSUPERUSER PASSWORD %L', :'webhookd_pw') \gexec
SELECT 'CREATE DATABASE webhookd OWNER webhookd' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'webhookd') \gexec
REVOKE ALL ON DATABASE webhookd FROM PUBLIC;
SQL
echo "postgres roles postgres, temporal and webhookd ready"
