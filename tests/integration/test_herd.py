"""Several sender workers at once drain a recovered hook's backlog (issue 13's herd): the hook's concurrency limit holds
across all of them, and the backlog starts at one request at a time.

The workers are Lambda-like SQS pollers (threads) invoking the real sender handler against the stack's moto; the
receiver on loopback counts what is in flight at each arrival and fails past its capacity. The clock is moved, never
waited: the hook's disable window ends by moving it (bench.herd.run_herd).
"""

from __future__ import annotations

import uuid

from bench.herd import LimitedReceiver, run_herd
from hookline import settings
from infra.local.stack import LocalStack

LIMIT = 3  # the hook's concurrency_limit, and what the receiver can take
DELIVERIES = 40
WORKERS = 4


def test_a_recovered_hooks_backlog_never_has_more_than_its_limit_in_flight_and_starts_at_one(
    quiet_stack: LocalStack,
) -> None:
    receiver = LimitedReceiver(capacity=LIMIT, service_s=0.05).start()
    try:
        run = run_herd(
            receiver,
            lambda: quiet_stack.client("sqs"),
            quiet_stack.environment[settings.DELIVERY_QUEUE.env_var],
            f"herd-{uuid.uuid4().hex[:8]}/team/svc",
            gated=True,
            deliveries=DELIVERIES,
            workers=WORKERS,
            timeout_s=300,
        )
    finally:
        receiver.stop()

    assert run.drained and run.delivered == DELIVERIES, run
    # never more than the limit in flight, whatever the number of senders: nothing refused, never disabled again
    assert run.peak_in_flight <= LIMIT and run.refused == 0 and run.re_disables == 0, run
    # the probe goes alone, then slow start's first window of one; then the window grows
    assert run.first_in_flight[:2] == [1, 1], run.first_in_flight
    assert run.peak_in_flight > 1, run
