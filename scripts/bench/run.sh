#!/usr/bin/env bash
# Benchmarks the kim server (release build) with wrk, on SQLite and, when reachable, on
# PostgreSQL, and writes docs/BENCHMARKS.md. Run from anywhere; `make bench` calls it.
#
# Per database it migrates and seeds a fresh database (`kim migrate`, `kim seed --demo`),
# starts `kim serve` on a free loopback port and measures four kinds of request, one after
# the other, each for BENCH_SECONDS: get_by_id, list_50, funding, coverage, create and login (the Lua scripts
# beside this file). For each it reports requests/s, p50 and p99 latency, the number of
# non-2xx responses and the server's peak resident memory during that run.
#
# Traffic goes to 127.0.0.1 only, and every wrk run is bounded in time.
#
# Knobs (environment):
#   BENCH_SECONDS            duration of each wrk run, seconds (default 10)
#   BENCH_CONNECTIONS        wrk connections for all kinds but login (default 32)
#   BENCH_LOGIN_CONNECTIONS  wrk connections for login (default 4; argon2 is slow on purpose)
#   BENCH_THREADS            wrk threads (default 2)
#   BENCH_SKIP_POSTGRES=1    measure SQLite only
#   BENCH_PG_HOST, BENCH_PG_PORT, BENCH_PG_USER, BENCH_PG_DB
#                            PostgreSQL to use (default 127.0.0.1, 5432, postgres, kim_bench;
#                            the database is dropped, created, and dropped again at the end)
#   BENCH_OUTPUT             where to write the report (default docs/BENCHMARKS.md)
#   BENCH_KIM_BIN            measure this kim binary instead of building target/release/kim
set -euo pipefail

BENCH_SECONDS=${BENCH_SECONDS:-10}
BENCH_CONNECTIONS=${BENCH_CONNECTIONS:-32}
BENCH_LOGIN_CONNECTIONS=${BENCH_LOGIN_CONNECTIONS:-4}
BENCH_THREADS=${BENCH_THREADS:-2}
BENCH_SKIP_POSTGRES=${BENCH_SKIP_POSTGRES:-0}
BENCH_PG_HOST=${BENCH_PG_HOST:-127.0.0.1}
BENCH_PG_PORT=${BENCH_PG_PORT:-5432}
BENCH_PG_USER=${BENCH_PG_USER:-postgres}
BENCH_PG_DB=${BENCH_PG_DB:-kim_bench}

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/../.." && pwd)
BENCH_OUTPUT=${BENCH_OUTPUT:-$ROOT/docs/BENCHMARKS.md}
KIM_BIN=${BENCH_KIM_BIN:-$ROOT/target/release/kim}
WRK_TIMEOUT=5s
READY_TIMEOUT_SECONDS=30
STOP_TIMEOUT_SECONDS=15

ADMIN_USERNAME="admin"
ADMIN_PASSWORD="demo-password"

# State that cleanup() needs.
WORK=""
SERVER_PID=""
SAMPLER_PID=""
WRK_PID=""
PG_CREATED=""

log() { printf '[bench] %s\n' "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

# --- cleanup ----------------------------------------------------------------------------------

stop_sampler() {
  if [[ -n $SAMPLER_PID ]]; then
    kill -TERM "$SAMPLER_PID" 2>/dev/null || true
    wait "$SAMPLER_PID" 2>/dev/null || true
    SAMPLER_PID=""
  fi
}

# Stops the server with SIGTERM (SIGKILL after STOP_TIMEOUT_SECONDS) and reaps it.
# Sets SERVER_EXIT to its exit status.
SERVER_EXIT=""
stop_server() {
  SERVER_EXIT=""
  [[ -n $SERVER_PID ]] || return 0
  local pid=$SERVER_PID waited=0
  SERVER_PID=""
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null && ((waited < STOP_TIMEOUT_SECONDS * 10)); do
      sleep 0.1
      waited=$((waited + 1))
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "server (pid $pid) still running ${STOP_TIMEOUT_SECONDS}s after SIGTERM; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  SERVER_EXIT=0
  wait "$pid" 2>/dev/null || SERVER_EXIT=$?
}

psql_admin() {
  PGCONNECT_TIMEOUT=5 psql -X -q -w -v ON_ERROR_STOP=1 \
    -h "$BENCH_PG_HOST" -p "$BENCH_PG_PORT" -U "$BENCH_PG_USER" -d postgres "$@"
}

drop_pg_database() {
  psql_admin -c "DROP DATABASE IF EXISTS \"$BENCH_PG_DB\" WITH (FORCE)" >/dev/null 2>&1 ||
    psql_admin -c "DROP DATABASE IF EXISTS \"$BENCH_PG_DB\"" >/dev/null
}

cleanup() {
  local status=$?
  set +e
  if [[ -n $WRK_PID ]]; then
    kill -TERM "$WRK_PID" 2>/dev/null
    wait "$WRK_PID" 2>/dev/null
  fi
  stop_sampler
  stop_server
  if [[ -n $PG_CREATED ]]; then
    drop_pg_database || log "could not drop PostgreSQL database $BENCH_PG_DB"
    PG_CREATED=""
  fi
  if [[ -n $WORK && -d $WORK ]]; then
    rm -rf -- "$WORK"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- checks and setup -------------------------------------------------------------------------

is_count() { [[ $1 =~ ^[1-9][0-9]*$ ]]; }
is_count "$BENCH_SECONDS" || die "BENCH_SECONDS must be a positive whole number, not '$BENCH_SECONDS'"
is_count "$BENCH_CONNECTIONS" || die "BENCH_CONNECTIONS must be a positive whole number"
is_count "$BENCH_LOGIN_CONNECTIONS" || die "BENCH_LOGIN_CONNECTIONS must be a positive whole number"
is_count "$BENCH_THREADS" || die "BENCH_THREADS must be a positive whole number"
((BENCH_THREADS <= BENCH_CONNECTIONS && BENCH_THREADS <= BENCH_LOGIN_CONNECTIONS)) ||
  die "BENCH_THREADS ($BENCH_THREADS) must not exceed BENCH_CONNECTIONS or BENCH_LOGIN_CONNECTIONS"

for tool in curl python3; do
  command -v "$tool" >/dev/null || die "$tool is required"
done

ensure_wrk() {
  command -v wrk >/dev/null && return 0
  log "installing wrk (apt-get)"
  local sudo=()
  if ((EUID != 0)); then
    command -v sudo >/dev/null || die "wrk is missing and we are not root; install it with: apt-get install wrk"
    sudo=(sudo)
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >&2 || {
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >&2
  }
  command -v wrk >/dev/null || die "wrk could not be installed"
}
ensure_wrk

cd "$ROOT"
if [[ -z ${BENCH_KIM_BIN:-} ]]; then
  log "building the release binary (cargo build --release -p kim-api)"
  cargo build --release -p kim-api >&2
fi
[[ -x $KIM_BIN ]] || die "$KIM_BIN is missing or not executable"

# Other work on the machine skews the numbers: the report says how busy the CPUs were in the
# second before the runs (from /proc/stat; the load average would still count our own build).
cpu_busy_percent() {
  local _cpu user nice system idle iowait irq softirq steal rest
  local busy1 total1 busy2 total2
  read -r _cpu user nice system idle iowait irq softirq steal rest </proc/stat
  busy1=$((user + nice + system + irq + softirq + steal))
  total1=$((busy1 + idle + iowait))
  sleep 1
  read -r _cpu user nice system idle iowait irq softirq steal rest </proc/stat
  busy2=$((user + nice + system + irq + softirq + steal))
  total2=$((busy2 + idle + iowait))
  echo $(((busy2 - busy1) * 100 / (total2 - total1 > 0 ? total2 - total1 : 1)))
}
BUSY_AT_START=$(cpu_busy_percent)
if ((BUSY_AT_START >= 20)); then
  log "WARNING: the CPUs are ${BUSY_AT_START}% busy with other work; the numbers will be lower than on an idle machine"
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/kim-bench.XXXXXX")
RESULTS=$WORK/results.tsv
NOTES=$WORK/notes.txt
: >"$RESULTS"
: >"$NOTES"
RUN_ID=$(date -u +%H%M%S)-$$

# Records something unexpected (the server answered other than expected, and so on) for the
# report and the terminal.
note() {
  log "WARNING: $*"
  printf '%s\n' "$*" >>"$NOTES"
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

random_secret() {
  python3 -c 'import secrets; print(secrets.token_hex(32))'
}

# --- memory -----------------------------------------------------------------------------------

# status_kib PID FIELD: sets KIB to FIELD (VmRSS, VmHWM, ...) of /proc/PID/status, in KiB.
KIB=0
status_kib() {
  local key value _
  KIB=0
  [[ -r /proc/$1/status ]] || return 1
  while read -r key value _; do
    if [[ $key == "$2:" ]]; then
      KIB=$value
      return 0
    fi
  done <"/proc/$1/status"
  return 1
}

# sample_rss PID FILE: samples VmRSS every 0.2 s until killed (or the process is gone), then
# writes the largest value seen, in KiB, to FILE.
# Runs in a background subshell, so its variables are its own.
sample_rss() {
  sampled_pid=$1 sampled_out=$2 sampled_max=0
  trap 'printf "%s\n" "$sampled_max" >"$sampled_out"; exit 0' TERM
  while status_kib "$sampled_pid" VmRSS; do
    if ((KIB > sampled_max)); then
      sampled_max=$KIB
    fi
    sleep 0.2
  done
  printf '%s\n' "$sampled_max" >"$sampled_out"
}

# --- HTTP -------------------------------------------------------------------------------------

# http METHOD PATH [BODY] [TOKEN]: sends one request; sets HTTP_STATUS and HTTP_BODY.
HTTP_STATUS=""
HTTP_BODY=""
http() {
  local method=$1 path=$2 body=${3:-} token=${4:-}
  local args=(-sS --max-time 30 -o "$WORK/http-body" -w '%{http_code}' -X "$method"
    -H 'Accept: application/json')
  if [[ -n $token ]]; then
    args+=(-H "Authorization: Bearer $token")
  fi
  if [[ -n $body ]]; then
    args+=(-H 'Content-Type: application/json' --data-binary "$body")
  fi
  HTTP_STATUS=$(curl "${args[@]}" "$BASE_URL$path") || HTTP_STATUS="(no answer)"
  HTTP_BODY=$(head -c 600 "$WORK/http-body" 2>/dev/null || true)
}

# expect STATUS WHAT: notes it when the last answer had another status.
expect() {
  if [[ $HTTP_STATUS != "$1" ]]; then
    note "$BACKEND: $2 answered $HTTP_STATUS, expected $1; body: ${HTTP_BODY:-(empty)}"
    return 1
  fi
}

json_field() {
  python3 -c '
import json, sys
try:
    value = json.loads(sys.argv[1])
    for key in sys.argv[2:]:
        value = value[int(key)] if isinstance(value, list) else value[key]
except (ValueError, KeyError, IndexError, TypeError):
    sys.exit(1)
print(value)
' "$@"
}

TOKEN=""
login() {
  http POST /api/v1/auth/login "{\"username\":\"$ADMIN_USERNAME\",\"password\":\"$ADMIN_PASSWORD\"}"
  expect 200 "POST /api/v1/auth/login (admin)" || die "login failed on $BACKEND"
  TOKEN=$(json_field "$HTTP_BODY" access_token) ||
    die "$BACKEND: login answer has no access_token: $HTTP_BODY"
  [[ -n $TOKEN ]] || die "$BACKEND: login answered an empty access_token"
}

# --- the server -------------------------------------------------------------------------------

kim() {
  "$KIM_BIN" "$@"
}

start_server() {
  local log_file=$WORK/server-$BACKEND.log waited=0
  log "$BACKEND: starting kim serve on $KIM_BIND"
  # Started directly (not through the kim function), so that $! is the server's own PID.
  "$KIM_BIN" serve >>"$log_file" 2>&1 &
  SERVER_PID=$!
  while :; do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      tail -n 40 "$log_file" >&2 || true
      SERVER_PID=""
      die "$BACKEND: kim serve exited before it was ready (log above)"
    fi
    if [[ $(curl -s -o /dev/null --max-time 1 -w '%{http_code}' "$BASE_URL/health/ready" || true) == 200 ]]; then
      break
    fi
    if ((waited >= READY_TIMEOUT_SECONDS * 5)); then
      tail -n 40 "$log_file" >&2 || true
      die "$BACKEND: GET /health/ready did not answer 200 within ${READY_TIMEOUT_SECONDS}s (log above)"
    fi
    sleep 0.2
    waited=$((waited + 1))
  done
  log "$BACKEND: server ready (pid $SERVER_PID)"
}

# run_wrk KIND CONNECTIONS [SCRIPT ARGUMENTS...]: one bounded wrk run against the server,
# with the server's memory sampled; appends a line to RESULTS.
run_wrk() {
  local kind=$1 connections=$2
  shift 2
  local output=$WORK/$BACKEND-$kind.wrk.txt rss_file=$WORK/$BACKEND-$kind.rss
  local hwm_before hwm_after sampled peak result

  kill -0 "$SERVER_PID" 2>/dev/null || die "$BACKEND: the server is no longer running (before $kind)"
  status_kib "$SERVER_PID" VmHWM || true
  hwm_before=$KIB
  sample_rss "$SERVER_PID" "$rss_file" &
  SAMPLER_PID=$!

  log "$BACKEND: $kind: wrk -t$BENCH_THREADS -c$connections -d${BENCH_SECONDS}s"
  # In the background and waited for, so that a signal stops the script (and cleanup stops
  # wrk) at once rather than when wrk is done.
  wrk -t"$BENCH_THREADS" -c"$connections" -d"${BENCH_SECONDS}s" --timeout "$WRK_TIMEOUT" \
    --latency -s "$BENCH_DIR/$kind.lua" "$BASE_URL" -- "$@" >"$output" 2>&1 &
  WRK_PID=$!
  local wrk_status=0
  wait "$WRK_PID" || wrk_status=$?
  WRK_PID=""
  if ((wrk_status != 0)); then
    cat "$output" >&2
    die "$BACKEND: wrk failed for $kind (exit status $wrk_status)"
  fi
  grep -v '^BENCH_RESULT ' "$output" | sed 's/^/    /' >&2 || true

  status_kib "$SERVER_PID" VmHWM || true
  hwm_after=$KIB
  stop_sampler
  sampled=$(cat "$rss_file" 2>/dev/null || echo 0)
  # VmHWM is the peak since the process started: if it rose during this run, the new peak
  # was reached during this run; otherwise the sampled VmRSS maximum is the best we know.
  peak=$sampled
  if ((hwm_after > hwm_before && hwm_after > peak)); then
    peak=$hwm_after
  fi

  kill -0 "$SERVER_PID" 2>/dev/null || {
    note "$BACKEND: the server died during the $kind run; its log ends with: $(tail -n 5 "$WORK/server-$BACKEND.log" | tr '\n' ' ')"
    SERVER_PID=""
    die "$BACKEND: the server died during $kind"
  }

  result=$(grep -m1 '^BENCH_RESULT ' "$output" | cut -d' ' -f2-) ||
    die "$BACKEND: wrk printed no BENCH_RESULT line for $kind"
  printf '%s\t%s\t%s\t%s\t%s\n' "$BACKEND" "$kind" "$connections" "$peak" "$result" >>"$RESULTS"
}

# measure BACKEND DATABASE_URL: the whole sequence on one database.
measure() {
  BACKEND=$1
  export DATABASE_URL=$2
  export KIM_JWT_SECRET
  KIM_JWT_SECRET=$(random_secret)
  export KIM_BIND
  KIM_BIND=127.0.0.1:$(free_port)
  export KIM_LOG_FORMAT=json RUST_LOG=warn KIM_LOGIN_MAX_FAILURES=1000000
  BASE_URL=http://$KIM_BIND

  log "$BACKEND: kim migrate"
  kim migrate >&2
  log "$BACKEND: kim seed --demo"
  kim seed --demo >&2

  start_server
  status_kib "$SERVER_PID" VmRSS || true
  printf '%s\t%s\n' "$BACKEND" "$KIB" >>"$WORK/idle-rss.tsv"

  login
  http GET '/api/v1/municipalities?limit=1' "" "$TOKEN"
  expect 200 "GET /api/v1/municipalities?limit=1" || die "$BACKEND: cannot list municipalities"
  local id
  id=$(json_field "$HTTP_BODY" items 0 id) ||
    die "$BACKEND: no municipality id in the answer to GET /api/v1/municipalities?limit=1: $HTTP_BODY"

  # One request of each kind first, so that a wrong status is reported with its body.
  http GET "/api/v1/municipalities/$id" "" "$TOKEN"
  expect 200 "GET /api/v1/municipalities/$id" || true
  run_wrk get_by_id "$BENCH_CONNECTIONS" "$TOKEN" "$id"

  http GET '/api/v1/organisations?limit=50&active=true' "" "$TOKEN"
  expect 200 "GET /api/v1/organisations?limit=50&active=true" || true
  run_wrk list_50 "$BENCH_CONNECTIONS" "$TOKEN"

  http GET '/api/v1/funding?year=2021' "" "$TOKEN"
  expect 200 "GET /api/v1/funding?year=2021" || true
  run_wrk funding "$BENCH_CONNECTIONS" "$TOKEN"

  http GET '/api/v1/coverage?dimension=target_group' "" "$TOKEN"
  expect 200 "GET /api/v1/coverage?dimension=target_group" || true
  run_wrk coverage "$BENCH_CONNECTIONS" "$TOKEN"

  login # a fresh token for each write run; tokens live 15 minutes
  http POST /api/v1/municipalities \
    "{\"name\":\"Bench-$RUN_ID-check\",\"kind\":\"town\",\"rhine_side\":\"left\"}" "$TOKEN"
  expect 201 "POST /api/v1/municipalities {\"name\":\"Bench-$RUN_ID-check\",\"kind\":\"town\",\"rhine_side\":\"left\"}" || true
  run_wrk create "$BENCH_CONNECTIONS" "$TOKEN" "Bench-$RUN_ID"

  run_wrk login "$BENCH_LOGIN_CONNECTIONS" "$ADMIN_USERNAME" "$ADMIN_PASSWORD"

  log "$BACKEND: stopping the server"
  stop_server
  if [[ $SERVER_EXIT != 0 ]]; then
    note "$BACKEND: kim serve exited with status $SERVER_EXIT after SIGTERM"
  fi
  if grep -q '"level":"ERROR"' "$WORK/server-$BACKEND.log" 2>/dev/null; then
    note "$BACKEND: the server logged errors, e.g.: $(grep -m3 '"level":"ERROR"' "$WORK/server-$BACKEND.log" | cut -c1-400 | tr '\n' ' ')"
  fi
}

# --- the runs ---------------------------------------------------------------------------------

: >"$WORK/idle-rss.tsv"
BACKENDS_SKIPPED=""

sqlite_dir=$(mktemp -d "$WORK/sqlite.XXXXXX")
measure sqlite "$sqlite_dir/bench.db"

if [[ $BENCH_SKIP_POSTGRES == 1 ]]; then
  BACKENDS_SKIPPED="PostgreSQL: skipped (BENCH_SKIP_POSTGRES=1)."
elif ! command -v psql >/dev/null; then
  BACKENDS_SKIPPED="PostgreSQL: skipped (psql is not installed)."
elif ! psql_admin -c 'select 1' >/dev/null 2>&1; then
  BACKENDS_SKIPPED="PostgreSQL: skipped (not reachable at $BENCH_PG_USER@$BENCH_PG_HOST:$BENCH_PG_PORT)."
else
  log "postgres: creating database $BENCH_PG_DB"
  drop_pg_database
  PG_CREATED=1
  psql_admin -c "CREATE DATABASE \"$BENCH_PG_DB\"" >/dev/null
  measure postgres "postgres://$BENCH_PG_USER@$BENCH_PG_HOST:$BENCH_PG_PORT/$BENCH_PG_DB"
  drop_pg_database
  PG_CREATED=""
fi
if [[ -n $BACKENDS_SKIPPED ]]; then
  log "$BACKENDS_SKIPPED"
fi

# --- the report -------------------------------------------------------------------------------

commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ $commit != unknown && -n $(git status --porcelain --untracked-files=no 2>/dev/null) ]]; then
  commit="$commit (with uncommitted changes)"
fi
cpu_model=$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//' || true)
mem_kib=$(grep -m1 '^MemTotal:' /proc/meminfo | tr -s ' ' | cut -d' ' -f2)

mkdir -p "$(dirname "$BENCH_OUTPUT")"
python3 "$BENCH_DIR/report.py" \
  --results "$RESULTS" \
  --idle-rss "$WORK/idle-rss.tsv" \
  --notes "$NOTES" \
  --skipped "$BACKENDS_SKIPPED" \
  --date "$(date -u '+%Y-%m-%d %H:%M UTC')" \
  --nproc "$(nproc)" \
  --uname "$(uname -srm)" \
  --cpu "${cpu_model:-unknown}" \
  --mem-kib "${mem_kib:-0}" \
  --commit "$commit" \
  --busy "$BUSY_AT_START" \
  --wrk-version "$(wrk -v 2>&1 | head -n1 | cut -d' ' -f2 || true)" \
  --binary "${KIM_BIN#"$ROOT"/}" \
  --seconds "$BENCH_SECONDS" \
  --threads "$BENCH_THREADS" \
  --connections "$BENCH_CONNECTIONS" \
  --login-connections "$BENCH_LOGIN_CONNECTIONS" \
  --timeout "$WRK_TIMEOUT" \
  --markdown "$WORK/BENCHMARKS.md"
cp "$WORK/BENCHMARKS.md" "$BENCH_OUTPUT"
log "wrote ${BENCH_OUTPUT#"$ROOT"/}"
