"""Shared fixtures: one local stack (moto server + resources + handlers) for the integration and e2e tiers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from infra.local.receiver import Receiver
from infra.local.stack import LocalStack


@pytest.fixture(scope="session")
def stack() -> Iterator[LocalStack]:
    """The local stack on free ports, pollers stopped: each tier decides how records are processed."""
    local = LocalStack(aws_port=0, api_port=0, start_pollers=False, max_hold_seconds=1).start()
    yield local
    local.stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def quiet_stack(stack: LocalStack) -> Iterator[LocalStack]:
    """The stack with no pollers running and every queue (and DLQ) empty, before and after."""
    stack.stop_pollers()
    stack.drain_queues()
    yield stack
    stack.drain_queues()
