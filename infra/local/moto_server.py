"""`python -m infra.local.moto_server HOST PORT [speedups|plain]`: moto server in a process of its own.

In the handlers' process, moto's request handling (pure Python) would share one interpreter lock with the handlers,
the pollers and the API server, and each would wait on the others. Port 0 picks a free port; the child prints its
endpoint and serves until its stdin closes.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

from infra.local.child import ChildServer, ignore_interrupts, serve_until_stdin_closes
from infra.local.ports import AWS_PORT_ENV, Port, PortUnusable, unusable

AWS_PORT = "the embedded AWS (moto server)"


class MotoProcess:
    """The embedded AWS: moto server in a child process, its standard queues fair (infra.local.moto_fair_queues);
    ``speedups=False``: without the speed-ups, moto's own request handling."""

    def __init__(self, host: str, port: int, speedups: bool = True) -> None:
        try:
            self.child = ChildServer(__name__, host, str(port), "speedups" if speedups else "plain")
        except RuntimeError:
            problem = unusable(host, port) if port else None
            if problem:  # taken since the stack checked it
                raise PortUnusable([(Port(port, AWS_PORT, AWS_PORT_ENV), problem)]) from None
            raise
        self.endpoint = self.child.address

    @property
    def port(self) -> int:
        return int(self.endpoint.rsplit(":", 1)[1])

    def stop(self) -> None:
        self.child.stop()


def main(host: str, port: int, speedups: bool) -> None:
    from moto.server import ThreadedMotoServer

    from infra.local import moto_fair_queues, moto_speedups

    os.environ["MOTO_SQS_ENFORCE_STRICT_QUEUE_PURGE_BEHAVIOUR"] = "false"  # tests purge between scenarios
    if speedups:
        moto_speedups.apply()
    moto_fair_queues.apply()  # SQS's fair queues: what the delivery queue is in AWS
    _dynamodb_requests_one_at_a_time()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    if port and unusable(host, port):
        sys.exit(1)  # moto's server thread would die and its start() wait for ever; the parent says why
    server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
    server.start()
    bound_host, bound_port = server.get_host_and_port()  # port 0 asked for a free one
    try:
        serve_until_stdin_closes(f"http://{bound_host}:{bound_port}")
    finally:
        server.stop()


def _dynamodb_requests_one_at_a_time() -> None:
    """DynamoDB applies each request atomically (a transaction's conditions and writes together); moto's threaded
    server does not, and a transaction even copies tables that other threads are changing. One lock restores it."""
    import threading

    from moto.dynamodb.responses import DynamoHandler

    original = DynamoHandler.call_action
    lock = threading.Lock()

    def call_action(self: DynamoHandler) -> Any:
        with lock:
            return original(self)

    DynamoHandler.call_action = call_action  # type: ignore[method-assign]


if __name__ == "__main__":
    ignore_interrupts()
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3:] != ["plain"])
