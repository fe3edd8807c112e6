"""Integration fixtures: the stack's moto server and resources, with records processed by hand, one batch at a time."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hookline import settings
from infra.local.stack import LocalStack


@pytest.fixture
def quiet_stack(stack: LocalStack) -> Iterator[LocalStack]:
    """The stack with no pollers running and every queue empty."""
    stack.stop_pollers()
    drain_all(stack)
    yield stack
    drain_all(stack)


def drain_all(stack: LocalStack) -> None:
    sqs = stack.client("sqs")
    for spec in (settings.INGEST_QUEUE, settings.DELIVERY_QUEUE):
        for env in (spec.env_var, spec.dlq_env_var):
            drain(sqs, stack.environment[env])


def poller(stack: LocalStack, name: str):
    return next(p for p in stack.pollers if p.name == name)


def drain(sqs, queue_url: str) -> None:
    """Delete every visible message (PurgeQueue may run only once a minute)."""
    while messages := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
        sqs.delete_message_batch(
            QueueUrl=queue_url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
        )
