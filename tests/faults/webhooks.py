#!/usr/bin/env python3
"""Fault test 5: `kill -9` between a change and its webhook delivery loses no event.

The Jobcenter's partner token gets a webhook subscription to a receiver on 127.0.0.1; the
receiver goes down; a referral is sent to the Jobcenter (the outbox event commits with it); the
server is killed with SIGKILL; the receiver comes back on the same port and the server is
started again on the same database. Proves:

- the event committed before the crash arrives after the restart (fan-out by a cursor moved in
  the transaction that creates the deliveries: nothing lives only in memory);
- it arrives exactly as signed: a Standard Webhooks signature that verifies with the secret
  shown at registration, over the body received, with the event id of the outbox row;
- exactly one delivery of it is recorded as delivered.

Usage: webhooks.py [sqlite|postgres ...]
"""

import base64
import datetime
import hashlib
import hmac
import http.server
import json
import os
import signal
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (  # noqa: E402
    Checks, Client, Server, TestFailed, backend_setup, case_manager_cases, free_port, log, login,
    main, prepare_database, wait_until,
)

SETTINGS = {
    "KIM_WEBHOOK_ALLOW_HTTP_LOOPBACK": "true",
    "KIM_WEBHOOK_POLL_MILLIS": "100",
    "KIM_WEBHOOK_RETRY_BASE_MILLIS": "100",
    "KIM_WEBHOOK_TIMEOUT_SECONDS": "1",
}


class Receiver:
    """An HTTP receiver on a fixed port that records every POST; can go down and come back."""

    def __init__(self, port):
        self.port = port
        self.received = []
        self.server = None

    def up(self):
        received = self.received

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_HEAD(self):  # noqa: N802 (http.server's naming)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                received.append((dict((k.lower(), v) for k, v in self.headers.items()), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def down(self):
        self.server.shutdown()
        self.server.server_close()


def verifies(headers, body, secret):
    key = base64.b64decode(secret[len("whsec_"):])
    content = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = "v1," + base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
    return expected in headers.get("webhook-signature", "").split(" ")


def expect(response, status, what):
    if response.status != status:
        raise TestFailed(f"{what}: {response.status} {response.body[:300]}")
    return response.json


def send_referral(port, cm, organisation):
    """A referral from a demo case to `organisation`, with consents, moved to sent."""
    client = Client(port, cm)
    case_id = case_manager_cases(port, cm)[0]
    case = expect(client.request("GET", f"/api/v1/cases/{case_id}"), 200, "case")
    given_on = (datetime.date.today() - datetime.timedelta(days=10)).isoformat()
    for client_id in case["client_ids"]:
        expect(client.request("POST", f"/api/v1/clients/{client_id}/consents", {
            "recipient_organisation_ids": [organisation], "purposes": ["referral"],
            "categories": ["identity"], "given_on": given_on, "document_reference": "Akte 1"}),
            201, "consent")
    draft = expect(client.request("POST", f"/api/v1/cases/{case_id}/referrals", {
        "recipient_organisation_id": organisation, "purpose": "Arbeitsvermittlung",
        "shared_categories": ["identity"]}), 201, "referral")
    expect(client.request("POST", f"/api/v1/referrals/{draft['id']}/transitions", {"to": "sent"},
                          {"If-Match": '"1"'}), 200, "send the referral")
    return draft["id"]


def test(run, backend):
    c = Checks(f"webhooks-{backend}")
    url, sql, _cluster = backend_setup(run, backend)
    prepare_database(run, url)
    server = Server(run, url, "kim-before-crash", **SETTINGS).start()
    admin = Client(server.port, login(server.port, "admin"))
    organisations = expect(admin.request("GET", "/api/v1/organisations?limit=200"), 200, "orgs")
    jobcenter = next(o["id"] for o in organisations["items"] if o["name"].startswith("Jobcenter"))
    issued = admin.request("POST", "/api/v1/partner-tokens", {
        "name": "Fachverfahren", "organisation_id": jobcenter, "scopes": ["referrals:read"],
        "expires_in_days": 30})
    token = expect(issued, 202, "issue a partner token")
    dpo = Client(server.port, login(server.port, "data_protection_officer"))
    expect(dpo.request("POST", f"/api/v1/access-changes/{token['access_change_id']}/confirm", {}),
           200, "confirm the token")

    receiver = Receiver(free_port()).up()
    subscription = expect(admin.request("POST", f"/api/v1/partner-tokens/{token['id']}/webhooks", {
        "url": f"http://127.0.0.1:{receiver.port}/hook", "event_types": ["referral.sent"]}),
        201, "subscribe")
    secret = subscription["secret"]
    receiver.down()

    cm = login(server.port, "case_manager")
    referral = send_referral(server.port, cm, jobcenter)
    event = sql.scalar("SELECT MAX(id) FROM outbox_events WHERE event_type = 'referral.sent'")
    server.signal(signal.SIGKILL)
    server.wait(10)
    log(f"killed the server after referral {referral} was sent (event evt_{event})")
    c.check(not receiver.received, "nothing was received while the receiver was down")

    receiver.up()
    restarted = Server(run, url, "kim-after-crash", **SETTINGS).start()
    wait_until("the event to arrive after the restart", lambda: receiver.received, timeout=20)
    headers, body = receiver.received[0]
    message = json.loads(body)
    c.check(headers.get("webhook-id") == f"evt_{event}" == message["id"],
            f"the event id of the outbox row: {headers.get('webhook-id')}, body {message['id']}")
    c.check(message["type"] == "referral.sent" and message["data"]["id"] == referral,
            f"referral.sent of referral {referral}: {message}")
    c.check(verifies(headers, body, secret), "the signature verifies with the secret shown once")
    admin = Client(restarted.port, login(restarted.port, "admin"))
    path = f"/api/v1/partner-tokens/{token['id']}/webhooks/{subscription['id']}/deliveries"
    wait_until("the delivery to be recorded",
               lambda: admin.request("GET", path + "?status=delivered").json["total"] == 1,
               timeout=10)
    listed = admin.request("GET", path).json
    c.check(listed["total"] == 1, f"one delivery of the event ({listed['total']})")
    c.check(len(receiver.received) == 1, f"received once ({len(receiver.received)})")
    c.check("panicked" not in restarted.log_text() + server.log_text(), "no panic in the server logs")
    receiver.down()
    return c.finish()


if __name__ == "__main__":
    sys.exit(main(test, sys.argv))
