#!/usr/bin/env bash
# Runs a command with a throwaway Redis server and REDIS_URL (and
# TEST_REDIS_URL) set.
#
#   scripts/with-redis.sh cargo test --workspace
#   scripts/with-postgres.sh scripts/with-redis.sh cargo nextest run --workspace
#
# The server keeps nothing on disk (no RDB, no AOF), listens on 127.0.0.1 on a
# free port, runs as the unprivileged `redis` user when started as root (or
# `nobody` where that user does not exist), and is stopped and its directory
# deleted when the command ends, whatever its outcome. Installs redis-server
# with apt-get when it is missing (needs root).
#
# Tests keep apart on the one server by key prefix (TRELLIS_REDIS_PREFIX);
# nothing here flushes it.
set -euo pipefail

if ! command -v redis-server >/dev/null 2>&1; then
  echo "with-redis: installing redis-server" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq redis-server >&2
fi

RUN_AS=
if [ "$(id -u)" = 0 ]; then
  if id redis >/dev/null 2>&1; then RUN_AS=redis; else RUN_AS=nobody; fi
fi
as_redis() {
  if [ -n "$RUN_AS" ]; then runuser -u "$RUN_AS" -- "$@"; else "$@"; fi
}

REDIS_DIR=$(mktemp -d /tmp/trellis-redis.XXXXXX)
[ -n "$RUN_AS" ] && chown "$RUN_AS" "$REDIS_DIR"
chmod 700 "$REDIS_DIR"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

cleanup() {
  redis-cli -h 127.0.0.1 -p "$PORT" shutdown nosave >/dev/null 2>&1 || true
  if [ -f "$REDIS_DIR/redis.pid" ]; then
    kill "$(cat "$REDIS_DIR/redis.pid")" >/dev/null 2>&1 || true
  fi
  rm -rf "$REDIS_DIR"
}
trap cleanup EXIT INT TERM

as_redis redis-server --bind 127.0.0.1 --port "$PORT" --dir "$REDIS_DIR" \
  --save '' --appendonly no --daemonize yes --protected-mode yes \
  --pidfile "$REDIS_DIR/redis.pid" --logfile "$REDIS_DIR/server.log" \
  --maxclients 10000 >/dev/null

for _ in $(seq 1 100); do
  redis-cli -h 127.0.0.1 -p "$PORT" ping >/dev/null 2>&1 && break
  sleep 0.05
done
if ! redis-cli -h 127.0.0.1 -p "$PORT" ping >/dev/null 2>&1; then
  echo "with-redis: redis-server did not start:" >&2
  cat "$REDIS_DIR/server.log" >&2 || true
  exit 1
fi

export REDIS_URL="redis://127.0.0.1:$PORT"
export TEST_REDIS_URL="$REDIS_URL"
echo "with-redis: Redis $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p') on port $PORT" >&2
"$@"
