"""Image URLs made absolute once per event at ingest, through the real handlers to a loopback receiver."""

from __future__ import annotations

import json
import zlib
from typing import Any

import pytest

from hookline import settings
from hookline.adapters import delivery_store
from hookline.config import runtime_config
from hookline.domain.events import HookKind
from hookline.domain.image_urls import GROWTH_LIMIT
from hookline.services.fan_out import payload_text
from hookline.wiring import hook_admin
from infra.local.receiver import Receiver
from infra.local.stack import LocalStack
from tests.integration.conftest import poller


def _deliver(stack: LocalStack, event_id: str, detail_type: str, detail: dict[str, Any]) -> None:
    envelope = {"version": "0", "id": event_id, "detail-type": detail_type, "source": "gitlab.test", "detail": detail}
    stack.client("sqs").send_message(
        QueueUrl=stack.environment[settings.INGEST_QUEUE.env_var], MessageBody=json.dumps(envelope)
    )
    assert poller(stack, "IngestFunction").poll_once() == 1
    while poller(stack, "SenderFunction").poll_once():
        pass


@pytest.fixture
def note_hook(quiet_stack: LocalStack, receiver: Receiver) -> Any:
    admin = hook_admin()
    namespace = admin.namespace(HookKind.PROJECT, "images%2Fsvc", creating=True)
    hook = admin.create(namespace, {"url": receiver.url("/notes"), "push_events": False, "note_events": True})
    yield hook
    admin.delete(admin.namespace(HookKind.PROJECT, "images%2Fsvc"), hook.id)


def test_a_notes_image_references_arrive_absolute_and_its_links_do_not(
    quiet_stack: LocalStack, receiver: Receiver, note_hook: Any
) -> None:
    text = "Before ![shot](/uploads/abc/shot.png), the [log](/uploads/abc/log.txt) and ![web](https://x.test/a.png)"
    payload = {
        "object_kind": "note",
        "object_attributes": {"note": text, "description": text},
        "issue": {"description": "![i](uploads/def/i.png)"},
    }
    _deliver(
        quiet_stack,
        "images-1",
        "Note Hook",
        {"scope": {"project": {"id": 555, "path": "images/svc"}}, "payload": payload},
    )

    (request,) = receiver.to("/notes")
    base = f"{runtime_config().instance_url.rstrip('/')}/-/project/555/uploads"
    body = request.json
    assert body["object_attributes"]["description"] == (
        f"Before ![shot]({base}/abc/shot.png), the [log](/uploads/abc/log.txt) and ![web](https://x.test/a.png)"
    )
    assert body["object_attributes"]["note"] == text  # GitLab keeps the note itself as written
    assert body["issue"]["description"] == f"![i]({base}/def/i.png)"


def test_ten_thousand_references_are_delivered_with_bounded_growth(
    quiet_stack: LocalStack, receiver: Receiver, note_hook: Any
) -> None:
    text = "![](/uploads/a/b)" * 10_000
    payload = {"object_kind": "note", "object_attributes": {"description": text}}
    scope = {"project": {"id": 556, "path": "images/svc"}}
    _deliver(quiet_stack, "images-2", "Note Hook", {"scope": scope, "payload": payload})

    (request,) = receiver.to("/notes")
    description = request.json["object_attributes"]["description"]
    assert 0 < len(description) - len(text) <= GROWTH_LIMIT
    assert "/-/project/556/uploads/a/b" in description and description.endswith("![](/uploads/a/b)")


def test_a_rewrite_past_the_payload_limit_delivers_the_payload_as_sent(
    quiet_stack: LocalStack, receiver: Receiver, note_hook: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = "".join(f"![{n}](/uploads/{n:05d}/i.png)" for n in range(2_000))
    payload = {"object_kind": "note", "object_attributes": {"description": text}}
    original = len(zlib.compress(payload_text(payload).encode(), 6))
    monkeypatch.setattr(delivery_store, "PAYLOAD_BLOB_LIMIT", original)  # the rewritten payload no longer fits
    _deliver(
        quiet_stack,
        "images-3",
        "Note Hook",
        {"scope": {"project": {"id": 557, "path": "images/svc"}}, "payload": payload},
    )

    (request,) = receiver.to("/notes")
    assert request.json == payload
