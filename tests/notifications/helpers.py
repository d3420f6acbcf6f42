"""Helpers of the notification tests: a real HTTP server on 127.0.0.1 that receives webhooks."""

from __future__ import annotations

import json
import threading
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from yousu.notifications.channels import webhook_signature

SECRET = "test-webhook-secret"
PHONE = "13900001111"
EMAIL = "eve@example.org"


@dataclass
class Received:
    headers: dict
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body.decode("utf-8"))

    def signed_with(self, secret: str) -> bool:
        return self.headers.get("X-Yousu-Signature") == webhook_signature(self.body, secret)


class WebhookReceiver:
    """An HTTP server on 127.0.0.1 that records every POST and answers with the next status in
    `statuses` (200 once they run out)."""

    def __init__(self):
        self.requests: list[Received] = []
        self.statuses: list[int] = []
        self.delay = 0.0
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver._lock:
                    receiver.requests.append(Received(headers=dict(self.headers), body=body))
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                if receiver.delay:
                    threading.Event().wait(receiver.delay)
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format, *args):  # keep the test output clean
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/hook"

    def deliveries(self) -> Counter:
        """How many times each notification id arrived."""
        with self._lock:
            return Counter(int(r.headers["X-Yousu-Delivery"]) for r in self.requests)
