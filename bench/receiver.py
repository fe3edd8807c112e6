"""Loopback receivers for the bench: in-process (arrival times, slow answers) or in a process of its own (figure 4).

Only the standard library, so the receiver process starts fast.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

from infra.local.child import ChildServer, ignore_interrupts, serve_until_stdin_closes
from infra.local.http_server import LoopbackHTTPServer

SLOW_PREFIX = "/slow/"
_REPLY = b'{"ok":true}'


@dataclass(frozen=True)
class Arrival:
    path: str
    event_uuid: str
    at: float  # time.monotonic() when the request line came in


class BenchReceiver:
    """Answers every POST with 200: at once, or after ``slow_s`` for paths under /slow/. Notes each arrival."""

    def __init__(self, slow_s: float = 0.0) -> None:
        self.slow_s = slow_s
        self.arrivals: list[Arrival] = []
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

        self.server = LoopbackHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def note(self, arrival: Arrival) -> None:
        with self.changed:
            self.arrivals.append(arrival)
            self.changed.notify_all()

    @property
    def count(self) -> int:
        return len(self.arrivals)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def wait_for(self, count: int, timeout: float) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: self.count >= count, timeout=timeout)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class _AnswerAtOnce(asyncio.Protocol):
    """HTTP/1.1 with keep-alive: each request (its head, then Content-Length bytes of body) answered 200 at once.

    Figure 4's receiver: its cost per request is a few microseconds whatever the headers, as a production server's is
    (http.server parses every header with the email package, which would bill the sender for the receiver's parsing).
    """

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport, self.buffer = transport, bytearray()

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            head = bytes(self.buffer[:end]).lower()
            at = head.find(b"\r\ncontent-length:")
            length = int(head[at + 17 :].split(b"\r\n", 1)[0]) if at >= 0 else 0
            if len(self.buffer) < end + 4 + length:
                return
            del self.buffer[: end + 4 + length]
            self.transport.write(_ANSWER)


_ANSWER = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(_REPLY), _REPLY)


async def _serve_answering_at_once() -> None:
    server = await asyncio.get_running_loop().create_server(_AnswerAtOnce, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        await asyncio.to_thread(serve_until_stdin_closes, f"http://127.0.0.1:{port}")


@contextmanager
def receiver_process() -> Iterator[str]:
    """A receiver answering 200 at once, in a process of its own (no shared interpreter lock); yields its base URL."""
    child = ChildServer("bench.receiver")
    try:
        yield child.address
    finally:
        child.stop()


if __name__ == "__main__":
    ignore_interrupts()
    asyncio.run(_serve_answering_at_once())
