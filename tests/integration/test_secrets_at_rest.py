"""Hook secrets are sealed with KMS (moto's) at rest: the stored item holds none of them, reads give them back."""

from __future__ import annotations

import base64
import uuid

import pytest

from hookline import settings
from hookline.adapters.aws import dynamodb, to_item
from hookline.adapters.secret_box import VERSION, SecretUnreadable, secret_box
from hookline.domain.events import HookKind
from hookline.domain.signing import generate_signing_token
from hookline.wiring import hook_admin
from infra.local.stack import LocalStack


def test_secrets_are_sealed_in_dynamodb_and_opened_on_read(stack: LocalStack) -> None:
    admin = hook_admin()
    namespace = admin.namespace(HookKind.PROJECT, f"sealed%2F{uuid.uuid4().hex[:8]}", creating=True)
    signing = generate_signing_token()
    hook = admin.create(
        namespace,
        {
            "url": "https://deploy:url-password-value@example.invalid/{tenant}/hook",
            "token": "plain-token-value",
            "signing_token": signing,
            "url_variables": {"tenant": "tenant-secret-value"},
            "custom_headers": {"X-Api-Key": "header-secret-value"},
        },
    )
    raw = dynamodb().get_item(
        TableName=settings.HOOKS_TABLE.name, Key=to_item({"pk": f"HOOK#{hook.id}", "sk": "HOOK"})
    )["Item"]
    stored = repr(raw)
    for secret in ("plain-token-value", signing, "tenant-secret-value", "header-secret-value", "url-password-value"):
        assert secret not in stored
    # sealed values are binary: no string a tenant sends can pass for one
    for sealed in (raw["token"], raw["url_userinfo"], raw["custom_headers"]["M"]["X-Api-Key"]):
        assert sealed["B"][:1] == VERSION
    assert raw["url"]["S"] == "https://example.invalid/{tenant}/hook"

    again = admin.store.get(hook.id)
    assert again is not None and again.unreadable is None
    assert again.url == "https://deploy:url-password-value@example.invalid/{tenant}/hook"
    assert again.token == "plain-token-value" and again.signing_token == signing
    assert again.url_variables == {"tenant": "tenant-secret-value"}
    assert again.custom_headers == {"X-Api-Key": "header-secret-value"}


def test_a_sealed_value_opens_only_for_its_own_hook_and_field(stack: LocalStack) -> None:
    box = secret_box()
    sealed = box.seal("the-value", "hook/1/token")
    assert isinstance(sealed, bytes)
    assert box.open(sealed, "hook/1/token", "token") == "the-value"
    for context in ("hook/2/token", "hook/1/signing_token"):
        with pytest.raises(SecretUnreadable):
            box.open(sealed, context, "token")
    with pytest.raises(SecretUnreadable):
        box.open(sealed[:-1], "hook/1/token", "token")
    with pytest.raises(SecretUnreadable):
        box.open("kms1:QUFBQQ==:QkJCQkJCQkJCQkJCQkJCQkJC", "hook/1/token", "token")  # the old format, forged
    huge = base64.b64encode(b"k" * 7000).decode()
    for odd in (VERSION + (7000).to_bytes(2, "big") + b"k" * 7000 + b"n" * 40, b"", b"\x02" + sealed[1:]):
        with pytest.raises(SecretUnreadable):
            box.open(odd, "hook/1/token", "token")
    for odd_text in (f"kms1:{huge}:QUFB", "kms1:", "kms1:a:b:c", "kms1:!!:??"):
        with pytest.raises(SecretUnreadable):
            box.open(odd_text, "hook/1/token", "token")
    assert box.open("kms2:plain", "hook/1/token", "token") == "kms2:plain"  # a string stored without a key
