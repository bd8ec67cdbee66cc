#!/usr/bin/env python3
"""Fault test 3: two `kim serve` processes on one PostgreSQL database, as behind a load
balancer, with requests alternating between them. Proves that the guarantees that must hold
across instances live in the database, not in a process:

- the login lockout counts failures from both processes (3 on one, 2 on the other lock the
  username on both), and of 20 wrong passwords sent at once to both, exactly
  KIM_LOGIN_MAX_FAILURES are judged and the rest refused as locked;
- an `Idempotency-Key` used on one process replays on the other (same id,
  `Idempotent-Replayed: true`), and the same key sent to both at the same moment creates one
  referral;
- 50 concurrent `PUT`s of one contact with the same `If-Match`, alternating between the
  processes, give exactly one 200 and 49 412, round after round: one winner per version, and
  the stored contact is the last winner's;
- two servers started at once on a database with pending migrations both come up (the
  migrations run under an advisory lock: one applies them, the other waits);
- a gap step (escalate) and referral transitions (sent by the case manager, accepted by the
  partner system) sent 20 times at once across both apply once: one 200, the rest 412, one
  history entry each; a transition retried with its `Idempotency-Key` on the other process
  replays;
- the audit trail's hash chain, sealed by both processes, verifies.

Usage: two_servers.py [postgres]
"""

import datetime
import os
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (  # noqa: E402
    KIM, Checks, Client, Server, TestFailed, backend_setup, base_env, case_manager_cases, kim, log,
    login, main, prepare_database,
)

MAX_FAILURES = 5
PUT_RACERS = 50
PUT_ROUNDS = 4
STEP_RACERS = 20


def at_once(requests):
    """Sends every (port, token, method, path, body, headers) at the same moment, each on its
    own connection opened beforehand; the responses in order (or the transport error)."""
    barrier = threading.Barrier(len(requests), timeout=30)
    results = [None] * len(requests)

    def send(i, port, token, method, path, body, headers):
        client = Client(port, token, timeout=30)
        try:
            client.request("GET", "/health/live")  # open the connection before the race
            barrier.wait()
            results[i] = client.request(method, path, body, headers)
        except Exception as e:  # noqa: BLE001 - reported as the outcome of this request
            results[i] = e
        finally:
            client.close()

    threads = [threading.Thread(target=send, args=(i, *r), daemon=True) for i, r in enumerate(requests)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    if any(t.is_alive() for t in threads):
        raise TestFailed("a racing request did not finish within 60 s")
    return results


def statuses(results):
    counts = {}
    for r in results:
        key = r.status if hasattr(r, "status") else type(r).__name__
        counts[key] = counts.get(key, 0) + 1
    return counts


def one_winner(counts):
    """One 200 and every other racer 412: its `If-Match` is stale, whether it read the object
    before the winner committed or after (the condition is checked before the step)."""
    return counts == {200: 1, 412: STEP_RACERS - 1}


def create_user(url, username, role):
    done = subprocess.run(
        [KIM, "user", "create", "--username", username, "--role", role, "--password-stdin"],
        env=base_env(url), input="lockout-test-password\n", capture_output=True, text=True,
        timeout=60,
    )
    if done.returncode != 0:
        raise TestFailed(f"kim user create failed: {done.stderr.strip()}")


def lockout(c, servers, url, sql):
    a, b = servers
    create_user(url, "lockout-one", "analyst")
    create_user(url, "lockout-two", "analyst")
    wrong = {"username": "lockout-one", "password": "wrong-password"}
    answers = []
    for i in range(MAX_FAILURES):
        server = servers[i % 2]
        answers.append(Client(server.port).request("POST", "/api/v1/auth/login", wrong).status)
    c.check(answers == [401] * MAX_FAILURES,
            f"{MAX_FAILURES} wrong passwords, 3 on one process and 2 on the other: {answers}")
    right = {"username": "lockout-one", "password": "lockout-test-password"}
    for name, server in (("first", a), ("second", b)):
        r = Client(server.port).request("POST", "/api/v1/auth/login", right)
        c.check(r.status == 429 and r.is_problem(429) and "login-locked" in r.json["type"]
                and r.headers.get("retry-after", "").isdigit(),
                f"the right password is then refused on the {name} process: {r.status} "
                f"{(r.json or {}).get('type')}, Retry-After {r.headers.get('retry-after')}")
    stored = sql.rows("SELECT locked_until > NOW() FROM login_failures WHERE username = 'lockout-one'")
    c.check(stored == [["t"]], f"the lock is one database row shared by both: {stored}")

    racing = [(servers[i % 2].port, None, "POST", "/api/v1/auth/login",
               {"username": "lockout-two", "password": "wrong-password"}, {}) for i in range(20)]
    counts = statuses(at_once(racing))
    c.check(counts == {401: MAX_FAILURES, 429: 20 - MAX_FAILURES},
            f"20 wrong passwords at once across both: exactly {MAX_FAILURES} judged (401), "
            f"the rest locked (429): {counts}")


def idempotency(c, servers, token, case_id, organisation, sql):
    a, b = servers
    body = {"recipient_organisation_id": organisation, "purpose": "two servers replay"}
    headers = {"Idempotency-Key": "two-servers-1"}
    first = Client(a.port, token).request("POST", f"/api/v1/cases/{case_id}/referrals", body, headers)
    again = Client(b.port, token).request("POST", f"/api/v1/cases/{case_id}/referrals", body, headers)
    c.check(first.status == 201 and again.status == 201
            and again.json["id"] == first.json["id"]
            and again.headers.get("idempotent-replayed") == "true",
            f"a key used on the first process replays on the second: {first.status} id "
            f"{(first.json or {}).get('id')}, then {again.status} id {(again.json or {}).get('id')} "
            f"replayed={again.headers.get('idempotent-replayed')}")

    racing = []
    for n in range(10):
        body = {"recipient_organisation_id": organisation, "purpose": f"two servers race {n}"}
        for server in servers:
            racing.append((server.port, token, "POST", f"/api/v1/cases/{case_id}/referrals", body,
                           {"Idempotency-Key": f"two-servers-race-{n}"}))
    results = at_once(racing)
    pairs = [results[i:i + 2] for i in range(0, len(results), 2)]
    created = sql.rows("SELECT purpose, COUNT(*) FROM referrals WHERE purpose LIKE 'two servers race %' "
                       "GROUP BY purpose")
    c.check(len(created) == 10 and all(int(n) == 1 for _, n in created),
            f"the same key sent to both processes at once, 10 times: one referral per key "
            f"({sorted(int(n) for _, n in created)})")
    # Of each pair one created the referral; the other replayed it, or, when both ran at once,
    # answered 409 and changed nothing, and its retry replays.
    shapes, consistent = [], True
    for n, pair in enumerate(pairs):
        if not all(hasattr(r, "status") for r in pair):
            consistent = False
            continue
        made = [r for r in pair if r.status == 201 and r.headers.get("idempotent-replayed") is None]
        other = [r for r in pair if r not in made]
        shapes.append([r.status for r in pair])
        if len(made) != 1 or len(other) != 1:
            consistent = False
            continue
        second = other[0]
        if second.status == 409 and second.is_problem(409):
            body = {"recipient_organisation_id": organisation, "purpose": f"two servers race {n}"}
            second = Client(servers[n % 2].port, token).request(
                "POST", f"/api/v1/cases/{case_id}/referrals", body,
                {"Idempotency-Key": f"two-servers-race-{n}"})
        consistent &= (second.status == 201 and second.json["id"] == made[0].json["id"]
                       and second.headers.get("idempotent-replayed") == "true")
    c.check(consistent, "each pair: one 201 created, the other 201 replaying it or 409 whose "
                        f"retry replays it (same id): {shapes}")


def conflicting_puts(c, servers, token, case_id, day, sql):
    a, _ = servers
    created = Client(a.port, token).request(
        "POST", f"/api/v1/cases/{case_id}/contacts",
        {"occurred_on": day, "kind": "phone", "duration_minutes": 5, "note": "race start"})
    contact_id = created.json["id"]
    version = created.etag_version()
    winners = []
    for round_ in range(PUT_ROUNDS):
        racing = [
            (servers[i % 2].port, token, "PUT", f"/api/v1/contacts/{contact_id}",
             {"occurred_on": day, "kind": "phone", "duration_minutes": 5 + i,
              "note": f"round {round_} writer {i}"},
             {"If-Match": f'"{version}"'})
            for i in range(PUT_RACERS)
        ]
        results = at_once(racing)
        counts = statuses(results)
        won = [(i, r) for i, r in enumerate(results) if getattr(r, "status", None) == 200]
        lost = [r for r in results if getattr(r, "status", None) == 412]
        c.check(counts == {200: 1, 412: PUT_RACERS - 1} and all(r.is_problem(412) for r in lost),
                f"round {round_}: {PUT_RACERS} PUTs with If-Match \"{version}\" across both: {counts}")
        if len(won) != 1:
            return
        i, response = won[0]
        c.check(response.etag_version() == version + 1,
                f"round {round_}: the winner (writer {i}, via the "
                f"{'first' if i % 2 == 0 else 'second'} process) made version {version + 1}")
        winners.append(i)
        version = response.etag_version()
    stored = sql.rows(f"SELECT version, note, duration_minutes FROM contacts WHERE id = {contact_id}")
    last = winners[-1]
    c.check(stored == [[str(version), f"round {PUT_ROUNDS - 1} writer {last}", str(5 + last)]],
            f"stored: the last winner's contact at version {version}: {stored}")
    updates = sql.scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'contact.update' "
                         f"AND object_id = '{contact_id}'")
    c.check(int(updates) == PUT_ROUNDS, f"one contact.update audit event per winner: {updates}")


def gap_step(c, servers, case_manager, coordinator, sql):
    a, _ = servers
    created = Client(a.port, case_manager).request("POST", "/api/v1/gaps", {
        "title": "Two servers", "description": "A gap escalated from both servers at once",
        "topic": "fault_tests", "report": {"text": "Seen in the fault tests"}})
    if not c.check(created.status == 201, f"gap created: {created.status} {created.body[:200]}"):
        return
    gap_id, version = created.json["id"], created.etag_version()
    racing = [(servers[i % 2].port, coordinator, "POST", f"/api/v1/gaps/{gap_id}/escalate",
               {"reason": f"escalation {i}"}, {"If-Match": f'"{version}"'}) for i in range(STEP_RACERS)]
    counts = statuses(at_once(racing))
    c.check(one_winner(counts), f"{STEP_RACERS} escalations of one gap at once across both: {counts}")
    gap = Client(a.port, coordinator).request("GET", f"/api/v1/gaps/{gap_id}").json
    steps = [h["step"] for h in gap["history"]]
    c.check(steps.count("escalate") == 1 and gap["stage"] == "escalated",
            f"the gap's history has one escalation, stage {gap['stage']}: {steps}")


def referral_transitions(c, servers, case_manager, partner, sql):
    a, b = servers
    # The demo case 1 has a consent releasing its lead client to the Jobcenter, the demo
    # partner token's organisation.
    jobcenter = sql.scalar("SELECT organisation_id FROM partner_tokens ORDER BY id LIMIT 1")
    draft = Client(a.port, case_manager).request(
        "POST", "/api/v1/cases/1/referrals",
        {"recipient_organisation_id": int(jobcenter), "purpose": "referral",
         "shared_categories": ["contact"]})
    if not c.check(draft.status == 201, f"draft referral: {draft.status} {draft.body[:200]}"):
        return
    rid, version = draft.json["id"], draft.etag_version()
    for step, token, body in (("sent", case_manager, {"to": "sent"}),
                              ("accepted", partner, {"to": "accepted"})):
        racing = [(servers[i % 2].port, token, "POST", f"/api/v1/referrals/{rid}/transitions", body,
                   {"If-Match": f'"{version}"'}) for i in range(STEP_RACERS)]
        results = at_once(racing)
        counts = statuses(results)
        c.check(one_winner(counts),
                f"{STEP_RACERS} '{step}' transitions of one referral at once across both: {counts}")
        won = [r for r in results if getattr(r, "status", None) == 200]
        if won:
            version = won[0].etag_version()
    events = [r[0] for r in sql.rows(
        f"SELECT to_status FROM referral_events WHERE referral_id = {rid} ORDER BY id")]
    c.check(events == ["draft", "sent", "accepted"], f"the referral's history: {events}")
    # A retry of an applied transition with its Idempotency-Key, on the other process.
    key = {"If-Match": f'"{version}"', "Idempotency-Key": "two-servers-complete"}
    first = Client(a.port, partner).request("POST", f"/api/v1/referrals/{rid}/transitions",
                                            {"to": "completed"}, key)
    retry = Client(b.port, partner).request("POST", f"/api/v1/referrals/{rid}/transitions",
                                            {"to": "completed"}, key)
    events = [r[0] for r in sql.rows(
        f"SELECT to_status FROM referral_events WHERE referral_id = {rid} ORDER BY id")]
    c.check(first.status == 200 and retry.status == 200
            and retry.headers.get("idempotent-replayed") == "true"
            and events.count("completed") == 1,
            f"'completed' retried on the other process with its Idempotency-Key: {first.status}, "
            f"then {retry.status} replayed={retry.headers.get('idempotent-replayed')}; history {events}")


def simultaneous_start(c, run, cluster):
    """Two servers started at the same moment on a database that is not migrated yet: one
    applies the migrations, the other waits for it, and both serve."""
    url = cluster.create_database("fresh")
    servers = [Server(run, url, f"kim-fresh-{n}") for n in ("a", "b")]
    errors = []

    def start(server):
        try:
            server.start()
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(f"{server.name}: {e}")

    threads = [threading.Thread(target=start, args=(s,), daemon=True) for s in servers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    migrations = len(os.listdir(os.path.join(os.path.dirname(__file__), "..", "..", "migrations", "postgres")))
    applied = cluster.psql("SELECT COUNT(*) FROM __diesel_schema_migrations", "fresh")
    c.check(not errors and all(s.alive() for s in servers) and applied == [[str(migrations)]],
            f"two servers started at once on an unmigrated database both serve; "
            f"{applied[0][0] if applied else '?'} of {migrations} migrations applied once ({errors})")
    for server in servers:
        server.kill()


def test(run, backend):
    if backend != "postgres":
        log("two servers share a database only on PostgreSQL; nothing to do for " + backend)
        return 0
    c = Checks("two-servers")
    url, sql, cluster = backend_setup(run, backend)
    simultaneous_start(c, run, cluster)
    partner = prepare_database(run, url)
    settings = {"KIM_LOGIN_MAX_FAILURES": MAX_FAILURES, "KIM_LOGIN_LOCKOUT_SECONDS": 300}
    servers = [Server(run, url, "kim-a", **settings).start(),
               Server(run, url, "kim-b", **settings).start()]
    case_manager = login(servers[0].port, "case_manager")
    coordinator = login(servers[1].port, "cm_coordinator")
    cases = case_manager_cases(servers[0].port, case_manager)
    organisation = int(sql.scalar("SELECT id FROM organisations WHERE active ORDER BY id LIMIT 1"))
    day = (datetime.datetime.now(datetime.timezone.utc).date() - datetime.timedelta(days=1)).isoformat()

    lockout(c, servers, url, sql)
    idempotency(c, servers, case_manager, cases[0], organisation, sql)
    conflicting_puts(c, servers, case_manager, cases[0], day, sql)
    gap_step(c, servers, case_manager, coordinator, sql)
    referral_transitions(c, servers, case_manager, partner, sql)
    # Both processes sealed audit events into the one hash chain meanwhile.
    verify = kim(base_env(url), "audit", "verify", check=False)
    c.check(verify.returncode == 0,
            f"the audit chain both processes appended to verifies: {verify.stdout.strip()[:160]}")
    for server in servers:
        c.check(server.alive() and "panicked" not in server.log_text(),
                f"{server.name} still serving, no panic in its log")
    return c.finish()


if __name__ == "__main__":
    sys.exit(main(test, sys.argv if len(sys.argv) > 1 else [sys.argv[0], "postgres"]))
