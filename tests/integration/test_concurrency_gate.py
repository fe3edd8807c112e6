"""The concurrency gate on moto, with real receivers on loopback: shared by concurrent senders, slow start after a
probe, and a receiver's 429 pausing its hook for every sender."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from hookline.adapters.gate_store import GateStore
from hookline.adapters.http_client import HttpSender
from hookline.domain.delivery import DeliveryTask, idempotency_key
from hookline.domain.events import HookKind
from hookline.domain.gate import Gate, Lease
from hookline.domain.hook_state import HookState
from hookline.services.delivery import QueuedTask
from hookline.wiring import delivery_sender, hook_admin
from infra.local.http_server import QuietHandler
from infra.local.receiver import Receiver
from infra.local.stack import LocalStack

T0 = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
WAIT_S = 60.0  # generous: how long a test waits for something that happens at once when all is well


@dataclass
class HoldingReceiver:
    """Answers 200, but only once the test lets the requests go; counts the requests in flight and their peak."""

    in_flight: int = 0
    peak: int = 0
    served: int = 0
    release: threading.Event = field(default_factory=threading.Event)
    changed: threading.Condition = field(default_factory=threading.Condition)

    def handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                self.read_body()
                with receiver.changed:
                    receiver.in_flight += 1
                    receiver.peak = max(receiver.peak, receiver.in_flight)
                    receiver.changed.notify_all()
                receiver.release.wait(WAIT_S)
                with receiver.changed:
                    receiver.in_flight -= 1
                    receiver.served += 1
                    receiver.changed.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

        return Handler


@pytest.fixture
def holding() -> Iterator[tuple[HoldingReceiver, str]]:
    receiver = HoldingReceiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), receiver.handler())
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield receiver, f"http://127.0.0.1:{server.server_address[1]}/hook"
    receiver.release.set()
    server.shutdown()


def _hook(namespace: str, url: str, **fields: Any):
    admin = hook_admin()
    return admin.create(admin.namespace(HookKind.PROJECT, namespace, creating=True), {"url": url, **fields})


def _queued(hook_id: int, event_uuid: str) -> QueuedTask:
    task = DeliveryTask(
        hook_id=hook_id,
        event_uuid=event_uuid,
        event_name="Push Hook",
        idempotency_key=idempotency_key(event_uuid, hook_id),
        body='{"object_kind":"push"}',
        queued_at=T0,
    )
    return QueuedTask(task, message_id=event_uuid, receipt_handle="not-received", receive_count=1)


def _sender(scratch_queue: str, now: datetime = T0):
    return replace(delivery_sender(), clock=lambda: now, queue_url=scratch_queue)


def test_concurrent_senders_never_have_more_than_the_hooks_limit_in_flight(
    quiet_stack: LocalStack, holding: tuple[HoldingReceiver, str], scratch_queue: str
) -> None:
    receiver, url = holding
    hook = _hook("gate%2Fshared", url, concurrency_limit=2)
    # The receiver holds its requests while the test looks: the sender must not give up on them meanwhile (a request
    # that timed out frees its slot while the receiver still counts it in flight).
    patient = replace(
        delivery_sender().policy, send_window_seconds=4 * WAIT_S, lease_duration=timedelta(seconds=5 * WAIT_S)
    )
    sender = replace(
        _sender(scratch_queue), http=HttpSender(delivery_sender().http.allowlist, timeout_s=3 * WAIT_S), policy=patient
    )
    senders, per_batch = 6, 3
    start = threading.Barrier(senders)
    reports: list[Any] = []

    def one(index: int) -> None:
        start.wait()
        reports.append(sender.deliver([_queued(hook.id, f"ev-shared-{index}-{n}") for n in range(per_batch)]))

    threads = [threading.Thread(target=one, args=(index,)) for index in range(senders)]
    for thread in threads:
        thread.start()
    with receiver.changed:  # at most two senders hold slots; every other one gives up at once
        receiver.changed.wait_for(lambda: len(reports) >= senders - 2 and receiver.in_flight >= 1, WAIT_S)
        in_flight_while_held = receiver.in_flight
    receiver.release.set()
    for thread in threads:
        thread.join(WAIT_S)

    seen = [(report.attempted, report.held_by_gate) for report in reports]
    assert in_flight_while_held <= 2, (seen, receiver)
    assert receiver.peak <= 2, (seen, receiver)
    sent = sum(report.attempted for report in reports)
    held = sum(report.held_by_gate for report in reports)
    assert sent >= per_batch and sent + held == senders * per_batch  # every delivery was either sent or held
    assert receiver.served == sent
    assert sum(report.hooks_at_limit for report in reports) == held // per_batch
    gate = GateStore().get(hook.id)
    assert gate.in_flight(T0) == 0  # every lease was given back


def test_a_recovered_hooks_backlog_starts_at_one_and_doubles_as_successes_come_back(
    quiet_stack: LocalStack, receiver: Receiver, scratch_queue: str
) -> None:
    hook = _hook("gate%2Fslow-start", receiver.url("/slow-start"))
    store = hook_admin().store
    assert store.replace_state(hook.id, HookState(), HookState(4, T0 - timedelta(seconds=1)))  # the window ended
    sender = _sender(scratch_queue)
    gates = GateStore()

    probe = sender.deliver([_queued(hook.id, f"ev-probe-{n}") for n in range(3)])
    assert (probe.succeeded, probe.held) == (1, 2)  # one probe goes alone
    assert gates.get(hook.id).window == 1

    windows = []
    for round_ in range(3):
        report = sender.deliver([_queued(hook.id, f"ev-ramp-{round_}-{n}") for n in range(6)])
        assert report.succeeded == 6
        windows.append(gates.get(hook.id).window)
    assert windows == [2, None, None]  # 1 → 2 → 4 (the limit, stored as absent)

    receiver.statuses["/slow-start"] = 500
    sender.deliver([_queued(hook.id, "ev-ramp-failure")])
    assert gates.get(hook.id).window == 2  # a failure halves it


def test_a_429_pauses_the_hook_for_every_sender_until_its_retry_after(
    quiet_stack: LocalStack, receiver: Receiver, scratch_queue: str
) -> None:
    receiver.statuses["/busy"] = 429
    receiver.replies["/busy"] = ([("Retry-After", "120")], b"slow down")
    hook = _hook("gate%2Fpaused", receiver.url("/busy"))
    first = _sender(scratch_queue).deliver([_queued(hook.id, "ev-busy")])
    assert first.failed == 1
    assert GateStore().get(hook.id).paused_until == T0 + timedelta(seconds=120)

    receiver.statuses["/busy"] = 200
    neighbour = _hook("gate%2Fpaused-neighbour", receiver.url("/calm"))
    another = _sender(scratch_queue, T0 + timedelta(seconds=60))  # another sender, a minute later
    held = another.deliver([_queued(hook.id, "ev-while-paused"), _queued(neighbour.id, "ev-calm")])
    assert (held.attempted, held.succeeded, held.held_by_gate, held.hooks_at_limit) == (1, 1, 1, 1)
    assert len([r for r in receiver.requests if r.path == "/busy"]) == 1
    assert len([r for r in receiver.requests if r.path == "/calm"]) == 1  # the pause is its hook's alone

    after = _sender(scratch_queue, T0 + timedelta(seconds=121)).deliver([_queued(hook.id, "ev-after-pause")])
    assert after.succeeded == 1


def test_a_lease_whose_sender_died_lapses(quiet_stack: LocalStack, receiver: Receiver, scratch_queue: str) -> None:
    hook = _hook("gate%2Flapsed", receiver.url("/lapsed"), concurrency_limit=1)
    gates = GateStore()
    dead = Gate({"dead-sender": Lease(1, T0 + timedelta(minutes=1))}, version=1)
    assert gates.acquire(hook.id, Gate(), dead)
    assert _sender(scratch_queue).deliver([_queued(hook.id, "ev-blocked")]).held_by_gate == 1
    later = _sender(scratch_queue, T0 + timedelta(minutes=2)).deliver([_queued(hook.id, "ev-unblocked")])
    assert later.succeeded == 1
    assert gates.get(hook.id).leases == {}


def test_an_acquisition_computed_from_a_stale_gate_is_refused(quiet_stack: LocalStack) -> None:
    gates = GateStore()
    mine = Gate({"a": Lease(1, T0)}, version=1)
    assert gates.acquire(4242, Gate(), mine)
    assert not gates.acquire(4242, Gate(), Gate({"b": Lease(4, T0)}, version=1))  # raced: refused
    assert gates.acquire(4242, mine, Gate({"a": Lease(1, T0), "b": Lease(1, T0)}, version=2))
    assert set(gates.get(4242).leases) == {"a", "b"}


def test_a_full_hook_holds_only_its_own_deliveries(
    quiet_stack: LocalStack, receiver: Receiver, scratch_queue: str
) -> None:
    full = _hook("gate%2Ffull", receiver.url("/full"), concurrency_limit=1)
    neighbour = _hook("gate%2Fneighbour", receiver.url("/neighbour"))
    gates = GateStore()
    assert gates.acquire(full.id, Gate(), Gate({"busy": Lease(1, T0 + timedelta(minutes=1))}, version=1))
    report = _sender(scratch_queue).deliver(
        [_queued(full.id, "ev-full-1"), _queued(neighbour.id, "ev-neighbour"), _queued(full.id, "ev-full-2")]
    )
    assert (report.succeeded, report.held_by_gate, report.hooks_at_limit) == (1, 2, 1)
    assert [request.path for request in receiver.requests] == ["/neighbour"]
    assert len(report.logs) == 1  # the neighbour's delivery, logged; the held ones are not attempts


def test_a_hook_far_below_its_limit_costs_one_write_a_batch(
    quiet_stack: LocalStack, receiver: Receiver, scratch_queue: str
) -> None:
    hook = _hook("gate%2Fquiet", receiver.url("/quiet"))  # limit 4
    gates = GateStore()
    writes: list[str] = []
    acquire, release = gates.acquire, gates.release
    sender = replace(_sender(scratch_queue), gates=gates)
    gates.acquire = lambda *args: writes.append("acquire") or acquire(*args)  # type: ignore[method-assign]
    gates.release = lambda *args: writes.append("release") or release(*args)  # type: ignore[method-assign]

    assert sender.deliver([_queued(hook.id, "ev-quiet-1")]).succeeded == 1
    assert writes == ["acquire"]  # one slot of four, one round: the lease lapses by itself
    (lease,) = gates.get(hook.id).leases.values()
    assert lease.until == T0 + sender.policy.round_lease

    assert sender.deliver([_queued(hook.id, "ev-quiet-2")]).succeeded == 1
    assert writes == ["acquire", "acquire"]  # two of four in use: still far below
    assert sender.deliver([_queued(hook.id, "ev-quiet-3")]).succeeded == 1
    assert writes == ["acquire", "acquire", "acquire", "release"]  # three of four: given back at once
    assert len(gates.get(hook.id).leases) == 2

    later = replace(sender, clock=lambda: T0 + sender.policy.round_lease + timedelta(seconds=1))
    assert later.deliver([_queued(hook.id, "ev-quiet-4")]).succeeded == 1
    assert len(gates.get(hook.id).leases) == 1  # the lapsed ones were dropped by its acquisition
