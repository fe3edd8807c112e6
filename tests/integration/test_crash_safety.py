"""Poison messages and crashed senders on moto: nothing else is lost, and redelivery keeps the Idempotency-Key."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest

from hookline import settings
from hookline.adapters.delivery_store import DeliveryStore
from hookline.clock import CLOCK
from hookline.domain.delivery import DeliveryTask, idempotency_key
from hookline.domain.events import HookKind
from hookline.services.delivery import DeliverySender
from hookline.services.sqs_batch import process_sqs_batch
from hookline.wiring import delivery_sender, hook_admin
from infra.local.lambda_runtime import SqsPoller
from infra.local.receiver import Receiver, wait_until
from infra.local.stack import LocalStack


@dataclass
class FastQueue:
    """A queue shaped like the delivery queue (same redrive limit) whose visibility timeout is one second."""

    url: str
    dlq_url: str


@pytest.fixture
def fast_queue(quiet_stack: LocalStack) -> Iterator[FastQueue]:
    sqs = quiet_stack.client("sqs")
    name = f"fast-{uuid.uuid4().hex[:10]}"
    dlq = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": settings.DELIVERY_QUEUE.max_receive_count}
    url = sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "1", "RedrivePolicy": json.dumps(redrive)})[
        "QueueUrl"
    ]
    yield FastQueue(url, dlq)
    sqs.delete_queue(QueueUrl=url)
    sqs.delete_queue(QueueUrl=dlq)


def _task(hook_id: int) -> DeliveryTask:
    event_uuid = str(uuid.uuid4())
    return DeliveryTask(
        hook_id=hook_id,
        event_uuid=event_uuid,
        event_name="Push Hook",
        idempotency_key=idempotency_key(event_uuid, hook_id),
        body='{"object_kind":"push"}',
        queued_at=CLOCK.now(),
    )


def _poller(stack: LocalStack, queue: FastQueue, sender: DeliverySender) -> SqsPoller:
    def handler(event: dict[str, Any], context: Any) -> Any:
        return process_sqs_batch(event, context, sender.parse_record, sender.deliver_messages)

    return SqsPoller("FastSender", stack.client("sqs"), queue.url, settings.DELIVERY_QUEUE, handler)


def _hook(receiver: Receiver, path: str):
    admin = hook_admin()
    namespace = admin.namespace(HookKind.PROJECT, f"crash%2F{uuid.uuid4().hex[:8]}", creating=True)
    return admin.create(namespace, {"url": receiver.url(path)})


def test_a_poison_message_reaches_the_dlq_and_its_batch_mates_are_delivered_once(
    quiet_stack: LocalStack, fast_queue: FastQueue, receiver: Receiver
) -> None:
    hook = _hook(receiver, "/mate")
    sqs = quiet_stack.client("sqs")
    good = _task(hook.id)
    sqs.send_message_batch(
        QueueUrl=fast_queue.url,
        Entries=[
            {"Id": "poison", "MessageBody": '{"hook_id": "not a task"}'},
            {"Id": "good", "MessageBody": good.model_dump_json()},
        ],
    )
    poller = _poller(quiet_stack, fast_queue, replace(delivery_sender(), queue_url=fast_queue.url))

    def poison_dead_lettered() -> bool:
        poller.poll_once(wait_seconds=2)
        attributes = sqs.get_queue_attributes(
            QueueUrl=fast_queue.dlq_url, AttributeNames=["ApproximateNumberOfMessages"]
        )
        return attributes["Attributes"]["ApproximateNumberOfMessages"] == "1"

    wait_until(poison_dead_lettered, timeout=30)
    (dead,) = sqs.receive_message(QueueUrl=fast_queue.dlq_url)["Messages"]
    assert dead["Body"] == '{"hook_id": "not a task"}'
    assert [r.headers["Idempotency-Key"] for r in receiver.to("/mate")] == [good.idempotency_key]


def test_a_sender_that_dies_mid_batch_loses_nothing(
    quiet_stack: LocalStack, fast_queue: FastQueue, receiver: Receiver
) -> None:
    hook = _hook(receiver, "/crash")
    tasks = [_task(hook.id) for _ in range(3)]
    sqs = quiet_stack.client("sqs")
    sqs.send_message_batch(
        QueueUrl=fast_queue.url,
        Entries=[{"Id": str(i), "MessageBody": t.model_dump_json()} for i, t in enumerate(tasks)],
    )

    class DiesOnce(DeliveryStore):
        died = False

        def write_items(self, items: list[dict[str, Any]]) -> None:
            if not DiesOnce.died:
                DiesOnce.died = True
                raise RuntimeError("the sender died after sending, before logging")
            super().write_items(items)

    sender = replace(delivery_sender(), delivery_store=DiesOnce(), queue_url=fast_queue.url)
    poller = _poller(quiet_stack, fast_queue, sender)

    def all_logged() -> bool:
        poller.poll_once(wait_seconds=2)
        return len(DeliveryStore().recent_logs(hook.id)) >= len(tasks)

    wait_until(all_logged, timeout=30)
    keys = {t.idempotency_key for t in tasks}
    received = [r.headers["Idempotency-Key"] for r in receiver.to("/crash")]
    assert DiesOnce.died
    assert set(received) == keys  # every delivery arrived ...
    assert len(received) > len(keys)  # ... some twice, at least once each, with the same key
    left = sqs.get_queue_attributes(QueueUrl=fast_queue.dlq_url, AttributeNames=["ApproximateNumberOfMessages"])
    assert left["Attributes"]["ApproximateNumberOfMessages"] == "0"
