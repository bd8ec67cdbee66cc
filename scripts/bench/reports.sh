#!/usr/bin/env bash
# Report benchmarks (issue 12): loads 100,000 synthetic cases (`kim seed --synthetic`) into a
# fresh SQLite and PostgreSQL database, serves the release build, and measures with wrk under 8
# connections:
#   cases      GET /api/v1/reports/cases?group_by=municipality,month&from=Y-01-01&to=Y-12-31
#   programme  GET /api/v1/reports/programme?year=Y
# It writes its figures, the seed time, and what else the machine was doing into the section
# between the `reports-bench` markers of docs/BENCHMARKS.md (replaced, or appended when absent),
# so it can run after scripts/bench/run.sh, which rewrites the rest of that file.
#
# Knobs: BENCH_SECONDS (10), BENCH_REPORT_CASES (100000), BENCH_SKIP_POSTGRES=1,
# BENCH_KIM_BIN (default target/release/kim, built when missing), BENCH_OUTPUT.
set -euo pipefail

BENCH_SECONDS=${BENCH_SECONDS:-10}
CASES=${BENCH_REPORT_CASES:-100000}
SKIP_PG=${BENCH_SKIP_POSTGRES:-0}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT=${BENCH_OUTPUT:-$ROOT/docs/BENCHMARKS.md}
KIM=${BENCH_KIM_BIN:-$ROOT/target/release/kim}
PG_URL_BASE=${BENCH_PG_URL_BASE:-postgres://postgres@127.0.0.1:5432}
PG_DB=kim_bench_reports
UNTIL=2026-11-29
YEAR=2026
export KIM_JWT_SECRET=${KIM_JWT_SECRET:-bench-only-secret-0123456789abcdef0123456789}
export RUST_LOG=warn KIM_DB_POOL_SIZE=8

WORK=$(mktemp -d)
SERVER_PID=""
cleanup() {
  if [[ -n $SERVER_PID ]]; then kill -TERM "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

log() { printf '[bench-reports] %s\n' "$*" >&2; }
command -v wrk >/dev/null || { log "installing wrk"; apt-get install -y -q wrk >/dev/null; }
if [[ ! -x $KIM ]]; then
  log "building the release binary"
  (cd "$ROOT" && cargo build --release -q -p kim-api --bin kim)
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

RESULTS=()
SEEDS=()
run_backend() { # name url
  local name=$1 url=$2 port seed_start seed_seconds token
  log "$name: seeding $CASES synthetic cases"
  seed_start=$(date +%s.%N)
  DATABASE_URL=$url "$KIM" seed --synthetic "$CASES" --seed 1 --until "$UNTIL" >"$WORK/seed-$name.log" 2>&1
  seed_seconds=$(python3 -c "import time; print(f'{time.time() - $seed_start:.1f}')")
  SEEDS+=("| $name | \`kim seed --synthetic $CASES --seed 1 --until $UNTIL\` | ${seed_seconds} s |")
  port=$(free_port)
  DATABASE_URL=$url KIM_BIND=127.0.0.1:$port "$KIM" serve >"$WORK/serve-$name.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 && break; sleep 0.2; done
  token=$(curl -fs "http://127.0.0.1:$port/api/v1/auth/login" -H 'Content-Type: application/json' \
    -d '{"username":"analyst","password":"demo-password"}' | python3 -c 'import sys,json; print(json.load(sys.stdin)["access_token"])')
  for kind in cases programme; do
    local path
    if [[ $kind == cases ]]; then
      path="/api/v1/reports/cases?group_by=municipality,month&from=$YEAR-01-01&to=$YEAR-12-31"
    else
      path="/api/v1/reports/programme?year=$YEAR"
    fi
    # One call first, to check it answers 200; then the median of nine calls one after the
    # other (the issue's target: the median of repeated calls).
    curl -fs -o /dev/null -H "Authorization: Bearer $token" "http://127.0.0.1:$port$path"
    local median
    median=$(for _ in $(seq 1 9); do
        curl -fs -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $token" "http://127.0.0.1:$port$path"
      done | sort -n | sed -n 5p | awk '{printf "%.0f ms", $1 * 1000}')
    wrk -t2 -c8 -d"${BENCH_SECONDS}s" --timeout 5s --latency -H "Authorization: Bearer $token" \
      "http://127.0.0.1:$port$path" >"$WORK/wrk-$name-$kind.txt"
    local rps p50 p99 non2xx
    rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk-$name-$kind.txt")
    p50=$(awk '$1=="50%" {print $2}' "$WORK/wrk-$name-$kind.txt")
    p99=$(awk '$1=="99%" {print $2}' "$WORK/wrk-$name-$kind.txt")
    non2xx=$(awk '/Non-2xx/ {print $5}' "$WORK/wrk-$name-$kind.txt")
    RESULTS+=("| $name | $kind | $median | $p50 | $p99 | $rps | ${non2xx:-0} |")
    log "$name $kind: p50 $p50, p99 $p99, $rps req/s"
  done
  kill -TERM "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
}

run_backend sqlite "$WORK/reports.db"
if [[ $SKIP_PG != 1 ]] && pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  psql "$PG_URL_BASE/postgres" -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" -c "CREATE DATABASE $PG_DB" >/dev/null
  run_backend postgres "$PG_URL_BASE/$PG_DB"
  psql "$PG_URL_BASE/postgres" -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null
fi
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

section=$(cat <<MD
<!-- reports-bench:begin (written by scripts/bench/reports.sh) -->
## Reports (issue 12)

$CASES synthetic cases (\`kim seed --synthetic\`, five years up to $UNTIL), release build,
\`KIM_DB_POOL_SIZE=8\`, wrk \`-t2 -c8 -d${BENCH_SECONDS}s --latency\` with an analyst token.
Target: each report at most 100 ms (median of repeated calls).

- **cases**: \`GET /api/v1/reports/cases?group_by=municipality,month&from=$YEAR-01-01&to=$YEAR-12-31\`
- **programme**: \`GET /api/v1/reports/programme?year=$YEAR\`

| database | report | median of 9 calls one after the other | p50 (8 connections) | p99 (8 connections) | requests/s | non-2xx |
| --- | --- | --- | --- | --- | --- | --- |
$(printf '%s\n' "${RESULTS[@]}")

Loading the synthetic data (target: 100,000 cases in under two minutes on SQLite):

| database | command | time |
| --- | --- | --- |
$(printf '%s\n' "${SEEDS[@]}")

- Command: \`scripts/bench/reports.sh\` (part of \`make bench\`), $(date -u '+%Y-%m-%d %H:%M') UTC,
  commit \`$(cd "$ROOT" && git rev-parse --short HEAD)\`.
- Machine: $(nproc) CPUs shared with other sessions; load average before $load_before, after
  $load_after (other builds and test suites running at the same time lower these figures).
<!-- reports-bench:end -->
MD
)
python3 "$(dirname "${BASH_SOURCE[0]}")/write_section.py" "$OUT" reports-bench "$section"
log "wrote the reports section of $OUT"
