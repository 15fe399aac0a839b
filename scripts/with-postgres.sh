#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL cluster and TEST_DATABASE_URL set.
#
#   scripts/with-postgres.sh cargo test --workspace
#
# The cluster lives in a temporary directory, listens on 127.0.0.1 on a free
# port, runs as the unprivileged `postgres` user (the server refuses root), and
# is stopped and deleted when the command ends, whatever its outcome.
# Installs PostgreSQL with apt-get when it is missing (needs root).
set -euo pipefail

find_pg_bin() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/initdb" ] && { echo "$dir"; return 0; }
  done
  return 1
}

if ! PG_BIN=$(find_pg_bin); then
  echo "with-postgres: installing PostgreSQL" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
  PG_BIN=$(find_pg_bin)
fi

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

PGDATA=$(mktemp -d /tmp/trellis-pg.XXXXXX)
[ "$(id -u)" = 0 ] && chown postgres:postgres "$PGDATA"
chmod 700 "$PGDATA"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

cleanup() {
  as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$PGDATA"
}
trap cleanup EXIT INT TERM

as_pg "$PG_BIN/initdb" -D "$PGDATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $PORT -k $PGDATA -c max_connections=500 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
  start >/dev/null

export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$PORT/postgres"
echo "with-postgres: PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on port $PORT" >&2
"$@"
