"""The local stack's HTTP servers (API emulator, receivers): one thread per connection, and room for bursts."""

from __future__ import annotations

from http.server import ThreadingHTTPServer


class LoopbackHTTPServer(ThreadingHTTPServer):
    """ThreadingHTTPServer with daemon threads and a listen backlog of 128: the default backlog of 5 refuses or resets
    connections when a sender opens dozens at once, and the sender logs a ReadError for a request never received."""

    daemon_threads = True
    request_queue_size = 128
