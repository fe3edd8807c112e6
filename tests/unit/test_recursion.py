"""GitLab's recursion guard as a pure decision (Gitlab::WebHooks::RecursionDetection: a hook already called in the
chain is blocked, and every hook once the chain called 100), and the event contract's gitlab_event_uuid."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hookline.domain.delivery import DeliveryTask, EventDeliveries, RequestContext, delivery_headers
from hookline.domain.envelope import InvalidEvent, parse_event
from hookline.domain.events import HookKind
from hookline.domain.hooks import Hook
from hookline.domain.recursion import (
    CHAIN_LIMIT,
    Admission,
    Chain,
    ChainEvent,
    ChainKey,
    ChainRoot,
    admit,
    admit_chain,
    chain_tenant,
    joined_chain,
)

CHAIN = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"
NOW = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("calls", "hooks", "allowed", "blocked", "after"),
    [
        # a hook the chain called is blocked, the others called and recorded
        ({1: "a"}, [1, 2], [2], [1], {1: "a", 2: "e"}),
        ({}, [1, 2], [1, 2], [], {1: "e", 2: "e"}),
        # the same event seen again (its batch is processed again): its own calls are allowed again
        ({1: "e", 2: "a"}, [1, 2], [1], [2], {1: "e", 2: "a"}),
        # a repeated hook id in one event is called once
        ({}, [1, 1], [1, 1], [], {1: "e"}),
    ],
)
def test_gitlabs_rule(
    calls: dict[int, str], hooks: list[int], allowed: list[int], blocked: list[int], after: dict
) -> None:
    state = dict(calls)
    assert admit(state, "e", hooks) == Admission(tuple(allowed), tuple(blocked))
    assert state == after


def test_a_chain_past_the_limit_blocks_every_new_hook_and_never_holds_more() -> None:
    full = {hook: "a" for hook in range(CHAIN_LIMIT)}
    assert admit(dict(full), "e", [1000, 1001]) == Admission((), (1000, 1001))
    # a chain one short of the limit takes one more hook, then blocks the rest
    state = {hook: "a" for hook in range(CHAIN_LIMIT - 1)}
    assert admit(state, "e", [1000, 1001, 1002]) == Admission((1000,), (1001, 1002))
    assert len(state) == CHAIN_LIMIT
    # an event that starts a chain with 150 hooks (never blocked) records only the first 100
    assert ChainRoot.of("acme", [7, 7, *range(150)]).hook_ids == (7, *range(7), *range(8, CHAIN_LIMIT))


def test_the_events_of_one_chain_in_a_batch_are_decided_in_order() -> None:
    key = ChainKey("acme", CHAIN)
    events = [ChainEvent(key, "f", (1, 2)), ChainEvent(key, "g", (2, 3))]
    admissions, calls = admit_chain(Chain({1: "e"}, version=3), events)
    assert admissions == [Admission((2,), (1,)), Admission((3,), (2,))]
    assert calls == {1: "e", 2: "f", 3: "g"}


ROOT = ChainRoot("acme", (1, 2))
KEY = ChainKey("acme", CHAIN)


@pytest.mark.parametrize(
    ("stored", "root", "key", "fresh", "expected"),
    [
        (None, None, KEY, False, Chain({})),  # an unknown UUID: an empty chain
        (None, ROOT, KEY, True, Chain({1: CHAIN, 2: CHAIN})),  # as the event that started it recorded it
        (None, ROOT, KEY, False, Chain({})),  # started more than 30 minutes ago
        (None, ROOT, ChainKey("other", CHAIN), True, Chain({})),  # another tenant's event: a chain of one's own
        (Chain({3: "f"}, 2), ROOT, KEY, True, Chain({3: "f"}, 2)),  # stored: the started calls are in it already
        (Chain({}, 2), ROOT, KEY, True, Chain({}, 2)),  # stored and forgotten
    ],
)
def test_the_chain_an_event_joins(
    stored: Chain | None, root: ChainRoot | None, key: ChainKey, fresh: bool, expected: Chain
) -> None:
    assert joined_chain(stored, root, key, fresh) == expected


@pytest.mark.parametrize(
    ("key", "paths", "tenant"),
    [
        ("project:42", ["Acme/Platform/API"], "acme"),
        ("project:42", [None, "acme/platform/api"], "acme"),  # the learnt alias
        ("project:42", [None, None, "acme/platform"], "acme"),  # an ancestor group's path
        ("group:7", [None], "group:7"),  # nothing but the id is known
    ],
)
def test_a_chain_belongs_to_the_events_top_level_namespace(key: str, paths: list, tenant: str) -> None:
    assert chain_tenant(key, paths) == tenant


def _detail(chain: object) -> dict:
    return {"scope": {"project": {"path": "acme/api"}}, "payload": {}, "gitlab_event_uuid": chain}


def test_a_producer_passes_the_chain_in_the_event_contract() -> None:
    assert parse_event("e", "Push Hook", _detail(CHAIN.upper())).chain_uuid == CHAIN
    assert parse_event("e", "Push Hook", _detail(None)).chain_uuid is None
    assert parse_event("e", "Push Hook", {"scope": {"project": {"id": 1}}, "payload": {}}).chain_uuid is None
    bare = {"project": {"id": 1}, "gitlab_event_uuid": "not even read"}  # a bare payload is the payload
    assert parse_event("e", "Push Hook", bare).chain_uuid is None


@pytest.mark.parametrize(
    "bogus",
    [
        "not-a-uuid",
        "",
        CHAIN + "0",
        CHAIN.replace("-", ""),
        "{" + CHAIN + "}",
        "urn:uuid:" + CHAIN,
        f" {CHAIN}",
        f"{CHAIN}\n",
        "x" * 10_000,
        42,
        [CHAIN],
        {"uuid": CHAIN},
        True,
    ],
)
def test_a_bogus_chain_uuid_breaks_the_contract(bogus: object) -> None:
    with pytest.raises(InvalidEvent, match="gitlab_event_uuid must be a UUID"):
        parse_event("e", "Push Hook", _detail(bogus))


def test_deliveries_of_a_chained_event_carry_the_chains_uuid_and_keep_their_own_keys() -> None:
    hook = Hook(id=7, kind=HookKind.PROJECT, scope_key="project:1", url="https://h.test/", created_at=NOW)
    context = RequestContext("https://gitlab.test", "GitLab/18.0.0")
    message = EventDeliveries(hook_ids=[7], event_uuid="ev-1", event_name="Push Hook", queued_at=NOW, chain_uuid=CHAIN)
    (task,) = message.tasks()
    headers = delivery_headers(hook, task, context, 0)
    assert headers["X-Gitlab-Event-UUID"] == CHAIN
    assert headers["Idempotency-Key"] == task.idempotency_key != CHAIN  # derived from the event, as before
    fresh = DeliveryTask(hook_id=7, event_uuid="ev-2", event_name="Push Hook", idempotency_key="k", queued_at=NOW)
    assert delivery_headers(hook, fresh, context, 0)["X-Gitlab-Event-UUID"] == "ev-2"
    assert DeliveryTask.model_validate_json(task.model_dump_json()).chain_uuid == CHAIN  # retries and parks keep it
