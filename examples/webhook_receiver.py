#!/usr/bin/env python3
"""A webhook receiver for KIM events, with the Python standard library only.

    KIM_WEBHOOK_SECRET=whsec_... python3 examples/webhook_receiver.py 8000

listens on 127.0.0.1:8000, verifies each POST's Standard Webhooks signature, refuses stale
timestamps and duplicate ids, prints the event and answers 204. `--self-test` checks the
verification against a message signed here and exits (CI runs it).

A real receiver stores the event id before it acts (deliveries are at least once), acts on the
event by fetching `data.url` with its partner token, and answers within 10 seconds.
"""

import base64
import hashlib
import hmac
import http.server
import json
import os
import sys
import time

TOLERANCE_SECONDS = 5 * 60


def secret_bytes(secret):
    """The key is the base64 after `whsec_`."""
    return base64.b64decode(secret.removeprefix("whsec_"))


def sign(secret, msg_id, timestamp, body):
    mac = hmac.new(secret_bytes(secret), f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256)
    return "v1," + base64.b64encode(mac.digest()).decode()


def verify(secret, headers, body, now=None):
    """Returns the event (a dict) or raises ValueError saying why the message is refused."""
    msg_id = headers.get("webhook-id")
    timestamp = headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature")
    if not (msg_id and timestamp and signatures):
        raise ValueError("missing webhook-id, webhook-timestamp or webhook-signature")
    if not timestamp.isdigit():
        raise ValueError("webhook-timestamp is not a number")
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > TOLERANCE_SECONDS:
        raise ValueError("webhook-timestamp is too far from now (a replay?)")
    expected = sign(secret, msg_id, timestamp, body)
    # Several signatures may be sent, space-separated: one must match, compared in constant time.
    if not any(hmac.compare_digest(expected, s) for s in signatures.split(" ")):
        raise ValueError("no signature matches")
    event = json.loads(body)
    if event.get("id") != msg_id:
        raise ValueError("the body's id is not webhook-id")
    return event


class Receiver(http.server.BaseHTTPRequestHandler):
    secret = None
    seen = set()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            event = verify(self.secret, headers, body)
        except ValueError as e:
            self.send_response(400)
            self.end_headers()
            self.wfile.write(str(e).encode())
            return
        if event["id"] not in self.seen:  # at least once: a redelivery is not a new event
            self.seen.add(event["id"])
            print(event["id"], event["type"], event["data"].get("url") or event["data"], flush=True)
        self.send_response(204)
        self.end_headers()


def self_test():
    secret = "whsec_" + base64.b64encode(b"k" * 32).decode()
    body = json.dumps({"id": "evt_1", "type": "referral.sent", "timestamp": "2026-11-30T08:15:00Z",
                       "data": {"object": "referral", "id": 12, "url": "/api/v1/referrals/12",
                                "related": []}}).encode()
    now = int(time.time())
    headers = {"webhook-id": "evt_1", "webhook-timestamp": str(now),
               "webhook-signature": "v1,bm90IHRoaXMgb25l " + sign(secret, "evt_1", now, body)}
    assert verify(secret, headers, body)["type"] == "referral.sent"
    for broken in (
        dict(headers, **{"webhook-signature": sign(secret, "evt_2", now, body)}),
        dict(headers, **{"webhook-timestamp": str(now - 600)}),
        {k: v for k, v in headers.items() if k != "webhook-id"},
    ):
        try:
            verify(secret, broken, body)
        except ValueError:
            continue
        raise AssertionError(f"accepted {broken}")
    try:
        verify(secret, headers, body.replace(b"12", b"13"))
    except ValueError:
        pass
    else:
        raise AssertionError("accepted a changed body")
    print("webhook_receiver self-test: signatures verified, forgeries and replays refused")


if __name__ == "__main__":
    if sys.argv[1:] == ["--self-test"]:
        self_test()
        sys.exit(0)
    Receiver.secret = os.environ["KIM_WEBHOOK_SECRET"]
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8000
    print(f"listening on 127.0.0.1:{port}", flush=True)
    http.server.ThreadingHTTPServer(("127.0.0.1", port), Receiver).serve_forever()
