"""The queued delivery path applies url variables, custom headers and the template, and logs none of the secrets."""

from __future__ import annotations

import json

from hookline.adapters.delivery_store import DeliveryStore
from hookline.domain.events import HookKind
from hookline.wiring import hook_admin
from infra.local.receiver import Receiver
from infra.local.stack import LocalStack
from tests.e2e.test_core_path import _put_event
from tests.integration.conftest import poller


def test_fan_out_to_a_hook_with_variables_headers_and_template(quiet_stack: LocalStack, receiver: Receiver) -> None:
    admin = hook_admin()
    namespace = admin.namespace(HookKind.PROJECT, "sender%2Ffields", creating=True)
    hook = admin.create(
        namespace,
        {
            "url": receiver.base_url + "/{where}",
            "url_variables": {"where": "hidden-path"},
            "custom_headers": {"X-Secret": "hidden-header"},
            "custom_webhook_template": '{"ref":"{{ref}}","last":{{commits.-1}}}',
        },
    )
    payload = {"object_kind": "push", "ref": "refs/heads/main", "commits": [{"id": "a"}, {"id": "b"}]}
    _put_event(quiet_stack, "Push Hook", {"scope": {"project": {"path": "sender/fields"}}, "payload": payload})
    for name in ("IngestFunction", "SenderFunction"):
        assert poller(quiet_stack, name).poll_once() == 1

    (request,) = receiver.requests
    event_id = request.headers["X-Gitlab-Event-UUID"]
    assert request.path == "/hidden-path" and request.headers["X-Secret"] == "hidden-header"
    assert request.json == {"ref": "refs/heads/main", "last": {"id": "b"}}
    (log,) = DeliveryStore().recent_logs(hook.id)
    assert log["request_data"] == '{"ref":"refs/heads/main","last":{"id":"b"}}'  # differs from the stored payload
    assert log["url"] == receiver.base_url + "/{where}" and log["request_headers"]["X-Secret"] == "[REDACTED]"
    assert "hidden-" not in json.dumps(log, default=str)
    assert DeliveryStore().get_payloads([event_id]) == {event_id: json.dumps(payload, separators=(",", ":"))}
