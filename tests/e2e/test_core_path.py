"""The core path on the local stack: python-gitlab manages hooks, a push on the bus is delivered and logged."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime

import gitlab
import httpx
import pytest
from gidgetlab import sansio

from hookline import settings
from hookline.adapters.delivery_store import DeliveryStore
from infra.local.cli import SAMPLE_PUSH, put_event
from infra.local.receiver import Receiver, wait_until
from infra.local.stack import LocalStack

PUSH_PAYLOAD = SAMPLE_PUSH["payload"]  # the quick start's push for acme/platform/api (id 42)


@pytest.mark.parametrize("ref", ["crud/team/svc", 4242])
def test_python_gitlab_manages_project_hooks(gl: gitlab.Gitlab, ref: str | int) -> None:
    project = gl.projects.get(ref, lazy=True)
    hook = project.hooks.create({"url": "https://example.invalid/hook", "push_events": True, "token": "t0p"})
    assert hook.id and hook.url == "https://example.invalid/hook" and hook.token_present is True
    assert not hasattr(hook, "token")

    listed = project.hooks.list(get_all=True)
    assert [h.id for h in listed] == [hook.id]

    fetched = project.hooks.get(hook.id)
    fetched.tag_push_events = True
    fetched.push_events_branch_filter = "release/*"
    fetched.save()
    again = project.hooks.get(hook.id)
    assert again.tag_push_events is True and again.push_events is True
    assert again.push_events_branch_filter == "release/*" and again.branch_filter_strategy == "wildcard"

    again.delete()
    assert project.hooks.list(get_all=True) == []
    with pytest.raises(gitlab.GitlabGetError) as error:
        project.hooks.get(hook.id)
    assert error.value.response_code == 404


def _put_event(stack: LocalStack, detail_type: str, detail: dict) -> str:
    return put_event(stack.client("events"), detail_type, detail, source="gitlab.test")


@pytest.fixture
def fan_out_hooks(gl: gitlab.Gitlab, receiver: Receiver) -> Iterator[dict[str, int]]:
    """The acceptance table's hooks, each posting to its own path on the receiver; all deleted afterwards."""
    made: list = []

    def make(manager, path: str, **fields) -> int:
        hook = manager.create({"url": receiver.url(path), "token": f"token-{path.strip('/')}", **fields})
        made.append(hook)
        return hook.id

    hooks = {
        "/by-path": make(gl.projects.get("acme/platform/api", lazy=True).hooks, "/by-path"),
        "/by-id": make(gl.projects.get(42, lazy=True).hooks, "/by-id"),
        "/group-acme": make(gl.groups.get("acme", lazy=True).hooks, "/group-acme"),
        "/group-platform": make(gl.groups.get("acme/platform", lazy=True).hooks, "/group-platform"),
        "/system": make(gl.hooks, "/system", push_events=True),
        "/other-project": make(gl.projects.get("acme/other", lazy=True).hooks, "/other-project"),
        "/push-off": make(gl.projects.get(42, lazy=True).hooks, "/push-off", push_events=False, tag_push_events=True),
        "/release-only": make(
            gl.projects.get(42, lazy=True).hooks, "/release-only", push_events_branch_filter="release/*"
        ),
    }
    yield hooks
    for hook in made:
        hook.delete()


def test_push_event_is_delivered_exactly_to_the_hooks_that_want_it(
    running: LocalStack, receiver: Receiver, fan_out_hooks: dict[str, int]
) -> None:
    _put_event(
        running, "Push Hook", {"scope": {"project": {"id": 42, "path": "acme/platform/api"}}, "payload": PUSH_PAYLOAD}
    )

    wanted = {"/by-path", "/by-id", "/group-acme", "/group-platform", "/system"}
    receiver.wait_for(lambda requests: wanted <= {r.path for r in requests})
    store = DeliveryStore()
    logs = wait_until(
        lambda: (
            (found := {p: store.recent_logs(fan_out_hooks[p]) for p in fan_out_hooks})
            and all(found[p] for p in wanted)
            and found
        )
    )
    _wait_for_empty_queues(running)

    assert {r.path for r in receiver.requests} == wanted
    assert len(receiver.requests) == len(wanted)
    assert all(not logs[p] for p in set(fan_out_hooks) - wanted)

    for request in receiver.requests:
        headers = request.headers
        assert request.json == PUSH_PAYLOAD
        expected_event = "System Hook" if request.path == "/system" else "Push Hook"
        assert headers["X-Gitlab-Event"] == expected_event
        for name in ("Content-Type", "User-Agent", "Idempotency-Key", "X-Gitlab-Webhook-UUID", "X-Gitlab-Instance",
                     "X-Gitlab-Event-UUID", "X-Gitlab-Token", "webhook-id", "webhook-timestamp"):  # fmt: skip
            assert headers.get(name), name
        assert headers["Content-Type"] == "application/json"
        assert headers["webhook-id"] == headers["Idempotency-Key"]
        assert headers["X-Gitlab-Token"] == f"token-{request.path.strip('/')}"
        event = sansio.Event.from_http(headers, request.body, secret=f"token-{request.path.strip('/')}")
        assert event.data == PUSH_PAYLOAD
        assert event.event == expected_event
    assert len({r.headers["X-Gitlab-Event-UUID"] for r in receiver.requests}) == 1
    assert len({r.headers["Idempotency-Key"] for r in receiver.requests}) == len(wanted)

    for path in wanted:
        (log,) = logs[path]
        created = datetime.fromisoformat(log["created_at"])
        assert int(log["expires_at"]) == int(created.timestamp()) + 172800
        assert log["response_status"] == "200" and log["trigger"] == "push_hooks"
        assert log["request_headers"]["X-Gitlab-Token"] == "[REDACTED]"
        assert "token-" not in json.dumps(log, default=str)


def test_api_rejects_bad_input_in_gitlab_format_and_changes_nothing(running: LocalStack) -> None:
    headers = {"PRIVATE-TOKEN": running.admin_token}
    api = f"{running.api_url}/api/v4/projects/badinput%2Fsvc/hooks"
    cases = [
        (httpx.post(api, json={"push_events": True}, headers=headers), 400, {"error": "url is missing"}),
        (httpx.post(api, json={"url": "ftp://example.com"}, headers=headers), 422, {"error": "Invalid url given"}),
        (httpx.post(api, json={"url": "https://e.com", "push_events": "banana"}, headers=headers), 400,
         {"error": "push_events is invalid"}),
        (httpx.post(api, content=b'{"url": ', headers={**headers, "Content-Type": "application/json"}), 400, None),
        (httpx.get(f"{running.api_url}/api/v4/projects/987654/hooks", headers=headers), 404,
         {"message": "404 Project Not Found"}),
        (httpx.get(api), 401, {"message": "401 Unauthorized"}),
        (httpx.post(api, json={"url": "https://e.com", "branch_filter_strategy": "regex",
                               "push_events_branch_filter": "(?=x)"}, headers=headers), 400, None),
    ]  # fmt: skip
    for response, status, body in cases:
        assert response.status_code == status, response.text
        assert response.headers["Content-Type"] == "application/json"
        if body is not None:
            assert response.json() == body
        else:
            assert set(response.json()) == {"error"}
    regex_error = cases[-1][0].json()["error"]
    assert regex_error.startswith("push_events_branch_filter")
    # nothing was created: the namespace is still unknown
    assert httpx.get(api, headers=headers).status_code == 404


def test_auth_comes_first_and_every_gitlab_encoding_of_parameters_works(running: LocalStack) -> None:
    api = f"{running.api_url}/api/v4/projects/encodings%2Fsvc/hooks"
    assert httpx.post(api, json={"push_events": "banana"}).status_code == 401
    assert httpx.get(api, headers={"PRIVATE-TOKEN": "wrong"}).json() == {"message": "401 Unauthorized"}
    bearer = {"Authorization": f"Bearer {running.admin_token}"}
    as_form = httpx.post(api, data={"url": "https://example.invalid/form", "tag_push_events": "true"}, headers=bearer)
    assert as_form.status_code == 201, as_form.text
    assert as_form.json()["tag_push_events"] is True and as_form.json()["push_events"] is True
    as_query = httpx.post(api, params={"url": "https://example.invalid/query", "push_events": "false"}, headers=bearer)
    assert as_query.status_code == 201 and as_query.json()["push_events"] is False
    hooks = httpx.get(api, headers=bearer).json()
    assert [hook["url"] for hook in hooks] == ["https://example.invalid/form", "https://example.invalid/query"]
    for hook in hooks:
        assert httpx.delete(f"{api}/{hook['id']}", headers=bearer).status_code == 204


def test_readiness(running: LocalStack) -> None:
    assert httpx.get(f"{running.api_url}/-/readiness").status_code == 200


def _wait_for_empty_queues(stack: LocalStack) -> None:
    sqs = stack.client("sqs")

    def empty() -> bool:
        for spec in (settings.INGEST_QUEUE, settings.DELIVERY_QUEUE):
            attributes = sqs.get_queue_attributes(
                QueueUrl=stack.environment[spec.env_var],
                AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
            )["Attributes"]
            if int(attributes["ApproximateNumberOfMessages"]) or int(
                attributes["ApproximateNumberOfMessagesNotVisible"]
            ):
                return False
        return True

    wait_until(empty)


def test_bodies_over_one_megabyte_are_refused_before_parsing(running: LocalStack) -> None:
    response = httpx.post(
        f"{running.api_url}/api/v4/projects/big%2Fsvc/hooks",
        content=b'{"url": "https://example.invalid/' + b"x" * (1024 * 1024) + b'"}',
        headers={"PRIVATE-TOKEN": running.admin_token, "Content-Type": "application/json"},
    )
    assert response.status_code == 413 and response.json() == {"message": "413 Request Entity Too Large"}


def test_a_private_destination_is_refused_on_save(running: LocalStack) -> None:
    response = httpx.post(
        f"{running.api_url}/api/v4/projects/guarded%2Fsvc/hooks",
        json={"url": "http://169.254.169.254/latest/meta-data/"},
        headers={"PRIVATE-TOKEN": running.admin_token},
    )
    assert (response.status_code, response.json()) == (422, {"error": "Invalid url given"})  # GitLab's answer
