"""Hook fields as GitLab keeps them through clients: python-gitlab's read-then-save changes nothing, PUT merges url
variables and custom headers, and a hook registered by path shows its project's id once Hookline learns it."""

from __future__ import annotations

import base64
from typing import Any

import gitlab
import httpx
import pytest

from infra.local.receiver import Received, Receiver, wait_until
from infra.local.stack import LocalStack
from tests.e2e.test_core_path import _put_event

SECRETS = {"token": "rt-token", "custom_headers": [{"key": "X-Api-Key", "value": "rt-header"}]}


def _delivered(hook: Any, receiver: Receiver, path: str) -> Received:
    """Send the hook's push test and return what the receiver got."""
    before = len(receiver.to(path))
    hook.test("push_events")
    return receiver.wait_for(lambda _: len(receiver.to(path)) > before) and receiver.to(path)[-1]


def _assert_secrets_apply(received: Received) -> None:
    assert received.headers["Authorization"] == "Basic " + base64.b64encode(b"rt-user:rt-pass").decode()
    assert (received.headers["X-Gitlab-Token"], received.headers["X-Api-Key"]) == ("rt-token", "rt-header")


@pytest.mark.parametrize("namespace", ["projects", "groups"])
def test_python_gitlab_get_then_save_changes_nothing(gl: gitlab.Gitlab, receiver: Receiver, namespace: str) -> None:
    manager = getattr(gl, namespace).get(f"round-trip/{namespace}", lazy=True).hooks
    url = receiver.base_url.replace("http://", "http://rt-user:rt-pass@") + "/rt/{segment}"
    created = manager.create(
        {"url": url, "url_variables": [{"key": "segment", "value": "s3cret-seg"}], "push_events": True, **SECRETS}
    )
    try:
        shown = manager.get(created.id)
        assert shown.url == receiver.base_url.replace("http://", "http://[REDACTED]@") + "/rt/{segment}"
        before = shown.asdict()

        shown.save()  # python-gitlab sends the url it read back, as it was shown
        assert manager.get(created.id).asdict() == before
        _assert_secrets_apply(_delivered(shown, receiver, "/rt/s3cret-seg"))

        listed = next(hook for hook in manager.list() if hook.id == created.id)
        listed.issues_events = True
        listed.save()  # a change beside the masked fields keeps them
        after = manager.get(created.id).asdict()
        assert after == {**before, "issues_events": True}
        _assert_secrets_apply(_delivered(listed, receiver, "/rt/s3cret-seg"))
    finally:
        manager.delete(created.id)


def test_put_merges_url_variables_and_custom_headers(
    gl: gitlab.Gitlab, running: LocalStack, receiver: Receiver
) -> None:
    hooks = gl.projects.get("round-trip/merge", lazy=True).hooks
    hook = hooks.create(
        {
            "url": receiver.url("/merge/{a}"),
            "url_variables": [{"key": "a", "value": "one"}, {"key": "spare", "value": "x"}],
            "custom_headers": [{"key": "X-A", "value": "a1"}, {"key": "X-B", "value": "b1"}],
            "token": "merge-token",
        }
    )
    api = f"{running.api_url}/api/v4/projects/round-trip%2Fmerge/hooks/{hook.id}"
    auth = {"PRIVATE-TOKEN": running.admin_token}

    def put(body: dict[str, Any]) -> httpx.Response:
        return httpx.put(api, json=body, headers=auth)

    def keys(answer: httpx.Response, field: str) -> list[str]:
        return [pair["key"] for pair in answer.json()[field]]

    # a key sent again replaces its value; the others stay; an empty list changes nothing
    merged = put(
        {"custom_headers": [{"key": "X-B", "value": "b2"}, {"key": "X-C", "value": "c1"}], "url_variables": []}
    )
    assert merged.status_code == 200, merged.text
    assert (keys(merged, "custom_headers"), keys(merged, "url_variables")) == (["X-A", "X-B", "X-C"], ["a", "spare"])
    assert keys(
        put({"url_variables": [{"key": "spare", "value": "y"}, {"key": "more", "value": "z"}]}), "url_variables"
    ) == [
        "a",
        "spare",
        "more",
    ]
    got = _delivered(hooks.get(hook.id), receiver, "/merge/one")
    assert (got.headers["X-A"], got.headers["X-B"], got.headers["X-C"]) == ("a1", "b2", "c1")
    assert got.headers["X-Gitlab-Token"] == "merge-token"  # nothing changed the destination

    # the caps hold after merging: 20 at most, a key sent again counting once
    headers = [{"key": f"X-H{i}", "value": "v"} for i in range(18)]  # 3 + 18 = 21
    assert put({"custom_headers": headers}).json() == {"error": "Custom headers validation failed"}
    assert keys(put({"custom_headers": headers[:16]}), "custom_headers") == [
        "X-A",
        "X-B",
        "X-C",
        *[f"X-H{i}" for i in range(16)],
    ]
    assert (
        put({"custom_headers": [{"key": "X-A", "value": "again"}, {"key": "X-H99", "value": "v"}]}).status_code == 200
    )
    assert put({"custom_headers": [{"key": "X-One-Too-Many", "value": "v"}]}).status_code == 422
    variables = [{"key": f"v{i}", "value": "v"} for i in range(18)]
    assert put({"url_variables": variables}).json() == {"message": {"url_variables": ["must be a valid json schema"]}}

    # a new destination takes only the pairs sent with it: old secrets never follow it
    moved = put({"url": receiver.url("/moved/{b}"), "url_variables": [{"key": "b", "value": "two"}]})
    assert moved.status_code == 200, moved.text
    assert (keys(moved, "url_variables"), moved.json()["custom_headers"], moved.json()["token_present"]) == (
        ["b"],
        [],
        False,
    )
    hooks.delete(hook.id)


def test_a_hook_registered_by_path_shows_its_project_id_once_learnt(gl: gitlab.Gitlab, running: LocalStack) -> None:
    project = gl.projects.get("round-trip/learn", lazy=True)
    hook = project.hooks.create({"url": "https://example.invalid/learn", "push_events": False})
    assert hook.project_id is None  # the project's id is not known yet
    scope = {"project": {"id": 7340077, "path": "round-trip/learn"}}
    _put_event(running, "Push Hook", {"scope": scope, "payload": {"object_kind": "push", "ref": "refs/heads/x"}})
    wait_until(lambda: project.hooks.get(hook.id).project_id == 7340077)
    assert [listed.project_id for listed in project.hooks.list()] == [7340077]
    assert [listed.project_id for listed in gl.projects.get(7340077, lazy=True).hooks.list()] == [7340077]
    saved = project.hooks.get(hook.id)
    saved.push_events = True
    saved.save()
    assert saved.project_id == 7340077
    project.hooks.delete(hook.id)


def test_a_masked_url_keeps_its_credentials_for_its_own_destination_only(
    gl: gitlab.Gitlab, running: LocalStack, receiver: Receiver
) -> None:
    hooks = gl.projects.get("round-trip/masked", lazy=True).hooks
    hook = hooks.create({"url": receiver.base_url.replace("http://", "http://rt-user:rt-pass@") + "/before"})
    api = f"{running.api_url}/api/v4/projects/round-trip%2Fmasked/hooks"
    auth = {"PRIVATE-TOKEN": running.admin_token}
    masked = receiver.base_url.replace("http://", "http://[REDACTED]@")
    try:
        # another path on the same destination: the shown credentials are the stored ones
        moved = httpx.put(f"{api}/{hook.id}", json={"url": masked + "/after"}, headers=auth)
        assert (moved.status_code, moved.json()["url"]) == (200, masked + "/after")
        received = _delivered(hooks.get(hook.id), receiver, "/after")
        assert received.headers["Authorization"] == "Basic " + base64.b64encode(b"rt-user:rt-pass").decode()
        # another destination, or a new hook, cannot have them
        elsewhere = "http://[REDACTED]@localhost:9/after"
        for method, path in (("PUT", f"/{hook.id}"), ("POST", "")):
            answer = httpx.request(method, f"{api}{path}", json={"url": elsewhere}, headers=auth)
            assert (answer.status_code, answer.json()) == (422, {"error": "Invalid url given"})
        assert hooks.get(hook.id).url == masked + "/after"
    finally:
        hooks.delete(hook.id)
