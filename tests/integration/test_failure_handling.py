"""Failure handling on moto with real receivers and an injected clock: retries, holds, the probe, parking, recover."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hookline import settings
from hookline.api.errors import gitlab_answer
from hookline.domain.delivery import DeliveryTask, EventDeliveries, idempotency_key, parse_delivery_message
from hookline.domain.errors import Refused
from hookline.domain.events import HookKind
from hookline.domain.hook_state import CLEAN_STATE, HookState
from hookline.domain.hooks import Hook
from hookline.services.delivery import DeliverySender, QueuedTask, SenderPolicy
from hookline.services.hook_admin import HookAdmin
from hookline.wiring import delivery_sender, hook_admin
from infra.local.receiver import Receiver
from infra.local.stack import LocalStack

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
def ops_events(stack: LocalStack) -> Iterator[list[dict[str, Any]]]:
    """Hookline's operational events, captured through a rule of the test's own on the bus."""
    sqs, events = stack.client("sqs"), stack.client("events")
    url = sqs.create_queue(QueueName=f"ops-{uuid.uuid4().hex[:10]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    rule = f"ops-{uuid.uuid4().hex[:10]}"
    events.put_rule(
        Name=rule, EventBusName=settings.bus_name(), EventPattern=json.dumps({"source": [settings.OPS_EVENT_SOURCE]})
    )
    events.put_targets(Rule=rule, EventBusName=settings.bus_name(), Targets=[{"Id": "ops", "Arn": arn}])
    captured: list[dict[str, Any]] = []

    class Reader(list):  # type: ignore[type-arg]
        def read(self) -> list[dict[str, Any]]:
            while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
                captured.extend(json.loads(m["Body"]) for m in messages)
                sqs.delete_message_batch(
                    QueueUrl=url,
                    Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
                )
            return captured

    yield Reader()  # type: ignore[misc]
    events.remove_targets(Rule=rule, EventBusName=settings.bus_name(), Ids=["ops"])
    events.delete_rule(Name=rule, EventBusName=settings.bus_name())
    sqs.delete_queue(QueueUrl=url)


class Harness:
    """A sender with a fixed clock and no real wait: tasks go through a queue of the test's own."""

    def __init__(self, stack: LocalStack, queue_url: str, now: datetime = T0) -> None:
        self.sqs = stack.client("sqs")
        self.queue_url = queue_url
        self.now = now
        self.sender: DeliverySender = replace(
            delivery_sender(),
            clock=lambda: self.now,
            jitter=lambda: 0.5,
            queue_url=queue_url,
            policy=SenderPolicy(max_hold_seconds=0),
        )
        self.admin: HookAdmin = replace(
            hook_admin(), sender=self.sender, clock=lambda: self.now, delivery_queue_url=queue_url
        )

    def hook(self, url: str, state: HookState = CLEAN_STATE, top: str = "failing") -> Hook:
        namespace = self.admin.namespace(HookKind.PROJECT, f"{top}%2F{uuid.uuid4().hex[:8]}", creating=True)
        hook = self.admin.create(namespace, {"url": url})
        if state != HookState():
            assert self.admin.store.replace_state(hook.id, HookState(), state)
        return hook

    def enqueue(self, hook: Hook, count: int = 1, **fields: Any) -> list[DeliveryTask]:
        tasks = []
        for _ in range(count):
            event_uuid = str(uuid.uuid4())
            task = DeliveryTask(
                hook_id=hook.id,
                event_uuid=event_uuid,
                event_name="Push Hook",
                idempotency_key=idempotency_key(event_uuid, hook.id),
                body=json.dumps({"object_kind": "push", "n": event_uuid}),
                queued_at=fields.pop("queued_at", self.now),
                **fields,
            )
            self.sqs.send_message(QueueUrl=self.queue_url, MessageBody=task.model_dump_json(exclude_none=True))
            tasks.append(task)
        return tasks

    def enqueue_event(self, hooks: list[Hook]) -> list[DeliveryTask]:
        """One event to several hooks, queued as the fan-out does: one message."""
        event_uuid = str(uuid.uuid4())
        message = EventDeliveries(
            hook_ids=[hook.id for hook in hooks],
            event_uuid=event_uuid,
            event_name="Push Hook",
            body=json.dumps({"object_kind": "push", "n": event_uuid}),
            queued_at=self.now,
        )
        self.sqs.send_message(QueueUrl=self.queue_url, MessageBody=message.model_dump_json(exclude_none=True))
        return message.tasks()

    def receive(self) -> list[QueuedTask]:
        messages = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10, AttributeNames=["All"])
        return [
            QueuedTask(task, m["MessageId"], m["ReceiptHandle"], int(m["Attributes"]["ApproximateReceiveCount"]), n)
            for m in messages.get("Messages", [])
            for tasks in [parse_delivery_message(m["Body"])]
            for n in [len(tasks)]
            for task in tasks
        ]

    def run(self) -> tuple[Any, list[QueuedTask]]:
        """One sender batch over what is visible; deletes what the sender did not keep, as Lambda does."""
        queued = self.receive()
        report = self.sender.deliver(queued)
        done = {q.message_id: q for q in queued if q.message_id not in report.keep_message_ids}
        for q in done.values():
            self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=q.receipt_handle)
        return report, queued

    def state(self, hook: Hook) -> HookState:
        stored = self.admin.store.get(hook.id)
        assert stored is not None
        return stored.state


@pytest.fixture
def harness(quiet_stack: LocalStack, scratch_queue: str) -> Harness:
    return Harness(quiet_stack, scratch_queue)


def test_a_failure_is_retried_with_the_same_idempotency_key(harness: Harness, receiver: Receiver) -> None:
    receiver.statuses["/flaky"] = 500
    hook = harness.hook(receiver.url("/flaky"))
    (task,) = harness.enqueue(hook)
    report, _ = harness.run()
    assert (report.failed, report.retried) == (1, 1)
    (retry,) = harness.receive()
    assert retry.task.idempotency_key == task.idempotency_key
    assert retry.task.attempt == 2 and retry.task.not_before == T0 + timedelta(seconds=10)
    assert retry.task.queued_at == task.queued_at

    receiver.statuses["/flaky"] = 200
    harness.sqs.change_message_visibility(
        QueueUrl=harness.queue_url, ReceiptHandle=retry.receipt_handle, VisibilityTimeout=0
    )
    harness.now = T0 + timedelta(seconds=5)  # too early: held, not sent, not counted
    report, _ = harness.run()
    assert (report.held, report.attempted) == (1, 0)
    harness.sqs.change_message_visibility(
        QueueUrl=harness.queue_url, ReceiptHandle=retry.receipt_handle, VisibilityTimeout=0
    )
    harness.now = T0 + timedelta(seconds=11)
    report, _ = harness.run()
    assert report.succeeded == 1
    first, second = receiver.to("/flaky")
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"] == task.idempotency_key
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert int(second.headers["webhook-timestamp"]) == int(first.headers["webhook-timestamp"]) + 11
    assert harness.state(hook) == HookState()


def test_throttled_responses_wait_at_least_a_minute_and_retry_after_is_honoured(
    harness: Harness, receiver: Receiver
) -> None:
    receiver.statuses["/throttled"] = 429
    hook = harness.hook(receiver.url("/throttled"))
    harness.enqueue(hook)
    harness.run()
    (retry,) = harness.receive()
    assert retry.task.not_before == T0 + timedelta(seconds=60)


def test_deliveries_to_a_temporarily_disabled_hook_are_held_not_counted(harness: Harness, receiver: Receiver) -> None:
    hook = harness.hook(receiver.url("/held"), HookState(4, T0 + timedelta(minutes=1)))
    harness.enqueue(hook, 3)
    report, queued = harness.run()
    assert (report.held, report.attempted) == (3, 0)
    assert set(report.keep_message_ids) == {q.message_id for q in queued}
    assert receiver.requests == []
    assert harness.state(hook) == HookState(4, T0 + timedelta(minutes=1))


def test_after_the_window_one_probe_goes_first_then_the_backlog_flows(
    harness: Harness, receiver: Receiver, ops_events
) -> None:
    hook = harness.hook(receiver.url("/probe"), HookState(4, T0 - timedelta(seconds=1)))
    harness.enqueue(hook, 3)
    report, _ = harness.run()
    assert (report.attempted, report.held) == (1, 2)
    assert len(receiver.to("/probe")) == 1
    assert harness.state(hook) == HookState()
    assert [e["detail-type"] for e in ops_events.read()] == ["Hookline Hook Re-enabled"]

    harness.sqs.receive_message(QueueUrl=harness.queue_url)  # nothing visible until the hold ends
    for q in harness.receive() or []:
        pytest.fail(f"held message visible: {q}")


def test_a_failed_probe_grows_the_backoff_and_the_retry_waits_for_it(
    harness: Harness, receiver: Receiver, ops_events
) -> None:
    receiver.statuses["/probe-fails"] = 502
    hook = harness.hook(receiver.url("/probe-fails"), HookState(4, T0 - timedelta(seconds=1)))
    harness.enqueue(hook, 2)
    report, _ = harness.run()
    assert (report.attempted, report.held, report.failed) == (1, 1, 1)
    assert harness.state(hook) == HookState(5, T0 + timedelta(minutes=2))
    retries = [q for q in harness.receive() if q.task.attempt == 2]
    assert [q.task.not_before for q in retries] == [T0 + timedelta(minutes=2)]
    (event,) = ops_events.read()
    assert event["detail-type"] == "Hookline Hook Disabled"
    assert event["detail"]["alert_status"] == "temporarily_disabled"


def test_permanent_disable_parks_and_a_successful_test_plus_recover_delivers(
    harness: Harness, receiver: Receiver
) -> None:
    hook = harness.hook(receiver.url("/parked"), HookState(40, T0 - timedelta(days=1)))
    namespace = harness.admin.namespace(HookKind.PROJECT, hook.scope_key.split(":", 1)[1].replace("/", "%2F"))
    tasks = harness.enqueue(hook, 2)
    report, _ = harness.run()
    assert (report.parked, report.attempted) == (2, 0)
    assert receiver.requests == []

    with pytest.raises(Refused) as refused:
        harness.admin.recover(namespace, hook.id, T0 - timedelta(hours=1), None)
    assert gitlab_answer(refused.value)[0] == 422

    receiver.statuses["/parked"] = 500
    with pytest.raises(Refused) as failed_test:
        harness.admin.test(namespace, hook.id, "push_events")
    assert gitlab_answer(failed_test.value)[0] == 422 and harness.state(hook).recent_failures == 40

    receiver.statuses["/parked"] = 200
    harness.admin.test(namespace, hook.id, "push_events")
    assert harness.state(hook) == HookState()
    assert harness.admin.recover(namespace, hook.id, T0 - timedelta(hours=1), None) == {"recovered": 2, "remaining": 0}
    report, _ = harness.run()
    assert report.succeeded == 2
    delivered = {r.headers["Idempotency-Key"] for r in receiver.to("/parked")}
    assert {t.idempotency_key for t in tasks} <= delivered
    assert harness.admin.recover(namespace, hook.id, T0 - timedelta(hours=1), None)["recovered"] == 0


def test_an_old_delivery_expires_and_is_reported(harness: Harness, receiver: Receiver, ops_events) -> None:
    hook = harness.hook(receiver.url("/old"))
    harness.enqueue(hook, queued_at=T0 - timedelta(hours=73))
    report, _ = harness.run()
    assert (report.parked, report.attempted) == (1, 0)
    parked = harness.sender.delivery_store.parked(hook.id, T0 - timedelta(minutes=1), T0)
    assert [reason for _, _, reason in parked] == ["expired"]
    (event,) = ops_events.read()
    assert event["detail-type"] == "Hookline Delivery Exhausted" and event["detail"]["reason"] == "expired"


def test_a_delivery_held_near_the_redrive_limit_is_requeued_not_dead_lettered(
    harness: Harness, receiver: Receiver
) -> None:
    hook = harness.hook(receiver.url("/long-hold"), HookState(10, T0 + timedelta(hours=17)))
    (task,) = harness.enqueue(hook)
    queued = harness.receive()
    report = harness.sender.deliver([replace(queued[0], receive_count=settings.DELIVERY_QUEUE.max_receive_count - 1)])
    assert report.held == 1 and report.keep_message_ids == []
    harness.sqs.delete_message(QueueUrl=harness.queue_url, ReceiptHandle=queued[0].receipt_handle)
    (requeued,) = harness.receive()
    assert requeued.receive_count == 1 and requeued.task.not_before == T0 + timedelta(hours=17, seconds=1)
    assert requeued.task.idempotency_key == task.idempotency_key


def test_what_holding_costs_in_sqs_requests(quiet_stack: LocalStack, scratch_queue: str, receiver: Receiver) -> None:
    """Ten deliveries to a hook disabled for 24 h: one hop hides the batch for almost 12 h with one call."""
    from hookline.adapters import aws
    from infra.local.request_counter import RequestCounter

    harness = Harness(quiet_stack, scratch_queue)
    harness.sender = replace(harness.sender, policy=SenderPolicy())  # production caps: hide up to 12 h
    hook = harness.hook(receiver.url("/day-off"), HookState(20, T0 + timedelta(hours=24)))
    harness.enqueue(hook, 10)
    queued = harness.receive()
    counter = RequestCounter().attach(aws.sqs(), aws.dynamodb())
    report = harness.sender.deliver(queued)
    counter.detach()
    assert report.held == 10 and len(report.keep_message_ids) == 10
    sqs_calls = {name: n for name, n in counter.calls.items() if name.startswith("SQS.")}
    assert sqs_calls == {"SQS.ChangeMessageVisibilityBatch": 1}
    # per held delivery and hour: (1 receive + 1 visibility change) / 10 deliveries / 11.75 h
    assert (1 + 1) / 10 / 11.75 < 0.02
    assert harness.receive() == []  # hidden


def test_deliveries_over_the_namespace_rate_limit_wait_for_the_next_window(
    quiet_stack: LocalStack, scratch_queue: str, receiver: Receiver
) -> None:
    harness = Harness(quiet_stack, scratch_queue, now=T0 + timedelta(seconds=20))
    harness.sender = replace(harness.sender, policy=SenderPolicy(max_hold_seconds=0, namespace_rate_limit=3))
    top = f"busy-{uuid.uuid4().hex[:8]}"  # both hooks count against this top-level namespace
    busy = harness.hook(receiver.url("/busy"), top=top)
    also_busy = harness.hook(receiver.url("/also-busy"), top=top)
    harness.enqueue(busy, 3)
    harness.enqueue(also_busy, 2)
    report, queued = harness.run()
    assert (report.attempted, report.throttled) == (3, 2)
    held = [q for q in queued if q.message_id in report.keep_message_ids]
    assert len(held) == 2  # hidden on the queue, not dropped
    assert len(receiver.requests) == 3
    for q in held:
        harness.sqs.change_message_visibility(
            QueueUrl=harness.queue_url, ReceiptHandle=q.receipt_handle, VisibilityTimeout=0
        )
    harness.now = T0 + timedelta(seconds=61)  # the next window
    report, _ = harness.run()
    assert (report.attempted, report.throttled) == (2, 0)
    assert len(receiver.requests) == 5  # delayed, none dropped


def test_a_message_for_several_hooks_waits_whole_or_leaves_its_waiting_hooks_behind(
    harness: Harness, receiver: Receiver
) -> None:
    """All of a message's hooks disabled: the message is hidden. Only some: the others go now, the waiting ones are
    re-queued alone (same Idempotency-Key) and the message is done."""
    until = T0 + timedelta(minutes=5)
    off = [harness.hook(receiver.url(f"/off-{i}"), HookState(4, until)) for i in range(2)]
    harness.enqueue_event(off)
    report, queued = harness.run()
    assert (report.held, len(queued), report.keep_message_ids) == (2, 2, [queued[0].message_id])
    assert harness.receive() == []  # hidden, not re-queued

    on = harness.hook(receiver.url("/on"))
    waiting = harness.hook(receiver.url("/waiting"), HookState(4, until))
    tasks = harness.enqueue_event([on, waiting])
    report, _ = harness.run()
    assert (report.succeeded, report.held, report.keep_message_ids) == (1, 1, [])
    assert [r.headers["Idempotency-Key"] for r in receiver.to("/on")] == [tasks[0].idempotency_key]
    (requeued,) = harness.receive()
    assert requeued.tasks_in_message == 1 and requeued.task.hook_id == waiting.id
    assert requeued.task.idempotency_key == tasks[1].idempotency_key == idempotency_key(tasks[1].event_uuid, waiting.id)
    assert requeued.task.not_before == until + timedelta(seconds=1)
