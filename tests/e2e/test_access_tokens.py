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

CREATED_FIELDS = {"id", "name", "scopes", "expires_at", "revoked", "active", "created_at", "token"}


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
