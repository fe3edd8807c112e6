"""The local event source mapping with a batching window, as Lambda's: a batch gathers until it is full or the window
(begun when the previous invocation ended) is over. The clock is injected: no test waits for a window."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from hookline import settings
from infra.local.lambda_runtime import SqsPoller
from infra.local.stack import LocalStack


@pytest.fixture
def queue(quiet_stack: LocalStack) -> Iterator[tuple[Any, str]]:
    sqs = quiet_stack.client("sqs")
    url = sqs.create_queue(QueueName=f"window-{uuid.uuid4().hex[:10]}")["QueueUrl"]
    yield sqs, url
    sqs.delete_queue(QueueUrl=url)


def _poller(sqs: Any, url: str, batches: list[int], clock: Any, batch_size: int = 10, window_s: int = 20) -> SqsPoller:
    spec = replace(settings.DELIVERY_QUEUE, batch_size=batch_size, max_batching_window_s=window_s)

    def handler(event: dict[str, Any], _: Any) -> dict[str, Any]:
        batches.append(len(event["Records"]))
        return {"batchItemFailures": []}

    return SqsPoller("WindowTest", sqs, url, spec, handler, clock=clock)


def test_messages_that_arrive_within_the_window_share_one_invocation(queue: tuple[Any, str]) -> None:
    sqs, url = queue
    batches: list[int] = []
    times, sent = iter([0.0, 1.0, 2.0, 25.0]), []  # the window ends at 20

    def clock() -> float:
        """Virtual time; a message arrives each (virtual) second, between the poller's receives."""
        if len(sent) < 3:
            sent.append(sqs.send_message(QueueUrl=url, MessageBody=str(len(sent))))
        return next(times)

    assert _poller(sqs, url, batches, clock).poll_once() == 3
    assert batches == [3] and len(sent) == 3
    assert sqs.receive_message(QueueUrl=url).get("Messages") is None  # all deleted after the one invocation


def test_a_full_batch_does_not_wait_for_the_window(queue: tuple[Any, str]) -> None:
    sqs, url = queue
    batches: list[int] = []
    for index in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=str(index))
    poller = _poller(sqs, url, batches, lambda: 0.0, batch_size=2)  # the clock never moves: only a full batch ends it
    assert poller.poll_once() == 2
    assert batches == [2]


def test_without_a_window_a_poll_takes_what_is_there(queue: tuple[Any, str]) -> None:
    sqs, url = queue
    batches: list[int] = []
    sqs.send_message(QueueUrl=url, MessageBody="one")
    poller = _poller(sqs, url, batches, lambda: pytest.fail("no window: the clock is not read"), window_s=0)
    assert poller.poll_once() == 1
    assert batches == [1]
