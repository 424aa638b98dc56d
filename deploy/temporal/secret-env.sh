#!/bin/sh
# Runs its arguments (the temporalio/server image's entrypoint) with
# POSTGRES_PWD and VISIBILITY_POSTGRES_PWD read from the files that
# POSTGRES_PWD_FILE and VISIBILITY_POSTGRES_PWD_FILE name: the image takes
# its database passwords from the environment only, and a compose secret
# keeps them out of docker-compose.yml and `docker compose config`.
set -eu
for var in POSTGRES_PWD VISIBILITY_POSTGRES_PWD; do
  eval "file=\${${var}_FILE:-}"
  [ -n "$file" ] || continue
  if [ ! -r "$file" ]; then
    echo "${var}_FILE: cannot read $file (docs/production.md, \"Secrets\")" >&2
    exit 1
  fi
  value=$(cat "$file")
  if [ -z "$value" ]; then
    echo "${var}_FILE: $file is empty (docs/production.md, \"Secrets\")" >&2
    exit 1
  fi
  export "$var=$value"
  unset "${var}_FILE"
done
exec "$@"
