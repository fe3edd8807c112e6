"""The adversarial tier: hostile tenants and receivers against the local stack, handlers run batch by batch."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from infra.local.receiver import Receiver
from infra.local.stack import LocalStack
from tests.adversarial.neighbours import Bulkhead


@pytest.fixture
def quiet(stack: LocalStack) -> Iterator[LocalStack]:
    """The stack with no pollers and every queue (and DLQ) empty, before and after."""
    stack.stop_pollers()
    stack.drain_queues()
    yield stack
    stack.drain_queues()


@pytest.fixture
def bulkhead(quiet: LocalStack, receiver: Receiver) -> Bulkhead:
    return Bulkhead(quiet, receiver)
