"""The sender on moto with a real receiver on loopback: logs, dropped deliveries, failure state under concurrency."""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hookline import settings
from hookline.adapters.delivery_store import DeliveryStore
from hookline.api.models import HookCreate
from hookline.domain.delivery import DeliveryLog, DeliveryResult, DeliveryTask, idempotency_key
from hookline.domain.events import HookKind
from hookline.services.delivery import HOOK_DELETED, QueuedTask
from hookline.wiring import delivery_sender, hook_admin
from infra.local.receiver import Receiver
from infra.local.stack import LocalStack
from tests.integration.conftest import poller

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _hook(namespace: str, url: str):
    admin = hook_admin()
    return admin.create(admin.namespace(HookKind.PROJECT, namespace, creating=True), HookCreate(url=url))


def _task(hook_id: int, event_uuid: str, body: str | None = '{"object_kind":"push"}') -> DeliveryTask:
    return DeliveryTask(
        hook_id=hook_id,
        event_uuid=event_uuid,
        event_name="Push Hook",
        idempotency_key=idempotency_key(event_uuid, hook_id),
        body=body,
        queued_at=T0,
    )


def _queued(task: DeliveryTask) -> QueuedTask:
    return QueuedTask(task, message_id=task.event_uuid, receipt_handle="not-received", receive_count=1)


def test_a_deleted_hook_drops_the_delivery_and_logs_it(quiet_stack: LocalStack, receiver: Receiver) -> None:
    hook = _hook("sender%2Fdeleted", receiver.url("/gone"))
    admin = hook_admin()
    admin.delete(admin.namespace(HookKind.PROJECT, "sender%2Fdeleted"), hook.id)
    sqs = quiet_stack.client("sqs")
    queue_url = quiet_stack.environment[settings.DELIVERY_QUEUE.env_var]
    sqs.send_message(QueueUrl=queue_url, MessageBody=_task(hook.id, "ev-deleted").model_dump_json())

    assert poller(quiet_stack, "SenderFunction").poll_once() == 1

    assert receiver.requests == []
    (log,) = DeliveryStore().recent_logs(hook.id)
    assert log["internal_error_message"] == HOOK_DELETED and log["response_status"] == "internal error"
    left = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"])
    assert left["Attributes"]["ApproximateNumberOfMessages"] == "0"


def test_large_payloads_are_stored_once_and_read_at_send_time(quiet_stack: LocalStack, receiver: Receiver) -> None:
    first = _hook("sender%2Flarge", receiver.url("/large-1"))
    second = _hook("sender%2Flarge", receiver.url("/large-2"))
    payload = {"object_kind": "push", "ref": "refs/heads/main", "blob": "x" * (settings.INLINE_BODY_LIMIT + 100)}
    envelope = {
        "id": "ev-large",
        "detail-type": "Push Hook",
        "source": "t",
        "detail": {"scope": {"project": {"path": "sender/large"}}, "payload": payload},
    }
    sqs = quiet_stack.client("sqs")
    sqs.send_message(QueueUrl=quiet_stack.environment[settings.INGEST_QUEUE.env_var], MessageBody=json.dumps(envelope))
    poller(quiet_stack, "IngestFunction").poll_once()
    poller(quiet_stack, "SenderFunction").poll_once()

    assert sorted(r.path for r in receiver.requests) == ["/large-1", "/large-2"]
    assert all(r.json == payload for r in receiver.requests)
    for hook in (first, second):
        (log,) = DeliveryStore().recent_logs(hook.id)
        assert "request_data" not in log  # the log points at the one stored payload


def test_failures_count_and_the_fourth_disables_for_a_minute(
    quiet_stack: LocalStack, receiver: Receiver, scratch_queue: str
) -> None:
    receiver.statuses["/failing"] = 500
    hook = _hook("sender%2Ffailing", receiver.url("/failing"))
    sender = replace(delivery_sender(), clock=lambda: T0, queue_url=scratch_queue)
    for attempt in range(1, 5):
        report = sender.deliver([_queued(_task(hook.id, f"ev-fail-{attempt}"))])
        assert report.failed == 1
    stored = hook_admin().store.get(hook.id)
    assert stored is not None
    assert (stored.recent_failures, stored.disabled_until) == (4, T0 + timedelta(minutes=1))
    logs = DeliveryStore().recent_logs(hook.id, now=T0)
    assert [log["response_status"] for log in logs] == ["500"] * 4


def test_fifty_concurrent_failures_leave_exactly_four(
    quiet_stack: LocalStack, receiver: Receiver, scratch_queue: str
) -> None:
    receiver.statuses["/burst"] = 503
    hook = _hook("sender%2Fburst", receiver.url("/burst"))
    sender = replace(delivery_sender(), clock=lambda: T0, queue_url=scratch_queue)
    start = threading.Barrier(50)

    def one(index: int) -> None:
        start.wait()
        sender.deliver([_queued(_task(hook.id, f"ev-burst-{index}"))])

    threads = [threading.Thread(target=one, args=(i,)) for i in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stored = hook_admin().store.get(hook.id)
    assert stored is not None
    assert (stored.recent_failures, stored.disabled_until) == (4, T0 + timedelta(minutes=1))


def test_expired_logs_are_not_returned(quiet_stack: LocalStack) -> None:
    store = DeliveryStore()
    now = datetime.now(UTC)

    def log(log_id: int, created: datetime) -> DeliveryLog:
        return DeliveryLog(
            log_id=log_id, hook_id=990001, hook_kind=HookKind.PROJECT, trigger="push_hooks", url="https://e.com",
            request_headers={}, request_data=None, event_uuid="e", idempotency_key="k", attempt=1, created_at=created,
            result=DeliveryResult(0.01, status_code=200),
        )  # fmt: skip

    old, fresh = log(1, now - timedelta(days=2, seconds=1)), log(2, now - timedelta(days=1))
    store.write_items([store.log_item(old), store.log_item(fresh)])
    assert [item["log_id"] for item in store.recent_logs(990001, now=now)] == [2]
    raw = store.log_item(fresh)
    assert int(raw["expires_at"]["N"]) == int(fresh.created_at.timestamp()) + 172800
