#!/usr/bin/env bash
# Start a throwaway PostgreSQL 15 on 127.0.0.1 (default port 5433) for tests; prints its DATABASE_URL.
# Usage: scripts/start-postgres.sh [PGBASE] [PORT]
set -euo pipefail
PGBASE=${1:-/tmp/hotline-pg}
PGPORT=${2:-5433}
BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
if ! pg_isready -h 127.0.0.1 -p "$PGPORT" -U postgres -q 2>/dev/null; then
  install -d -o postgres -g postgres -m 700 "$PGBASE"
  if [ ! -f "$PGBASE/data/PG_VERSION" ]; then
    runuser -u postgres -- "$BIN/initdb" -D "$PGBASE/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  runuser -u postgres -- "$BIN/pg_ctl" -D "$PGBASE/data" -l "$PGBASE/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $PGBASE -c max_connections=200 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null
fi
pg_isready -h 127.0.0.1 -p "$PGPORT" -U postgres -q
echo "postgres://postgres@127.0.0.1:$PGPORT/hotline"
