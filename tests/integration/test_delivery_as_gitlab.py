"""Deliveries and their "Recent events" as GitLab makes them, end to end on the local stack with real receivers:
GitLab's User-Agent, percent-decoded Basic auth, redirects followed and logged, answers decoded and cut as GitLab
marks them, header names as GitLab shows them, no secret and no email in what the API shows."""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from hookline import settings
from hookline.config import runtime_config
from hookline.domain.events import HookKind
from hookline.wiring import hook_admin
from infra.local.receiver import Receiver
from infra.local.stack import LocalStack
from tests.e2e.test_core_path import _put_event
from tests.integration.conftest import poller

PROJECT = "delivery/as-gitlab"
PAYLOAD = {
    "object_kind": "push",
    "ref": "refs/heads/main",
    "user_email": "jane@example.com",
    "commits": [{"id": "a1", "author": {"name": "Jane", "email": "jane.doe+ci@example.co.uk"}, "message": "a@b c"}],
}


def _deliver(stack: LocalStack, payload: dict[str, Any] = PAYLOAD) -> None:
    _put_event(stack, "Push Hook", {"scope": {"project": {"path": PROJECT}}, "payload": payload})
    for name in ("IngestFunction", "SenderFunction"):
        assert poller(stack, name).poll_once() == 1


def _events(stack: LocalStack, hook_id: int) -> list[dict[str, Any]]:
    answer = httpx.get(
        f"{stack.api_url}/api/v4/projects/{PROJECT.replace('/', '%2F')}/hooks/{hook_id}/events",
        headers={"PRIVATE-TOKEN": stack.admin_token},
    )
    assert answer.status_code == 200, answer.text
    return list(answer.json())


def _hook(url: str, **fields: Any) -> int:
    admin = hook_admin()
    namespace = admin.namespace(HookKind.PROJECT, PROJECT.replace("/", "%2F"), creating=True)
    return admin.create(namespace, {"url": url, **fields}).id


@pytest.fixture
def fresh_config(quiet_stack: LocalStack, monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Environment changes a test makes reach the handlers (their config is cached per process)."""
    yield monkeypatch
    monkeypatch.undo()
    LocalStack._reset_process_caches()


def test_deliveries_carry_gitlabs_user_agent_and_the_setting_overrides_it(
    quiet_stack: LocalStack, receiver: Receiver, fresh_config: pytest.MonkeyPatch
) -> None:
    _hook(receiver.url("/ua"))
    _deliver(quiet_stack)
    assert receiver.to("/ua")[0].headers["User-Agent"] == "GitLab/19.0.0"

    fresh_config.setenv(settings.GITLAB_VERSION_ENV, "18.2.1-ee")
    LocalStack._reset_process_caches()
    _deliver(quiet_stack)
    assert receiver.to("/ua")[1].headers["User-Agent"] == "GitLab/18.2.1-ee"

    fresh_config.setenv(settings.GITLAB_VERSION_ENV, "18.2\r\nX-Injected: 1")
    LocalStack._reset_process_caches()
    with pytest.raises(ValueError, match=f"{settings.GITLAB_VERSION_ENV}=.* is not a GitLab version such as 19.0.0"):
        runtime_config()


def test_userinfo_is_percent_decoded_into_basic_auth_and_never_shown(
    quiet_stack: LocalStack, receiver: Receiver
) -> None:
    expected = base64.b64encode(b"us@er:p:ss").decode()
    receiver.replies["/auth"] = ([("X-Echo-Auth", f"Basic {expected}")], f'{{"you sent": "{expected}"}}'.encode())
    hook_id = _hook(receiver.url("/auth").replace("http://", "http://us%40er:p%3Ass@"))
    _deliver(quiet_stack)
    assert receiver.to("/auth")[0].headers["Authorization"] == f"Basic {expected}"
    (event,) = _events(quiet_stack, hook_id)
    assert event["url"].startswith("http://[REDACTED]@127.0.0.1:")
    assert event["response_headers"]["X-Echo-Auth"] == "Basic [REDACTED]"
    assert event["response_body"] == '{"you sent": "[REDACTED]"}'
    assert expected not in json.dumps(event) and "p%3Ass" not in json.dumps(event)


def test_a_moved_receiver_gets_the_delivery_and_the_hops_are_logged(
    quiet_stack: LocalStack, receiver: Receiver
) -> None:
    receiver.statuses["/old"] = 308
    receiver.locations["/old"] = "/new"
    hook_id = _hook(receiver.url("/old"), token="t0ken")
    _deliver(quiet_stack)
    assert [(request.path, request.method) for request in receiver.requests] == [("/old", "POST"), ("/new", "POST")]
    assert receiver.to("/new")[0].json == PAYLOAD
    (event,) = _events(quiet_stack, hook_id)
    assert event["response_status"] == "200"
    assert event["redirects"] == [{"status": 308, "location": "/new"}]


def test_recent_events_show_the_answer_as_gitlab_does(quiet_stack: LocalStack, receiver: Receiver) -> None:
    """Emails redacted in request_data (the receiver got them), the gzip body decoded and cut at 8 KB with GitLab's
    mark, header names as the receiver sent them, a url variable's value masked wherever the receiver echoes it."""
    text = '{"echo": "' + "hidden-path-value " * 1000 + '"}'
    receiver.replies["/hidden-path-value"] = (
        [
            ("Content-Encoding", "gzip"),
            ("x-request-id", "r-1"),
            ("ETag", '"e1"'),
            ("X-Echo", "at /hidden-path-value"),
            ("X-hidden-path-value", "in a name"),
        ],
        gzip.compress(text.encode()),
    )
    hook_id = _hook(receiver.base_url + "/{where}", url_variables={"where": "hidden-path-value"})
    _deliver(quiet_stack)
    (request,) = receiver.to("/hidden-path-value")
    assert request.json == PAYLOAD  # the delivered body keeps its emails
    (event,) = _events(quiet_stack, hook_id)
    assert event["request_data"]["user_email"] == "[REDACTED]"
    assert event["request_data"]["commits"][0]["author"] == {"name": "Jane", "email": "[REDACTED]"}
    assert event["request_data"]["commits"][0]["message"] == "a@b c"  # not an address as a whole
    headers = event["response_headers"]
    assert headers["x-request-id"] == "r-1" and headers["ETag"] == '"e1"' and headers["Content-Encoding"] == "gzip"
    assert headers["X-Echo"] == "at /{where}" and headers["X-{where}"] == "in a name"
    body = event["response_body"]
    assert body.startswith('{"echo": "{where} {where} ') and body.endswith("…")
    assert len(body.encode()) <= 8192
    assert "hidden-path-value" not in json.dumps(event)
    assert "redirects" not in event  # GitLab's shape exactly when nothing was redirected
