"""A receiver that fails and then recovers, on the local stack, with the clock moved instead of waited on."""

from __future__ import annotations

import json
from datetime import timedelta

import gitlab
import pytest

from hookline import settings
from hookline.adapters.delivery_store import DeliveryStore
from hookline.clock import CLOCK
from hookline.domain.hook_state import HookState
from hookline.wiring import hook_admin
from infra.local.receiver import Receiver, wait_until
from infra.local.stack import LocalStack

PATH = "/recovering"


def _put_pushes(stack: LocalStack, count: int, path: str = "recovery/svc") -> list[str]:
    entries = [
        {
            "Source": "gitlab.test",
            "DetailType": "Push Hook",
            "Detail": json.dumps({"scope": {"project": {"path": path}}, "payload": {"ref": "refs/heads/main", "n": i}}),
            "EventBusName": settings.bus_name(),
        }
        for i in range(count)
    ]
    answer = stack.client("events").put_events(Entries=entries)
    assert answer["FailedEntryCount"] == 0
    return [entry["EventId"] for entry in answer["Entries"]]


def test_disabled_window_probe_then_backlog_with_original_keys(
    running: LocalStack, gl: gitlab.Gitlab, receiver: Receiver
) -> None:
    hook = gl.projects.get("recovery/svc", lazy=True).hooks.create({"url": receiver.url(PATH)})
    receiver.statuses[PATH] = 500
    sender = next(p for p in running.pollers if p.name == "SenderFunction")

    first = _put_pushes(running, 4)
    receiver.wait_for(lambda requests: len([r for r in requests if r.path == PATH]) >= 4)
    stored = wait_until(lambda: (h := hook_admin().store.get(hook.id)) and h.recent_failures >= 4 and h)
    assert stored.recent_failures == 4 and stored.disabled_until is not None
    assert gl.projects.get("recovery/svc", lazy=True).hooks.get(hook.id).alert_status == "temporarily_disabled"
    failed_keys = {r.headers["Idempotency-Key"] for r in receiver.to(PATH)}

    # during the window: new events and the retries are held, never attempted, however often the sender looks
    receiver.statuses[PATH] = 200
    during = _put_pushes(running, 3)
    batches = sender.batches
    wait_until(lambda: sender.batches >= batches + 6, timeout=60)
    assert len(receiver.to(PATH)) == 4
    assert hook_admin().store.get(hook.id).recent_failures == 4  # holds are not failures

    # the window ends: one probe first, then everything flows
    CLOCK.advance(stored.disabled_until - CLOCK.now() + timedelta(seconds=2))
    receiver.wait_for(
        lambda requests: len([r for r in requests if r.path == PATH and r.status == 200]) >= 7, timeout=60
    )
    after = sorted((r for r in receiver.to(PATH) if r.status == 200), key=lambda r: r.arrived)
    probe, backlog = after[0], after[1:]
    assert all(probe.answered <= other.arrived for other in backlog), "the probe went alone"

    delivered = {r.headers["Idempotency-Key"] for r in after}
    assert len(after) == 7 and len(delivered) == 7  # each event once after recovery
    assert failed_keys <= delivered  # the retries carried the original Idempotency-Keys
    assert {r.headers["X-Gitlab-Event-UUID"] for r in after} == set(first) | set(during)
    assert gl.projects.get("recovery/svc", lazy=True).hooks.get(hook.id).alert_status == "executable"
    hook.delete()


def test_parked_deliveries_come_back_after_a_successful_test_and_recover(
    running: LocalStack, gl: gitlab.Gitlab, receiver: Receiver
) -> None:
    project = gl.projects.get("parked/svc", lazy=True)
    hook = project.hooks.create({"url": receiver.url("/parked")})
    store = hook_admin().store
    assert store.replace_state(hook.id, HookState(), HookState(40, CLOCK.now()))
    assert project.hooks.get(hook.id).alert_status == "disabled"
    since = CLOCK.now() - timedelta(minutes=1)

    (event_id,) = _put_pushes(running, 1, "parked/svc")
    deliveries = DeliveryStore()
    wait_until(lambda: deliveries.parked(hook.id, since, CLOCK.now() + timedelta(minutes=1)))
    assert receiver.to("/parked") == []

    receiver.statuses["/parked"] = 500
    with pytest.raises(gitlab.GitlabHookTestError) as failed:
        hook.test("push_events")
    assert failed.value.response_code == 422
    receiver.statuses["/parked"] = 200
    hook.test("push_events")  # forced, and a 2xx re-enables
    assert project.hooks.get(hook.id).alert_status == "executable"

    path = f"/projects/parked%2Fsvc/hooks/{hook.id}/recover"
    answer = gl.http_post(path, post_data={"since": since.isoformat()})
    assert answer == {"recovered": 1, "remaining": 0}
    delivered = receiver.wait_for(lambda requests: any(r.headers["X-Gitlab-Event-UUID"] == event_id for r in requests))
    (recovered,) = [r for r in delivered if r.headers["X-Gitlab-Event-UUID"] == event_id]
    assert recovered.json == {"ref": "refs/heads/main", "n": 0}
    hook.delete()
