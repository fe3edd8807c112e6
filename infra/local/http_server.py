"""The local stack's HTTP servers (API emulator, receivers): one thread per connection, and room for bursts."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class LoopbackHTTPServer(ThreadingHTTPServer):
    """ThreadingHTTPServer with daemon threads and a listen backlog of 128: the default backlog of 5 refuses or resets
    connections when a sender opens dozens at once, and the sender logs a ReadError for a request never received."""

    daemon_threads = True
    request_queue_size = 128


class QuietHandler(BaseHTTPRequestHandler):
    """A loopback receiver's request handler: HTTP/1.1 keep-alive, no Nagle delay, nothing logged per request."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        return

    def read_body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))
