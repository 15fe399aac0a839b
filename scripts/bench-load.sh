#!/usr/bin/env bash
# Load benchmark of `GET /api/v1/appointments?limit=50` against the release
# binary on a throwaway PostgreSQL, compared with pgbench running the very
# statements the gateway issues for that request.
#
#   scripts/bench-load.sh            (or: just bench-load)
#
# What it does, in one go (a few minutes):
#   1. starts a throwaway PostgreSQL cluster (as in scripts/with-postgres.sh);
#   2. starts the release binary with rate limits off, JSON logs to a file;
#   3. seeds one professional: user, profile and service through the API, a
#      client and 10,000 appointments with SQL;
#   4. captures the statements of one request with log_statement=all and runs
#      them with pgbench (prepared, like sqlx) at BENCH_CONNECTIONS and at
#      BENCH_LOW_CONNECTIONS clients, p50/p99 from its per-transaction logs;
#   5. runs wrk at BENCH_CONNECTIONS and BENCH_LOW_CONNECTIONS connections;
#   6. prints tps, req/s, p50/p99 of both, the ratio and the gateway's RSS
#      (private and file-backed).
# Everything listens on 127.0.0.1 only; every load run is bounded in time;
# whatever it started is stopped on exit.
#
# Environment (all optional):
#   TRELLIS_BIN            binary (default: $CARGO_TARGET_DIR or ./target, release/trellis)
#   BENCH_DURATION         seconds per measured run (default 12)
#   BENCH_WARMUP           seconds of warm-up load before measuring (default 3)
#   BENCH_CONNECTIONS      pgbench clients and wrk connections (default 64)
#   BENCH_LOW_CONNECTIONS  the latency run's wrk connections (default 8)
#   BENCH_DB_POOL          gateway pool size (default 16, the gateway's default);
#                          pgbench runs at BENCH_CONNECTIONS clients and at this
#                          many, and the ratio is taken to the better of the two
#   BENCH_APPOINTMENTS     rows to seed (default 10000)
#   BENCH_PROFILE=1        perf record the gateway during the high-connection run
#                          (BENCH_PERF_ARGS, default "-F 499 --call-graph dwarf,8192";
#                          read it with perf report -i DIR/perf.data, needs BENCH_KEEP)
#   BENCH_NICE=-10         run everything at this niceness (root; for a busy machine)
#   BENCH_PER_STATEMENT=1  also pgbench each captured statement alone
#   BENCH_KEEP=DIR         keep logs, the pgbench script and perf.data in DIR
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${TRELLIS_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/trellis}
DURATION=${BENCH_DURATION:-12}
WARMUP=${BENCH_WARMUP:-3}
CONNS=${BENCH_CONNECTIONS:-64}
LOW_CONNS=${BENCH_LOW_CONNECTIONS:-8}
POOL=${BENCH_DB_POOL:-16}
APPOINTMENTS=${BENCH_APPOINTMENTS:-10000}
THREADS=$(nproc)
# A run that overshoots its own duration by this much is killed.
GRACE=30

log() { echo "bench-load: $*" >&2; }
die() { log "error: $*"; exit 1; }

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

for tool in wrk pgbench psql python3 curl; do
  command -v "$tool" >/dev/null || die "$tool is not installed (apt-get install wrk postgresql-client curl python3)"
done
[ -x "$BIN" ] || die "no release binary at $BIN: cargo build --release --locked -p trellis-gateway --bin trellis"

find_pg_bin() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/initdb" ] && { echo "$dir"; return 0; }
  done
  return 1
}
PG_BIN=$(find_pg_bin) || die "PostgreSQL server binaries not found (apt-get install postgresql)"

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

WORK=$(mktemp -d /tmp/trellis-bench.XXXXXX)
chmod 755 "$WORK"
PGDATA="$WORK/pg"
GATEWAY_PID=""
LOAD_PID=""
PERF_PID=""

stop_pid() { # pid, signal: signal it and wait up to 10 s, then SIGKILL
  local pid=$1 sig=${2:-TERM} i
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill "-$sig" "$pid" 2>/dev/null || true
  for i in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  stop_pid "$PERF_PID" INT
  stop_pid "$LOAD_PID"
  stop_pid "$GATEWAY_PID"
  as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -m immediate -w stop >/dev/null 2>&1 || true
  if [ -n "${BENCH_KEEP:-}" ]; then
    mkdir -p "$BENCH_KEEP"
    cp -f "$WORK"/*.log "$WORK"/*.sql "$WORK"/*.txt "$BENCH_KEEP"/ 2>/dev/null || true
    cp -f "$PGDATA/server.log" "$BENCH_KEEP/postgres.log" 2>/dev/null || true
    [ -f "$WORK/perf.data" ] && mv -f "$WORK/perf.data" "$BENCH_KEEP/perf.data"
    log "kept artifacts in $BENCH_KEEP"
  fi
  rm -rf "$WORK"
  [ -z "$AUTOGROUP_NICE" ] || echo "$AUTOGROUP_NICE" >/proc/$$/autogroup 2>/dev/null || true
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# 1. PostgreSQL ---------------------------------------------------------------
mkdir "$PGDATA"
[ "$(id -u)" = 0 ] && chown postgres:postgres "$PGDATA"
chmod 700 "$PGDATA"
PG_PORT=$(free_port)
as_pg "$PG_BIN/initdb" -D "$PGDATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
# %n (epoch) and %a (application name) let the capture below keep only the
# gateway's statements of one request.
echo "log_line_prefix = '%n [%p] app=%a '" >>"$PGDATA/postgresql.conf"
as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PGDATA -c max_connections=300 -c shared_buffers=256MB -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
  start >/dev/null
export PGHOST=127.0.0.1 PGPORT=$PG_PORT PGUSER=postgres PGDATABASE=trellis PGAPPNAME=bench-load
as_pg "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres trellis
psql_q() { psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }
log "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on port $PG_PORT"

# 2. The gateway --------------------------------------------------------------
HTTP_PORT=$(free_port)
INTERNAL_PORT=$(free_port)
API="http://127.0.0.1:$HTTP_PORT/api/v1"
mkdir "$WORK/data"
(
  cd "$WORK" # no stray .env
  exec env -u PGAPPNAME \
    DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/trellis" \
    TRELLIS_HTTP_ADDR="127.0.0.1:$HTTP_PORT" \
    TRELLIS_INTERNAL_ADDR="127.0.0.1:$INTERNAL_PORT" \
    TRELLIS_RATE_LIMITS=off \
    TRELLIS_DB_MAX_CONNECTIONS="$POOL" \
    TRELLIS_JWT_SECRET="bench-load-secret-$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')" \
    TRELLIS_ACCESS_TOKEN_TTL=1h \
    TRELLIS_LOG_FORMAT=json \
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
log "gateway (pid $GATEWAY_PID, pool $POOL) on port $HTTP_PORT"

# 3. Seed ---------------------------------------------------------------------
json_field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
post() { # path, body[, token]
  curl -sS --fail-with-body --max-time 30 "$API$1" -H 'content-type: application/json' \
    ${3:+-H "authorization: Bearer $3"} -d "$2"
}
TOKEN=$(post /auth/register '{"email":"bench@example.com","password":"load test horse battery","name":"Bench"}' | json_field access_token)
PRO_ID=$(post /professionals '{"slug":"bench-pro","name":"Bench Pro","time_zone":"Europe/Lisbon"}' "$TOKEN" | json_field id)
SERVICE_ID=$(post /professionals/me/services \
  '{"name":"Consultation","duration_minutes":45,"price_minor":4500,"currency":"EUR","buffer_before_minutes":5,"buffer_after_minutes":10,"slot_increment_minutes":15}' \
  "$TOKEN" | json_field id)
# One appointment an hour (blocked 5 + 45 + 10 minutes: no overlap for the
# exclusion constraint), half past, half ahead of now; statuses as the
# lifecycle allows them (past: completed, no_show, cancelled; ahead:
# pending, confirmed, cancelled).
psql_q <<SQL
INSERT INTO clients (id, professional_id, user_id, name, phone, email, created_at, updated_at)
VALUES (gen_random_uuid(), '$PRO_ID', NULL, 'Bench Client', '+351910000000', 'client@example.com', now(), now());
INSERT INTO appointments (id, professional_id, service_id, client_id, start_at, end_at, block_start, block_end,
  status, price_minor, currency, notes, cancel_reason, rescheduled_from, recurring_schedule_id,
  reminder_sent_at, local_date, created_at, updated_at)
SELECT gen_random_uuid(), '$PRO_ID', '$SERVICE_ID', c.id,
  s, s + interval '45 minutes', s - interval '5 minutes', s + interval '55 minutes',
  CASE WHEN i % 10 = 0 THEN 'cancelled'
       WHEN s < now() THEN CASE WHEN i % 10 = 1 THEN 'no_show' ELSE 'completed' END
       WHEN i % 10 = 1 THEN 'pending' ELSE 'confirmed' END,
  4500, 'EUR', CASE WHEN i % 7 = 0 THEN 'first visit' END,
  CASE WHEN i % 10 = 0 THEN 'client asked' END, NULL, NULL, NULL,
  (s AT TIME ZONE 'Europe/Lisbon')::date, s - interval '7 days', s - interval '7 days'
FROM generate_series(0, $APPOINTMENTS - 1) AS i
CROSS JOIN LATERAL (SELECT date_trunc('hour', now()) - ($APPOINTMENTS / 2) * interval '1 hour' + i * interval '1 hour' AS s) AS t
CROSS JOIN (SELECT id FROM clients WHERE professional_id = '$PRO_ID') AS c;
VACUUM ANALYZE;
SQL
log "seeded $(psql_q -c "SELECT count(*) FROM appointments WHERE professional_id = '$PRO_ID'") appointments"

URL="$API/appointments?limit=50"
ITEMS=$(curl -fsS --max-time 10 "$URL" -H "authorization: Bearer $TOKEN" \
  | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))')
[ "$ITEMS" = 50 ] || die "expected 50 items, got $ITEMS"

rss() { awk -v k="$1:" '$1 == k {printf "%.1f", $2 / 1024}' "/proc/$GATEWAY_PID/status"; }
RSS_IDLE=$(rss VmRSS)
# Of which private (heap, stacks: what one more instance costs) and mapped
# from files (the executable's pages, shared by every instance on the box and
# dropped by the kernel under memory pressure).
RSS_IDLE_ANON=$(rss RssAnon)
RSS_IDLE_FILE=$(rss RssFile)
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

# 4. Capture the statements of one request, then pgbench them -----------------
pg_now() { psql_q -c 'SELECT extract(epoch FROM clock_timestamp())'; }
# Keep statements of the gateway (not psql's, named bench-load) logged while
# one request ran; bind parameters become the literals PostgreSQL logged for
# them.
capture_request() { # output file
  local t0 t1
  t0=$(pg_now)
  curl -fsS -o /dev/null --max-time 10 "$URL" -H "authorization: Bearer $TOKEN"
  t1=$(pg_now)
  python3 - "$PGDATA/server.log" "$t0" "$t1" >"$1" <<'PY'
import re, sys
log, t0, t1 = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
records, cur = [], None
for line in open(log, encoding="utf-8", errors="replace"):
    m = re.match(r"^(\d+\.\d+) \[\d+\] app=(\S*) (\w+):  (.*)", line)
    if m:
        cur = [float(m.group(1)), m.group(2), m.group(3), m.group(4).rstrip("\n")]
        records.append(cur)
    elif cur is not None:
        cur[3] += " " + line.strip()
out, pending = [], None
for ts, app, level, text in records:
    if not (t0 <= ts <= t1) or app == "bench-load":
        continue
    m = re.match(r"(?:execute [^:]+|statement): (.*)", text)
    if level == "LOG" and m:
        pending = m.group(1)
        out.append(pending)
    elif level == "DETAIL" and text.startswith("parameters:") and pending is not None:
        params = dict(re.findall(r"\$(\d+) = ('(?:[^']|'')*'|NULL)", text))
        stmt = re.sub(r"\$(\d+)\b", lambda p: params.get(p.group(1), p.group(0)), pending)
        out[-1] = stmt
        pending = None
if not out:
    sys.exit("no statements captured")
for stmt in out:
    print(stmt.rstrip(";") + ";")
PY
}
psql_q -c "ALTER SYSTEM SET log_statement = 'all'" -c 'SELECT pg_reload_conf()' >/dev/null
sleep 0.5
# The gateway's background work (the outbox poll, jobs) may run during a
# capture: capture until two in a row agree.
capture_request "$WORK/request.sql"
for _ in 1 2 3 4 5; do
  capture_request "$WORK/request-again.sql"
  cmp -s "$WORK/request.sql" "$WORK/request-again.sql" && break
  mv -f "$WORK/request-again.sql" "$WORK/request.sql"
done
cmp -s "$WORK/request.sql" "$WORK/request-again.sql" || die "no two captures of one request agreed"
psql_q -c 'ALTER SYSTEM RESET log_statement' -c 'SELECT pg_reload_conf()' >/dev/null
STATEMENTS=$(grep -c . "$WORK/request.sql")
log "captured $STATEMENTS statements of one request:"
sed 's/^/    /' "$WORK/request.sql" >&2

tps_of() { sed -n 's/^tps = \([0-9]*\.[0-9]\).*/\1/p' "$1" | tail -1; }
pgbench_run() { # clients, seconds, output
  local threads=$THREADS
  [ "$1" -lt "$threads" ] && threads=$1
  rm -f "$3".log*
  timeout $(($2 + GRACE)) pgbench -n -M prepared -h 127.0.0.1 -p "$PG_PORT" -U postgres \
    -c "$1" -j "$threads" -T "$2" -f "$WORK/request.sql" --log --log-prefix="$3.log" trellis >"$3" 2>&1 \
    || die "pgbench failed: $(tail -5 "$3")"
}
# p50 and p99 in ms of a pgbench run, from its per-transaction logs (the third
# field is the latency in µs): the database's own tail, to set the gateway's
# against on the same machine.
pgbench_percentiles() { # output of pgbench_run
  cat "$1".log* | python3 -c '
import sys
lat = sorted(int(line.split()[2]) for line in sys.stdin if line.strip())
pick = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] / 1000
print(f"{pick(0.50):.3f} {pick(0.99):.3f}")'
}
log "pgbench: $CONNS clients, ${DURATION}s"
pgbench_run "$CONNS" "$DURATION" "$WORK/pgbench.txt"
PG_TPS=$(tps_of "$WORK/pgbench.txt")
read -r PG_P50 PG_P99 < <(pgbench_percentiles "$WORK/pgbench.txt")
# The same statements at the low connection count: the database's tail there
# bounds the gateway's.
log "pgbench: $LOW_CONNS clients, ${DURATION}s"
pgbench_run "$LOW_CONNS" "$DURATION" "$WORK/pgbench-low.txt"
PG_LOW_TPS=$(tps_of "$WORK/pgbench-low.txt")
read -r PG_LOW_P50 PG_LOW_P99 < <(pgbench_percentiles "$WORK/pgbench-low.txt")
PG_POOL_TPS=""
if [ "$POOL" != "$CONNS" ]; then
  # The gateway never holds more than POOL connections: pgbench with as many.
  log "pgbench: $POOL clients (the gateway's pool), ${DURATION}s"
  pgbench_run "$POOL" "$DURATION" "$WORK/pgbench-pool.txt"
  PG_POOL_TPS=$(tps_of "$WORK/pgbench-pool.txt")
  read -r PG_POOL_P50 PG_POOL_P99 < <(pgbench_percentiles "$WORK/pgbench-pool.txt")
fi
PG_BEST=$(python3 -c 'import sys; print(max(float(x) for x in sys.argv[1:] if x))' "$PG_TPS" "$PG_POOL_TPS")
PER_STATEMENT=""
if [ "${BENCH_PER_STATEMENT:-}" = 1 ]; then
  # Each statement alone: how the database's share splits between them.
  n=0
  while IFS= read -r stmt; do
    n=$((n + 1))
    printf '%s\n' "$stmt" >"$WORK/statement-$n.sql"
    log "pgbench: statement $n alone, $CONNS clients, ${DURATION}s"
    timeout $((DURATION + GRACE)) pgbench -n -M prepared -h 127.0.0.1 -p "$PG_PORT" -U postgres \
      -c "$CONNS" -j "$THREADS" -T "$DURATION" -f "$WORK/statement-$n.sql" trellis >"$WORK/pgbench-$n.txt" 2>&1 \
      || die "pgbench failed: $(tail -5 "$WORK/pgbench-$n.txt")"
    PER_STATEMENT="$PER_STATEMENT statement $n alone: $(tps_of "$WORK/pgbench-$n.txt") tps;"
  done <"$WORK/request.sql"
fi

# 5. wrk ----------------------------------------------------------------------
cat >"$WORK/bench.lua" <<'LUA'
wrk.headers["authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
done = function(summary, latency, requests)
  local non2xx = summary.errors.status
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT rps=%.1f p50=%.3f p99=%.3f max=%.3f non2xx=%d errors=%d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    non2xx, errors))
end
LUA
export BENCH_TOKEN=$TOKEN
wrk_run() { # connections, seconds, output
  local threads=$THREADS
  [ "$1" -lt "$threads" ] && threads=$1
  timeout $(($2 + GRACE)) wrk -t "$threads" -c "$1" -d "${2}s" --latency -s "$WORK/bench.lua" "$URL" >"$3" 2>&1 &
  LOAD_PID=$!
  wait "$LOAD_PID" || die "wrk failed: $(tail -5 "$3")"
  LOAD_PID=""
  grep -q '^RESULT ' "$3" || die "wrk printed no result: $(tail -5 "$3")"
  local bad
  bad=$(sed -n 's/^RESULT .* non2xx=\([0-9]*\) errors=\([0-9]*\)$/\1 \2/p' "$3")
  [ "$bad" = "0 0" ] || log "warning: wrk saw non-2xx/errors (non2xx errors): $bad"
}
field() { sed -n "s/^RESULT .*$2=\([0-9.]*\).*/\1/p" "$1"; }

log "wrk warm-up: $CONNS connections, ${WARMUP}s"
wrk_run "$CONNS" "$WARMUP" "$WORK/wrk-warmup.txt"

if [ "${BENCH_PROFILE:-}" = 1 ]; then
  command -v perf >/dev/null || die "BENCH_PROFILE=1 needs perf"
  # The release binary has no frame pointers: unwind with DWARF (.eh_frame).
  # shellcheck disable=SC2086
  perf record ${BENCH_PERF_ARGS:--F 499 --call-graph dwarf,8192} -o "$WORK/perf.data" -p "$GATEWAY_PID" \
    -- sleep "$DURATION" >"$WORK/perf.log" 2>&1 &
  PERF_PID=$!
fi
log "wrk: $CONNS connections, ${DURATION}s"
wrk_run "$CONNS" "$DURATION" "$WORK/wrk-$CONNS.txt"
if [ -n "$PERF_PID" ]; then
  wait "$PERF_PID" || log "warning: perf record failed: $(tail -3 "$WORK/perf.log")"
  PERF_PID=""
fi
log "wrk: $LOW_CONNS connections, ${DURATION}s"
wrk_run "$LOW_CONNS" "$DURATION" "$WORK/wrk-$LOW_CONNS.txt"
RSS_NOW=$(rss VmRSS)
RSS_PEAK=$(rss VmHWM)

# 6. Report -------------------------------------------------------------------
H_RPS=$(field "$WORK/wrk-$CONNS.txt" rps)
H_P50=$(field "$WORK/wrk-$CONNS.txt" p50)
H_P99=$(field "$WORK/wrk-$CONNS.txt" p99)
L_RPS=$(field "$WORK/wrk-$LOW_CONNS.txt" rps)
L_P50=$(field "$WORK/wrk-$LOW_CONNS.txt" p50)
L_P99=$(field "$WORK/wrk-$LOW_CONNS.txt" p99)
ratio() { python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.2f}')" "$1" "$2"; }
row() { printf '%-36s %12s %10s %10s %8s\n' "$@"; }
{
  echo
  echo "GET /api/v1/appointments?limit=50, $APPOINTMENTS appointments, $(nproc) CPUs, ${DURATION}s runs, gateway pool $POOL"
  echo "load average before the runs: $LOAD_BEFORE, niceness $(ps -o ni= -p $$ | tr -d ' ') (anything else running skews the figures)"
  row "run" "req/s, tps" "p50 ms" "p99 ms" "p99/p50"
  row "pgbench, $STATEMENTS statements, $CONNS clients" "$PG_TPS" "$PG_P50" "$PG_P99" "$(ratio "$PG_P99" "$PG_P50")"
  [ -z "$PG_POOL_TPS" ] || row "pgbench, $STATEMENTS statements, $POOL clients" "$PG_POOL_TPS" "$PG_POOL_P50" "$PG_POOL_P99" "$(ratio "$PG_POOL_P99" "$PG_POOL_P50")"
  row "pgbench, $STATEMENTS statements, $LOW_CONNS clients" "$PG_LOW_TPS" "$PG_LOW_P50" "$PG_LOW_P99" "$(ratio "$PG_LOW_P99" "$PG_LOW_P50")"
  row "gateway, wrk $CONNS connections" "$H_RPS" "$H_P50" "$H_P99" "$(ratio "$H_P99" "$H_P50")"
  row "gateway, wrk $LOW_CONNS connections" "$L_RPS" "$L_P50" "$L_P99" "$(ratio "$L_P99" "$L_P50")"
  echo "gateway at $CONNS connections / best pgbench: $(ratio "$H_RPS" "$PG_BEST")"
  [ -z "$PER_STATEMENT" ] || echo "pgbench at $CONNS clients:$PER_STATEMENT"
  echo "gateway RSS: idle ${RSS_IDLE} MiB (seeded, before load; private ${RSS_IDLE_ANON}, file-backed ${RSS_IDLE_FILE}), after load ${RSS_NOW} MiB, peak (VmHWM) ${RSS_PEAK} MiB"
} | tee "$WORK/summary.txt"
