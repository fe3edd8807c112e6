"""Recent events and resend on the local stack, through python-gitlab's http helpers and plain HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import gitlab
import httpx
import pytest

from hookline.clock import CLOCK
from hookline.domain.hook_state import HookState
from hookline.wiring import hook_admin
from infra.local.receiver import Receiver, wait_until
from infra.local.stack import LocalStack
from tests.e2e.test_core_path import _put_event

PROJECT = "events/svc"
HOOKS = "/projects/events%2Fsvc/hooks"
PAYLOAD = {"object_kind": "push", "ref": "refs/heads/main", "project": {"path_with_namespace": PROJECT}, "n": 1}
EVENT_FIELDS = {
    "id", "url", "trigger", "request_headers", "request_data", "response_headers", "response_body",
    "execution_duration", "response_status", "created_at",
}  # fmt: skip


@pytest.fixture
def delivered(gl: gitlab.Gitlab, running: LocalStack, receiver: Receiver) -> Iterator[tuple[Any, str]]:
    """A hook that got one push from the bus (logged with the event's stored payload) and one failed test."""
    project = gl.projects.get(PROJECT, lazy=True)
    hook = project.hooks.create({"url": receiver.url("/events"), "token": "tok-events"})
    _put_event(running, "Push Hook", {"scope": {"project": {"path": PROJECT}}, "payload": PAYLOAD})
    (pushed,) = receiver.wait_for(lambda requests: len(requests) == 1)
    event_id = pushed.headers["X-Gitlab-Event-UUID"]
    wait_until(lambda: gl.http_get(f"{HOOKS}/{hook.id}/events"))
    receiver.statuses["/events"] = 500
    with pytest.raises(gitlab.GitlabHookTestError):
        hook.test("push_events")
    receiver.statuses["/events"] = 200
    yield hook, event_id
    hook.delete()


def test_events_list_newest_first_in_gitlabs_shape_with_filters_and_paging(
    gl: gitlab.Gitlab, running: LocalStack, receiver: Receiver, delivered: tuple[Any, str]
) -> None:
    hook, _ = delivered
    events = gl.http_get(f"{HOOKS}/{hook.id}/events")
    assert isinstance(events, list) and len(events) == 2
    test_log, push_log = events
    assert set(push_log) == EVENT_FIELDS
    assert test_log["response_status"] == "500" and push_log["response_status"] == "200"
    assert test_log["id"] > push_log["id"]
    assert push_log["request_data"] == PAYLOAD  # read from the event's stored payload
    assert test_log["request_data"]["object_kind"] == "push"  # the sample the test sent
    assert push_log["trigger"] == "push_hooks" and push_log["url"] == receiver.url("/events")
    assert isinstance(push_log["execution_duration"], float)
    assert push_log["request_headers"]["X-Gitlab-Token"] == "[REDACTED]"
    assert push_log["created_at"].endswith("Z") and len(push_log["created_at"]) == 24
    assert push_log["response_body"] == '{"ok": true}'

    def ids(**query: Any) -> list[int]:
        return [event["id"] for event in gl.http_get(f"{HOOKS}/{hook.id}/events", query_data=query)]

    assert ids(status="successful") == [push_log["id"]]
    assert ids(status="server_failure") == [test_log["id"]]
    assert ids(status="client_failure") == []
    assert ids(status="200,500") == [test_log["id"], push_log["id"]]
    assert ids(status="404") == []

    page = gl.http_request("get", f"{HOOKS}/{hook.id}/events", query_data={"per_page": 1, "page": 2})
    assert [event["id"] for event in page.json()] == [push_log["id"]]
    assert (page.headers["X-Total"], page.headers["X-Total-Pages"], page.headers["X-Prev-Page"]) == ("2", "2", "1")

    api = f"{running.api_url}/api/v4{HOOKS}/{hook.id}/events"
    auth = {"PRIVATE-TOKEN": running.admin_token}
    for query, error in (({"per_page": 21}, "per_page"), ({"status": "teapots"}, "status")):
        answer = httpx.get(api, params=query, headers=auth)
        assert answer.status_code == 400 and answer.json() == {"error": f"{error} does not have a valid value"}

    one = gl.http_get(f"{HOOKS}/{hook.id}/events/{test_log['id']}")
    assert {key: value for key, value in one.items() if key != "internal_error_message"} == test_log
    assert one["internal_error_message"] is None
    assert httpx.get(f"{api}/12345", headers=auth).json() == {"message": "404 Not found"}
    other = gl.groups.get("events", lazy=True).hooks.create({"url": "https://example.invalid/g", "push_events": False})
    assert httpx.get(f"{running.api_url}/api/v4/groups/events/hooks/{hook.id}/events", headers=auth).status_code == 404
    other.delete()


def test_resend_repeats_the_request_with_its_keys_and_refuses_a_changed_url_or_disabled_hook(
    gl: gitlab.Gitlab, running: LocalStack, receiver: Receiver, delivered: tuple[Any, str]
) -> None:
    hook, event_uuid = delivered
    push_log = gl.http_get(f"{HOOKS}/{hook.id}/events", query_data={"status": "successful"})[0]
    original = next(r for r in receiver.requests if r.headers["X-Gitlab-Event-UUID"] == event_uuid)

    assert gl.http_post(f"{HOOKS}/{hook.id}/events/{push_log['id']}/resend") == {"response_status": 200}
    again = [r for r in receiver.requests if r.headers["X-Gitlab-Event-UUID"] == event_uuid]
    assert len(again) == 2
    for name in ("Idempotency-Key", "webhook-id", "X-Gitlab-Token", "X-Gitlab-Event"):
        assert again[1].headers[name] == original.headers[name], name
    assert again[1].headers["X-Gitlab-Webhook-UUID"] != original.headers["X-Gitlab-Webhook-UUID"]
    assert again[1].json == PAYLOAD
    newest = gl.http_get(f"{HOOKS}/{hook.id}/events")[0]
    assert newest["request_data"] == PAYLOAD and newest["id"] > push_log["id"]

    receiver.statuses["/events"] = 503  # a receiver's answer is reported, not an error of the API
    assert gl.http_post(f"{HOOKS}/{hook.id}/events/{push_log['id']}/resend") == {"response_status": 503}
    receiver.statuses["/events"] = 200

    resend = f"{running.api_url}/api/v4{HOOKS}/{hook.id}/events/{push_log['id']}/resend"
    auth = {"PRIVATE-TOKEN": running.admin_token}
    hook.url = receiver.url("/moved")
    hook.save()
    answer = httpx.post(resend, headers=auth)
    assert answer.status_code == 422
    assert answer.json() == {"message": "The hook URL has changed, and this log entry cannot be retried"}

    hook.url = receiver.url("/events")
    hook.save()
    store = hook_admin().store
    assert store.replace_state(hook.id, store.get(hook.id).state, HookState(40, CLOCK.now()))  # type: ignore[union-attr]
    answer = httpx.post(resend, headers=auth)
    assert (answer.status_code, answer.json()) == (422, {"message": "Hook disabled"})
    assert len([r for r in receiver.requests if r.headers["X-Gitlab-Event-UUID"] == event_uuid]) == 3
    assert httpx.post(f"{resend.rsplit('/', 2)[0]}/999/resend", headers=auth).status_code == 404
