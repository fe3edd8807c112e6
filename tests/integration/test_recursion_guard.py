"""The recursion guard on moto: GitLab's rule across ingest batches, concurrent batches of one chain, retried
batches, the chain's 30 minutes, and what a blocked delivery leaves (a log line and a metric, nothing else)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hookline import settings
from hookline.adapters.delivery_store import DeliveryStore
from hookline.adapters.hook_store import HookStore
from hookline.domain.delivery import parse_delivery_message
from hookline.domain.envelope import IncomingEvent, parse_event
from hookline.domain.events import HookKind
from hookline.domain.hooks import Hook
from hookline.domain.recursion import Chain, ChainKey
from hookline.services.fan_out import FanOut
from hookline.wiring import fan_out as wired_fan_out
from hookline.wiring import hook_admin
from infra.local.receiver import Receiver
from infra.local.stack import LocalStack
from tests.integration.conftest import poller

PROJECT = "loop/svc"


@pytest.fixture
def hooks(quiet_stack: LocalStack) -> Iterator[list[Hook]]:
    admin = hook_admin()
    namespace = admin.namespace(HookKind.PROJECT, "loop%2Fsvc", creating=True)
    made = [admin.create(namespace, {"url": f"https://example.invalid/{i}"}) for i in range(2)]
    yield made
    for hook in made:
        admin.delete(admin.namespace(HookKind.PROJECT, "loop%2Fsvc"), hook.id)


def event(chain: str | None = None, event_id: str | None = None) -> IncomingEvent:
    detail: dict[str, Any] = {"scope": {"project": {"path": PROJECT}}, "payload": {"ref": "refs/heads/main"}}
    if chain is not None:
        detail["gitlab_event_uuid"] = chain
    return parse_event(event_id or str(uuid.uuid4()), "Push Hook", detail)


def service(stack: LocalStack, store: DeliveryStore | None = None, **fields: Any) -> FanOut:
    return FanOut(
        HookStore(),
        store or DeliveryStore(),
        stack.environment[settings.DELIVERY_QUEUE.env_var],
        stack.environment[settings.INGEST_QUEUE.dlq_env_var],
        **fields,
    )


def queued(stack: LocalStack) -> list[tuple[int, str, str]]:
    """(hook id, event uuid, X-Gitlab-Event-UUID) of every delivery on the queue; the queue emptied."""
    sqs, url = stack.client("sqs"), stack.environment[settings.DELIVERY_QUEUE.env_var]
    found = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            found += [(t.hook_id, t.event_uuid, t.gitlab_event_uuid) for t in parse_delivery_message(message["Body"])]
        sqs.delete_message_batch(
            QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
        )
    return found


def test_a_hook_the_chain_called_is_blocked_and_only_a_log_line_and_a_metric_say_so(
    quiet_stack: LocalStack, hooks: list[Hook], capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    fan_out = wired_fan_out()  # as the ingest handler has it: with the metrics
    root = event()
    fan_out.fan_out([root])
    assert sorted(queued(quiet_stack)) == sorted((hook.id, root.event_uuid, root.event_uuid) for hook in hooks)
    capsys.readouterr()

    caused = event(chain=root.event_uuid)
    report = fan_out.fan_out([caused])
    assert report.recursion_blocked == 2 and report.per_event[caused.event_uuid] == [] and report.deliveries == 0
    assert queued(quiet_stack) == []  # not sent
    assert all(DeliveryStore().recent_logs(hook.id) == [] for hook in hooks)  # not logged
    assert HookStore().get_many(hook.id for hook in hooks) == {hook.id: hook for hook in hooks}  # not counted
    (blocked,) = [record for record in caplog.records if record.getMessage() == "Recursion blocked"]
    assert blocked.__dict__["blocked"] == 2 and blocked.__dict__["gitlab_event_uuid"] == root.event_uuid
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    (emf,) = [line for line in lines if settings.METRIC_RECURSION_BLOCKED in line]
    assert emf[settings.METRIC_RECURSION_BLOCKED] == [2.0]


def test_a_new_hook_joins_the_chain_once_and_carries_the_chains_uuid(
    quiet_stack: LocalStack, hooks: list[Hook]
) -> None:
    first, second = hooks
    fan_out = service(quiet_stack)
    root = event()
    hook_admin().delete(hook_admin().namespace(HookKind.PROJECT, "loop%2Fsvc"), second.id)
    fan_out.fan_out([root])  # the chain called the first hook only
    queued(quiet_stack)
    later = hook_admin().create(hook_admin().namespace(HookKind.PROJECT, "loop%2Fsvc"), {"url": "https://l.invalid"})
    hooks[1] = later

    caused, again = event(chain=root.event_uuid), event(chain=root.event_uuid)
    fan_out.fan_out([caused, again])  # one batch, two events of the chain: in order
    assert queued(quiet_stack) == [(later.id, caused.event_uuid, root.event_uuid)]
    chain = DeliveryStore().get_chains([ChainKey("loop", root.event_uuid)], datetime.now(UTC))
    assert chain[ChainKey("loop", root.event_uuid)].calls == {first.id: root.event_uuid, later.id: caused.event_uuid}


def test_a_batch_processed_again_calls_its_hooks_again(quiet_stack: LocalStack, hooks: list[Hook]) -> None:
    fan_out = service(quiet_stack)
    root = event()
    fan_out.fan_out([root])
    caused = event(chain=root.event_uuid)
    hook_admin().delete(hook_admin().namespace(HookKind.PROJECT, "loop%2Fsvc"), hooks[1].id)
    hooks[1] = hook_admin().create(hook_admin().namespace(HookKind.PROJECT, "loop%2Fsvc"), {"url": "https://n.invalid"})
    queued(quiet_stack)
    first = fan_out.fan_out([caused]).per_event[caused.event_uuid]
    second = fan_out.fan_out([caused]).per_event[caused.event_uuid]  # SQS gave the batch back
    assert first == second == [hooks[1].id]


def test_a_chain_is_forgotten_thirty_minutes_after_its_last_call(quiet_stack: LocalStack, hooks: list[Hook]) -> None:
    now = datetime.now(UTC)
    root = event()
    service(quiet_stack, clock=lambda: now).fan_out([root])
    queued(quiet_stack)
    caused = event(chain=root.event_uuid)
    assert service(quiet_stack, clock=lambda: now + timedelta(minutes=29)).fan_out([caused]).recursion_blocked == 2
    late = event(chain=root.event_uuid)
    report = service(quiet_stack, clock=lambda: now + timedelta(minutes=31)).fan_out([late])
    assert report.recursion_blocked == 0 and len(report.per_event[late.event_uuid]) == 2
    queued(quiet_stack)


class RacingStore(DeliveryStore):
    """Runs ``race`` once, right after the guard read the chains: another batch of the chain got there first."""

    def __init__(self, race: Callable[[], None]) -> None:
        super().__init__()
        self.race: Callable[[], None] | None = race

    def get_chains(self, keys: Iterable[ChainKey], now: datetime) -> dict[ChainKey, Chain]:
        found = super().get_chains(keys, now)
        if self.race is not None:
            race, self.race = self.race, None
            race()
        return found


def test_concurrent_batches_of_one_chain_call_a_new_hook_once(quiet_stack: LocalStack, hooks: list[Hook]) -> None:
    first, _ = hooks
    root = event()
    hook_admin().delete(hook_admin().namespace(HookKind.PROJECT, "loop%2Fsvc"), hooks[1].id)
    service(quiet_stack).fan_out([root])  # the chain called the first hook
    queued(quiet_stack)
    new = hook_admin().create(hook_admin().namespace(HookKind.PROJECT, "loop%2Fsvc"), {"url": "https://c.invalid"})
    hooks[1] = new

    mine, theirs = event(chain=root.event_uuid), event(chain=root.event_uuid)
    other_batch = service(quiet_stack)
    racing = service(quiet_stack, RacingStore(lambda: other_batch.fan_out([theirs])))
    report = racing.fan_out([mine])  # its conditional write fails; it reads again and decides again

    assert report.per_event[mine.event_uuid] == [] and report.recursion_blocked == 2
    assert queued(quiet_stack) == [(new.id, theirs.event_uuid, root.event_uuid)]
    chain = DeliveryStore().get_chains([ChainKey("loop", root.event_uuid)], datetime.now(UTC))
    assert chain[ChainKey("loop", root.event_uuid)].calls == {first.id: root.event_uuid, new.id: theirs.event_uuid}


def test_a_resend_carries_the_chains_uuid_again(quiet_stack: LocalStack, receiver: Receiver) -> None:
    admin = hook_admin()
    namespace = admin.namespace(HookKind.PROJECT, "resend%2Fchain", creating=True)
    hook = admin.create(namespace, {"url": receiver.url("/chained")})
    chain = str(uuid.uuid4())
    detail = {"scope": {"project": {"path": "resend/chain"}}, "payload": {"ref": "refs/heads/main"}}
    envelope = {"id": str(uuid.uuid4()), "detail-type": "Push Hook", "detail": {**detail, "gitlab_event_uuid": chain}}
    sqs = quiet_stack.client("sqs")
    sqs.send_message(QueueUrl=quiet_stack.environment[settings.INGEST_QUEUE.env_var], MessageBody=json.dumps(envelope))
    try:
        poller(quiet_stack, "IngestFunction").poll_once()
        poller(quiet_stack, "SenderFunction").poll_once()
        (logs, _) = admin.events(namespace, hook.id, frozenset(), 1, 20)
        assert admin.resend(namespace, hook.id, logs[0][0]["log_id"]) == 200
        sent = [request.headers["X-Gitlab-Event-UUID"] for request in receiver.to("/chained")]
        assert sent == [chain, chain]
    finally:
        admin.delete(namespace, hook.id)
