"""Message groups on the fair delivery queue: one per tenant, bounded, unforgeable; re-queues keep theirs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hookline.adapters.queue import OutgoingMessage
from hookline.domain.delivery import DeliveryTask, EventDeliveries, parse_delivery_message
from hookline.domain.fairness import MAX_GROUP_LENGTH, SYSTEM_GROUP, message_group


@pytest.mark.parametrize(
    ("tenant", "group"),
    [
        (None, SYSTEM_GROUP),
        ("acme", "t:acme"),
        ("project:42", "t:project:42"),
        ("a" * (MAX_GROUP_LENGTH - 2), "t:" + "a" * (MAX_GROUP_LENGTH - 2)),
    ],
)
def test_a_tenant_is_its_own_group(tenant: str | None, group: str) -> None:
    assert message_group(tenant) == group


@pytest.mark.parametrize(
    "hostile",
    ["a" * (MAX_GROUP_LENGTH - 1), "a" * 100_000, "ünïcode", "tab\there", "", "space here", "\ud800", "\x00"],
)
def test_a_name_sqs_would_refuse_becomes_a_bounded_digest(hostile: str) -> None:
    group = message_group(hostile)
    assert group.startswith("d:") and len(group) == 66 <= MAX_GROUP_LENGTH
    assert group == message_group(hostile) != message_group(hostile + "x")


def test_no_tenant_name_can_take_the_system_group_or_another_tenants_digest() -> None:
    digest = message_group("x" * 500)
    assert message_group(digest) == "t:" + digest != digest
    assert message_group("s") == "t:s" != SYSTEM_GROUP


_NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_a_fan_out_message_passes_its_group_to_its_tasks_and_a_requeued_task_is_sent_in_it() -> None:
    message = EventDeliveries(
        hook_ids=[1, 2], event_uuid="e", event_name="Push Hook", queued_at=_NOW, message_group="t:acme"
    )
    (first, _) = parse_delivery_message(message.model_dump_json(exclude_none=True))
    retry = first.model_copy(update={"attempt": 2, "not_before": _NOW})
    entry = OutgoingMessage(retry.model_dump_json(exclude_none=True), 10).entry("0")
    assert entry["MessageGroupId"] == "t:acme" and entry["DelaySeconds"] == 10


def test_a_message_without_a_group_is_sent_without_one_and_an_explicit_group_wins() -> None:
    task = DeliveryTask(hook_id=1, event_uuid="e", event_name="Push Hook", idempotency_key="k", queued_at=_NOW)
    assert "MessageGroupId" not in OutgoingMessage(task.model_dump_json(exclude_none=True)).entry("0")
    assert "MessageGroupId" not in OutgoingMessage('["message_group"]').entry("0")  # not an object: no group
    assert "MessageGroupId" not in OutgoingMessage('{"message_group": 5} junk').entry("0")
    assert OutgoingMessage('{"message_group":"t:a"}', group="t:b").entry("0")["MessageGroupId"] == "t:b"


def test_a_group_past_the_bound_is_refused_by_the_task_model() -> None:
    with pytest.raises(ValueError, match="message_group"):
        parse_delivery_message(
            DeliveryTask(hook_id=1, event_uuid="e", event_name="Push Hook", idempotency_key="k", queued_at=_NOW)
            .model_dump_json()
            .replace('"message_group":null', f'"message_group":"{"x" * 129}"')
        )
