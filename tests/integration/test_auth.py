"""The admin token comes from Secrets Manager when deployed; only its hash is kept."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hookline import config, settings
from hookline.api import auth
from infra.local.stack import LocalStack


@pytest.fixture
def token_from_secret(stack: LocalStack, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    secret = stack.client("secretsmanager").create_secret(Name="hookline-admin-token-test", SecretString="from-secret")
    monkeypatch.delenv(settings.ADMIN_TOKEN_ENV)
    monkeypatch.setenv(settings.ADMIN_TOKEN_SECRET_ENV, secret["ARN"])
    config.runtime_config.cache_clear()
    auth.admin_token_hash.cache_clear()
    yield "from-secret"
    monkeypatch.undo()
    config.runtime_config.cache_clear()
    auth.admin_token_hash.cache_clear()


def test_admin_token_is_read_from_secrets_manager(token_from_secret: str) -> None:
    assert auth.is_admin(token_from_secret)
    assert not auth.is_admin("from-secre")
    assert not auth.is_admin("")
    assert auth.admin_token_hash() != token_from_secret.encode()
