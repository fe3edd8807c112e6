"""Standard Webhooks signatures (GitLab 19 signing tokens): ``whsec_`` + base64 of 32 random bytes."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Iterable

PREFIX = "whsec_"
KEY_BYTES = 32


class InvalidSigningToken(ValueError):
    """Not ``whsec_`` followed by the base64 of 32 bytes."""


def generate_signing_token() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()


def signing_key(token: str) -> bytes:
    if not token.startswith(PREFIX):
        raise InvalidSigningToken("must start with whsec_")
    try:
        key = base64.b64decode(token[len(PREFIX) :], validate=True)
    except binascii.Error:
        raise InvalidSigningToken("must be whsec_ followed by base64") from None
    if len(key) != KEY_BYTES:
        raise InvalidSigningToken(f"must encode {KEY_BYTES} bytes")
    return key


def signature(token: str, message_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>``."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(signing_key(token), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_header(tokens: Iterable[str], message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value: one signature per valid token (during a rotation, old and new)."""
    return " ".join(signature(token, message_id, timestamp, body) for token in tokens)
