# Trellis tasks. `just` lists them.

set dotenv-load := false

default:
    @just --list

# Serve on the embedded SQLite default (./data/trellis.db).
run *args:
    cargo run -- {{args}}

# Run every test on SQLite (the README's test command).
test *args:
    cargo test --workspace {{args}}

# Run every test on a throwaway PostgreSQL cluster (installed if missing).
test-pg *args:
    scripts/with-postgres.sh env TRELLIS_TEST_DB=postgres cargo test --workspace {{args}}

# Run every test with a throwaway Redis too (installed if missing): the
# shared rate-limit and revocation tests run instead of skipping.
test-redis *args:
    scripts/with-redis.sh cargo test --workspace {{args}}

# Apply, roll back or inspect migrations: just migrate up|down|status|fresh
migrate *args:
    cargo run -- migrate {{args}}

# Regenerate the committed OpenAPI documents.
openapi:
    cargo run -- openapi --out openapi

# Formatting and lints, as CI runs them.
lint:
    cargo fmt --all --check
    cargo clippy --workspace --all-targets -- -D warnings

# Format the code.
fmt:
    cargo fmt --all

# Criterion benchmarks of the pure parts (slot engine).
bench *args:
    cargo bench -p trellis-scheduling --bench slots {{args}}

# Load benchmark: the release binary on a throwaway PostgreSQL, wrk against
# pgbench (BENCH_* variables: see scripts/bench-load.sh).
bench-load:
    cargo build --release --locked -p trellis-gateway --bin trellis
    scripts/bench-load.sh

# The summary report over 100,000 entries on a throwaway PostgreSQL, per
# grouping (BENCH_* variables: see scripts/bench-summary.sh).
bench-summary:
    scripts/bench-summary.sh

# WebSocket fan-out benchmark: the release binary on a throwaway SQLite,
# 1,000 sockets in one room, one sender (BENCH_* variables: see scripts/bench-ws.sh).
bench-ws:
    cargo build --release --locked -p trellis-gateway --bin trellis
    cargo build --release --locked -p trellis-bench-ws
    scripts/bench-ws.sh

# Everything CI runs.
ci:
    bash .ci/run
