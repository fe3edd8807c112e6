"""Portal links on the local stack: a link opens its namespace alone, once, for a short time."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from hookline.clock import CLOCK
from hookline.domain.portal import EXPIRED, PORTAL_CODE_LIFETIME, PORTAL_SESSION_LIFETIME, REUSED, UNKNOWN
from infra.local.stack import LocalStack

TENANT = "portal/tenant-a"
OTHER = "portal/tenant-b"
GROUP = "portal"


class Api:
    def __init__(self, stack: LocalStack, token: str | None = None, *, bearer: bool = False) -> None:
        self.base = f"{stack.api_url}/api/v4"
        self.headers = {}
        if token:
            self.headers = {"Authorization": f"Bearer {token}"} if bearer else {"PRIVATE-TOKEN": token}

    def __call__(self, method: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        return httpx.request(method, f"{self.base}{path}", json=body, headers=self.headers, timeout=30)


def _enc(path: str) -> str:
    return path.replace("/", "%2F")


@pytest.fixture(scope="module")
def admin(stack: LocalStack) -> Api:
    api = Api(stack, stack.admin_token)
    for path in (TENANT, OTHER):
        assert api("POST", f"/projects/{_enc(path)}/hooks", {"url": f"https://example.com/{path}"}).status_code == 201
    assert api("POST", f"/groups/{GROUP}/hooks", {"url": "https://example.com/group"}).status_code == 201
    return api


def _link(api: Api, **target: Any) -> dict[str, Any]:
    answer = api("POST", "/portal_links", target)
    assert answer.status_code == 201, answer.text
    return answer.json()


def _code(link: dict[str, Any]) -> str:
    fragment = urlsplit(link["url"]).fragment
    assert fragment.startswith("portal=")
    return fragment.removeprefix("portal=")


def _exchange(stack: LocalStack, code: str) -> httpx.Response:
    return Api(stack)("POST", "/portal_links/exchange", {"code": code})


def test_link_is_a_console_url_with_the_code_in_its_fragment(stack: LocalStack, admin: Api) -> None:
    link = _link(admin, project=TENANT)
    url = urlsplit(link["url"])
    assert f"{url.scheme}://{url.netloc}" == stack.api_url
    assert url.path == "/console/" and not url.query  # the code is never in the query, so never in a log
    assert link["expires_at"].endswith("Z")
    assert httpx.get(link["url"], timeout=30).status_code == 200


def test_session_opens_its_namespace_and_no_other(stack: LocalStack, admin: Api) -> None:
    answer = _exchange(stack, _code(_link(admin, project=TENANT)))
    assert answer.status_code == 201, answer.text
    session = answer.json()
    assert session["namespace"] == {"kind": "project", "id": None, "path": TENANT, "ref": TENANT}
    api = Api(stack, session["token"], bearer=True)

    hooks = api("GET", f"/projects/{_enc(TENANT)}/hooks")
    assert hooks.status_code == 200 and [h["url"] for h in hooks.json()] == [f"https://example.com/{TENANT}"]
    created = api("POST", f"/projects/{_enc(TENANT)}/hooks", {"url": "https://example.com/mine"})
    assert created.status_code == 201
    assert api("DELETE", f"/projects/{_enc(TENANT)}/hooks/{created.json()['id']}").status_code == 204
    assert api("GET", f"/projects/{_enc(TENANT)}").status_code == 200

    # another project, the parent group, system hooks: refused
    assert api("GET", f"/projects/{_enc(OTHER)}/hooks").status_code == 404
    assert api("GET", f"/groups/{GROUP}/hooks").status_code == 404
    assert api("GET", "/hooks").status_code == 403
    # it cannot widen itself: no portal links, no access tokens, nothing outside its hook routes
    assert api("POST", "/portal_links", {"project": OTHER}).status_code == 403
    assert api("POST", "/portal_links", {"project": TENANT}).status_code == 403
    token = {"name": "x", "scopes": ["api"]}
    assert api("POST", f"/projects/{_enc(TENANT)}/access_tokens", token).status_code == 403
    assert api("GET", f"/projects/{_enc(TENANT)}/access_tokens").status_code == 403


def test_group_link_manages_the_group_alone_not_the_projects_below(stack: LocalStack, admin: Api) -> None:
    session = _exchange(stack, _code(_link(admin, group=GROUP))).json()
    api = Api(stack, session["token"])
    assert api("GET", f"/groups/{GROUP}/hooks").status_code == 200
    assert api("GET", f"/projects/{_enc(TENANT)}/hooks").status_code == 404


def test_reused_code_is_refused(stack: LocalStack, admin: Api) -> None:
    code = _code(_link(admin, project=TENANT))
    assert _exchange(stack, code).status_code == 201
    again = _exchange(stack, code)
    assert again.status_code == 422 and again.json() == {"message": REUSED}


def test_expired_code_is_refused(stack: LocalStack, admin: Api) -> None:
    code = _code(_link(admin, project=TENANT))
    with CLOCK.moved(PORTAL_CODE_LIFETIME + timedelta(seconds=1)):
        late = _exchange(stack, code)
    assert late.status_code == 422 and late.json() == {"message": EXPIRED}


@pytest.mark.parametrize("code", ["", "hlpc-made-up", "glpat-whatever", "x" * 256])
def test_unknown_code_is_refused(stack: LocalStack, code: str) -> None:
    answer = _exchange(stack, code)
    assert answer.status_code == 422 and answer.json() == {"message": UNKNOWN}


def test_session_expires(stack: LocalStack, admin: Api) -> None:
    api = Api(stack, _exchange(stack, _code(_link(admin, project=TENANT))).json()["token"])
    assert api("GET", f"/projects/{_enc(TENANT)}/hooks").status_code == 200
    with CLOCK.moved(PORTAL_SESSION_LIFETIME):
        assert api("GET", f"/projects/{_enc(TENANT)}/hooks").status_code == 401


def test_who_may_create_a_link(stack: LocalStack, admin: Api) -> None:
    token = admin("POST", f"/projects/{_enc(TENANT)}/access_tokens", {"name": "portal", "scopes": ["api"]}).json()
    tenant = Api(stack, token["token"])
    assert tenant("POST", "/portal_links", {"project": TENANT}).status_code == 201
    assert tenant("POST", "/portal_links", {"project": OTHER}).status_code == 404  # as unknown: nothing leaks
    assert Api(stack)("POST", "/portal_links", {"project": TENANT}).status_code == 401
    assert Api(stack, "wrong")("POST", "/portal_links/exchange", {"code": "hlpc-x"}).status_code == 422


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({}, "project, group are missing, exactly one parameter must be provided"),
        ({"project": TENANT, "group": GROUP}, "project, group are mutually exclusive"),
    ],
)
def test_link_needs_exactly_one_namespace(admin: Api, body: dict[str, Any], error: str) -> None:
    answer = admin("POST", "/portal_links", body)
    assert answer.status_code == 400 and answer.json() == {"error": error}


def test_console_is_served_with_a_strict_policy(stack: LocalStack) -> None:
    moved = httpx.get(f"{stack.api_url}/console", timeout=30)
    assert moved.status_code == 308 and moved.headers["Location"] == "console/"
    for name in ("", "app.js", "app.css"):
        answer = httpx.get(f"{stack.api_url}/console/{name}", timeout=30)
        assert answer.status_code == 200, name
        policy = answer.headers["Content-Security-Policy"]
        assert "script-src 'self';" in policy and "unsafe-inline" not in policy
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert httpx.get(f"{stack.api_url}/console/..%2Fsettings.py", timeout=30).status_code == 404
    assert httpx.get(f"{stack.api_url}/console/__init__.py", timeout=30).status_code == 404
