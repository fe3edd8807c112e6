"""Hook secrets are sealed with KMS (moto's) at rest: the stored item holds none of them, reads give them back."""

from __future__ import annotations

import json
import uuid

from hookline import settings
from hookline.adapters.aws import dynamodb, to_item
from hookline.adapters.secret_box import PREFIX
from hookline.api.models import HookCreate, KeyValue
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
        HookCreate(
            url="https://example.invalid/{tenant}/hook",
            token="plain-token-value",
            signing_token=signing,
            url_variables=[KeyValue(key="tenant", value="tenant-secret-value")],
            custom_headers=[KeyValue(key="X-Api-Key", value="header-secret-value")],
        ),
    )
    raw = dynamodb().get_item(
        TableName=settings.HOOKS_TABLE.name, Key=to_item({"pk": f"HOOK#{hook.id}", "sk": "HOOK"})
    )["Item"]
    stored = json.dumps(raw)
    for secret in ("plain-token-value", signing, "tenant-secret-value", "header-secret-value"):
        assert secret not in stored
    assert raw["token"]["S"].startswith(PREFIX)

    again = admin.store.get(hook.id)
    assert again is not None
    assert again.token == "plain-token-value" and again.signing_token == signing
    assert again.url_variables == {"tenant": "tenant-secret-value"}
    assert again.custom_headers == {"X-Api-Key": "header-secret-value"}
