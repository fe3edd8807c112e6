"""`make run`: the local stack in the foreground until Ctrl-C."""

from __future__ import annotations

import os
import signal
import threading

from hookline import settings
from infra.local.stack import DEFAULT_API_PORT, DEFAULT_AWS_PORT, LocalStack


def main() -> None:
    stack = LocalStack(
        aws_port=int(os.environ.get("HOOKLINE_AWS_PORT", DEFAULT_AWS_PORT)),
        api_port=int(os.environ.get("HOOKLINE_API_PORT", DEFAULT_API_PORT)),
        outbound_allowlist=os.environ.get(settings.OUTBOUND_ALLOWLIST_ENV, "127.0.0.1,::1"),
    ).start()
    print(
        "\nHookline local stack is up.\n"
        f"  management API  {stack.api_url}/api/v4   (readiness: {stack.api_url}/-/readiness)\n"
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
