"""Secrets at rest: hook tokens, signing tokens, url variable and custom header values, URL userinfo, sealed with KMS.

Envelope encryption: one data key per process from KMS (GenerateDataKey), AES-256-GCM locally; a sealed value carries
its encrypted data key, and plaintext data keys are cached by their ciphertext, so reading a batch of hooks costs at
most one KMS Decrypt per process and key. Without a key configured (``HOOKLINE_KMS_KEY_ID``) values stay as they are.

A sealed value is ``bytes`` (a DynamoDB binary attribute): ``0x01``, the encrypted data key's length (2 bytes), the
encrypted data key, the nonce and the ciphertext. Every value a tenant sends is a string and is sealed whatever it looks
like, so no tenant string can pass for a sealed value. Strings starting ``kms1:`` are the format used before: read
only, and a failure to open one is :class:`SecretUnreadable` like any other.
"""

from __future__ import annotations

import base64
import binascii
import os
import threading
from functools import cache
from typing import TYPE_CHECKING, cast

from botocore.exceptions import ClientError, ParamValidationError

from hookline.adapters.aws import client
from hookline.config import runtime_config

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from mypy_boto3_kms import KMSClient

LEGACY_PREFIX = "kms1:"
VERSION = b"\x01"
_NONCE = 12
_MAX_REFUSED_KEYS = 1024
_MAX_KMS_BLOB = 6144  # the most KMS Decrypt takes
#: KMS errors that say nothing about the value: raised as they are (the read is tried again), never taken as "cannot
#: be opened".
_TRANSIENT_KMS_ERRORS = frozenset(
    {"ThrottlingException", "KMSInternalException", "DependencyTimeoutException", "LimitExceededException"}
)


class SecretUnreadable(ValueError):
    """A stored value that cannot be opened: corrupt, sealed with another key or for another field or hook."""


def _aes_gcm(key: bytes) -> AESGCM:
    """AES-256-GCM with ``key``; cryptography is imported at the first value sealed or opened, not at cold start
    (the ingest function never opens one, nor does a function with no key configured)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return AESGCM(key)


@cache
def kms() -> KMSClient:
    return cast("KMSClient", client("kms", config=None))


class SecretBox:
    def __init__(self, key_id: str | None) -> None:
        self.key_id = key_id
        self._data_key: tuple[bytes, bytes] | None = None  # (plaintext, encrypted)
        self._plain_keys: dict[bytes, bytes] = {}
        self._refused_keys: set[bytes] = set()  # KMS would not decrypt them: not asked again by this process
        self._lock = threading.Lock()

    def seal(self, value: str, context: str) -> bytes | str:
        """``value`` sealed, ``context`` (hook and field) bound as associated data; as is when no key is set."""
        if not self.key_id:
            return value
        plain_key, encrypted_key = self._current_key()
        nonce = os.urandom(_NONCE)
        sealed = _aes_gcm(plain_key).encrypt(nonce, value.encode(), context.encode())
        return VERSION + len(encrypted_key).to_bytes(2, "big") + encrypted_key + nonce + sealed

    def open(self, value: bytes | str, context: str, legacy_context: str) -> str:
        """A sealed value's plaintext; a string is plaintext, unless it has the old sealed format (``kms1:``)."""
        if isinstance(value, str):
            return self._open_legacy(value, legacy_context) if value.startswith(LEGACY_PREFIX) else value
        if value[:1] != VERSION or len(value) < 3:
            raise SecretUnreadable("unknown format")
        size = int.from_bytes(value[1:3], "big")
        encrypted_key, sealed = value[3 : 3 + size], value[3 + size :]
        return self._decrypt(encrypted_key, sealed, context)

    def _open_legacy(self, value: str, context: str) -> str:
        try:
            encrypted_key, sealed = (base64.b64decode(part, validate=True) for part in value[5:].split(":"))
        except (ValueError, binascii.Error):
            raise SecretUnreadable("malformed") from None
        return self._decrypt(encrypted_key, sealed, context)

    def _decrypt(self, encrypted_key: bytes, sealed: bytes, context: str) -> str:
        if not 0 < len(encrypted_key) <= _MAX_KMS_BLOB or len(sealed) <= _NONCE:
            raise SecretUnreadable("malformed")
        plain_key = self._plain_key(encrypted_key)
        from cryptography.exceptions import InvalidTag

        try:
            return _aes_gcm(plain_key).decrypt(sealed[:_NONCE], sealed[_NONCE:], context.encode()).decode()
        except (InvalidTag, ValueError):
            raise SecretUnreadable("does not open") from None

    def _current_key(self) -> tuple[bytes, bytes]:
        with self._lock:
            if self._data_key is None:
                answer = kms().generate_data_key(KeyId=str(self.key_id), KeySpec="AES_256")
                self._data_key = (answer["Plaintext"], answer["CiphertextBlob"])
                self._plain_keys[answer["CiphertextBlob"]] = answer["Plaintext"]
            return self._data_key

    def _plain_key(self, encrypted_key: bytes) -> bytes:
        with self._lock:
            known = self._plain_keys.get(encrypted_key)
        if known is not None:
            return known
        if encrypted_key in self._refused_keys:
            raise SecretUnreadable("data key refused")
        try:
            plain = kms().decrypt(CiphertextBlob=encrypted_key)["Plaintext"]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _TRANSIENT_KMS_ERRORS:
                raise
            plain = b""
        except ParamValidationError:
            plain = b""
        if len(plain) != 32:
            with self._lock:
                if len(self._refused_keys) < _MAX_REFUSED_KEYS:
                    self._refused_keys.add(encrypted_key)
            raise SecretUnreadable("data key refused")
        with self._lock:
            self._plain_keys[encrypted_key] = plain
        return plain


@cache
def secret_box() -> SecretBox:
    return SecretBox(runtime_config().kms_key_id)
