"""Mutual TLS: the client certificate from Secrets Manager (moto) is presented to a receiver that requires one."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import json
import ssl
import tempfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from hookline.adapters.http_client import HttpSender, OutboundRequest
from hookline.adapters.tls import ClientCertificate
from hookline.domain.url_policy import Allowlist
from infra.local.stack import LocalStack


def _certificate(name: str, issuer: tuple[Any, x509.Certificate] | None, *, ca: bool = False, ip: str | None = None):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer[1].subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ip:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]), False)
    certificate = builder.sign(issuer[0] if issuer else key, hashes.SHA256())
    return key, certificate


def _pem(key: Any, certificate: x509.Certificate) -> tuple[str, str]:
    return (
        certificate.public_bytes(serialization.Encoding.PEM).decode(),
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode(),
    )


@pytest.fixture
def tls_receiver() -> Iterator[tuple[str, list[str], tuple[str, str]]]:
    """An HTTPS receiver on loopback that requires a client certificate signed by its CA; yields the URL, the client
    names it saw, and a client certificate and key (PEM) it accepts."""
    ca = _certificate("test-ca", None, ca=True)
    server = _certificate("127.0.0.1", ca, ip="127.0.0.1")
    client = _certificate("hookline-client", ca)
    folder = Path(tempfile.mkdtemp())
    for name, (key, cert) in {"ca": ca, "server": server}.items():
        cert_pem, key_pem = _pem(key, cert)
        (folder / f"{name}.pem").write_text(cert_pem)
        (folder / f"{name}.key").write_text(key_pem)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "server.pem", folder / "server.key")
    context.load_verify_locations(folder / "ca.pem")
    context.verify_mode = ssl.CERT_REQUIRED
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            peer = self.connection.getpeercert()  # type: ignore[attr-defined]
            seen.append(dict(item[0] for item in peer["subject"])["commonName"])
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"https://127.0.0.1:{httpd.server_address[1]}/mtls", seen, _pem(*client)
    httpd.shutdown()
    httpd.server_close()


def test_the_client_certificate_from_secrets_manager_is_presented(stack: LocalStack, tls_receiver) -> None:
    url, seen, (certificate_pem, key_pem) = tls_receiver
    secret = stack.client("secretsmanager").create_secret(
        Name="hookline-client-cert-test",
        SecretString=json.dumps({"certificate": certificate_pem, "private_key": key_pem}),
    )
    request = OutboundRequest(url, {"Content-Type": "application/json"}, b"{}", verify_tls=False)

    without = asyncio.run(HttpSender(Allowlist.parse("127.0.0.1")).send(request))
    assert without.status_code is None and without.internal_error  # the receiver refuses the handshake

    sender = HttpSender(Allowlist.parse("127.0.0.1"), client_certificate=ClientCertificate.from_secret(secret["ARN"]))
    result = asyncio.run(sender.send(request))
    assert result.status_code == 200, result.internal_error
    assert seen == ["hookline-client"]
