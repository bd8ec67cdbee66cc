#!/usr/bin/env bash
# The contract run (issue 14): schemathesis against a release `kim serve` with the demo data, once
# per kind of caller, each from a fresh copy of the seeded database, with every check and every
# phase (examples, coverage, fuzzing, stateful), a fixed seed and a time budget per caller.
# Zero failures or the run fails. `.ci/run` calls it; by hand: tests/contract/run.sh [caller...]
#
# KIM_CONTRACT_SECONDS   hard time limit per caller (default 600; a caller takes 2-4 minutes)
# KIM_CONTRACT_EXAMPLES  examples per operation (default 10)
# KIM_CONTRACT_JOBS      callers run at once (default 2)
# KIM_CONTRACT_SEED      seed (default 20261130)
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUDGET=${KIM_CONTRACT_SECONDS:-600}
EXAMPLES=${KIM_CONTRACT_EXAMPLES:-10}
SEED=${KIM_CONTRACT_SEED:-20261130}
CALLERS=("$@")
if [ ${#CALLERS[@]} -eq 0 ]; then
  CALLERS=(coordinator case_manager cm_coordinator analyst data_protection_officer immigration_officer partner)
fi

VENV="$ROOT/target/contract-venv"
if [ ! -x "$VENV/bin/st" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r "$HERE/requirements.txt"
fi
(cd "$ROOT" && cargo build -q --release -p kim-api --bin kim)
KIM="$ROOT/target/release/kim"

WORK=$(mktemp -d)
REPORTS="$ROOT/target/contract"
mkdir -p "$REPORTS"
# Callers run side by side, JOBS at a time (default 2: one schemathesis process keeps one core
# busy, and the servers are light); each has its own server, database copy and directory.
JOBS=${KIM_CONTRACT_JOBS:-2}
cleanup() {
  # Every server this run started (their pids are in $WORK/pids), then the work directory.
  if [[ -f $WORK/pids ]]; then
    while read -r pid; do
      kill -TERM "$pid" 2>/dev/null || true
    done <"$WORK/pids"
  fi
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
touch "$WORK/pids"

export KIM_JWT_SECRET="contract-run-only-secret-0123456789abcdef"
export RUST_LOG=warn
# One token lasts the whole run of a caller.
export KIM_ACCESS_TOKEN_TTL_SECONDS=3600

# One seeded database, copied for each caller so that runs do not depend on each other.
DATABASE_URL="$WORK/template.db" "$KIM" seed --demo >"$WORK/seed.log"
PARTNER_TOKEN=$(grep -A1 "demo partner token" "$WORK/seed.log" | tail -1)
[[ $PARTNER_TOKEN == kimp_* ]] || { echo "no demo partner token in the seed output"; cat "$WORK/seed.log"; exit 1; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# One caller's run: its summary goes to $REPORTS/$caller.summary, and it exits non-zero on a
# failure or a server panic.
run_caller() {
  local caller=$1 port base token server status=0
  local dir="$REPORTS/$caller"
  # schemathesis keeps its cache (.schemathesis/) in the working directory: every run starts
  # without one, and parallel runs must not share it.
  rm -rf "$dir"
  mkdir -p "$dir"
  cp "$WORK/template.db" "$WORK/$caller.db"
  port=$(free_port)
  DATABASE_URL="$WORK/$caller.db" KIM_BIND="127.0.0.1:$port" "$KIM" serve >"$REPORTS/$caller-server.log" 2>&1 &
  server=$!
  echo "$server" >>"$WORK/pids"
  for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 && break
    sleep 0.1
  done
  base="http://127.0.0.1:$port"
  local exclude=()
  if [[ $caller == partner ]]; then
    token=$PARTNER_TOKEN
  else
    token=$(curl -fs -X POST "$base/api/v1/auth/login" -H 'Content-Type: application/json' \
      -d "{\"username\":\"$caller\",\"password\":\"demo-password\"}" |
      python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
    # Logging out ends the session the run authenticates with; every later request would only
    # test 401. tests/api/sessions.rs covers logout.
    exclude=(--exclude-path /api/v1/auth/logout)
  fi
  {
    echo "== contract run as $caller ($EXAMPLES examples per operation, budget ${BUDGET}s)"
    local code=0
    (cd "$dir" && SCHEMATHESIS_HOOKS=hooks PYTHONPATH="$HERE" PYTHONDONTWRITEBYTECODE=1 timeout "$BUDGET" "$VENV/bin/st" \
        --config-file "$HERE/schemathesis.toml" run "$base/api-docs/openapi.json" \
        -H "Authorization: Bearer $token" \
        --checks all --phases examples,coverage,fuzzing,stateful \
        --max-examples "$EXAMPLES" --seed "$SEED" --workers 1 "${exclude[@]}" \
        --report junit --report-junit-path "$REPORTS/$caller.xml" >"$REPORTS/$caller.log" 2>&1) || code=$?
    if [[ $code == 124 ]]; then
      status=1
      echo "the run as $caller did not end within its limit of ${BUDGET}s (KIM_CONTRACT_SECONDS)"
    elif [[ $code != 0 ]]; then
      status=1
      sed -n "/FAILURES/,\$p" "$REPORTS/$caller.log" | head -200 || true
    fi
    tail -3 "$REPORTS/$caller.log"
    kill -TERM "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    if grep -q "panicked" "$REPORTS/$caller-server.log"; then
      echo "the server panicked during the run as $caller"
      status=1
    fi
  } >"$REPORTS/$caller.summary" 2>&1
  return $status
}

declare -A running=()
failed=()
# Waits for one run to end, prints its summary and records a failure.
reap() {
  local pid status=0
  wait -n -p pid "${!running[@]}" || status=$?
  local caller=${running[$pid]}
  unset "running[$pid]"
  cat "$REPORTS/$caller.summary" 2>/dev/null || echo "the run as $caller ended before its summary (status $status)"
  if [[ $status != 0 ]]; then
    failed+=("$caller")
  fi
}
for caller in "${CALLERS[@]}"; do
  while [[ ${#running[@]} -ge $JOBS ]]; do
    reap
  done
  run_caller "$caller" &
  running[$!]=$caller
done
while [[ ${#running[@]} -gt 0 ]]; do
  reap
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "contract run failed for: ${failed[*]} (logs in target/contract/)"
  exit 1
fi
echo "contract run: no failures for ${CALLERS[*]}"
