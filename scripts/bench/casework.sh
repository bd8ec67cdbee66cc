#!/usr/bin/env bash
# Casework benchmarks (issue 13): loads 100,000 synthetic cases (`kim seed --synthetic`) into a
# fresh SQLite and PostgreSQL database, serves the release build and measures with wrk
# (-t2 -c32) what case managers and the CM coordination do all day:
#   municipality         GET /municipalities/{id} (reference data, for comparison)
#   case_by_id           GET /cases/{id} as cm-synthetic-01, random ids among their cases
#   me_cases             GET /me/cases?limit=20 as cm-synthetic-01 (thousands of cases)
#   me_tasks             GET /me/tasks as cm-synthetic-01
#   cases_active_muni    GET /cases?status=active&municipality_id=…&limit=50 as cm_coordinator
#   post_contact         POST /cases/{id}/contacts, random ids among cm-synthetic-01's cases
#   post_case            POST /cases, a new family case of three clients
# and the raw-statement limit of the case read with its audit event and of the contact insert
# (SQLite: scripts/bench/raw_sqlite.py; PostgreSQL: pgbench with raw_pg_*.sql, 8 clients), so
# the API's rate can be read as a share of what the database does with the same statements.
# The peak resident memory of the server over the whole run is reported too.
#
# It writes the section between the `casework-bench` markers of docs/BENCHMARKS.md (replaced,
# or appended when absent), so it can run after scripts/bench/run.sh.
#
# Knobs: BENCH_SECONDS (10), BENCH_CASEWORK_CASES (100000), BENCH_SKIP_POSTGRES=1,
# BENCH_KIM_BIN (default target/release/kim, built when missing), BENCH_OUTPUT,
# BENCH_KINDS (space-separated subset of the kinds above).
set -euo pipefail

BENCH_SECONDS=${BENCH_SECONDS:-10}
CASES=${BENCH_CASEWORK_CASES:-100000}
SKIP_PG=${BENCH_SKIP_POSTGRES:-0}
KINDS=${BENCH_KINDS:-municipality case_by_id me_cases me_tasks cases_active_muni post_contact post_case}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=${BENCH_OUTPUT:-$ROOT/docs/BENCHMARKS.md}
KIM=${BENCH_KIM_BIN:-$ROOT/target/release/kim}
PG_URL_BASE=${BENCH_PG_URL_BASE:-postgres://postgres@127.0.0.1:5432}
PG_DB=kim_bench_casework
UNTIL=$(date -u +%Y-%m-%d)
export KIM_JWT_SECRET=${KIM_JWT_SECRET:-bench-only-secret-0123456789abcdef0123456789}
export KIM_LOGIN_PER_ADDRESS_PER_MINUTE=${KIM_LOGIN_PER_ADDRESS_PER_MINUTE:-1000000}
export RUST_LOG=warn

WORK=$(mktemp -d)
SERVER_PID=""
cleanup() {
  if [[ -n $SERVER_PID ]]; then kill -TERM "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

log() { printf '[bench-casework] %s\n' "$*" >&2; }
command -v wrk >/dev/null || { log "installing wrk"; apt-get install -y -q wrk >/dev/null; }
if [[ ! -x $KIM ]]; then
  log "building the release binary"
  (cd "$ROOT" && cargo build --release -q -p kim-api --bin kim)
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
json_field() { python3 -c "import sys,json; print(json.load(sys.stdin)$1)"; }
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

RESULTS=()
RAW=()
MEMORY=()
run_backend() { # name url
  local name=$1 url=$2 port base cm cmc muni kind path args
  log "$name: seeding $CASES synthetic cases"
  DATABASE_URL=$url "$KIM" seed --synthetic "$CASES" --seed 1 --until "$UNTIL" >"$WORK/seed-$name.log" 2>&1
  port=$(free_port)
  base="http://127.0.0.1:$port"
  DATABASE_URL=$url KIM_BIND=127.0.0.1:$port "$KIM" serve >"$WORK/serve-$name.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 100); do curl -fs "$base/health/ready" >/dev/null 2>&1 && break; sleep 0.2; done
  login() {
    curl -fs "$base/api/v1/auth/login" -H 'Content-Type: application/json' \
      -d "{\"username\":\"$1\",\"password\":\"demo-password\"}" | json_field '["access_token"]'
  }
  cm=$(login cm-synthetic-01)
  cmc=$(login cm_coordinator)
  # The first 1,000 of cm-synthetic-01's cases (their own: the case read is allowed).
  : >"$WORK/cases-$name.txt"
  for offset in 0 200 400 600 800; do
    curl -fs -H "Authorization: Bearer $cm" "$base/api/v1/cases?limit=200&offset=$offset&sort=id" |
      python3 -c 'import sys,json; [print("/api/v1/cases/%d" % c["id"]) for c in json.load(sys.stdin)["items"]]' \
      >>"$WORK/cases-$name.txt"
  done
  sed 's|$|/contacts|' "$WORK/cases-$name.txt" >"$WORK/contacts-$name.txt"
  muni=$(curl -fs -H "Authorization: Bearer $cm" "$base$(head -1 "$WORK/cases-$name.txt")" | json_field '["municipality_id"]')
  echo "/api/v1/municipalities/$muni" >"$WORK/muni-$name.txt"
  echo "/api/v1/me/cases?limit=20" >"$WORK/me_cases-$name.txt"
  echo "/api/v1/me/tasks" >"$WORK/me_tasks-$name.txt"
  echo "/api/v1/cases?status=active&municipality_id=$muni&limit=50" >"$WORK/active-$name.txt"
  echo "/api/v1/cases" >"$WORK/post_case-$name.txt"
  printf '{"occurred_on":"%s","kind":"phone","duration_minutes":15}' "$UNTIL" >"$WORK/contact.json"
  cat >"$WORK/case.json" <<JSON
{"clients": [
  {"given_name": "Amina", "birth_year": 1990, "languages": ["ar", "de"], "residence_status": "recognised_refugee", "municipality_id": $muni},
  {"given_name": "Omar", "birth_year": 2016, "municipality_id": $muni},
  {"given_name": "Lina", "birth_year": 2020, "municipality_id": $muni}],
 "municipality_id": $muni, "target_group": "multilingual_children_with_language_disorders",
 "legal_domains": ["sgb_viii", "sgb_ii"], "topics": ["language", "childcare"],
 "intake_channel": "self_referral", "arrived_on": "2025-06-01", "other_case_management": ["none"]}
JSON
  for kind in $KINDS; do
    case $kind in
      municipality) args=("$cm" "$WORK/muni-$name.txt") ;;
      case_by_id) args=("$cm" "$WORK/cases-$name.txt") ;;
      me_cases) args=("$cm" "$WORK/me_cases-$name.txt") ;;
      me_tasks) args=("$cm" "$WORK/me_tasks-$name.txt") ;;
      cases_active_muni) args=("$cmc" "$WORK/active-$name.txt") ;;
      post_contact) args=("$cm" "$WORK/contacts-$name.txt" POST "$WORK/contact.json") ;;
      post_case) args=("$cm" "$WORK/post_case-$name.txt" POST "$WORK/case.json") ;;
      *) log "unknown kind $kind"; continue ;;
    esac
    # One call first: it must answer 2xx.
    path=$(head -1 "${args[1]}")
    if [[ ${args[2]:-GET} == POST ]]; then
      curl -fs -o /dev/null -H "Authorization: Bearer ${args[0]}" -H 'Content-Type: application/json' \
        --data-binary "@${args[3]}" "$base$path"
    else
      curl -fs -o /dev/null -H "Authorization: Bearer ${args[0]}" "$base$path"
    fi
    wrk -t2 -c32 -d"${BENCH_SECONDS}s" --timeout 5s -s "$HERE/random_path.lua" "$base" -- "${args[@]}" \
      >"$WORK/wrk-$name-$kind.txt"
    python3 - "$WORK/wrk-$name-$kind.txt" "$name" "$kind" >>"$WORK/rows.txt" <<'PY'
import json, sys
line = next(l for l in open(sys.argv[1]) if l.startswith("BENCH_RESULT "))
r = json.loads(line[len("BENCH_RESULT "):])
ms = lambda us: f"{us / 1000:.1f} ms"
print(f"| {sys.argv[2]} | {sys.argv[3]} | {r['rps']:,.0f} | {ms(r['p50_us'])} | {ms(r['p99_us'])} | {r['non2xx']} |")
PY
    log "$name $kind: $(tail -1 "$WORK/rows.txt")"
  done
  MEMORY+=("| $name | $(awk '/VmHWM/ {printf "%.1f MiB", $2/1024}' /proc/$SERVER_PID/status) |")
  kill -TERM "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
  # The raw-statement limits, with the server stopped.
  if [[ $name == sqlite ]]; then
    for raw in read contact; do
      RAW+=("| sqlite | $raw | $(python3 "$HERE/raw_sqlite.py" "$url" "$WORK/cases-$name.txt" "$raw" "$BENCH_SECONDS" | json_field '["tps"]' | xargs printf '%.0f') | \`raw_sqlite.py\`, one connection |")
    done
  else
    local max_case
    max_case=$(psql "$url" -Atc "SELECT max(id) FROM cases")
    for raw in read contact; do
      local tps
      tps=$(pgbench -n -c 8 -j 2 -T "$BENCH_SECONDS" -D max_case="$max_case" -f "$HERE/raw_pg_$raw.sql" "$url" 2>/dev/null |
        awk '/^tps/ {printf "%.0f", $3; exit}')
      RAW+=("| postgres | $raw | $tps | pgbench \`raw_pg_$raw.sql\`, 8 clients |")
    done
  fi
}

: >"$WORK/rows.txt"
run_backend sqlite "$WORK/casework.db"
if [[ $SKIP_PG != 1 ]] && pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  psql "$PG_URL_BASE/postgres" -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" -c "CREATE DATABASE $PG_DB" >/dev/null
  run_backend postgres "$PG_URL_BASE/$PG_DB"
  psql "$PG_URL_BASE/postgres" -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null
fi
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

section=$(cat <<MD
<!-- casework-bench:begin (written by scripts/bench/casework.sh) -->
## Casework with $CASES cases (issue 13)

$CASES synthetic cases (\`kim seed --synthetic $CASES --seed 1 --until $UNTIL\`), release build,
\`kim serve\` with the defaults, \`wrk -t2 -c32 -d${BENCH_SECONDS}s\` (\`random_path.lua\`) on the same
machine. Case-manager kinds run as \`cm-synthetic-01\` (about 1/24 of all cases, thousands);
\`cases_active_muni\` as \`cm_coordinator\`. Targets: \`case_by_id\` ≥ 5,000 req/s, p99 ≤ 20 ms;
\`me_cases\` ≥ 2,000 req/s, p99 ≤ 30 ms; \`post_contact\` ≥ 2,000 req/s on SQLite, ≥ 90 % of the
raw rate on PostgreSQL, p99 ≤ 30 ms; no kind with p99 above 100 ms.

| database | kind | requests/s | p50 | p99 | non-2xx |
| --- | --- | ---: | ---: | ---: | ---: |
$(cat "$WORK/rows.txt")

The raw-statement limit: the same statements straight at the database, one transaction per
request (\`read\`: the case, its clients and one audit event; \`contact\`: a contact and its
audit event):

| database | statements | transactions/s | how |
| --- | --- | ---: | --- |
$(printf '%s\n' "${RAW[@]}")

Peak resident memory of the server over the run (target ≤ 96 MiB):

| database | VmHWM |
| --- | ---: |
$(printf '%s\n' "${MEMORY[@]}")

$(cat "$HERE/casework-notes.md")

- Command: \`scripts/bench/casework.sh\` (part of \`make bench\`), $(date -u '+%Y-%m-%d %H:%M') UTC,
  commit \`$(cd "$ROOT" && git rev-parse --short HEAD)\`.
- Machine: $(nproc) CPUs shared with other sessions; load average before $load_before, after
  $load_after (other builds and test suites running at the same time lower these figures).
<!-- casework-bench:end -->
MD
)
python3 "$(dirname "${BASH_SOURCE[0]}")/write_section.py" "$OUT" casework-bench "$section"
log "wrote the casework section of $OUT"
