"""Secrets at rest: hook tokens, signing tokens, url variable and custom header values, sealed with KMS.

Envelope encryption: one data key per process from KMS (GenerateDataKey), AES-256-GCM locally; a sealed value carries
its encrypted data key, and plaintext data keys are cached by their ciphertext, so reading a batch of hooks costs at
most one KMS Decrypt per process and key. Without a key configured (``HOOKLINE_KMS_KEY_ID``) values stay as they are.
"""

from __future__ import annotations

import base64
import os
import threading
from functools import cache
from typing import TYPE_CHECKING

import boto3
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hookline import settings

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

PREFIX = "kms1:"


@cache
def kms() -> KMSClient:
    return boto3.client("kms")


class SecretBox:
    def __init__(self, key_id: str | None) -> None:
        self.key_id = key_id
        self._data_key: tuple[bytes, bytes] | None = None  # (plaintext, encrypted)
        self._plain_keys: dict[bytes, bytes] = {}
        self._lock = threading.Lock()

    def seal(self, value: str, context: str) -> str:
        """``kms1:<encrypted data key>:<nonce + ciphertext>``; ``context`` (the field) is bound as associated data."""
        if not self.key_id or value.startswith(PREFIX):
            return value
        plain_key, encrypted_key = self._current_key()
        nonce = os.urandom(12)
        sealed = nonce + AESGCM(plain_key).encrypt(nonce, value.encode(), context.encode())
        return f"{PREFIX}{_b64(encrypted_key)}:{_b64(sealed)}"

    def open(self, value: str, context: str) -> str:
        if not value.startswith(PREFIX):
            return value
        encrypted_key, sealed = (base64.b64decode(part) for part in value[len(PREFIX) :].split(":"))
        plain_key = self._plain_key(encrypted_key)
        return AESGCM(plain_key).decrypt(sealed[:12], sealed[12:], context.encode()).decode()

    def _current_key(self) -> tuple[bytes, bytes]:
        with self._lock:
            if self._data_key is None:
                answer = kms().generate_data_key(KeyId=str(self.key_id), KeySpec="AES_256")
                self._data_key = (answer["Plaintext"], answer["CiphertextBlob"])
                self._plain_keys[answer["CiphertextBlob"]] = answer["Plaintext"]
            return self._data_key

    def _plain_key(self, encrypted_key: bytes) -> bytes:
        with self._lock:
            if encrypted_key not in self._plain_keys:
                self._plain_keys[encrypted_key] = kms().decrypt(CiphertextBlob=encrypted_key)["Plaintext"]
            return self._plain_keys[encrypted_key]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@cache
def secret_box() -> SecretBox:
    return SecretBox(os.environ.get(settings.KMS_KEY_ENV) or None)
