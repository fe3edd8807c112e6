"""The local stack's SQS fair queues (infra/local/moto_fair_queues.py) against what the SQS Developer Guide documents
("How Amazon SQS fair queues work"), on the stack's moto server; and moto's arrival order beside it, which is what a
queue without message groups gets."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from infra.local.moto_fair_queues import fair_order
from infra.local.stack import LocalStack


@pytest.fixture
def queue(stack: LocalStack) -> Iterator[tuple[Any, str]]:
    sqs = stack.client("sqs")
    url = sqs.create_queue(QueueName=f"fair-{uuid.uuid4().hex[:12]}", Attributes={"VisibilityTimeout": "60"})[
        "QueueUrl"
    ]
    yield sqs, url
    sqs.delete_queue(QueueUrl=url)


def _send(sqs: Any, url: str, group: str | None, count: int, tag: str = "") -> None:
    for start in range(0, count, 10):
        entries: list[dict[str, Any]] = [
            {"Id": str(i), "MessageBody": f"{group}{tag}:{start + i}"} for i in range(min(10, count - start))
        ]
        if group is not None:
            for entry in entries:
                entry["MessageGroupId"] = group
        sqs.send_message_batch(QueueUrl=url, Entries=entries)


def _receive(sqs: Any, url: str, delete: bool = False) -> list[str]:
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    if delete and messages:
        sqs.delete_message_batch(
            QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
        )
    return [m["Body"] for m in messages]


def test_a_deep_backlog_does_not_delay_a_quiet_tenant(queue: tuple[Any, str]) -> None:
    """Rule 2: while a quiet tenant's message is available, consumers get it first."""
    sqs, url = queue
    _send(sqs, url, "noisy", 200)
    _receive(sqs, url)  # the noisy tenant now has ten in flight
    _send(sqs, url, "quiet", 1)
    assert _receive(sqs, url)[0] == "quiet:0"


def test_without_groups_the_same_message_waits_behind_the_backlog(queue: tuple[Any, str]) -> None:
    """The baseline: moto's arrival order, what a queue without message groups gives."""
    sqs, url = queue
    _send(sqs, url, None, 200)
    _receive(sqs, url)
    _send(sqs, url, None, 1, tag="quiet")
    assert "Nonequiet:0" not in _receive(sqs, url)


def test_noisy_messages_are_neither_dropped_nor_repeated(queue: tuple[Any, str]) -> None:
    """Rule 3: when no quiet message waits, the noisy tenant's are handed out; all of them, once."""
    sqs, url = queue
    _send(sqs, url, "noisy", 95)
    _send(sqs, url, "quiet", 5)
    received: list[str] = []
    while batch := _receive(sqs, url, delete=True):
        received += batch
    assert sorted(received) == sorted([f"noisy:{i}" for i in range(95)] + [f"quiet:{i}" for i in range(5)])
    assert {f"quiet:{i}" for i in range(5)} <= set(received[:10])


def test_among_noisy_tenants_the_one_with_fewest_in_flight_goes_first(queue: tuple[Any, str]) -> None:
    """Rule 4."""
    sqs, url = queue
    _send(sqs, url, "first", 40)
    _receive(sqs, url)
    _receive(sqs, url)  # 20 of "first" in flight
    _send(sqs, url, "second", 40)
    assert {body.split(":")[0] for body in _receive(sqs, url)} == {"second"}  # "second" from 0 to 10 in flight
    batch = _receive(sqs, url)  # both can be next now: "second" 10..19 and "first" 20..
    assert batch == [f"second:{i}" for i in range(10, 20)]


def test_each_message_without_a_group_is_a_tenant_of_its_own(queue: tuple[Any, str]) -> None:
    """Rule 1: an ungrouped message has nothing in flight, so it goes before a busy tenant's backlog."""
    sqs, url = queue
    _send(sqs, url, "busy", 30)
    _receive(sqs, url)
    _send(sqs, url, None, 2, tag="alone")
    assert _receive(sqs, url)[:2] == ["Nonealone:0", "Nonealone:1"]


def test_with_no_backlog_messages_come_in_arrival_order(queue: tuple[Any, str]) -> None:
    """Rule 5 (steady state): one message each, nothing in flight: nothing is reordered."""
    sqs, url = queue
    for group in ("c", "a", "b"):
        _send(sqs, url, group, 1)
    assert _receive(sqs, url, delete=True) == ["c:0", "a:0", "b:0"]


def test_a_message_visible_again_is_no_longer_in_flight(queue: tuple[Any, str]) -> None:
    sqs, url = queue
    _send(sqs, url, "back", 20)
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    sqs.change_message_visibility_batch(
        QueueUrl=url,
        Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0} for i, m in enumerate(messages)],
    )  # fmt: skip
    _send(sqs, url, "late", 10)
    assert [body.split(":")[0] for body in _receive(sqs, url)] == ["back", "late"] * 5


class _Message:
    def __init__(self, group: str | None, name: str) -> None:
        self.group_id, self.name = group, name


def test_the_order_is_round_robin_by_messages_in_flight() -> None:
    visible = [_Message("a", f"a{i}") for i in range(4)] + [_Message("b", "b0"), _Message(None, "x")]
    from collections import Counter

    ordered = fair_order(visible, Counter({"a": 1}))
    assert [m.name for m in ordered] == ["b0", "x", "a0", "a1", "a2", "a3"]
    assert [m.name for m in fair_order(visible, Counter())] == ["a0", "b0", "x", "a1", "a2", "a3"]
