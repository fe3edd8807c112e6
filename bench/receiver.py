"""Loopback receivers for the bench: in-process (arrival times, slow answers) or in a process of its own (figure 4).

Only the standard library, so the receiver process starts fast.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from infra.local.child import ChildServer, serve_until_stdin_closes

SLOW_PREFIX = "/slow/"
_REPLY = b'{"ok":true}'


@dataclass(frozen=True)
class Arrival:
    path: str
    event_uuid: str
    at: float  # time.monotonic() when the request line came in


class BenchReceiver:
    """Answers every POST with 200: at once, or after ``slow_s`` for paths under /slow/. Notes each arrival."""

    def __init__(self, slow_s: float = 0.0, record: bool = True) -> None:
        self.slow_s, self.record = slow_s, record
        self.arrivals: list[Arrival] = []
        self.count = 0
        self.changed = threading.Condition()

    def start(self, port: int = 0) -> BenchReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body leave at once, not 40 ms apart (delayed ACK)

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                arrived = time.monotonic()
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if receiver.slow_s and self.path.startswith(SLOW_PREFIX):
                    time.sleep(receiver.slow_s)  # the receiver's own answer time: what figure 3 is about
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(_REPLY)))
                self.end_headers()
                self.wfile.write(_REPLY)
                receiver.note(Arrival(self.path, self.headers.get("X-Gitlab-Event-UUID", ""), arrived))

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def note(self, arrival: Arrival) -> None:
        with self.changed:
            self.count += 1
            if self.record:
                self.arrivals.append(arrival)
            self.changed.notify_all()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def wait_for(self, count: int, timeout: float) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: self.count >= count, timeout=timeout)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def receiver_process() -> Iterator[str]:
    """A receiver in a process of its own, so it does not share this one's interpreter lock; yields its base URL."""
    child = ChildServer("bench.receiver")
    try:
        yield child.address
    finally:
        child.stop()


if __name__ == "__main__":
    serve_until_stdin_closes(BenchReceiver(record=False).start().base_url)
