"""An HTTP server that turns requests into API Gateway REST proxy events for the real API handler."""

from __future__ import annotations

import base64
import json
import threading
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from infra.local.http_server import LoopbackHTTPServer
from infra.local.lambda_runtime import Handler, LocalContext

STAGE = "local"
PROXY_RESOURCE = "/api/v4/{proxy+}"


def rest_proxy_event(method: str, raw_target: str, headers: dict[str, str], body: bytes, client: str) -> dict[str, Any]:
    """The REST API proxy event for a request; the path keeps its percent-encoding, as API Gateway keeps ``%2F``."""
    target = urlsplit(raw_target)
    path = target.path
    query = parse_qs(target.query, keep_blank_values=True)
    text: str | None
    encoded = False
    try:
        text = body.decode() if body else None
    except UnicodeDecodeError:
        text, encoded = base64.b64encode(body).decode(), True
    return {
        "resource": PROXY_RESOURCE,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": {key: values[-1] for key, values in query.items()} or None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": {"proxy": path.removeprefix("/api/v4/")},
        "stageVariables": None,
        "requestContext": {
            "resourcePath": PROXY_RESOURCE,
            "httpMethod": method,
            "path": path,
            "stage": STAGE,
            "requestId": str(uuid.uuid4()),
            "identity": {"sourceIp": client},
        },
        "body": text,
        "isBase64Encoded": encoded,
    }


def make_server(host: str, port: int, handler: Handler, ready: Callable[[], bool]) -> LoopbackHTTPServer:
    """Requests are read and answered on many threads, but the handler runs one at a time, as in one Lambda execution
    environment: Powertools' resolver keeps the current event and route on the app, which concurrent calls would mix."""
    one_invocation_at_a_time = threading.Lock()

    class ProxyHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if self.path.split("?")[0] == "/-/readiness":
                ok = ready()
                self._reply(
                    200 if ok else 503, {"Content-Type": "application/json"}, json.dumps({"ready": ok}).encode()
                )
                return
            headers = {"X-Forwarded-Proto": "http", **dict(self.headers.items())}
            event = rest_proxy_event(self.command, self.path, headers, body, self.client_address[0])
            with one_invocation_at_a_time:
                result = handler(event, LocalContext("ApiFunction"))
            payload = result.get("body") or ""
            data = base64.b64decode(payload) if result.get("isBase64Encoded") else payload.encode()
            headers = dict(result.get("headers") or {})
            for name, values in (result.get("multiValueHeaders") or {}).items():
                headers[name] = ", ".join(values)
            self._reply(int(result["statusCode"]), headers, data)

        def _reply(self, status: int, headers: dict[str, str], data: bytes) -> None:
            self.send_response(status)
            for name, value in headers.items():
                if name.lower() not in ("content-length", "connection"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

    server = LoopbackHTTPServer((host, port), ProxyHandler)
    return server


def serve_in_background(server: LoopbackHTTPServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, name="api-gateway", daemon=True)
    thread.start()
    return thread
