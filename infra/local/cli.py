"""Quick-start helpers for the local stack: a receiver that prints deliveries, putting an event, reading logs.

python -m infra.local.cli receive --port 9000
python -m infra.local.cli put-event [--file detail.json] [--detail-type "Push Hook"]
python -m infra.local.cli logs HOOK_ID
"""

from __future__ import annotations

import argparse
import json
import os
import threading
from contextlib import nullcontext
from typing import Any

import boto3

from hookline import settings
from infra.local.ports import AWS_PORT_ENV, DEFAULT_AWS_PORT
from infra.local.receiver import Received, Receiver

SAMPLE_PUSH = {
    "scope": {"project": {"id": 42, "path": "acme/platform/api"}},
    "payload": {
        "object_kind": "push",
        "event_name": "push",
        "before": "95790bf891e76fee5e1747ab589903a6a1f80f22",
        "after": "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
        "ref": "refs/heads/main",
        "user_username": "jsmith",
        "project_id": 42,
        "project": {"id": 42, "name": "api", "path_with_namespace": "acme/platform/api"},
        "commits": [{"id": "da1560886d4f094c3e6c9ef40349f7d38b5d27d7", "message": "Fix the thing"}],
        "total_commits_count": 1,
    },
}


def _use_local_aws() -> None:
    """Point boto3 at the local stack's moto server unless the environment already says where AWS is."""
    port = os.environ.get(AWS_PORT_ENV) or DEFAULT_AWS_PORT
    defaults = {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    for name, value in defaults.items():
        os.environ.setdefault(name, value)


def receive(port: int) -> None:
    def show(request: Received) -> None:
        print(f"--- POST {request.path}", flush=True)
        for name, value in request.headers.items():
            print(f"{name}: {value}")
        print(request.body.decode(errors="replace"), flush=True)

    Receiver().start(port=port, on_request=show)
    print(f"Receiving webhooks on http://127.0.0.1:{port}/ (Ctrl-C to stop)", flush=True)
    threading.Event().wait()


def put_event(events: Any, detail_type: str, detail: dict[str, Any], source: str = "quickstart") -> str:
    """Put one event on the Hookline bus; its EventBridge id (the deliveries' X-Gitlab-Event-UUID)."""
    answer = events.put_events(
        Entries=[
            {
                "Source": source,
                "DetailType": detail_type,
                "Detail": json.dumps(detail),
                "EventBusName": settings.bus_name(),
            }
        ]
    )
    if answer["FailedEntryCount"]:
        raise RuntimeError(f"the event was not put: {answer['Entries']}")
    return str(answer["Entries"][0]["EventId"])


def logs(hook_id: int) -> None:
    os.environ.setdefault(settings.DELIVERIES_TABLE.env_var, settings.DELIVERIES_TABLE.name)
    from hookline.adapters import aws
    from hookline.adapters.delivery_store import DeliveryStore

    _use_local_aws()
    aws.dynamodb.cache_clear()
    print(json.dumps(DeliveryStore().recent_logs(hook_id), indent=2, default=str))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m infra.local.cli")
    commands = parser.add_subparsers(dest="command", required=True)
    receiver = commands.add_parser("receive", help="print every webhook received")
    receiver.add_argument("--port", type=int, default=9000)
    event = commands.add_parser("put-event", help="put an event on the local bus (a sample push by default)")
    event.add_argument("--detail-type", default="Push Hook")
    event.add_argument("--file", help="a JSON file with the event's detail")
    log = commands.add_parser("logs", help="a hook's delivery logs (last 2 days)")
    log.add_argument("hook_id", type=int)
    args = parser.parse_args(argv)
    _use_local_aws()
    if args.command == "receive":
        receive(args.port)
    elif args.command == "put-event":
        with open(args.file) if args.file else nullcontext() as source:
            detail = json.load(source) if source else SAMPLE_PUSH
        print(put_event(boto3.client("events"), args.detail_type, detail))
    else:
        logs(args.hook_id)


if __name__ == "__main__":
    main()
