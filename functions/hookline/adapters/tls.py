"""TLS for outbound deliveries: the verification setting and, optionally, the client certificate (mutual TLS)."""

from __future__ import annotations

import json
import os
import ssl
import tempfile
from dataclasses import dataclass
from functools import cached_property

import certifi

from hookline.adapters.aws import secretsmanager


@dataclass(frozen=True)
class ClientCertificate:
    """One certificate and key, presented on every delivery (GitLab's global client certificate)."""

    certificate_pem: str
    private_key_pem: str

    @classmethod
    def from_secret(cls, secret_id: str) -> ClientCertificate:
        """A Secrets Manager secret holding ``{"certificate": PEM, "private_key": PEM}``."""
        value = json.loads(secretsmanager().get_secret_value(SecretId=secret_id)["SecretString"])
        return cls(value["certificate"], value["private_key"])

    @cached_property
    def files(self) -> tuple[str, str]:
        """The PEMs in a private temporary folder (ssl loads a chain only from files)."""
        folder = tempfile.mkdtemp(prefix="hookline-mtls-")
        paths = []
        for name, pem in (("cert.pem", self.certificate_pem), ("key.pem", self.private_key_pem)):
            path = os.path.join(folder, name)
            with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as file:
                file.write(pem)
            paths.append(path)
        return paths[0], paths[1]


def ssl_context(verify: bool, client_certificate: ClientCertificate | None) -> ssl.SSLContext:
    """Verification against the public CAs (or none, when a hook turns it off), plus the client certificate."""
    context = ssl.create_default_context(cafile=certifi.where())
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if client_certificate is not None:
        context.load_cert_chain(*client_certificate.files)
    return context
