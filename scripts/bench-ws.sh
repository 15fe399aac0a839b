#!/usr/bin/env bash
# WebSocket fan-out benchmark: the release gateway on a throwaway SQLite
# database, BENCH_CLIENTS sockets of as many users in one group room, one
# sender; per-delivery latency (p50/p99) and the gateway's RSS per idle
# socket.
#
#   scripts/bench-ws.sh            (or: just bench-ws, which builds first)
#
# What it does (a minute or two):
#   1. starts the release binary (TRELLIS_RATE_LIMITS=off, JSON logs to a
#      file) on a new SQLite file in a temporary directory;
#   2. runs the bench client (tools/bench-ws): anonymous users, one group
#      room with all of them, RSS before and with every socket connected and
#      idle, then BENCH_MESSAGES messages sent over the sender's socket, each
#      timed from the send to its receipt on every other socket;
#   3. prints the figures; stops the gateway on exit.
# Everything listens on 127.0.0.1 only.
#
# Environment (all optional):
#   TRELLIS_BIN        gateway binary (default: $CARGO_TARGET_DIR or ./target, release/trellis)
#   BENCH_WS_BIN       client binary (default: same directory, trellis-bench-ws)
#   BENCH_CLIENTS      receiving sockets (default 1000)
#   BENCH_MESSAGES     messages sent (default 200)
#   BENCH_WARMUP       first messages left out of the figures (default 20)
#   BENCH_INTERVAL_MS  between two sends (default 50)
#   BENCH_NICE=-10     run everything at this niceness (root; for a busy machine)
#   BENCH_KEEP=DIR     keep the gateway's log in DIR
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RELEASE=${CARGO_TARGET_DIR:-$ROOT/target}/release
BIN=${TRELLIS_BIN:-$RELEASE/trellis}
CLIENT=${BENCH_WS_BIN:-$RELEASE/trellis-bench-ws}
CLIENTS=${BENCH_CLIENTS:-1000}

log() { echo "bench-ws: $*" >&2; }
die() { log "error: $*"; exit 1; }

for tool in curl python3; do
  command -v "$tool" >/dev/null || die "$tool is not installed"
done
[ -x "$BIN" ] || die "no release binary at $BIN: cargo build --release --locked -p trellis-gateway --bin trellis"
[ -x "$CLIENT" ] || die "no bench client at $CLIENT: cargo build --release --locked -p trellis-bench-ws"

# On a shared machine, a negative niceness (root only) keeps other work from
# skewing the figures; everything started below inherits it. With autogroup
# scheduling a process's niceness only counts inside its session's group, so
# the session's group gets it too (restored on exit).
AUTOGROUP_NICE=""
if [ -n "${BENCH_NICE:-}" ]; then
  renice -n "$BENCH_NICE" -p $$ >/dev/null || die "cannot renice to $BENCH_NICE"
  if [ -w /proc/$$/autogroup ]; then
    AUTOGROUP_NICE=$(awk '{print $3}' /proc/$$/autogroup)
    echo "$BENCH_NICE" >/proc/$$/autogroup || AUTOGROUP_NICE=""
  fi
fi

# Each side holds one descriptor per socket, plus its own.
NEED=$((CLIENTS + 256))
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$NEED" ]; then
  ulimit -n "$NEED" 2>/dev/null || die "open files limit $(ulimit -n) < $NEED and cannot be raised (ulimit -Hn: $(ulimit -Hn))"
fi

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

WORK=$(mktemp -d /tmp/trellis-bench-ws.XXXXXX)
GATEWAY_PID=""
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [ -n "$GATEWAY_PID" ] && kill -0 "$GATEWAY_PID" 2>/dev/null; then
    kill -TERM "$GATEWAY_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$GATEWAY_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$GATEWAY_PID" 2>/dev/null || true
    wait "$GATEWAY_PID" 2>/dev/null || true
  fi
  if [ -n "${BENCH_KEEP:-}" ]; then
    mkdir -p "$BENCH_KEEP"
    cp -f "$WORK/gateway.log" "$BENCH_KEEP/" 2>/dev/null || true
    log "kept the gateway log in $BENCH_KEEP"
  fi
  rm -rf "$WORK"
  [ -z "$AUTOGROUP_NICE" ] || echo "$AUTOGROUP_NICE" >/proc/$$/autogroup 2>/dev/null || true
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

HTTP_PORT=$(free_port)
INTERNAL_PORT=$(free_port)
(
  cd "$WORK" # no stray .env
  exec env \
    DATABASE_URL="sqlite://$WORK/trellis.db?mode=rwc" \
    TRELLIS_HTTP_ADDR="127.0.0.1:$HTTP_PORT" \
    TRELLIS_INTERNAL_ADDR="127.0.0.1:$INTERNAL_PORT" \
    TRELLIS_RATE_LIMITS=off \
    TRELLIS_JWT_SECRET="bench-ws-secret-$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')" \
    TRELLIS_ACCESS_TOKEN_TTL=1h \
    TRELLIS_LOG_FORMAT=json \
    RUST_LOG=warn \
    TRELLIS_DATA_DIR="$WORK/data" \
    "$BIN" serve >"$WORK/gateway.log" 2>&1
) &
GATEWAY_PID=$!
for _ in $(seq 1 300); do
  curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$HTTP_PORT/readyz" 2>/dev/null && break
  kill -0 "$GATEWAY_PID" 2>/dev/null || die "the gateway exited: $(tail -5 "$WORK/gateway.log")"
  sleep 0.1
done
curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$HTTP_PORT/readyz" || die "the gateway is not ready after 30 s"
log "gateway (pid $GATEWAY_PID) on port $HTTP_PORT, SQLite, $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), niceness $(ps -o ni= -p $$ | tr -d ' ')"

BENCH_URL="http://127.0.0.1:$HTTP_PORT" BENCH_PID="$GATEWAY_PID" BENCH_CLIENTS="$CLIENTS" "$CLIENT"
