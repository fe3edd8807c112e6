"""The sender on moto with a real receiver on loopback: logs, dropped deliveries, failure state under concurrency."""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from hookline import settings
from hookline.adapters import delivery_store
from hookline.adapters.delivery_store import DeliveryStore
from hookline.domain.delivery import DeliveryLog, DeliveryResult, DeliveryTask, EventDeliveries, idempotency_key
from hookline.domain.events import HookKind
from hookline.services.delivery import HOOK_DELETED, QueuedTask
from hookline.wiring import delivery_sender, hook_admin
from infra.local.receiver import Receiver
from infra.local.stack import LocalStack
from tests.integration.conftest import poller

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _hook(namespace: str, url: str):
    admin = hook_admin()
    return admin.create(admin.namespace(HookKind.PROJECT, namespace, creating=True), {"url": url})


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
    # the failure state's own race, with every request let through: the concurrency gate (and the 503's pause)
    # would hold most of them (tests/integration/test_concurrency_gate.py)
    ungated = replace(delivery_sender().policy, concurrency_gate=False)
    sender = replace(delivery_sender(), clock=lambda: T0, queue_url=scratch_queue, policy=ungated)
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

    def log(created: datetime) -> DeliveryLog:
        return DeliveryLog(
            hook_id=990001, hook_kind=HookKind.PROJECT, trigger="push_hooks", url="https://e.com",
            request_headers={}, request_data=None, event_uuid="e", idempotency_key="k", attempt=1, created_at=created,
            result=DeliveryResult(0.01, status_code=200),
        )  # fmt: skip

    old, fresh = log(now - timedelta(days=2, seconds=1)), log(now - timedelta(days=1))
    store.write_items(store.log_items([old]) + store.log_items([fresh]))
    assert [item["created_at"] for item in store.recent_logs(990001, now=now)] == [fresh.created_at.isoformat()]
    assert [ref.response_status for ref in store.log_index(990001, now)] == ["200"]
    (raw,) = store.log_items([fresh])
    assert int(raw["expires_at"]["N"]) == int(fresh.created_at.timestamp()) + 172800


def test_a_batch_of_event_messages_becomes_one_log_item_per_hook(quiet_stack: LocalStack, receiver: Receiver) -> None:
    """Ten events to two hooks: ten messages, twenty POSTs, two log items of ten entries, each entry found by id."""
    hooks = [_hook("sender%2Fgrouped", receiver.url(f"/grouped/{i}")) for i in range(2)]
    sqs = quiet_stack.client("sqs")
    queue_url = quiet_stack.environment[settings.DELIVERY_QUEUE.env_var]
    queued_at = datetime.now(UTC)  # the poller runs the stack's sender, on the wall clock: not yet expired
    messages = [
        EventDeliveries(hook_ids=[h.id for h in hooks], event_uuid=f"ev-grouped-{n}", event_name="Push Hook",
                        body=f'{{"n":{n}}}', queued_at=queued_at)
        for n in range(10)
    ]  # fmt: skip
    sqs.send_message_batch(
        QueueUrl=queue_url, Entries=[{"Id": str(i), "MessageBody": m.model_dump_json()} for i, m in enumerate(messages)]
    )

    assert poller(quiet_stack, "SenderFunction").poll_once() == 10

    store, now = DeliveryStore(), datetime.now(UTC)
    assert len(receiver.requests) == 20
    for hook in hooks:
        items = quiet_stack.client("dynamodb").query(
            TableName=store.table_name,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :log)",
            ExpressionAttributeValues={":pk": {"S": f"HOOK#{hook.id}"}, ":log": {"S": "LOG#"}},
        )["Items"]
        assert len(items) == 1
        index = store.log_index(hook.id, now)
        assert len({ref.log_id for ref in index}) == 10 and {ref.response_status for ref in index} == {"200"}
        page = store.get_logs(hook.id, index[3:6], now)
        assert [entry["log_id"] for entry in page] == [ref.log_id for ref in index[3:6]]
        for ref in index:
            entry = store.get_log(hook.id, ref.log_id, now)
            assert entry is not None and entry["log_id"] == ref.log_id and entry["hook_id"] == hook.id
        sent = {r.headers["Idempotency-Key"]: r.headers["X-Gitlab-Event-UUID"] for r in receiver.requests}
        assert {e["idempotency_key"]: e["event_uuid"] for e in store.recent_logs(hook.id)}.items() <= sent.items()
    assert store.get_log(hooks[0].id, 12345, now) is None


def test_two_log_items_of_the_same_millisecond_and_slot_both_survive(
    quiet_stack: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, now = DeliveryStore(), datetime.now(UTC)
    monkeypatch.setattr(delivery_store.secrets, "randbelow", lambda _: 7)
    logs = [
        DeliveryLog(
            hook_id=990002, hook_kind=HookKind.PROJECT, trigger="push_hooks", url="https://e.com",
            request_headers={}, request_data=None, event_uuid=f"e{n}", idempotency_key=f"k{n}", attempt=1,
            created_at=now, result=DeliveryResult(0.01, status_code=200 + n),
        )
        for n in range(2)
    ]  # fmt: skip
    store.write_items(store.log_items(logs[:1]) + store.log_items(logs[1:]))
    assert sorted(e["event_uuid"] for e in store.recent_logs(990002, now)) == ["e0", "e1"]
