"""Hostile producers against the recursion guard: a bogus chain UUID, another tenant's chain UUID, a flood into a
chain. GitLab's rule holds within a tenant's chain, and nobody can block another tenant's hooks or fill its chain."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from hookline import settings
from hookline.adapters.delivery_store import DeliveryStore
from hookline.domain.recursion import CHAIN_LIMIT, ChainKey
from tests.adversarial.neighbours import Bulkhead, assert_items_under_limit, envelope, push_payload


def chained(project: str, chain: str | None, event_id: str | None = None) -> str:
    """A push for ``project`` whose producer passes ``chain`` as the X-Gitlab-Event-UUID that caused it."""
    message = envelope(project, push_payload(project))
    message["id"] = event_id or str(uuid.uuid4())
    if chain is not None:
        message["detail"]["gitlab_event_uuid"] = chain
    return json.dumps(message)


def calls(tenant: str, chain: str) -> dict[int, str]:
    found = DeliveryStore().get_chains([ChainKey(tenant, chain)], datetime.now(UTC))
    return dict(found[ChainKey(tenant, chain)].calls) if found else {}


@pytest.fixture
def system_hook(bulkhead: Bulkhead) -> Iterator[tuple[int, str]]:
    """A system hook for pushes: the one hook every tenant's events reach."""
    path = f"/system-{bulkhead.tag}"
    answer = bulkhead.client.post("/hooks", json={"url": bulkhead.receiver.url(path), "push_events": True})
    assert answer.status_code == 201, answer.text
    yield int(answer.json()["id"]), path
    bulkhead.client.delete(f"/hooks/{answer.json()['id']}")


def test_another_tenants_chain_uuid_blocks_no_hook_and_leaves_that_chain_alone(
    bulkhead: Bulkhead, system_hook: tuple[int, str]
) -> None:
    system_id, system_path = system_hook
    victim_tenant, victim_event = f"o{bulkhead.tag}", str(uuid.uuid4())
    received = bulkhead.receiver.to

    # the victim tenant's event: its hook and the system hook are called, and its chain remembers both
    bulkhead.deliver([chained(bulkhead.other_project, None, victim_event)])
    assert len(received(bulkhead.other_path)) == 1 and len(received(system_path)) == 1
    assert calls(victim_tenant, victim_event) == {bulkhead.other_hook: victim_event, system_id: victim_event}

    # a hostile producer passes that event's UUID for an event of its own tenant: nothing of its is blocked...
    bulkhead.deliver([chained(bulkhead.hostile_project, victim_event)])
    group_requests = received(bulkhead.group_path)
    assert len(group_requests) == 1 and len(received(system_path)) == 2
    assert group_requests[0].headers["X-Gitlab-Event-UUID"] == victim_event  # the UUID it passed, as GitLab sends
    # ... and the victim's chain is as it was
    assert calls(victim_tenant, victim_event) == {bulkhead.other_hook: victim_event, system_id: victim_event}

    # the victim's own next event in that chain: GitLab's rule, both hooks were called already
    bulkhead.deliver([chained(bulkhead.other_project, victim_event)])
    assert len(received(bulkhead.other_path)) == 1 and len(received(system_path)) == 2
    assert len(DeliveryStore().recent_logs(bulkhead.other_hook)) == 1  # a blocked delivery is not logged
    assert bulkhead.handler_errors == [] and bulkhead.dead_letters() == bulkhead.dead_letters_before


@pytest.mark.parametrize(
    "bogus",
    ["not-a-uuid", "x" * 100_000, 12345, ["3f2504e0-4f89-41d3-9a0c-0305e82c3301"], "3f2504e0-4f89-41d3-9a0c"],
)
def test_a_bogus_chain_uuid_is_dead_lettered_alone_with_its_reason(bulkhead: Bulkhead, bogus: Any) -> None:
    message = envelope(bulkhead.hostile_project, push_payload(bulkhead.hostile_project))
    message["detail"]["gitlab_event_uuid"] = bogus
    bulkhead.run(hostile_message=json.dumps(message))
    bulkhead.assert_invariant(dead_lettered=1)
    sqs = bulkhead.stack.client("sqs")
    (dead,) = sqs.receive_message(
        QueueUrl=bulkhead.stack.environment[settings.INGEST_QUEUE.dlq_env_var],
        MaxNumberOfMessages=10,
        MessageAttributeNames=["All"],
    )["Messages"]
    assert "gitlab_event_uuid must be a UUID" in dead["MessageAttributes"]["reason"]["StringValue"]


def test_an_unknown_chain_uuid_blocks_nothing(bulkhead: Bulkhead) -> None:
    hook = bulkhead.hostile_hook().json()["id"]
    unknown = str(uuid.uuid4())
    bulkhead.deliver([chained(bulkhead.hostile_project, unknown), chained(bulkhead.other_project, unknown)])
    assert len(bulkhead.receiver.to(bulkhead.hostile_path)) == 1
    assert len(bulkhead.receiver.to(bulkhead.group_path)) == 1 and len(bulkhead.receiver.to(bulkhead.other_path)) == 1
    assert set(calls(f"g{bulkhead.tag}", unknown)) == {hook, bulkhead.group_hook}  # each tenant: a chain of its own
    assert set(calls(f"o{bulkhead.tag}", unknown)) == {bulkhead.other_hook}


def test_a_flood_into_one_chain_stays_bounded_and_in_its_own_tenant(bulkhead: Bulkhead) -> None:
    """A hostile tenant with 101 hooks on one event fills its chain: the chain holds 100 ids, the next event of the
    chain calls none of the 101, and another tenant's event passing the same UUID is delivered."""
    for _ in range(settings.MAX_PROJECT_HOOKS):
        assert bulkhead.hostile_hook().status_code == 201
    root = str(uuid.uuid4())
    bulkhead.deliver([chained(bulkhead.hostile_project, None, root)])
    assert len(bulkhead.receiver.to(bulkhead.hostile_path)) == settings.MAX_PROJECT_HOOKS  # a new chain: all called
    assert len(calls(f"g{bulkhead.tag}", root)) == CHAIN_LIMIT

    bulkhead.deliver([chained(bulkhead.hostile_project, root) for _ in range(3)])
    assert len(bulkhead.receiver.to(bulkhead.hostile_path)) == settings.MAX_PROJECT_HOOKS  # all blocked
    assert len(bulkhead.receiver.to(bulkhead.group_path)) == 1  # the 101st: blocked by the limit
    assert len(calls(f"g{bulkhead.tag}", root)) == CHAIN_LIMIT

    bulkhead.deliver([chained(bulkhead.other_project, root)])
    assert len(bulkhead.receiver.to(bulkhead.other_path)) == 1
    assert bulkhead.handler_errors == [] and bulkhead.dead_letters() == bulkhead.dead_letters_before
    assert_items_under_limit(bulkhead.stack)
