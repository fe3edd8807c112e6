"""`python -m bench.lambdas`: the ingest and sender functions behind their SQS pollers, in a process of their own.

Figure 5 times the path from PutEvents to the receiver. In AWS the functions do not share an interpreter with the
producer or the receivers; here they would, and each would wait on the others' interpreter lock. So the functions run
in this child, configured by the stack's environment. Lines on stdin: ``reset`` clears the timings; when stdin closes,
the pollers stop and the child prints the timings as JSON.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from infra.local.child import ChildServer, ignore_interrupts


@contextmanager
def lambdas_process(environment: dict[str, str]) -> Iterator[ChildServer]:
    """The functions polling the stack's queues in a child process; ``stop()`` answers their timings."""
    child = ChildServer(__name__, env={**os.environ, **environment})
    try:
        yield child
    finally:
        child.stop()


def summary_of(printed: str) -> dict[str, Any]:
    """The timings the child printed when it stopped (empty if it printed none)."""
    lines = [line for line in printed.splitlines() if line.startswith("{")]
    return dict(json.loads(lines[-1])) if lines else {}


def main() -> None:
    # Powertools binds its log handler to sys.stdout when hookline is imported: keep stdout for this protocol.
    protocol, sys.stdout = sys.stdout, open(os.devnull, "w")  # noqa: SIM115 - open for the life of the process

    from bench.workload import Pollers
    from hookline.adapters import aws

    ignore_interrupts()
    pollers = Pollers(dict(os.environ), aws.sqs())
    pollers.start()
    print("ready", file=protocol, flush=True)
    for line in sys.stdin:
        if line.strip() == "reset":
            pollers.reset()
    pollers.stop()
    print(json.dumps(pollers.summary()), file=protocol, flush=True)


if __name__ == "__main__":
    main()
