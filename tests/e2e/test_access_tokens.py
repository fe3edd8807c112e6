"""Group and project access tokens: GitLab's shapes through python-gitlab, validation, hashes only, scope rules."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import gitlab
import httpx
import pytest

from hookline import settings
from hookline.adapters import aws
from hookline.clock import CLOCK
from hookline.domain.access import token_digest
from infra.local.receiver import wait_until
from infra.local.request_counter import RequestCounter
from infra.local.stack import LocalStack
from tests.e2e.test_core_path import _put_event

CREATED_FIELDS = {
    "id", "name", "description", "scopes", "user_id", "access_level", "expires_at", "revoked", "active", "created_at",
    "last_used_at", "token",
}  # fmt: skip


def _days(n: int) -> str:
    return (CLOCK.now().date() + timedelta(days=n)).isoformat()


def _call(stack: LocalStack, token: str, method: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
    return httpx.request(method, f"{stack.api_url}/api/v4{path}", json=body, headers={"PRIVATE-TOKEN": token})


def test_create_list_and_revoke_in_gitlabs_shapes(gl: gitlab.Gitlab, running: LocalStack) -> None:
    project = gl.projects.get("tokens/shape/api", lazy=True)
    made = project.access_tokens.create({"name": "ci", "scopes": ["api"]})
    created = made.asdict()
    assert set(created) == CREATED_FIELDS
    assert created["token"].startswith("glpat-") and len(created["token"]) > 40
    assert (created["scopes"], created["revoked"], created["active"]) == (["api"], False, True)
    assert created["expires_at"] == _days(365)  # GitLab's maximum lifetime, when none is asked for
    assert created["created_at"].endswith("Z")

    # stored only as its SHA-256: no item of the table holds the value
    table = settings.HOOKS_TABLE
    pages = aws.dynamodb().get_paginator("scan").paginate(TableName=table.name)  # the table holds other tests' items
    items = [item for page in pages for item in page["Items"]]
    assert created["token"] not in str(items)
    assert any(item[table.partition_key]["S"] == f"TOKEN#{token_digest(created['token'])}" for item in items)

    listed = [token.asdict() for token in project.access_tokens.list()]
    assert listed == [{key: value for key, value in created.items() if key != "token"}]

    # the project is known from now on, as after a hook registration
    assert gl.http_get("/projects/tokens%2Fshape%2Fapi")["path_with_namespace"] == "tokens/shape/api"
    assert _call(running, created["token"], "GET", "/projects/tokens%2Fshape%2Fapi/hooks").json() == []

    project.access_tokens.delete(made.id)
    assert _call(running, created["token"], "GET", "/projects/tokens%2Fshape%2Fapi/hooks").status_code == 401
    (revoked,) = project.access_tokens.list()
    assert (revoked.revoked, revoked.active) == (True, False)
    with pytest.raises(gitlab.GitlabDeleteError) as missing:
        project.access_tokens.delete(made.id + 1000)
    assert missing.value.response_code == 404


@pytest.mark.parametrize(
    ("body", "status", "answer"),
    [
        ({"name": "x", "scopes": ["read_api"]}, 400, {"error": "scopes does not have a valid value"}),
        ({"name": "x", "scopes": []}, 400, {"error": "scopes does not have a valid value"}),
        ({"name": "x"}, 400, {"error": "scopes is missing"}),
        ({"scopes": ["api"]}, 400, {"error": "name is missing"}),
        ({"name": "x", "scopes": ["api"], "expires_at": "soon"}, 400, {"error": "expires_at is invalid"}),
        (
            {"name": "x", "scopes": ["api"], "expires_at": "2001-01-01"},
            400,
            {"message": "400 Bad request - Expires at must be in the future"},
        ),
    ],
)
def test_invalid_requests(running: LocalStack, body: dict[str, Any], status: int, answer: dict[str, Any]) -> None:
    response = _call(running, running.admin_token, "POST", "/groups/tokens-invalid/access_tokens", body)
    assert (response.status_code, response.json()) == (status, answer)


def test_a_token_manages_tokens_within_its_scope_and_never_outlives_itself(
    gl: gitlab.Gitlab, running: LocalStack
) -> None:
    group = gl.groups.get("tokens-scope", lazy=True)
    group_token = group.access_tokens.create({"name": "g", "scopes": ["api"], "expires_at": _days(10)}).token
    as_group = gitlab.Gitlab(running.api_url, private_token=group_token)

    # below the group: a project token, made by the group token, capped at the group token's expiry
    sub = as_group.projects.get("tokens-scope/team/svc", lazy=True)
    project_token = sub.access_tokens.create({"name": "p", "scopes": ["api"]})
    assert project_token.expires_at == _days(10)
    too_long = {"name": "p2", "scopes": ["api"], "expires_at": _days(11)}
    answer = _call(running, group_token, "POST", "/projects/tokens-scope%2Fteam%2Fsvc/access_tokens", too_long)
    assert answer.status_code == 400 and "creating token's expiry" in answer.json()["message"]
    assert [token.name for token in as_group.groups.get("tokens-scope", lazy=True).access_tokens.list()] == ["g"]

    # python-gitlab, unmodified, as the project token: its hooks; not its group's tokens, not another group's
    as_project = gitlab.Gitlab(running.api_url, private_token=project_token.token)
    hook = as_project.projects.get("tokens-scope/team/svc", lazy=True).hooks.create(
        {"url": "https://example.invalid/t"}
    )
    for token, path in ((project_token.token, "/groups/tokens-scope"), (group_token, "/groups/tokens-elsewhere")):
        for method in ("GET", "POST"):
            denied = _call(running, token, method, f"{path}/access_tokens", {"name": "x", "scopes": ["api"]})
            assert (denied.status_code, denied.json()) == (404, {"message": "404 Group Not Found"})
    # a token of the group cannot be revoked through a namespace that does not list it
    group_token_id = next(t.id for t in group.access_tokens.list() if t.name == "g")
    revoke = f"/projects/tokens-scope%2Fteam%2Fsvc/access_tokens/{group_token_id}"
    assert _call(running, group_token, "DELETE", revoke).status_code == 404
    as_group.projects.get("tokens-scope/team/svc", lazy=True).hooks.delete(hook.id)


def test_a_group_token_reaches_a_project_by_id_once_its_path_is_learnt(gl: gitlab.Gitlab, running: LocalStack) -> None:
    token = gl.groups.get("tokens-alias", lazy=True).access_tokens.create({"name": "g", "scopes": ["api"]}).token
    hook = gl.projects.get(7340021, lazy=True).hooks.create(
        {"url": "https://example.invalid/by-id", "push_events": False}
    )
    try:
        by_id = "/projects/7340021/hooks"
        assert _call(running, token, "GET", by_id).json() == {"message": "404 Project Not Found"}  # path unknown
        scope = {"project": {"id": 7340021, "path": "tokens-alias/svc"}}
        _put_event(running, "Push Hook", {"scope": scope, "payload": {"object_kind": "push", "ref": "refs/heads/x"}})
        wait_until(lambda: gl.http_get("/projects/7340021")["path_with_namespace"] == "tokens-alias/svc")
        assert [h["id"] for h in _call(running, token, "GET", by_id).json()] == [hook.id]
    finally:
        hook.delete()


def test_a_token_request_reads_the_token_with_one_get_item(gl: gitlab.Gitlab, running: LocalStack) -> None:
    token = gl.projects.get("tokens/reads", lazy=True).access_tokens.create({"name": "r", "scopes": ["api"]}).token
    counter = RequestCounter().attach(aws.dynamodb())
    try:
        assert _call(running, token, "GET", "/projects/tokens%2Freads/hooks").status_code == 200
    finally:
        counter.detach()
    # the token (GetItem), the namespace (BatchGetItem), its hooks (Query)
    assert counter.calls == {"DynamoDB.GetItem": 1, "DynamoDB.BatchGetItem": 1, "DynamoDB.Query": 1}


def test_get_one_and_filter_the_list_by_state(gl: gitlab.Gitlab, running: LocalStack) -> None:
    project = gl.projects.get("tokens/state", lazy=True)
    kept = project.access_tokens.create({"name": "kept", "scopes": ["api"], "description": "ci", "access_level": 30})
    gone = project.access_tokens.create({"name": "gone", "scopes": ["api"]})
    project.access_tokens.delete(gone.id)

    one = project.access_tokens.get(kept.id).asdict()
    assert one == {key: value for key, value in kept.asdict().items() if key != "token"}
    assert (one["description"], one["access_level"], one["last_used_at"]) == ("ci", 30, None)
    assert _call(running, kept.token, "GET", "/projects/tokens%2Fstate/access_tokens/self").json()["id"] == kept.id
    for missing in (str(gone.id + 1000), "nope", "self"):  # the admin token is no access token: no "self"
        answer = _call(running, running.admin_token, "GET", f"/projects/tokens%2Fstate/access_tokens/{missing}")
        assert (answer.status_code, answer.json()) == (404, {"message": "404 project Access Token Not Found"})

    def names(**query: Any) -> list[str]:
        return [token.name for token in project.access_tokens.list(**query)]

    assert names() == ["kept", "gone"]
    assert (names(state="active"), names(state="inactive")) == (["kept"], ["gone"])
    invalid = _call(running, running.admin_token, "GET", "/projects/tokens%2Fstate/access_tokens?state=revoked")
    assert (invalid.status_code, invalid.json()) == (400, {"error": "state does not have a valid value"})
    bad_level = {"name": "x", "scopes": ["api"], "access_level": 45}
    refused = _call(running, running.admin_token, "POST", "/projects/tokens%2Fstate/access_tokens", bad_level)
    assert (refused.status_code, refused.json()) == (400, {"error": "access_level does not have a valid value"})


def test_rotate_shows_the_new_value_once_and_revokes_the_old_one(gl: gitlab.Gitlab, running: LocalStack) -> None:
    group = gl.groups.get("tokens-rotate", lazy=True)
    made = group.access_tokens.create({"name": "deploy", "scopes": ["api"], "access_level": 50})
    hooks = "/groups/tokens-rotate/hooks"
    assert _call(running, made.token, "GET", hooks).status_code == 200

    rotated = group.access_tokens.rotate(made.id)  # python-gitlab, unmodified
    assert set(rotated) == CREATED_FIELDS and rotated["token"] != made.token and rotated["id"] != made.id
    assert {key: rotated[key] for key in ("name", "scopes", "access_level", "user_id", "active", "revoked")} == {
        "name": "deploy",
        "scopes": ["api"],
        "access_level": 50,
        "user_id": made.user_id,  # the same bot user
        "active": True,
        "revoked": False,
    }
    assert rotated["expires_at"] == _days(7)  # GitLab's default for a rotation
    assert _call(running, made.token, "GET", hooks).status_code == 401
    assert _call(running, rotated["token"], "GET", hooks).status_code == 200
    listed = {token.id: (token.revoked, token.active) for token in group.access_tokens.list()}
    assert listed == {made.id: (True, False), rotated["id"]: (False, True)}
    assert "token" not in group.access_tokens.get(rotated["id"]).asdict()  # shown once

    # self-rotation with an expiry of its own; the old value is dead at once
    path = "/groups/tokens-rotate/access_tokens/self/rotate"
    again = _call(running, rotated["token"], "POST", path, {"expires_at": _days(30)})
    assert again.status_code == 200 and again.json()["expires_at"] == _days(30)
    assert _call(running, rotated["token"], "GET", hooks).status_code == 401

    # rotating a revoked token is refused, and revokes what replaced it (GitLab's reuse detection)
    reused = _call(running, running.admin_token, "POST", f"/groups/tokens-rotate/access_tokens/{made.id}/rotate")
    assert (reused.status_code, reused.json()) == (400, {"message": "400 Bad request - Token already revoked"})
    assert _call(running, again.json()["token"], "GET", hooks).status_code == 401

    missing = f"/groups/tokens-rotate/access_tokens/{made.id + 1000}/rotate"
    assert _call(running, running.admin_token, "POST", missing).json() == {"message": "404 Not found"}
    other = group.access_tokens.create({"name": "other", "scopes": ["api"]}).token
    assert (_call(running, other, "POST", missing).status_code, _call(running, other, "POST", missing).json()) == (
        401,
        {"message": "401 Unauthorized"},
    )
    past = _call(
        running, other, "POST", "/groups/tokens-rotate/access_tokens/self/rotate", {"expires_at": "2001-01-01"}
    )
    assert (past.status_code, past.json()) == (400, {"message": "400 Bad request - Expires at must be in the future"})


def test_revoking_or_rotating_a_token_revokes_the_tokens_it_made(gl: gitlab.Gitlab, running: LocalStack) -> None:
    group = gl.groups.get("tokens-cascade", lazy=True)
    root = group.access_tokens.create({"name": "root", "scopes": ["api"]})
    as_root = gitlab.Gitlab(running.api_url, private_token=root.token)
    child = as_root.projects.get("tokens-cascade/svc", lazy=True).access_tokens.create({"name": "c", "scopes": ["api"]})
    as_child = gitlab.Gitlab(running.api_url, private_token=child.token)
    grandchild = as_child.projects.get("tokens-cascade/svc", lazy=True).access_tokens.create(
        {"name": "gc", "scopes": ["api"]}
    )
    sibling = group.access_tokens.create({"name": "sibling", "scopes": ["api"]})  # made by the admin
    # the child is rotated: its successor is still the root's, and the grandchild, made by the old child, goes
    successor = gl.projects.get("tokens-cascade/svc", lazy=True).access_tokens.rotate(child.id)["token"]
    hooks = "/projects/tokens-cascade%2Fsvc/hooks"

    def alive() -> dict[str, bool]:
        tokens = {"root": root.token, "successor": successor, "grandchild": grandchild.token, "sibling": sibling.token}
        return {name: _call(running, value, "GET", hooks).status_code == 200 for name, value in tokens.items()}

    assert alive() == {"root": True, "successor": True, "grandchild": False, "sibling": True}
    group.access_tokens.delete(root.id)
    assert alive() == {"root": False, "successor": False, "grandchild": False, "sibling": True}
    states = {token.name: token.revoked for token in gl.projects.get("tokens-cascade/svc").access_tokens.list()}
    assert states == {"c": True, "gc": True}
    assert gl.projects.get("tokens-cascade/svc", lazy=True).access_tokens.list(state="active") == []
