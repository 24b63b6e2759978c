"""A real webhook receiver on a free port: checks Standard Webhooks signatures, keeps what it got."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class Received:
    event_id: str
    topic: str
    data: Any
    signed: bool
    answered: int


@dataclass
class Receiver:
    url: str
    secret: str | None = None
    # What to answer the n-th request (0-based); default 204.
    answer: Callable[[int], int] = lambda n: 204
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    arrivals: int = 0  # requests that came in, answered or not yet

    def accepted(self) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if 200 <= r.answered < 300]

    def wait_for(self, predicate: Callable[[list[Received]], bool], timeout: float = 30) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                seen = list(self.requests)
            if predicate(seen):
                return seen
            time.sleep(0.05)
        with self.lock:
            raise AssertionError(f"receiver did not see what was expected; got {self.requests}")


@contextmanager
def webhook_receiver() -> Iterator[Receiver]:
    receiver = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            signed = False
            if receiver.secret is not None:
                try:
                    Webhook(receiver.secret).verify(body, dict(self.headers.items()))
                    signed = True
                except WebhookVerificationError:
                    signed = False
            payload = json.loads(body)
            with receiver.lock:
                n = receiver.arrivals
                receiver.arrivals += 1
            status = receiver.answer(n)  # may take its time (a slow receiver), outside the lock
            with receiver.lock:
                receiver.requests.append(
                    Received(
                        event_id=self.headers.get("webhook-id", ""),
                        topic=payload.get("type", ""),
                        data=payload.get("data"),
                        signed=signed,
                        answered=status,
                    )
                )
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
