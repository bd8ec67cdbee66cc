#!/usr/bin/env bash
# The fault tests (issue 14 item 4), against the release `kim` binary: crash (kill -9 under a
# write load), outage (the database gone for 10 s), two servers on one PostgreSQL database, and
# graceful shutdown, and kill -9 between a change and its webhook delivery; on SQLite and PostgreSQL where the fault exists for both. What each proves
# is in its file's header and in docs/OPERATIONS.md.
#
# PostgreSQL: every test starts its own throwaway cluster (initdb into a temporary directory, a
# free port, as the `postgres` account when run as root), because the outage test stops it; the
# machine's shared server on 5432 is never touched. SQLite's read-only fault uses `chattr +i`
# (root or CAP_LINUX_IMMUTABLE). Python 3 standard library only: nothing is installed.
#
# Each test runs under `timeout`; the trap stops whatever a killed test left running (servers,
# clusters) and removes the temporary directory. KIM_BIN=path skips the release build;
# FAULTS_KEEP=1 keeps the directories (logs, databases) for a look afterwards.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT"

if [[ -z ${KIM_BIN:-} ]]; then
  cargo build -q --release -p kim-api --bin kim
  export KIM_BIN="$ROOT/target/release/kim"
fi
[[ -x $KIM_BIN ]] || { echo "no kim binary at $KIM_BIN"; exit 1; }

FAULTS_TMP=$(mktemp -d /tmp/kim-faults.XXXXXX)
chmod 755 "$FAULTS_TMP"
export FAULTS_TMP
export FAULTS_PIDS="$FAULTS_TMP/pids" FAULTS_CLUSTERS="$FAULTS_TMP/clusters"
touch "$FAULTS_PIDS" "$FAULTS_CLUSTERS"

# As harness.pg_bindir(): for stopping clusters a killed test left running.
PG_BIN=${KIM_FAULTS_PG_BIN:-$(pg_config --bindir 2>/dev/null || true)}
[[ -x ${PG_BIN}/pg_ctl ]] || PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | tail -1)

cleanup() {
  # Only processes this run started (their pids were recorded), and only if they still are
  # `kim` processes (a pid may have been reused).
  while read -r pid; do
    if [[ -n $pid ]] && grep -qa kim "/proc/$pid/cmdline" 2>/dev/null; then
      kill -9 "$pid" 2>/dev/null || true
    fi
  done <"$FAULTS_PIDS"
  while read -r data; do
    if [[ -n $data && -f $data/postmaster.pid ]]; then
      if [[ $(id -u) == 0 ]]; then
        runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
      else
        "$PG_BIN/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
      fi
    fi
  done <"$FAULTS_CLUSTERS"
  if [[ -z ${FAULTS_KEEP:-} ]]; then
    # The outage test makes SQLite files immutable; a test killed meanwhile leaves them so.
    chattr -R -i "$FAULTS_TMP" >/dev/null 2>&1 || true
    rm -rf "$FAULTS_TMP"
  else
    echo "kept $FAULTS_TMP"
  fi
}
trap cleanup EXIT

# `timeout` puts each test in a process group of its own, so a signal to this script's group
# does not reach it: pass SIGTERM/SIGINT on (the test then stops what it started), then clean up.
child=""
on_signal() {
  if [[ -n $child ]]; then
    kill -TERM "$child" 2>/dev/null || true
    wait "$child" 2>/dev/null || true
  fi
  exit 143
}
trap on_signal TERM INT

# name, time limit in seconds, arguments
TESTS=(
  "crash.py 150 sqlite postgres"
  "outage.py 180 sqlite postgres"
  "two_servers.py 90 postgres"
  "shutdown.py 90 sqlite postgres"
  "webhooks.py 90 sqlite postgres"
)
started=$SECONDS
failed=()
for entry in "${TESTS[@]}"; do
  read -r script limit args <<<"$entry"
  # In the background, so that `wait` returns to the signal trap at once.
  # shellcheck disable=SC2086 # the backends are separate arguments
  timeout --kill-after=10 "$limit" python3 "$HERE/$script" $args &
  child=$!
  if ! wait "$child"; then
    failed+=("$script")
  fi
  child=""
done

echo "fault tests: $((SECONDS - started)) s"
if ((${#failed[@]})); then
  echo "FAILED: ${failed[*]}"
  exit 1
fi
echo "all fault tests passed"
