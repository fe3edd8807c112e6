"""The adversarial tier: hostile tenants and receivers against the local stack, handlers run batch by batch."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hookline import settings
from infra.local.receiver import Receiver
from infra.local.stack import LocalStack
from tests.adversarial.neighbours import TIMEOUT_S, Bulkhead, rebuild_services


@pytest.fixture
def bulkhead(quiet_stack: LocalStack, receiver: Receiver) -> Bulkhead:
    return Bulkhead(quiet_stack, receiver)


@pytest.fixture
def short_timeout(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The handlers' sender built with a short request timeout, through the setting (and rebuilt after)."""
    monkeypatch.setenv(settings.REQUEST_TIMEOUT_ENV, str(TIMEOUT_S))
    rebuild_services()
    yield
    monkeypatch.delenv(settings.REQUEST_TIMEOUT_ENV)
    rebuild_services()
