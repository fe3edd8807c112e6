"""A hostile webhook receiver on loopback: each path answers the way a broken or malicious receiver would.

Raw asyncio in a thread of its own (``Zoo().start()`` ... ``stop()``), so it can send what no HTTP framework would.
Three listeners:
- ``url(path)``: plain HTTP, the behaviour chosen by the path (``BEHAVIOURS``);
- ``tls_url(path)``: HTTPS with a self-signed certificate for another name (``wrong.invalid``): a client that verifies
  fails the handshake; one that does not gets the path's behaviour;
- ``broken_tls_url(path)``: answers a TLS ClientHello with a fatal handshake_failure alert.

Nothing here sleeps to pass a test's time: a hang ends when the client gives up, a trickle when the client goes away.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gzip
import os
import socket
import ssl
import struct
import tempfile
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

HUGE_BODY_BYTES = 10 * 1024 * 1024
BOMB_INFLATED_BYTES = 64 * 1024 * 1024
BIG_HEADERS = 50  # of 1 KB each, with an 8 KB body
MANY_HEADERS = 3000  # small ones: the header block stays under httpcore's 100 KB
HUGE_HEADER_BYTES = 200 * 1024  # one header line past httpcore's 100 KB
HUGE_LOCATION_BYTES = 90 * 1024  # a Location under httpcore's 100 KB header block, past any URL's length
TRICKLE_INTERVAL_S = 0.05
TRICKLE_BYTES = 10_000  # announced and trickled one byte at a time: far past any test's timeout
WRONG_NAME = "wrong.invalid"
#: A TLS record: alert (21), TLS 1.2, length 2, fatal (2) handshake_failure (40).
HANDSHAKE_FAILURE_ALERT = bytes([21, 3, 3, 0, 2, 2, 40])
_REQUEST_HEAD_LIMIT = 64 * 1024

Writer = asyncio.StreamWriter
Behaviour = Callable[["Zoo", asyncio.StreamReader, Writer, str], Awaitable[None]]


def _head(status: str, headers: list[tuple[str, str]]) -> bytes:
    lines = [f"HTTP/1.1 {status}", *(f"{name}: {value}" for name, value in headers)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def _answer(writer: Writer, status: str, body: bytes, headers: list[tuple[str, str]] | None = None) -> None:
    extra = headers or []
    writer.write(_head(status, [*extra, ("Content-Length", str(len(body))), ("Connection", "close")]) + body)
    await writer.drain()


async def _until_closed(reader: asyncio.StreamReader) -> None:
    """Wait, reading nothing of use, until the client goes away."""
    while await reader.read(4096):
        pass


def _reset(writer: Writer) -> None:
    """Close with a TCP RST (SO_LINGER 0) instead of a FIN."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def ok(zoo: Zoo, reader: asyncio.StreamReader, writer: Writer, path: str) -> None:
    await _answer(writer, "200 OK", b'{"ok":true}', [("Content-Type", "application/json")])


async def server_error(zoo: Zoo, reader: asyncio.StreamReader, writer: Writer, path: str) -> None:
    await _answer(writer, "500 Internal Server Error", b"boom")


async def too_many_requests(zoo: Zoo, reader: asyncio.StreamReader, writer: Writer, path: str) -> None:
    await _answer(writer, "429 Too Many Requests", b"slow down", [("Retry-After", "120")])


async def hang(zoo: Zoo, reader: asyncio.StreamReader, writer: Writer, path: str) -> None:
    await _until_closed(reader)


async def reset(zoo: Zoo, reader: asyncio.StreamReader, writer: Writer, path: str) -> None:
    _reset(writer)


async def close_mid_body(zoo: Zoo, reader: asyncio.StreamReader, writer: Writer, path: str) -> None:
    writer.write(_head("200 OK", [("Content-Length", "1000")]) + b"x" * 100)
    await writer.drain()
    writer.close()


async def trickle(zoo: Zoo, reader: asyncio.StreamReader, writer: Writer, path: str) -> None:
    """The head at once, then the body a byte at a time: each read is quick, the whole never ends in time."""
    writer.write(_head("200 OK", [("Content-Length", str(TRICKLE_BYTES))]))
    for _ in range(TRICKLE_BYTES):
        writer.write(b"x")
        await writer.drain()
        await asyncio.sleep(TRICKLE_INTERVAL_S)


async def trickle_headers(zoo: Zoo, reader: asyncio.StreamReader, writer: Writer, path: str) -> None:
    """The status line, then header bytes a few at a time, never ending the head."""
    writer.write(b"HTTP/1.1 200 OK\r\n")
    for index in range(TRICKLE_BYTES):
        writer.write(f"X-{index}: y\r\n".encode())
        await writer.drain()
        await asyncio.sleep(TRICKLE_INTERVAL_S)


async def continue_flood(zoo: Zoo, reader: asyncio.StreamReader, writer: Writer, path: str) -> None:
    """Interim ``100 Continue`` answers without end: each is complete HTTP, the final answer never comes."""
    while True:
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n" * 64)
        await writer.drain()
        await asyncio.sleep(TRICKLE_INTERVAL_S)


async def huge(zoo: Zoo, reader: asyncio.StreamReader, writer: Writer, path: str) -> None:
    """A 10 MB answer, written as the client takes it; what got out is counted in ``zoo.sent[path]``."""
    writer.write(_head("200 OK", [("Content-Length", str(HUGE_BODY_BYTES))]))
    chunk = os.urandom(64 * 1024)
    for _ in range(HUGE_BODY_BYTES // len(chunk)):
        writer.write(chunk)
        await writer.drain()
        zoo.sent[path] = zoo.sent.get(path, 0) + len(chunk)


async def gzip_bomb(zoo: Zoo, reader: asyncio.StreamReader, writer: Writer, path: str) -> None:
    headers = [("Content-Encoding", "gzip"), ("Content-Type", "application/json")]
    await _answer(writer, "200 OK", zoo.bomb, headers)


async def invalid_http(zoo: Zoo, reader: asyncio.StreamReader, writer: Writer, path: str) -> None:
    writer.write(b"SURELY NOT HTTP\r\n\x00\x01\x02 garbage\r\n\r\n")
    await writer.drain()
    writer.close()


async def big_headers(zoo: Zoo, reader: asyncio.StreamReader, writer: Writer, path: str) -> None:
    headers = [(f"X-Big-{index}", "v" * 1024) for index in range(BIG_HEADERS)]
    await _answer(writer, "200 OK", b"b" * 8 * 1024, headers)


async def many_headers(zoo: Zoo, reader: asyncio.StreamReader, writer: Writer, path: str) -> None:
    await _answer(writer, "200 OK", b"{}", [(f"X-{index}", "y") for index in range(MANY_HEADERS)])


async def huge_header(zoo: Zoo, reader: asyncio.StreamReader, writer: Writer, path: str) -> None:
    await _answer(writer, "200 OK", b"{}", [("X-Huge", "h" * HUGE_HEADER_BYTES)])


async def redirect_loop(zoo: Zoo, reader: asyncio.StreamReader, writer: Writer, path: str) -> None:
    await _answer(writer, "302 Found", b"", [("Location", path)])


async def huge_location(zoo: Zoo, reader: asyncio.StreamReader, writer: Writer, path: str) -> None:
    await _answer(writer, "302 Found", b"", [("Location", "/" + "l" * HUGE_LOCATION_BYTES)])


async def two_locations(zoo: Zoo, reader: asyncio.StreamReader, writer: Writer, path: str) -> None:
    await _answer(writer, "302 Found", b"", [("Location", "/ok"), ("Location", "/500")])


async def lying_gzip(zoo: Zoo, reader: asyncio.StreamReader, writer: Writer, path: str) -> None:
    await _answer(writer, "200 OK", b'{"plain": "not gzip"}', [("Content-Encoding", "gzip")])


async def bogus_encoding(zoo: Zoo, reader: asyncio.StreamReader, writer: Writer, path: str) -> None:
    await _answer(writer, "200 OK", b'{"plain": true}', [("Content-Encoding", "x-bogus, gzip")])


BEHAVIOURS: dict[str, Behaviour] = {
    "/ok": ok,
    "/500": server_error,
    "/429": too_many_requests,
    "/hang": hang,
    "/reset": reset,
    "/close-mid-body": close_mid_body,
    "/trickle": trickle,
    "/trickle-headers": trickle_headers,
    "/continue-flood": continue_flood,
    "/huge": huge,
    "/gzip-bomb": gzip_bomb,
    "/invalid-http": invalid_http,
    "/big-headers": big_headers,
    "/many-headers": many_headers,
    "/huge-header": huge_header,
    "/redirect-loop": redirect_loop,
    "/huge-location": huge_location,
    "/two-locations": two_locations,
    "/lying-gzip": lying_gzip,
    "/bogus-encoding": bogus_encoding,
}


def self_signed(name: str) -> tuple[bytes, bytes]:
    """A certificate and key (PEM) for ``name``, signed by itself."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return certificate.public_bytes(serialization.Encoding.PEM), key_pem


def _server_context(name: str) -> ssl.SSLContext:
    certificate, key = self_signed(name)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    with tempfile.TemporaryDirectory(prefix="hookline-zoo-") as folder:
        paths = [os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")]
        for path, pem in zip(paths, (certificate, key), strict=True):
            with open(path, "wb") as file:
                file.write(pem)
        context.load_cert_chain(*paths)
    return context


@dataclass
class Zoo:
    """The hostile receiver. ``requests`` lists the paths asked, in order; ``sent`` counts bytes a path got out."""

    host: str = "127.0.0.1"
    requests: list[str] = field(default_factory=list)
    sent: dict[str, int] = field(default_factory=dict)
    bomb: bytes = b""

    def start(self) -> Zoo:
        self.bomb = gzip.compress(b"0" * BOMB_INFLATED_BYTES, 9)
        self._loop = asyncio.new_event_loop()
        self._tasks: set[asyncio.Task[None]] = set()
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), name="zoo", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the zoo did not start")
        return self

    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        self._servers = [
            self._loop.run_until_complete(asyncio.start_server(self._serve, self.host, 0)),
            self._loop.run_until_complete(
                asyncio.start_server(self._serve, self.host, 0, ssl=_server_context(WRONG_NAME))
            ),
            self._loop.run_until_complete(asyncio.start_server(self._broken_tls, self.host, 0)),
        ]
        ready.set()
        self._loop.run_forever()
        for task in list(self._tasks):
            task.cancel()
        self._loop.run_until_complete(asyncio.gather(*self._tasks, return_exceptions=True))
        for server in self._servers:
            server.close()
            self._loop.run_until_complete(server.wait_closed())
        self._loop.close()

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    def _port(self, index: int) -> int:
        return int(self._servers[index].sockets[0].getsockname()[1])

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self._port(0)}{path}"

    def tls_url(self, path: str) -> str:
        return f"https://{self.host}:{self._port(1)}{path}"

    def broken_tls_url(self, path: str) -> str:
        return f"https://{self.host}:{self._port(2)}{path}"

    def to(self, path: str) -> int:
        """How many requests asked for ``path``."""
        return sum(asked == path for asked in list(self.requests))

    def _track(self) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _serve(self, reader: asyncio.StreamReader, writer: Writer) -> None:
        """Read one request (head and Content-Length body), then behave as its path says."""
        self._track()
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            if len(head) > _REQUEST_HEAD_LIMIT:
                return
            lines = head.decode("latin-1").split("\r\n")
            path = lines[0].split(" ")[1] if len(lines[0].split(" ")) > 1 else "/"
            length = next(
                (int(line.split(":", 1)[1]) for line in lines[1:] if line.lower().startswith("content-length:")), 0
            )
            await reader.readexactly(length)
            self.requests.append(path)
            behaviour = BEHAVIOURS.get(path.split("?")[0], ok)
            await behaviour(self, reader, writer, path)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError, ssl.SSLError):
            pass  # the client went away or sent nonsense: nothing to answer
        finally:
            if not writer.transport.is_closing():
                writer.close()
                with contextlib.suppress(Exception):
                    await writer.wait_closed()

    async def _broken_tls(self, reader: asyncio.StreamReader, writer: Writer) -> None:
        """Wait for the ClientHello, answer it with a fatal alert, close."""
        self._track()
        try:
            await reader.read(1)
            writer.write(HANDSHAKE_FAILURE_ALERT)
            await writer.drain()
        except OSError:
            pass
        finally:
            writer.close()
