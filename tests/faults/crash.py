#!/usr/bin/env python3
"""Fault test 1: `kill -9` of the server under a steady write load.

16 connections create contacts and referrals (each referral with an `Idempotency-Key`) on the
demo case manager's cases; after a few hundred acknowledged writes the server is killed with
SIGKILL in mid-stream, then started again on the same database. Proves:

- every write answered 2xx is there after the restart (the answer came after the commit);
- nothing is half-written, acknowledged or not: every contact created in the run has its
  `contact.create` audit event, every referral its `referral.create` event, its first history
  entry and its idempotency record, and no idempotency record points at a missing referral;
- a client that retries with the same `Idempotency-Key` after the crash gets the first answer
  for a write that committed (`Idempotent-Replayed: true`, same id) and a single new referral
  for one that did not: one referral per key in every case;
- the audit trail's hash chain verifies (`kim audit verify`), and SQLite's integrity check
  passes.

Usage: crash.py [sqlite|postgres ...]
"""

import datetime
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (  # noqa: E402
    Checks, Client, Load, Server, backend_setup, base_env, case_manager_cases, kim, log, login,
    main, prepare_database, recipient_organisation, wait_until,
)

THREADS = 16
# Acknowledged writes before the kill: enough that the kill lands in a steady stream.
ACKS_BEFORE_KILL = 400
# Seconds of steady load before the kill, at the least.
LOAD_SECONDS = 3
KEY_PREFIX = "crash-"


def write_operation(cases, organisation, day):
    def operation(_client, thread, sequence):
        key = f"{KEY_PREFIX}{thread}-{sequence}"
        case_id = cases[(thread + sequence) % len(cases)]
        headers = {"X-Request-Id": key}
        if sequence % 2 == 0:
            body = {"occurred_on": day, "kind": "phone", "duration_minutes": 15,
                    "note": f"fault test {key}"}
            return "contact", key, "POST", f"/api/v1/cases/{case_id}/contacts", body, headers
        headers["Idempotency-Key"] = key
        body = {"recipient_organisation_id": organisation, "purpose": f"fault test {key}"}
        return "referral", key, "POST", f"/api/v1/cases/{case_id}/referrals", body, headers

    return operation


def test(run, backend):
    c = Checks(f"crash-{backend}")
    url, sql, _cluster = backend_setup(run, backend)
    prepare_database(run, url)
    server = Server(run, url, "kim-before-crash").start()
    token = login(server.port, "case_manager")
    cases = case_manager_cases(server.port, token)
    organisation = recipient_organisation(server.port, token)
    day = (datetime.datetime.now(datetime.timezone.utc).date() - datetime.timedelta(days=1)).isoformat()
    contacts_before = int(sql.scalar("SELECT COALESCE(MAX(id), 0) FROM contacts"))
    referrals_before = int(sql.scalar("SELECT COALESCE(MAX(id), 0) FROM referrals"))

    load = Load(server.port, token, write_operation(cases, organisation, day), threads=THREADS).start()
    started = time.monotonic()
    wait_until(
        f"{ACKS_BEFORE_KILL} acknowledged writes and {LOAD_SECONDS} s of load",
        lambda: time.monotonic() - started >= LOAD_SECONDS
        and load.count(lambda o: o.status is not None and 200 <= o.status < 300) >= ACKS_BEFORE_KILL,
        timeout=60,
    )
    server.signal(signal.SIGKILL)
    killed_at = time.monotonic()
    server.wait(10)
    # Keep the clients going a moment: requests in flight at the kill end without an answer.
    time.sleep(0.3)
    outcomes = load.stop()
    log(f"killed the server {killed_at - outcomes[0].started:.1f} s into the load")

    acked = [o for o in outcomes if o.status is not None and 200 <= o.status < 300]
    refused = [o for o in outcomes if o.status is not None and not 200 <= o.status < 300]
    unanswered = [o for o in outcomes if o.status is None]
    c.check(len(acked) >= ACKS_BEFORE_KILL, f"{len(acked)} writes acknowledged before the kill")
    c.check(not refused, f"no write refused before the kill ({len(refused)}: "
                         f"{[(o.status, o.response.body[:120]) for o in refused[:3]]})")
    in_flight = [o for o in unanswered if o.started < killed_at]
    log(f"{len(in_flight)} requests were in flight at the kill (sent, never answered); "
        f"{len(unanswered) - len(in_flight)} more found the server gone")

    restarted = Server(run, url, "kim-after-crash").start()

    # 1. Every acknowledged write is there.
    contact_ids = {int(r[0]) for r in sql.rows(f"SELECT id FROM contacts WHERE id > {contacts_before}")}
    referral_ids = {int(r[0]) for r in sql.rows(f"SELECT id FROM referrals WHERE id > {referrals_before}")}
    acked_contacts = {o.response.json["id"] for o in acked if o.kind == "contact"}
    acked_referrals = {o.response.json["id"] for o in acked if o.kind == "referral"}
    c.check(acked_contacts <= contact_ids,
            f"all {len(acked_contacts)} acknowledged contacts are stored "
            f"(missing: {sorted(acked_contacts - contact_ids)[:10]})")
    c.check(acked_referrals <= referral_ids,
            f"all {len(acked_referrals)} acknowledged referrals are stored "
            f"(missing: {sorted(acked_referrals - referral_ids)[:10]})")
    log(f"stored: {len(contact_ids)} contacts, {len(referral_ids)} referrals "
        f"({len(contact_ids) - len(acked_contacts)} + {len(referral_ids) - len(acked_referrals)} "
        "committed without an answer reaching the client)")

    # 2. Nothing half-written, acknowledged or not.
    no_audit = sql.rows(
        f"SELECT c.id FROM contacts c WHERE c.id > {contacts_before} AND NOT EXISTS ("
        "SELECT 1 FROM audit_events a WHERE a.action = 'contact.create' "
        "AND a.object_type = 'contact' AND a.object_id = CAST(c.id AS TEXT))")
    c.check(not no_audit, f"every contact of the run has its contact.create audit event "
                          f"(without: {no_audit[:10]})")
    no_audit = sql.rows(
        f"SELECT r.id FROM referrals r WHERE r.id > {referrals_before} AND NOT EXISTS ("
        "SELECT 1 FROM audit_events a WHERE a.action = 'referral.create' "
        "AND a.object_type = 'referral' AND a.object_id = CAST(r.id AS TEXT))")
    c.check(not no_audit, f"every referral of the run has its referral.create audit event "
                          f"(without: {no_audit[:10]})")
    no_key = sql.rows(
        f"SELECT r.id FROM referrals r WHERE r.id > {referrals_before} AND NOT EXISTS ("
        "SELECT 1 FROM idempotency_keys k WHERE k.resource_id = r.id "
        f"AND k.idempotency_key LIKE '{KEY_PREFIX}%')")
    c.check(not no_key, f"every referral of the run has its idempotency record (without: {no_key[:10]})")
    no_event = sql.rows(
        f"SELECT r.id FROM referrals r WHERE r.id > {referrals_before} AND NOT EXISTS ("
        "SELECT 1 FROM referral_events e WHERE e.referral_id = r.id AND e.to_status = 'draft')")
    c.check(not no_event, f"every referral of the run has its first history entry (without: {no_event[:10]})")
    orphans = sql.rows(
        f"SELECT k.idempotency_key FROM idempotency_keys k WHERE k.idempotency_key LIKE '{KEY_PREFIX}%' "
        "AND NOT EXISTS (SELECT 1 FROM referrals r WHERE r.id = k.resource_id)")
    c.check(not orphans, f"no idempotency record without its referral ({orphans[:10]})")

    # 3. Retrying after the crash: the first answer for what committed, one new object otherwise.
    retry = [o for o in outcomes if o.kind == "referral" and (o.status is None or 200 <= o.status < 300)]
    client = Client(restarted.port, token)
    operation = write_operation(cases, organisation, day)
    replay_ok = new_ok = 0
    bad = []
    for o in retry:
        thread, sequence = (int(x) for x in o.key[len(KEY_PREFIX):].split("-"))
        _, _, method, path, body, headers = operation(None, thread, sequence)
        response = client.request(method, path, body, headers)
        if o.status is not None:
            if (response.status == o.status and response.json["id"] == o.response.json["id"]
                    and response.headers.get("idempotent-replayed") == "true"):
                replay_ok += 1
            else:
                bad.append((o.key, response.status, response.body[:160]))
        elif response.status == 201:
            new_ok += 1
        else:
            bad.append((o.key, response.status, response.body[:160]))
    c.check(not bad, f"retries after the restart: {replay_ok} acknowledged referrals replayed with "
                     f"their first answer, {new_ok} unanswered ones answered 201 ({bad[:3]})")
    duplicates = sql.rows(
        f"SELECT purpose, COUNT(*) FROM referrals WHERE purpose LIKE 'fault test {KEY_PREFIX}%' "
        "GROUP BY purpose HAVING COUNT(*) > 1")
    c.check(not duplicates, f"one referral per Idempotency-Key after the retries ({duplicates[:5]})")

    # 4. The audit trail and the file are intact.
    verify = kim(base_env(url), "audit", "verify", check=False)
    c.check(verify.returncode == 0, f"kim audit verify exits 0: {(verify.stdout + verify.stderr).strip()[:200]}")
    if backend == "sqlite":
        restarted.kill()
        integrity = sql.scalar("PRAGMA integrity_check")
        c.check(integrity == "ok", f"SQLite integrity_check: {integrity}")
    c.check("panicked" not in restarted.log_text() + server.log_text(), "no panic in the server logs")
    return c.finish()


if __name__ == "__main__":
    sys.exit(main(test, sys.argv))
