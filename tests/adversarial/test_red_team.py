"""Red team, sender / fan-out / outbound side: each test is an input that breaks the neighbour invariant (or another
promise of the README) today. Marked ``xfail(strict=True)``: the branch stays green, and a test flips when fixed."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from hookline import config, settings, wiring
from hookline.domain.delivery import REQUEST_TIMEOUT_SECONDS, idempotency_key
from hookline.handlers import ingest, sender
from infra.local.zoo import Zoo
from tests.adversarial import neighbours
from tests.adversarial.neighbours import Bulkhead, envelope, push_payload
from tests.adversarial.test_seen import stored_hostile

#: The sender's per-attempt timeout in these tests; the Lambda's own timeout is scaled by the same factor.
TIMEOUT_S = 1.0


@pytest.fixture(scope="module")
def zoo() -> Iterator[Zoo]:
    server = Zoo().start()
    yield server
    server.stop()


def _rebuild() -> None:
    for cached in (config.runtime_config, wiring.delivery_sender, wiring.hook_admin):
        cached.cache_clear()


@pytest.fixture
def short_timeout(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv(settings.REQUEST_TIMEOUT_ENV, str(TIMEOUT_S))
    _rebuild()
    yield
    monkeypatch.delenv(settings.REQUEST_TIMEOUT_ENV)
    _rebuild()


def _delivery_url(bulkhead: Bulkhead) -> str:
    return bulkhead.stack.environment[settings.DELIVERY_QUEUE.env_var]


def _ingest_url(bulkhead: Bulkhead) -> str:
    return bulkhead.stack.environment[settings.INGEST_QUEUE.env_var]


def _put_on_delivery_queue(bulkhead: Bulkhead, body: str) -> None:
    bulkhead.stack.client("sqs").send_message(QueueUrl=_delivery_url(bulkhead), MessageBody=body)


def _task(hook_id: int, **fields: Any) -> dict[str, Any]:
    event_uuid = str(uuid.uuid4())
    return {
        "hook_id": hook_id,
        "event_uuid": event_uuid,
        "event_name": "Push Hook",
        "idempotency_key": idempotency_key(event_uuid, hook_id),
        "body": json.dumps({"object_kind": "push"}),
        "queued_at": datetime.now(UTC).isoformat(),
        **fields,
    }


# --- 1. A poison message on the delivery queue fails the whole sender batch --------------------------------------
# parse_record only checks the message's shape; a task that parses but cannot be acted on raises in deliver(), after
# the neighbours' requests went out and before any log is written: the batch comes back whole (every neighbour sent
# again, unlogged, up to maxReceiveCount, then the neighbours' messages are in the DLQ).


@pytest.mark.xfail(strict=True, reason="unknown event_name: KeyError in delivery_log fails the whole sender batch")
def test_a_task_with_an_unknown_event_name_fails_only_its_own_message(bulkhead: Bulkhead) -> None:
    _put_on_delivery_queue(bulkhead, json.dumps(_task(987_654_321, event_name="Nope Hook")))
    bulkhead.run()
    bulkhead.assert_invariant()


@pytest.mark.xfail(strict=True, reason="naive queued_at: TypeError in triage fails the whole sender batch")
def test_a_task_with_a_naive_queued_at_fails_only_its_own_message(bulkhead: Bulkhead) -> None:
    hook_id = bulkhead.hostile_hook().json()["id"]
    naive = datetime.now(UTC).replace(tzinfo=None).isoformat()
    _put_on_delivery_queue(bulkhead, json.dumps(_task(hook_id, queued_at=naive)))
    bulkhead.run()
    bulkhead.assert_invariant()


@pytest.mark.xfail(strict=True, reason="naive not_before: TypeError in triage fails the whole sender batch")
def test_a_task_with_a_naive_not_before_fails_only_its_own_message(bulkhead: Bulkhead) -> None:
    hook_id = bulkhead.hostile_hook().json()["id"]
    naive = datetime.now(UTC).replace(tzinfo=None).isoformat()
    _put_on_delivery_queue(bulkhead, json.dumps(_task(hook_id, not_before=naive)))
    bulkhead.run()
    bulkhead.assert_invariant()


@pytest.mark.xfail(strict=True, reason="attempt=-100 on a failing delivery: IndexError in settle fails the batch")
def test_a_task_with_a_negative_attempt_fails_only_its_own_message(bulkhead: Bulkhead) -> None:
    hook_id = bulkhead.hostile_hook().json()["id"]
    bulkhead.receiver.statuses[bulkhead.hostile_path] = 500
    _put_on_delivery_queue(bulkhead, json.dumps(_task(hook_id, attempt=-100)))
    bulkhead.run()
    bulkhead.assert_invariant()


# --- 2. A stored hook state that overflows ------------------------------------------------------------------------


@pytest.mark.xfail(strict=True, reason="disabled_until near datetime.max: OverflowError in triage fails the batch")
def test_a_stored_disabled_until_at_the_end_of_time_fails_only_its_own_delivery(bulkhead: Bulkhead) -> None:
    end_of_time = datetime.max.replace(tzinfo=UTC) - timedelta(microseconds=1)
    stored_hostile(bulkhead, recent_failures=5, disabled_until=end_of_time)
    bulkhead.run()
    bulkhead.assert_invariant()
