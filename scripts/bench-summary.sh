#!/usr/bin/env bash
# The summary report (GET /api/v1/orgs/{org_id}/reports/summary) over
# 100,000 time entries on a throwaway PostgreSQL: seeds with SQL, then times
# ReportService::summary for every grouping (min, median, p95, max).
#
#   scripts/bench-summary.sh            (or: just bench-summary)
#
# The program is crates/time-tracking/benches/summary.rs (see its header);
# the cluster is scripts/with-postgres.sh's (fsync off, 127.0.0.1 only),
# stopped and deleted at the end. A run takes a few minutes the first time
# (the release build), under a minute after.
#
# Environment (all optional):
#   BENCH_ENTRIES   entries of the measured organization (default 100000)
#   BENCH_OTHER_ENTRIES  entries of another organization in the same table
#                   (default 400000)
#   BENCH_RUNS      timed calls per grouping (default 30)
#   BENCH_WARMUP    untimed calls first (default 3)
#   BENCH_EXPLAIN=1 print the plan of every grouping's query (EXPLAIN ANALYZE)
#   BENCH_PROFILE   cargo profile to build with (default bench, i.e. release)
#   BENCH_NICE=-10  measure at this niceness (root; for a busy machine): this
#                   script and the PostgreSQL backend of the timed calls
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
PROFILE=${BENCH_PROFILE:-bench}

# Build first, so the cluster only runs while measuring.
cargo bench --profile "$PROFILE" -p trellis-time-tracking --bench summary --no-run

# As in bench-load.sh: a negative niceness (root only) keeps other work from
# skewing the figures; with autogroup scheduling the session's group gets it too.
if [ -n "${BENCH_NICE:-}" ]; then
  renice -n "$BENCH_NICE" -p $$ >/dev/null
  [ -w /proc/$$/autogroup ] && echo "$BENCH_NICE" >/proc/$$/autogroup || true
fi
exec scripts/with-postgres.sh env TRELLIS_TEST_DB=postgres \
  cargo bench --profile "$PROFILE" -p trellis-time-tracking --bench summary
