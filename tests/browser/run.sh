#!/usr/bin/env bash
# The Swagger UI browser test (issue 12): installs Chromium from Debian's packages and the pinned
# playwright-core (package-lock.json) when missing, starts the debug `kim serve` on a free
# loopback port with a fresh SQLite database and the demo seed, runs swagger-ui.test.mjs and
# cleans up. `.ci/run` calls it after the cargo tests.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)

if ! command -v chromium >/dev/null; then
  echo "installing chromium from Debian's packages"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver >/dev/null
fi
(cd "$HERE" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent)
(cd "$ROOT" && cargo build -q -p kim-api --bin kim)

WORK=$(mktemp -d)
SERVER_PID=""
cleanup() {
  if [[ -n $SERVER_PID ]]; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
export DATABASE_URL="$WORK/kim.db"
export KIM_JWT_SECRET="browser-test-only-secret-0123456789abcdef"
export KIM_BIND="127.0.0.1:$PORT"
export RUST_LOG=warn
"$ROOT/target/debug/kim" seed --demo >"$WORK/seed.log"
"$ROOT/target/debug/kim" serve >"$WORK/serve.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 150); do
  curl -fs "http://127.0.0.1:$PORT/health/ready" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fs "http://127.0.0.1:$PORT/health/ready" >/dev/null || { cat "$WORK/serve.log"; exit 1; }
KIM_BASE_URL="http://127.0.0.1:$PORT" node "$HERE/swagger-ui.test.mjs"
