"""Integration fixtures: the stack's moto server and resources, with records processed by hand, one batch at a time."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from infra.local.stack import LocalStack


def poller(stack: LocalStack, name: str):
    return next(p for p in stack.pollers if p.name == name)


@pytest.fixture
def scratch_queue(stack: LocalStack) -> Iterator[str]:
    """A queue of the test's own, for retries a test does not want on the stack's delivery queue."""
    sqs = stack.client("sqs")
    url = sqs.create_queue(QueueName=f"scratch-{uuid.uuid4().hex[:12]}")["QueueUrl"]
    yield url
    sqs.delete_queue(QueueUrl=url)
