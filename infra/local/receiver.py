"""A real webhook receiver on loopback (quick start and tests), and waiting on a condition with a deadline."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from infra.local.http_server import LoopbackHTTPServer, QuietHandler


@dataclass
class Received:
    path: str
    headers: httpx.Headers  # case-insensitive, as a web framework gives them
    body: bytes
    status: int = 200
    arrived: float = 0.0  # time.monotonic() when the request came in
    answered: float = 0.0  # ... and when its answer was ready to go (taken just before it is written)
    method: str = "POST"

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Records every POST (and GET: a redirect can turn the POST into one); answers with the status set for its path
    (200 by default)."""

    statuses: dict[str, int] = field(default_factory=dict)
    locations: dict[str, str] = field(default_factory=dict)  # a Location header to answer a path with (redirects)
    #: Extra headers and a body to answer a path with (instead of ``{"ok": true}``)
    replies: dict[str, tuple[list[tuple[str, str]], bytes]] = field(default_factory=dict)
    requests: list[Received] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)

    def start(self, port: int = 0, on_request: Callable[[Received], None] | None = None) -> Receiver:
        receiver = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                arrived = time.monotonic()
                body = self.read_body()
                status = receiver.statuses.get(self.path, 200)
                extra, reply = receiver.replies.get(self.path, ([], b'{"ok": true}'))
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                if self.path in receiver.locations:
                    self.send_header("Location", receiver.locations[self.path])
                for name, value in extra:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply)))
                headers = httpx.Headers(list(self.headers.items()))
                received = Received(self.path, headers, body, status, arrived, time.monotonic(), self.command)
                # Recorded before the answer goes out: a sender that has its response finds the request here.
                with receiver.changed:
                    receiver.requests.append(received)
                    receiver.changed.notify_all()
                if on_request is not None:
                    on_request(received)
                self.end_headers()
                self.wfile.write(reply)

            do_GET = do_POST

        self.server = LoopbackHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def to(self, path: str) -> list[Received]:
        with self.changed:
            return [request for request in self.requests if request.path == path]

    def wait_for(self, predicate: Callable[[list[Received]], bool], timeout: float = 30.0) -> list[Received]:
        """Block until the requests received satisfy ``predicate``; fail at the deadline."""
        with self.changed:
            if not self.changed.wait_for(lambda: predicate(list(self.requests)), timeout=timeout):
                raise AssertionError(
                    f"receiver: condition not met in {timeout}s; got {[r.path for r in self.requests]}"
                )
            return list(self.requests)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def wait_until(predicate: Callable[[], Any], timeout: float = 30.0, interval: float = 0.05) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail at the deadline."""
    done = threading.Event()
    deadline = threading.Timer(timeout, done.set)
    deadline.start()
    try:
        while not done.is_set():
            value = predicate()
            if value:
                return value
            done.wait(interval)
    finally:
        deadline.cancel()
    raise AssertionError(f"condition not met within {timeout}s")
