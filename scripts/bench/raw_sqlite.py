#!/usr/bin/env python3
"""The raw-statement limit of casework on SQLite (issue 13): the statements the API runs for
one request, driven straight at the database file in a loop, one transaction per request, with
the pragmas the server uses (WAL, synchronous=NORMAL). Prints one line of JSON:
{"kind": ..., "tps": ...}.

  raw_sqlite.py <database file> <case ids file> read|contact [seconds]

read:    SELECT the case and its clients, INSERT one audit event, COMMIT.
contact: INSERT a contact and its audit event, COMMIT.
"""
import json
import random
import sqlite3
import sys
import time

path, ids_file, kind = sys.argv[1], sys.argv[2], sys.argv[3]
seconds = float(sys.argv[4]) if len(sys.argv) > 4 else 5.0
ids = [int(line.rsplit("/", 2)[-2] if "/contacts" in line else line.rsplit("/", 1)[-1])
       for line in open(ids_file) if line.strip()]
db = sqlite3.connect(path, isolation_level=None)
db.execute("PRAGMA journal_mode=WAL")
db.execute("PRAGMA synchronous=NORMAL")
db.execute("PRAGMA busy_timeout=2000")
done = 0
deadline = time.monotonic() + seconds
started = time.monotonic()
while time.monotonic() < deadline:
    case_id = random.choice(ids)
    now = time.strftime("%Y-%m-%d %H:%M:%S")
    db.execute("BEGIN")
    if kind == "read":
        db.execute("SELECT * FROM cases WHERE id = ?", (case_id,)).fetchall()
        db.execute("SELECT client_id FROM case_clients WHERE case_id = ?", (case_id,)).fetchall()
        action, object_type, object_id = "case.read", "case", case_id
    else:
        cur = db.execute(
            "INSERT INTO contacts (case_id, occurred_on, kind, duration_minutes, participants,"
            " created_by, version, created_at, updated_at)"
            " VALUES (?, date('now'), 'phone', 15, '[]', NULL, 1, ?, ?)",
            (case_id, now, now))
        action, object_type, object_id = "contact.create", "contact", cur.lastrowid
    db.execute(
        "INSERT INTO audit_events (occurred_at, actor_kind, actor_id, actor_role, action,"
        " object_type, object_id, request_id) VALUES (?, 'user', 1, 'case_manager', ?, ?, ?, ?)",
        (now, action, object_type, str(object_id), "raw-%d" % done))
    db.execute("COMMIT")
    done += 1
elapsed = time.monotonic() - started
print(json.dumps({"kind": kind, "transactions": done, "tps": round(done / elapsed, 1)}))
