#!/usr/bin/env bash
# Where a request's CPU goes (issue 13): the release `kim serve` under valgrind's callgrind over a
# database of synthetic cases, driven one request at a time; instruction counts are collected only
# while the requests of one kind run (`callgrind_control -i on/off`), one dump per kind. callgrind
# counts instructions, not seconds, so the figures repeat whatever else the machine is doing;
# waits (fsync, locks, the network) are not in them, which is why the wrk figures stay the
# measure of speed and this only says where the CPU part of a request goes.
#
# Usage: scripts/bench/profile.sh DB [N]
#   DB  a SQLite file seeded with `kim seed --synthetic` (copied first; the original is untouched)
#   N   requests per kind (default 200; /me/tasks a tenth of that)
# Writes target/profile/callgrind.<kind>.out and prints the top inclusive functions per kind.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SOURCE=${1:?usage: profile.sh DB [N]}
N=${2:-200}
KIM=${BENCH_KIM_BIN:-$ROOT/target/release/kim}
OUT=$ROOT/target/profile
mkdir -p "$OUT"
command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install valgrind)"; exit 1; }
[[ -x $KIM ]] || (cd "$ROOT" && cargo build --release -q -p kim-api --bin kim)

WORK=$(mktemp -d)
SERVER=""
cleanup() {
  [[ -n $SERVER ]] && kill -TERM "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
cp "$SOURCE" "$WORK/kim.db"
export KIM_JWT_SECRET=${KIM_JWT_SECRET:-bench-only-secret-0123456789abcdef0123456789}
export KIM_LOGIN_PER_ADDRESS_PER_MINUTE=1000000 RUST_LOG=warn
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
DATABASE_URL="$WORK/kim.db" KIM_BIND="127.0.0.1:$PORT" valgrind --tool=callgrind --instr-atstart=no \
  --callgrind-out-file="$WORK/callgrind.out" "$KIM" serve >"$WORK/server.log" 2>&1 &
SERVER=$!
BASE="http://127.0.0.1:$PORT"
for _ in $(seq 1 600); do curl -fs "$BASE/health/ready" >/dev/null 2>&1 && break; sleep 0.5; done

# The requests run from Python on one keep-alive connection, one at a time.
python3 - "$BASE" "$N" "$WORK" "$SERVER" "$OUT" <<'PY'
import http.client, json, random, subprocess, sys, glob, os, shutil
base, n, work, pid, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
host, port = base.split("//")[1].split(":")
conn = http.client.HTTPConnection(host, int(port), timeout=600)

def call(method, path, token=None, body=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    response = conn.getresponse()
    data = response.read()
    if response.status >= 300:
        raise SystemExit(f"{method} {path}: {response.status} {data[:200]!r}")
    return json.loads(data) if data else None

token = call("POST", "/api/v1/auth/login", body={"username": "cm-synthetic-01", "password": "demo-password"})["access_token"]
cases = [c["id"] for c in call("GET", "/api/v1/cases?limit=200&sort=id", token)["items"]]
random.seed(1)
kinds = {
    "case_by_id": lambda: call("GET", f"/api/v1/cases/{random.choice(cases)}", token),
    "me_cases": lambda: call("GET", "/api/v1/me/cases?limit=20", token),
    "me_tasks": lambda: call("GET", "/api/v1/me/tasks", token),
    "post_contact": lambda: call("POST", f"/api/v1/cases/{random.choice(cases)}/contacts", token,
                                 {"occurred_on": "2026-11-30", "kind": "phone", "duration_minutes": 15}),
}
for kind, run in kinds.items():
    count = max(1, n // 10) if kind == "me_tasks" else n
    run()  # warm: caches, prepared statements
    subprocess.run(["callgrind_control", "-i", "on", pid], check=True, capture_output=True)
    for _ in range(count):
        run()
    subprocess.run(["callgrind_control", "-i", "off", pid], check=True, capture_output=True)
    before = set(glob.glob(work + "/callgrind.out*"))
    subprocess.run(["callgrind_control", "-d", kind, pid], check=True, capture_output=True)
    dumped = sorted(set(glob.glob(work + "/callgrind.out*")) - before, key=os.path.getmtime)
    shutil.copy(dumped[-1], f"{out}/callgrind.{kind}.out")
    with open(f"{out}/callgrind.{kind}.count", "w") as f:
        f.write(str(count))
    print(f"{kind}: {count} requests profiled", flush=True)
PY

for kind in case_by_id me_cases me_tasks post_contact; do
  file=$OUT/callgrind.$kind.out
  count=$(cat "$OUT/callgrind.$kind.count")
  callgrind_annotate --inclusive=yes --threshold=100 "$file" >"$OUT/$kind.txt" 2>/dev/null || true
  total=$(grep -m1 'PROGRAM TOTALS' "$OUT/$kind.txt" | awk '{gsub(",", "", $1); print $1}')
  echo "== $kind: $((${total:-0} / count)) instructions per request ($count requests)"
  grep -E '^ *[0-9,]+ \([ 0-9.]+%\)' "$OUT/$kind.txt" | head -40 || true
done
