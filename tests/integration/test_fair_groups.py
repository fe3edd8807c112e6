"""The delivery queue as a fair queue: every message the fan-out sends names its tenant's group (system hooks their
own), on moto's standard queue, which takes MessageGroupId as SQS does."""

from __future__ import annotations

import json

from hookline import settings
from hookline.domain.delivery import parse_delivery_message
from hookline.domain.events import HookKind
from hookline.domain.fairness import SYSTEM_GROUP, message_group
from hookline.wiring import hook_admin
from infra.local.stack import LocalStack
from tests.integration.conftest import poller


def _put(stack: LocalStack, path: str, event_id: str) -> None:
    body = {
        "id": event_id,
        "detail-type": "Push Hook",
        "source": "gitlab.test",
        "detail": {"scope": {"project": {"path": path}}, "payload": {"ref": "refs/heads/main"}},
    }
    stack.client("sqs").send_message(
        QueueUrl=stack.environment[settings.INGEST_QUEUE.env_var], MessageBody=json.dumps(body)
    )


def _queued(stack: LocalStack) -> list[tuple[str | None, list[int], str]]:
    sqs, url = stack.client("sqs"), stack.environment[settings.DELIVERY_QUEUE.env_var]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"])
    found = []
    for message in messages.get("Messages", []):
        tasks = parse_delivery_message(message["Body"])
        group = message.get("Attributes", {}).get("MessageGroupId")
        assert all(task.message_group == group for task in tasks)  # the body names the same group
        found.append((group, sorted(task.hook_id for task in tasks), tasks[0].event_uuid))
    return sorted(found, key=lambda item: str(item[0]))


def test_each_tenant_and_the_system_hooks_have_their_own_group(quiet_stack: LocalStack) -> None:
    admin = hook_admin()
    project = admin.create(
        admin.namespace(HookKind.PROJECT, "Fair-A%2Fteam%2Fsvc", creating=True), {"url": "https://example.invalid/p"}
    )
    group_hook = admin.create(admin.namespace(HookKind.GROUP, "Fair-A", creating=True), {"url": "https://x.invalid/g"})
    other = admin.create(
        admin.namespace(HookKind.PROJECT, "fair-b%2Fsvc", creating=True), {"url": "https://example.invalid/b"}
    )
    system_namespace = admin.namespace(HookKind.SYSTEM, None)
    system = admin.create(system_namespace, {"url": "https://example.invalid/s", "push_events": True})
    try:
        _put(quiet_stack, "Fair-A/team/svc", "fair-a-1")
        _put(quiet_stack, "fair-b/svc", "fair-b-1")
        assert poller(quiet_stack, "IngestFunction").poll_once() == 2

        assert _queued(quiet_stack) == sorted(
            [
                (message_group("fair-a"), sorted([project.id, group_hook.id]), "fair-a-1"),
                (message_group("fair-b"), [other.id], "fair-b-1"),
                (SYSTEM_GROUP, [system.id], "fair-a-1"),
                (SYSTEM_GROUP, [system.id], "fair-b-1"),
            ],
            key=lambda item: str(item[0]),
        )
    finally:
        admin.delete(system_namespace, system.id)
