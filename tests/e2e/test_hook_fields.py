"""url_variables, custom_headers and custom_webhook_template on the local stack; no secret ever comes back."""

from __future__ import annotations

import json
from typing import Any

import gitlab
import httpx
import pytest

from hookline.adapters.delivery_store import DeliveryStore
from hookline.wiring import hook_admin
from infra.local.receiver import Receiver, wait_until
from infra.local.stack import LocalStack

SECRETS = ("SECRETSEG", "SECRETHDR", "SECRETTOK")
HOOKS = "/projects/fields%2Fsvc/hooks"


def test_url_variables_and_custom_headers_are_sent_and_never_shown(
    gl: gitlab.Gitlab, running: LocalStack, receiver: Receiver
) -> None:
    seen: list[Any] = []
    api = f"{running.api_url}/api/v4{HOOKS}"
    auth = {"PRIVATE-TOKEN": running.admin_token}

    def call(method: str, path: str, **kwargs: Any) -> httpx.Response:
        answer = httpx.request(method, f"{api}{path}", headers=auth, **kwargs)
        seen.append(answer.text)
        return answer

    created = call(
        "POST",
        "",
        json={
            "url": receiver.base_url + "/vars/{seg}",
            "token": "SECRETTOK",
            "url_variables": [{"key": "seg", "value": "SECRETSEG1"}],
            "custom_headers": [{"key": "X-Api-Key", "value": "SECRETHDR1"}],
        },
    )
    assert created.status_code == 201, created.text
    hook = created.json()
    assert hook["url"] == receiver.base_url + "/vars/{seg}"
    assert hook["url_variables"] == [{"key": "seg"}] and hook["custom_headers"] == [{"key": "X-Api-Key"}]
    base = f"/{hook['id']}"
    # a new value changes the interpolated URL: the token and the custom headers are cleared (GitLab), then set again
    assert call("PUT", f"{base}/url_variables/seg", json={"value": "SECRETSEG2"}).status_code == 204
    cleared = call("GET", base).json()
    assert (cleared["token_present"], cleared["custom_headers"], cleared["url_variables"]) == (
        False,
        [],
        [{"key": "seg"}],
    )
    again = {"token": "SECRETTOK", "custom_headers": [{"key": "X-Api-Key", "value": "SECRETHDR1"}]}
    assert call("PUT", base, json=again).status_code == 200
    assert call("PUT", f"{base}/custom_headers/X-Other", json={"value": "SECRETHDR2"}).status_code == 204
    assert call("PUT", f"{base}/custom_headers/X-Gitlab-Event", json={"value": "SECRETHDR3"}).status_code == 204

    assert call("POST", f"{base}/test/push_events").status_code == 201
    (request,) = receiver.requests
    assert request.path == "/vars/SECRETSEG2"
    assert request.headers["X-Api-Key"] == "SECRETHDR1" and request.headers["X-Other"] == "SECRETHDR2"
    assert request.headers["X-Gitlab-Event"] == "Push Hook"  # delivery headers win
    assert request.headers["X-Gitlab-Token"] == "SECRETTOK"

    (event,) = call("GET", f"{base}/events").json()
    assert event["url"] == receiver.base_url + "/vars/{seg}"
    assert event["request_headers"]["X-Api-Key"] == event["request_headers"]["X-Other"] == "[REDACTED]"
    call("GET", f"{base}/events/{event['id']}")
    call("GET", base)
    call("GET", "")

    # GitLab's validation answers
    too_many = [{"key": f"H{i}", "value": "v"} for i in range(21)]
    checks = [
        (call("PUT", base, json={"custom_headers": too_many}), 422, {"error": "Custom headers validation failed"}),
        (call("PUT", f"{base}/url_variables/1bad", json={"value": "v"}), 422, {"error": "Illegal key or value"}),
        (call("PUT", f"{base}/custom_headers/X-Long", json={"value": "v" * 2049}), 422, {"error": "Illegal key or value"}),
        (call("DELETE", f"{base}/url_variables/seg"), 422, {"error": "Could not unset variable"}),
        (call("DELETE", f"{base}/url_variables/nokey"), 404, {"message": "404 URL variable Not Found"}),
        (call("DELETE", f"{base}/custom_headers/nokey"), 404, {"message": "404 Custom header Not Found"}),
        (call("POST", "", json={"url": "https://example.invalid/{x}"}), 422, {"error": "Invalid url given"}),
        (call("PUT", f"{base}/url_variables/seg", json={}), 400, {"error": "value is missing"}),
    ]  # fmt: skip
    for answer, status, body in checks:
        assert (answer.status_code, answer.json()) == (status, body)
    assert call("DELETE", f"{base}/custom_headers/X-Other").status_code == 204
    assert call("GET", base).json()["custom_headers"] == [{"key": "X-Api-Key"}, {"key": "X-Gitlab-Event"}]

    # a missing key at send time (a hook stored before the rule): the delivery fails, nothing is sent
    stored = hook_admin().store.get(hook["id"])
    assert stored is not None
    hook_admin().store.put(stored.model_copy(update={"url_variables": {}}), new=False)
    failed = call("POST", f"{base}/test/push_events")
    assert failed.status_code == 422 and 'Invalid URL template. Missing keys: [\\"seg\\"]' in failed.text
    assert len(receiver.requests) == 1

    logs = DeliveryStore().recent_logs(hook["id"])
    assert len(logs) == 2 and logs[0]["response_status"] == "internal error"
    everything = json.dumps(seen) + json.dumps(logs, default=str)
    assert not any(secret in everything for secret in SECRETS)

    # a new URL clears the token, the custom headers and the url variables
    moved = call("PUT", base, json={"url": "https://example.invalid/moved"}).json()
    assert (moved["token_present"], moved["url_variables"], moved["custom_headers"]) == (False, [], [])
    kept = call(
        "PUT", base, json={"url": "https://example.invalid/{a}", "url_variables": [{"key": "a", "value": "b"}]}
    ).json()
    assert kept["url_variables"] == [{"key": "a"}]
    assert call("DELETE", base).status_code == 204


def test_templates_render_at_send_time_and_a_broken_one_sends_nothing(
    gl: gitlab.Gitlab, running: LocalStack, receiver: Receiver
) -> None:
    project = gl.projects.get("fields/template", lazy=True)
    template = '{"kind":"{{object_kind}}","first":"{{commits.0.id}}","project":"{{project.path_with_namespace}}"}'
    hook = project.hooks.create({"url": receiver.url("/tpl"), "custom_webhook_template": template})
    try:
        hook.test("push_events")
        (request,) = receiver.requests
        assert request.json == {
            "kind": "push",
            "first": "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
            "project": "fields/template",
        }
        events = gl.http_get(f"/projects/fields%2Ftemplate/hooks/{hook.id}/events")
        assert events[0]["request_data"] == request.json  # the log keeps the rendered body

        hook.custom_webhook_template = '{"kind":"{{commits.id}}"}'
        hook.save()
        try:
            hook.test("push_events")
            raise AssertionError("a broken template must fail the test")
        except gitlab.GitlabHookTestError as error:
            assert error.response_code == 422
            assert "You may be trying to access an array value" in str(error.error_message)
        assert len(receiver.requests) == 1  # no HTTP call
        detail = wait_until(lambda: gl.http_get(f"/projects/fields%2Ftemplate/hooks/{hook.id}/events"))
        newest = gl.http_get(f"/projects/fields%2Ftemplate/hooks/{hook.id}/events/{detail[0]['id']}")
        assert newest["response_status"] == "internal error" and newest["request_data"] == {}
        assert newest["internal_error_message"] == (
            "Error while parsing rendered custom webhook template: "
            "You may be trying to access an array value, which is not supported."
        )
        assert hook_admin().store.get(hook.id).recent_failures == 1  # type: ignore[union-attr]
    finally:
        hook.delete()


def test_python_gitlab_http_helpers_manage_variables_headers_events_and_resend_of_a_group_hook(
    gl: gitlab.Gitlab, receiver: Receiver
) -> None:
    """What python-gitlab has no managers for, through its http helpers: PUT/DELETE …/url_variables/:key and
    …/custom_headers/:key, GET …/events and …/events/:id, POST …/events/:id/resend."""
    hook = gl.groups.get("fields/helpers", lazy=True).hooks.create(
        {"url": receiver.base_url + "/{seg}", "url_variables": [{"key": "seg", "value": "first"}]}
    )
    base = f"/groups/fields%2Fhelpers/hooks/{hook.id}"
    try:
        assert gl.http_put(f"{base}/url_variables/seg", post_data={"value": "second"}).status_code == 204
        assert gl.http_put(f"{base}/custom_headers/X-Team", post_data={"value": "SECRETHDR4"}).status_code == 204
        assert gl.http_put(f"{base}/custom_headers/X-Gone", post_data={"value": "v"}).status_code == 204
        assert gl.http_delete(f"{base}/custom_headers/X-Gone").status_code == 204
        with pytest.raises(gitlab.GitlabHttpError) as missing:
            gl.http_delete(f"{base}/url_variables/nokey")
        assert (missing.value.response_code, missing.value.error_message) == (404, "404 URL variable Not Found")
        with pytest.raises(gitlab.GitlabHttpError) as refused:
            gl.http_put(f"{base}/url_variables/1bad", post_data={"value": "v"})
        assert refused.value.response_code == 422
        fetched = gl.groups.get("fields/helpers", lazy=True).hooks.get(hook.id)
        assert fetched.url_variables == [{"key": "seg"}] and fetched.custom_headers == [{"key": "X-Team"}]

        hook.test("push_events")
        (request,) = receiver.requests
        assert (
            request.path == "/second" and request.headers["X-Team"] == "SECRETHDR4" and "X-Gone" not in request.headers
        )

        (event,) = gl.http_get(f"{base}/events")
        assert event["url"] == receiver.base_url + "/{seg}" and event["request_headers"]["X-Team"] == "[REDACTED]"
        assert gl.http_get(f"{base}/events/{event['id']}")["id"] == event["id"]
        assert gl.http_post(f"{base}/events/{event['id']}/resend") == {"response_status": 200}
        assert [r.path for r in receiver.requests] == ["/second", "/second"]
        assert receiver.requests[1].headers["Idempotency-Key"] == request.headers["Idempotency-Key"]
        assert [e["id"] for e in gl.http_get(f"{base}/events")][1] == event["id"]  # the resend is the newest

        assert gl.http_delete(f"{base}/custom_headers/X-Team").status_code == 204
        assert gl.groups.get("fields/helpers", lazy=True).hooks.get(hook.id).custom_headers == []
    finally:
        hook.delete()
