"""E2E fixtures: the local stack with its SQS pollers running, as `make run` has them."""

from __future__ import annotations

from collections.abc import Iterator

import gitlab
import pytest

from infra.local.stack import LocalStack


@pytest.fixture(scope="module")
def running(stack: LocalStack) -> Iterator[LocalStack]:
    stack.drain_queues()
    stack.run_pollers()
    yield stack
    stack.stop_pollers()


@pytest.fixture
def gl(running: LocalStack) -> gitlab.Gitlab:
    return gitlab.Gitlab(running.api_url, private_token=running.admin_token)
