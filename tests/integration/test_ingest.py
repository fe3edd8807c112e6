"""Ingest on moto: bad events go to the DLQ with a reason, and nothing else in their batch is lost."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from hookline import settings
from hookline.adapters import aws
from hookline.adapters.delivery_store import DeliveryStore
from hookline.domain.delivery import parse_delivery_message
from hookline.domain.envelope import parse_event
from hookline.domain.events import HookKind
from hookline.wiring import fan_out, hook_admin
from infra.local.request_counter import RequestCounter
from infra.local.stack import LocalStack
from tests.integration.conftest import poller


def _envelope(detail_type: str, detail: object, event_id: str) -> str:
    return json.dumps(
        {"version": "0", "id": event_id, "detail-type": detail_type, "source": "gitlab.test", "detail": detail}
    )


def test_bad_events_are_dead_lettered_with_a_reason_and_the_good_one_is_delivered(quiet_stack: LocalStack) -> None:
    admin = hook_admin()
    hook = admin.create(
        admin.namespace(HookKind.PROJECT, "ingest%2Fsvc", creating=True), {"url": "https://example.invalid/h"}
    )
    sqs = quiet_stack.client("sqs")
    ingest_url = quiet_stack.environment[settings.INGEST_QUEUE.env_var]
    bodies = [
        "this is not json",
        _envelope("Push Hook", {"payload": {"ref": "refs/heads/main"}}, "no-scope"),
        _envelope(
            "Push Hook", {"scope": {"project": {"path": "ingest/svc"}}, "payload": {"ref": "refs/heads/main"}}, "good"
        ),
    ]
    sqs.send_message_batch(
        QueueUrl=ingest_url, Entries=[{"Id": str(i), "MessageBody": b} for i, b in enumerate(bodies)]
    )

    assert poller(quiet_stack, "IngestFunction").poll_once() == 3

    dead = sqs.receive_message(
        QueueUrl=quiet_stack.environment[settings.INGEST_QUEUE.dlq_env_var],
        MaxNumberOfMessages=10,
        MessageAttributeNames=["All"],
    )["Messages"]
    reasons = {m["Body"]: m["MessageAttributes"]["reason"]["StringValue"] for m in dead}
    assert set(reasons) == set(bodies[:2])
    assert reasons[bodies[0]].startswith("not JSON")
    assert "needs a scope" in reasons[bodies[1]]

    delivery_url = quiet_stack.environment[settings.DELIVERY_QUEUE.env_var]
    queued = sqs.receive_message(QueueUrl=delivery_url, MaxNumberOfMessages=10)["Messages"]
    tasks = [task for m in queued for task in parse_delivery_message(m["Body"])]
    sqs.delete_message_batch(
        QueueUrl=delivery_url, Entries=[{"Id": m["MessageId"], "ReceiptHandle": m["ReceiptHandle"]} for m in queued]
    )
    assert [(t.hook_id, t.event_uuid) for t in tasks] == [(hook.id, "good")]
    ingest_left = sqs.get_queue_attributes(QueueUrl=ingest_url, AttributeNames=["ApproximateNumberOfMessages"])
    assert ingest_left["Attributes"]["ApproximateNumberOfMessages"] == "0"
    admin.delete(admin.namespace(HookKind.PROJECT, "ingest%2Fsvc"), hook.id)


def test_a_batch_reads_routing_once_and_learns_namespace_aliases(quiet_stack: LocalStack) -> None:
    admin = hook_admin()
    by_id = admin.create(admin.namespace(HookKind.PROJECT, "777", creating=True), {"url": "https://example.invalid/a"})
    sqs = quiet_stack.client("sqs")
    scope = {"project": {"id": 777, "path": "alias/team/svc"}}
    sqs.send_message(
        QueueUrl=quiet_stack.environment[settings.INGEST_QUEUE.env_var],
        MessageBody=_envelope("Push Hook", {"scope": scope, "payload": {"ref": "refs/heads/main"}}, "alias-1"),
    )
    poller(quiet_stack, "IngestFunction").poll_once()
    # the path now resolves to the same namespace, so the hook registered by id is listed under the path too
    namespace = admin.namespace(HookKind.PROJECT, "alias%2Fteam%2Fsvc")
    assert namespace.id == 777
    assert [hook.id for hook in admin.list(namespace)] == [by_id.id]
    admin.delete(namespace, by_id.id)


def test_an_event_is_queued_as_one_message_per_ten_hooks(quiet_stack: LocalStack) -> None:
    admin = hook_admin()
    namespace = admin.namespace(HookKind.PROJECT, "wide%2Fsvc", creating=True)
    hooks = [admin.create(namespace, {"url": f"https://example.invalid/{i}"}) for i in range(25)]
    sqs = quiet_stack.client("sqs")
    sqs.send_message(
        QueueUrl=quiet_stack.environment[settings.INGEST_QUEUE.env_var],
        MessageBody=_envelope("Push Hook", {"scope": {"project": {"path": "wide/svc"}}, "payload": {}}, "wide-1"),
    )
    poller(quiet_stack, "IngestFunction").poll_once()

    queued = sqs.receive_message(
        QueueUrl=quiet_stack.environment[settings.DELIVERY_QUEUE.env_var], MaxNumberOfMessages=10
    )["Messages"]
    per_message = sorted(len(parse_delivery_message(m["Body"])) for m in queued)
    assert per_message == [5, 10, 10]
    tasks = [task for m in queued for task in parse_delivery_message(m["Body"])]
    assert sorted(task.hook_id for task in tasks) == sorted(hook.id for hook in hooks)
    assert len({task.idempotency_key for task in tasks}) == 25 and {task.event_uuid for task in tasks} == {"wide-1"}
    for hook in hooks:
        admin.delete(namespace, hook.id)


@pytest.mark.parametrize(
    ("blob", "order"),
    [
        ("small", ["SQS.SendMessageBatch", "DynamoDB.BatchWriteItem"]),  # inline bodies: queued, then stored for logs
        ("x" * (settings.INLINE_BODY_LIMIT + 1), ["DynamoDB.BatchWriteItem", "SQS.SendMessageBatch"]),  # read at send
    ],
    ids=["inline", "stored"],
)
def test_a_payload_is_stored_before_queueing_only_when_a_sender_must_read_it(
    quiet_stack: LocalStack, blob: str, order: list[str]
) -> None:
    admin = hook_admin()
    namespace = admin.namespace(HookKind.PROJECT, "order%2Fsvc", creating=True)
    hook = admin.create(namespace, {"url": "https://example.invalid/order"})
    detail = {"scope": {"project": {"path": "order/svc"}}, "payload": {"ref": "refs/heads/main", "blob": blob}}
    sqs = quiet_stack.client("sqs")
    sqs.send_message(
        QueueUrl=quiet_stack.environment[settings.INGEST_QUEUE.env_var],
        MessageBody=_envelope("Push Hook", detail, f"order-{len(blob)}"),
    )
    counter = RequestCounter().attach(aws.dynamodb(), aws.sqs())
    try:
        poller(quiet_stack, "IngestFunction").poll_once()
    finally:
        counter.detach()
        admin.delete(namespace, hook.id)
    assert [call for call in counter.in_order if call in order] == order
    assert DeliveryStore().get_payloads([f"order-{len(blob)}"]) == {
        f"order-{len(blob)}": json.dumps(detail["payload"], separators=(",", ":"))
    }


def test_a_payload_write_that_fails_after_queueing_fails_the_batch_and_the_retry_repeats_the_same_keys(
    quiet_stack: LocalStack,
) -> None:
    admin = hook_admin()
    namespace = admin.namespace(HookKind.PROJECT, "again%2Fsvc", creating=True)
    hook = admin.create(namespace, {"url": "https://example.invalid/again"})
    detail = {"scope": {"project": {"path": "again/svc"}}, "payload": {"ref": "refs/heads/main"}}
    event = parse_event("again-1", "Push Hook", detail)

    class FailsToStore(DeliveryStore):
        def write_items(self, items: list[dict[str, Any]]) -> None:
            raise RuntimeError("DynamoDB is down")

    delivery_url = quiet_stack.environment[settings.DELIVERY_QUEUE.env_var]
    failing = replace(fan_out(), delivery_store=FailsToStore())
    with pytest.raises(RuntimeError, match="DynamoDB is down"):
        failing.fan_out([event])  # the ingest record fails: SQS hands it over again
    fan_out().fan_out([event])

    sqs = quiet_stack.client("sqs")
    queued = sqs.receive_message(QueueUrl=delivery_url, MaxNumberOfMessages=10)["Messages"]
    keys = [task.idempotency_key for message in queued for task in parse_delivery_message(message["Body"])]
    admin.delete(namespace, hook.id)
    assert len(keys) == 2 and len(set(keys)) == 1  # delivered at least once; a receiver can tell the repeat by its key
    assert DeliveryStore().get_payloads(["again-1"]) == {"again-1": '{"ref":"refs/heads/main"}'}
