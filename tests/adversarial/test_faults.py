"""The fault tier at a small size: failing receivers, a sender killed mid-batch, a receiver down and back.

The run is ``infra.local.chaos`` (``make chaos`` runs it at 10,000 deliveries); see its docstring for the design.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.local.chaos import SMALL, Fault, Figures, run_chaos
from infra.local.stack import LocalStack


@pytest.fixture(scope="module")
def figures(stack: LocalStack, tmp_path_factory: pytest.TempPathFactory) -> Figures:
    """One run for the module, on the session's stack (its pollers stopped: the run has sender children of its own)."""
    stack.stop_pollers()
    stack.drain_queues()
    try:
        return run_chaos(stack, SMALL, Path(tmp_path_factory.mktemp("chaos")))
    finally:
        stack.drain_queues()


def test_every_delivery_ends_delivered_parked_or_dead_lettered(figures: Figures) -> None:
    assert figures.settled, "\n".join(figures.lines())
    assert figures.deliveries >= SMALL.deliveries
    assert figures.lost == []
    assert (figures.stuck, figures.stuck_keys) == (0, [])
    assert figures.unexpected == []
    # each in one place only: a delivery both delivered and parked would be counted twice
    assert figures.delivered + figures.parked + len(figures.dead_lettered) == figures.deliveries
    assert figures.handler_errors == []


def test_flaky_deliveries_are_delivered_and_only_the_hopeless_are_parked(figures: Figures) -> None:
    """Flaky receivers (and the one that went down) get theirs, none expires; the always-failing ones run out of
    retries, the hook that always answers 410 has its deliveries expire."""
    unlucky = figures.parked_by_kind[("flaky", "exhausted")]  # failed all nine attempts at 30 %: about 1 in 50,000
    assert figures.delivered + unlucky == figures.kinds["flaky"] and unlucky <= 1
    doomed = figures.parked_by_kind[("doomed", "exhausted")] + figures.parked_by_kind[("doomed", "expired")]
    assert figures.parked_by_kind[("doomed", "exhausted")] > 0  # the others' retries waited past the maximum age
    assert doomed == figures.kinds["doomed"]
    assert figures.parked_by_kind[("gone", "expired")] == figures.kinds["gone"] > 0
    assert figures.parked == unlucky + doomed + figures.kinds["gone"]
    assert figures.dead_lettered == {}


def test_duplicates_come_only_from_the_batch_in_flight_at_the_kill(figures: Figures) -> None:
    assert figures.kills == SMALL.kills
    assert figures.in_flight_at_kills
    assert set(figures.duplicates) <= figures.in_flight_at_kills, figures.unexplained_duplicates
    assert figures.duplicates  # the killed batch had sent some before it died: they came again, same key


def test_the_faults_happened(figures: Figures) -> None:
    injected = {Fault(name) for name in figures.faults}
    assert injected >= set(Fault) - {Fault.OK}
    failed = figures.requests - figures.faults[Fault.OK.value] - figures.faults[Fault.TRIPWIRE.value]
    assert failed / figures.requests > 0.25
    assert figures.down_hooks_disabled  # the closed receiver's hooks were disabled, and recovered (all delivered)
    assert figures.virtual_hours > 72  # the clock, not the wall, ran past the maximum age
    assert figures.wall_s < 100
