#!/usr/bin/env bash
# The contract run (issue 14): schemathesis against a release `kim serve` with the demo data, once
# per kind of caller, each from a fresh copy of the seeded database, with every check and every
# phase (examples, coverage, fuzzing, stateful), a fixed seed and a time budget per caller.
# Zero failures or the run fails. `.ci/run` calls it; by hand: tests/contract/run.sh [caller...]
#
# KIM_CONTRACT_SECONDS   budget per caller (default 120)
# KIM_CONTRACT_SEED      seed (default 20261130)
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUDGET=${KIM_CONTRACT_SECONDS:-300}
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
SERVER_PID=""
stop_server() {
  if [[ -n $SERVER_PID ]]; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
  fi
}
cleanup() { stop_server; rm -rf "$WORK"; }
trap cleanup EXIT

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

failed=()
for caller in "${CALLERS[@]}"; do
  cp "$WORK/template.db" "$WORK/$caller.db"
  PORT=$(free_port)
  DATABASE_URL="$WORK/$caller.db" KIM_BIND="127.0.0.1:$PORT" "$KIM" serve >"$REPORTS/$caller-server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$PORT/health/ready" >/dev/null 2>&1 && break
    sleep 0.1
  done
  BASE="http://127.0.0.1:$PORT"
  exclude=()
  if [[ $caller == partner ]]; then
    TOKEN=$PARTNER_TOKEN
  else
    TOKEN=$(curl -fs -X POST "$BASE/api/v1/auth/login" -H 'Content-Type: application/json' \
      -d "{\"username\":\"$caller\",\"password\":\"demo-password\"}" |
      python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
    # Logging out ends the session the run authenticates with; every later request would only
    # test 401. tests/api/sessions.rs covers logout.
    exclude=(--exclude-path /api/v1/auth/logout)
  fi
  echo "== contract run as $caller ($EXAMPLES examples per operation, budget ${BUDGET}s)"
  # From target/contract: schemathesis keeps its cache (.schemathesis/) in the working directory,
  # and every run starts without one.
  rm -rf "$REPORTS/.schemathesis"
  if ! (cd "$REPORTS" && SCHEMATHESIS_HOOKS=hooks PYTHONPATH="$HERE" PYTHONDONTWRITEBYTECODE=1 timeout "$BUDGET" "$VENV/bin/st" \
      --config-file "$HERE/schemathesis.toml" run "$BASE/api-docs/openapi.json" \
      -H "Authorization: Bearer $TOKEN" \
      --checks all --phases examples,coverage,fuzzing,stateful \
      --max-examples "$EXAMPLES" --seed "$SEED" --workers 1 "${exclude[@]}" \
      --report junit --report-junit-path "$REPORTS/$caller.xml" >"$REPORTS/$caller.log" 2>&1); then
    failed+=("$caller")
    sed -n "/FAILURES/,\$p" "$REPORTS/$caller.log" | head -200 || true
  fi
  tail -3 "$REPORTS/$caller.log"
  if grep -q "panicked" "$REPORTS/$caller-server.log"; then
    echo "the server panicked during the run as $caller"; failed+=("$caller (panic)")
  fi
  stop_server
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "contract run failed for: ${failed[*]} (logs in target/contract/)"
  exit 1
fi
echo "contract run: no failures for ${CALLERS[*]}"
