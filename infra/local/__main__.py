"""`make run`: the local stack in the foreground until Ctrl-C."""

from __future__ import annotations

import os
import signal
import sys
import threading

from hookline import settings
from hookline.config import ConfigError
from infra.local.ports import BadPort, PortUnusable, ports_from_environ
from infra.local.stack import LocalStack


def main() -> None:
    try:
        aws_port, api_port = ports_from_environ(os.environ)
        stack = LocalStack(
            aws_port=aws_port,
            api_port=api_port,
            outbound_allowlist=os.environ.get(settings.OUTBOUND_ALLOWLIST_ENV, "127.0.0.1,::1"),
        ).start()
    except (BadPort, PortUnusable, ConfigError) as error:
        sys.exit(f"Hookline's local stack did not start.\n{error}")  # exit status 1, the reason on stderr
    print(
        "\nHookline local stack is up.\n"
        f"  management API  {stack.api_url}/api/v4   (readiness: {stack.api_url}/-/readiness)\n"
        f"  web console     {stack.api_url}/console/\n"
        f"  embedded AWS    {stack.aws_endpoint}   (moto server; export AWS_ENDPOINT_URL={stack.aws_endpoint})\n"
        f"  event bus       {settings.bus_name()}\n"
        f"  admin token     {stack.admin_token}\n"
        f"  outbound allow-list  {stack.outbound_allowlist}\n"
        "Press Ctrl-C to stop.\n",
        flush=True,
    )
    stopped = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    stopped.wait()
    print("Stopping…", flush=True)
    stack.stop()


if __name__ == "__main__":
    main()
