#!/usr/bin/env python3
"""Fault test 2: the database goes away under load and comes back.

PostgreSQL: a private cluster of the test (never the machine's shared server) is stopped with
`pg_ctl stop -m fast` (what `systemctl stop postgresql` does: sessions are terminated) for
OUTAGE_SECONDS while 8 connections write contacts and read, then started again. Proves:

- while the database is down every request answers 503 problem+json with `Retry-After`, within
  the pool's connection timeout plus a margin: no 500, no hang, no dropped connection;
- `/health/ready` answers 503 meanwhile; `/health/live` stays 200;
- a write answered 503 left nothing behind;
- the same process (same pid, no restart) serves every kind of request again, and readiness
  is 200, within RECOVERY_SECONDS of the database accepting connections, and from then on
  nothing fails.

SQLite: the database file and its WAL are made immutable (`chattr +i`, which unlike `chmod`
also stops writes through descriptors the server already holds open; needs root or
CAP_LINUX_IMMUTABLE) for OUTAGE_SECONDS, then writable again. Proves: writes (and reads of
personal data, whose audit events cannot be written) answer 503 problem+json with
`Retry-After`, never 500 or a panic; reads that write nothing keep answering 200; a write
answered 503 left nothing behind; writes succeed again within RECOVERY_SECONDS, and the file
passes its integrity check.

Usage: outage.py [sqlite|postgres ...]
"""

import datetime
import http.client
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (  # noqa: E402
    Checks, Client, Load, Outcome, Server, TestFailed, backend_setup, case_manager_cases, log,
    login, main, prepare_database,
)

OUTAGE_SECONDS = 10
RECOVERY_SECONDS = 5
# `KIM_DB_POOL_TIMEOUT_SECONDS` of the server under test: the longest a request waits for a
# connection, queueing included, before it is answered 503.
POOL_TIMEOUT_SECONDS = 3
# Scheduling, the connect attempt in progress and the response itself.
LATENCY_MARGIN_SECONDS = 1.5
THREADS = 8


def mixed_operation(cases, day):
    """Writes, audited reads of personal data and reads of reference data, in turn."""

    def operation(_client, thread, sequence):
        key = f"outage-{thread}-{sequence}"
        case_id = cases[(thread + sequence) % len(cases)]
        # Spread over the threads, so that every kind is in flight at any moment.
        turn = (thread + sequence) % 3
        if turn == 0:
            body = {"occurred_on": day, "kind": "phone", "duration_minutes": 10, "note": key}
            return "write", key, "POST", f"/api/v1/cases/{case_id}/contacts", body, {}
        if turn == 1:
            return "personal read", key, "GET", f"/api/v1/cases/{case_id}", None, {}
        return "reference read", key, "GET", "/api/v1/municipalities?limit=5", None, {}

    return operation


class Prober:
    """Polls `/health/ready` and `/health/live` every 0.25 s: (time, ready status, live status)."""

    def __init__(self, port):
        self.port = port
        self.samples = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self):
        client = Client(self.port, timeout=10)
        while not self.stopping.is_set():
            at = time.monotonic()
            statuses = []
            for path in ("/health/ready", "/health/live"):
                try:
                    response = client.request("GET", path)
                    statuses.append((response.status, response.is_problem(), time.monotonic() - at))
                except (OSError, http.client.HTTPException) as e:
                    statuses.append((None, False, str(e)))
            self.samples.append((at, statuses[0], statuses[1], time.monotonic()))
            time.sleep(0.25)

    def stop(self):
        self.stopping.set()
        self.thread.join(15)


def witnesses(port, token, operation, count=2):
    """`count` requests of each kind, sent one kind per thread on fresh connections while the
    database is surely gone. The load alone may finish too few requests of a kind inside the
    outage (each waits out the pool timeout), so the check "every kind answered 503" would
    depend on scheduling; these make it certain that every kind was asked."""
    outcomes = []
    lock = threading.Lock()

    def ask(turn):
        client = Client(port, token, timeout=15)
        for sequence in range(count):
            # operation() picks the kind from (thread + sequence) % 3: thread = turn - sequence.
            kind, key, method, path, body, headers = operation(client, 100 + turn - sequence, sequence)
            outcome = Outcome(kind, key, time.monotonic())
            try:
                response = client.request(method, path, body, headers)
                outcome.status, outcome.response = response.status, response
            except (OSError, http.client.HTTPException) as e:
                outcome.error = f"{type(e).__name__}: {e}"
            outcome.ended = time.monotonic()
            with lock:
                outcomes.append(outcome)
        client.close()

    threads = [threading.Thread(target=ask, args=(turn,), daemon=True) for turn in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcomes


def well_formed_503(o):
    r = o.response
    return o.status == 503 and r.is_problem(503) and r.headers.get("retry-after", "").isdigit()


def judge(c, outcomes, probes, times, kinds_down, ready_during):
    """The checks both databases share. `times`: when the database began to go, was gone,
    began to come back and was back; `kinds_down`: the kinds that must fail while it is gone;
    `ready_during`: what `/health/ready` answers meanwhile."""
    going_at, down_at, returning_at, up_at = times
    before = [o for o in outcomes if o.ended < going_at]
    c.check(before and all(200 <= o.status < 300 for o in before if o.status),
            f"before the outage all {len(before)} requests succeeded")
    errors = [o for o in outcomes if o.error]
    c.check(not errors, f"no request lost its connection or timed out ({len(errors)}: "
                        f"{[o.error for o in errors[:3]]})")
    server_errors = [o for o in outcomes if o.status and o.status >= 500 and o.status != 503]
    c.check(not server_errors, f"no 5xx other than 503 ({[(o.status, o.response.body[:160]) for o in server_errors[:3]]})")
    failed = [o for o in outcomes if o.status and not 200 <= o.status < 300]
    malformed = [o for o in failed if not well_formed_503(o)]
    c.check(failed and not malformed,
            f"all {len(failed)} failed requests answered 503 problem+json with Retry-After "
            f"({[(o.kind, o.status, o.response.body[:160]) for o in malformed[:3]]})")
    # Fully inside the outage: started after it began, ended before the database began to
    # come back (`pg_ctl start -w` returns a moment after it accepts connections).
    inside = [o for o in outcomes if o.started > down_at + 0.5 and o.ended < returning_at]
    for kind in kinds_down:
        of_kind = [o for o in inside if o.kind == kind]
        c.check(of_kind and all(well_formed_503(o) for o in of_kind),
                f"during the outage all {len(of_kind)} {kind}s answered 503")
    slowest = max((o.latency for o in outcomes if o.started > down_at), default=0)
    bound = POOL_TIMEOUT_SECONDS + LATENCY_MARGIN_SECONDS
    c.check(slowest <= bound, f"slowest answer during and after the outage {slowest:.2f} s "
                              f"(bound: pool timeout {POOL_TIMEOUT_SECONDS} s + {LATENCY_MARGIN_SECONDS} s)")

    inside_probes = [p for p in probes if down_at + 0.5 < p[0] and p[3] < returning_at]
    c.check(inside_probes and all(p[1][0] == ready_during and (ready_during == 200 or p[1][1])
                                  for p in inside_probes),
            f"/health/ready answered {ready_during} to all {len(inside_probes)} probes "
            f"during the outage ({sorted({p[1][0] for p in inside_probes}, key=str)})")
    slowest_probe = max((p[3] - p[0] for p in probes), default=0)
    c.check(slowest_probe <= 2 + LATENCY_MARGIN_SECONDS,
            f"slowest readiness probe {slowest_probe:.2f} s (bound: its 2 s + {LATENCY_MARGIN_SECONDS} s)")
    c.check(all(p[2][0] == 200 for p in probes), "/health/live answered 200 throughout")
    ready_again = [p[0] for p in probes if p[0] > up_at and p[1][0] == 200]
    if c.check(ready_again and ready_again[0] - up_at <= RECOVERY_SECONDS,
               f"ready again {ready_again[0] - up_at:.2f} s after the database was back"
               if ready_again else "ready again after the database was back"):
        late = [p for p in probes if p[0] > ready_again[0] and p[1][0] != 200]
        c.check(not late, f"and stayed ready ({len(late)} probes not 200 afterwards)")

    for kind in sorted({o.kind for o in outcomes}):
        served = [o.ended for o in outcomes if o.kind == kind and o.started >= up_at and o.status
                  and 200 <= o.status < 300]
        first = min(served) - up_at if served else None
        c.check(first is not None and first <= RECOVERY_SECONDS,
                f"{kind}s served again {first:.2f} s after the database was back"
                if first is not None else f"{kind}s served again after the database was back")
    settled = [o for o in outcomes if o.started > up_at + RECOVERY_SECONDS]
    unsettled = [o for o in settled if not (o.status and 200 <= o.status < 300)]
    c.check(settled and not unsettled,
            f"all {len(settled)} requests from {RECOVERY_SECONDS} s after the recovery on succeeded "
            f"({[(o.kind, o.status) for o in unsettled[:3]]})")


def writes_left_behind(sql, outcomes, down_at):
    """Keys of writes answered 503 (started while the database was surely down) that are stored."""
    keys = [o.key for o in outcomes if o.kind == "write" and o.status == 503 and o.started > down_at + 0.5]
    if not keys:
        return keys, []
    stored = set()
    for i in range(0, len(keys), 200):
        chunk = ", ".join(f"'{k}'" for k in keys[i:i + 200])
        stored |= {r[0] for r in sql.rows(f"SELECT note FROM contacts WHERE note IN ({chunk})")}
    return keys, sorted(stored)


def chattr(flag, paths):
    for path in paths:
        if os.path.exists(path):
            done = subprocess.run(["chattr", flag, path], capture_output=True, text=True, timeout=10)
            if done.returncode != 0:
                raise TestFailed(
                    f"chattr {flag} {path} failed ({done.stderr.strip()}): making a file read-only "
                    "under a running process needs root or CAP_LINUX_IMMUTABLE")


def test(run, backend):
    c = Checks(f"outage-{backend}")
    url, sql, cluster = backend_setup(run, backend)
    prepare_database(run, url)
    server = Server(run, url, "kim", KIM_DB_POOL_TIMEOUT_SECONDS=POOL_TIMEOUT_SECONDS).start()
    pid = server.proc.pid
    token = login(server.port, "case_manager")
    cases = case_manager_cases(server.port, token)
    day = (datetime.datetime.now(datetime.timezone.utc).date() - datetime.timedelta(days=1)).isoformat()
    frozen = [f"{url}{suffix}" for suffix in ("", "-wal")] if backend == "sqlite" else []

    probes = Prober(server.port)
    operation = mixed_operation(cases, day)
    load = Load(server.port, token, operation, threads=THREADS, pause=0.02).start()
    asked = []
    try:
        time.sleep(2)
        going_at = time.monotonic()
        if backend == "postgres":
            cluster.stop("fast")
        else:
            chattr("+i", frozen)
        down_at = time.monotonic()
        log(f"database {'stopped' if backend == 'postgres' else 'made read-only'}")
        time.sleep(1)
        asked = witnesses(server.port, token, operation)
        time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - down_at)))
        returning_at = time.monotonic()
        if backend == "postgres":
            cluster.start()
        else:
            chattr("-i", frozen)
        up_at = time.monotonic()
        log(f"database back after {up_at - down_at:.1f} s")
        time.sleep(RECOVERY_SECONDS + 3)
    finally:
        if backend == "sqlite":
            chattr("-i", frozen)
        outcomes = load.stop() + asked
        probes.stop()

    kinds_down = ["write", "personal read"] + (["reference read"] if backend == "postgres" else [])
    # SQLite: the database still answers (reads are served), so the server stays ready; there
    # is no other instance a load balancer could send the requests to.
    ready_during = 503 if backend == "postgres" else 200
    times = (going_at, down_at, returning_at, up_at)
    judge(c, outcomes, probes.samples, times, kinds_down, ready_during)
    if backend == "sqlite":
        inside = [o for o in outcomes if o.kind == "reference read" and down_at + 0.5 < o.started
                  and o.ended < returning_at]
        c.check(inside and all(o.status == 200 for o in inside),
                f"reads that write nothing kept answering 200 while the file was read-only ({len(inside)})")
    keys, stored = writes_left_behind(sql, outcomes, down_at)
    c.check(keys and not stored, f"none of the {len(keys)} writes answered 503 is stored ({stored[:5]})")
    if any(o.status == 500 for o in outcomes):
        for line in server.log_text().splitlines():
            if "internal error" in line:
                log(f"  server log: {line[-300:]}")
    c.check(server.alive() and server.proc.pid == pid, "the same server process served throughout")
    c.check("panicked" not in server.log_text(), "no panic in the server log")
    if backend == "sqlite":
        server.kill()
        c.check(sql.scalar("PRAGMA integrity_check") == "ok", "SQLite integrity_check: ok")
    by_status = {}
    for o in outcomes:
        by_status[o.status or o.error] = by_status.get(o.status or o.error, 0) + 1
    log(f"{len(outcomes)} requests: {by_status}")
    return c.finish()


if __name__ == "__main__":
    sys.exit(main(test, sys.argv))
