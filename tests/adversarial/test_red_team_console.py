"""Red team on the API layer, the console and portal links: hostile requests, tenants and link holders."""

from __future__ import annotations

import json

import httpx
import pytest

from hookline import settings
from infra.local.stack import LocalStack

GROUP = "red-team"


def _api(stack: LocalStack) -> str:
    return f"{stack.api_url}/api/v4"


@pytest.fixture(scope="module")
def group(stack: LocalStack) -> str:
    created = httpx.post(
        f"{_api(stack)}/groups/{GROUP}/hooks",
        headers={"PRIVATE-TOKEN": stack.admin_token},
        json={"url": "https://example.com/red-team"},
        timeout=30,
    )
    assert created.status_code == 201, created.text
    return GROUP


UNSUPPORTED = ["text/plain", "application/xml", "application/merge-patch+json", "text/plain; charset=utf-8"]
BODIES = [b'{"url": "https://example.com/x"}', b"url=https%3A%2F%2Fexample.com%2Fx"]


@pytest.mark.parametrize("content_type", UNSUPPORTED)
@pytest.mark.parametrize("body", BODIES, ids=["json", "form"])
def test_a_body_of_an_unsupported_media_type_is_a_415_not_a_500(
    stack: LocalStack, group: str, content_type: str, body: bytes
) -> None:
    """Powertools' validation refuses a media type it does not parse; that must be answered, not a 500 (the
    exchange needs no token, so anyone could make the API log 500s)."""
    admin = {"PRIVATE-TOKEN": stack.admin_token, "Content-Type": content_type}
    answers = [
        httpx.post(f"{_api(stack)}/groups/{group}/hooks", headers=admin, content=body, timeout=30),
        httpx.put(f"{_api(stack)}/groups/{group}/hooks/1", headers=admin, content=body, timeout=30),
        httpx.post(f"{_api(stack)}/portal_links/exchange", headers={"Content-Type": content_type}, content=body),
    ]
    for answer in answers:
        assert answer.status_code == 415, answer.text
        media_type = content_type.split(";")[0]
        assert answer.json() == {"error": f"The provided content-type '{media_type}' is not supported."}


@pytest.mark.parametrize("content_type", ["Application/JSON", "APPLICATION/JSON; charset=UTF-8"])
def test_a_media_type_is_case_insensitive_json(stack: LocalStack, group: str, content_type: str) -> None:
    headers = {"PRIVATE-TOKEN": stack.admin_token, "Content-Type": content_type}
    answer = httpx.post(f"{_api(stack)}/groups/{group}/hooks", headers=headers, content=BODIES[0], timeout=30)
    assert answer.status_code == 201, answer.text
    assert answer.json()["url"] == "https://example.com/x"


@pytest.mark.parametrize("content_type", ["APPLICATION/X-WWW-FORM-URLENCODED", "Application/x-www-form-urlencoded"])
def test_a_media_type_is_case_insensitive_form(stack: LocalStack, group: str, content_type: str) -> None:
    headers = {"PRIVATE-TOKEN": stack.admin_token, "Content-Type": content_type}
    answer = httpx.post(f"{_api(stack)}/groups/{group}/hooks", headers=headers, content=BODIES[1], timeout=30)
    assert answer.status_code == 201, answer.text
    assert answer.json()["url"] == "https://example.com/x"


def test_the_body_limit_counts_bytes_not_characters(stack: LocalStack, group: str) -> None:
    """1 MB of body is 1 MB of UTF-8, however few characters it takes."""
    text = "é" * (settings.MAX_REQUEST_BODY_BYTES // 2 + 1)  # fewer characters than the limit, more bytes
    body = json.dumps({"url": "https://example.com/x", "description": text}, ensure_ascii=False).encode()
    assert len(body.decode()) < settings.MAX_REQUEST_BODY_BYTES < len(body)
    headers = {"PRIVATE-TOKEN": stack.admin_token, "Content-Type": "application/json"}
    answer = httpx.post(f"{_api(stack)}/groups/{group}/hooks", headers=headers, content=body, timeout=30)
    assert answer.status_code == 413, answer.text


def _portal_session(stack: LocalStack, minting_token: str, **target: str) -> str:
    link = httpx.post(f"{_api(stack)}/portal_links", headers={"PRIVATE-TOKEN": minting_token}, json=target, timeout=30)
    assert link.status_code == 201, link.text
    code = link.json()["url"].split("#portal=", 1)[1]
    session = httpx.post(f"{_api(stack)}/portal_links/exchange", json={"code": code}, timeout=30)
    assert session.status_code == 201, session.text
    return str(session.json()["token"])


def test_revoking_the_token_that_made_a_portal_link_ends_its_sessions(stack: LocalStack, group: str) -> None:
    """A link lives no longer than the access token that made it: its session and its unused codes end with it."""
    admin = {"PRIVATE-TOKEN": stack.admin_token}
    made = httpx.post(
        f"{_api(stack)}/groups/{group}/access_tokens", headers=admin, json={"name": "leaky", "scopes": ["api"]}
    ).json()
    session = _portal_session(stack, made["token"], group=group)
    unused = (
        httpx.post(
            f"{_api(stack)}/portal_links", headers={"PRIVATE-TOKEN": made["token"]}, json={"group": group}, timeout=30
        )
        .json()["url"]
        .split("#portal=", 1)[1]
    )
    hooks = f"{_api(stack)}/groups/{group}/hooks"
    assert httpx.get(hooks, headers={"Authorization": f"Bearer {session}"}).status_code == 200
    revoked = httpx.delete(f"{_api(stack)}/groups/{group}/access_tokens/{made['id']}", headers=admin)
    assert revoked.status_code == 204
    assert httpx.get(hooks, headers={"Authorization": f"Bearer {session}"}).status_code == 401
    exchanged = httpx.post(f"{_api(stack)}/portal_links/exchange", json={"code": unused}, timeout=30)
    assert exchanged.status_code == 422
    assert "revoked" in exchanged.json()["message"]
    # the admin's links do not depend on any token
    assert (
        httpx.get(
            hooks, headers={"Authorization": f"Bearer {_portal_session(stack, stack.admin_token, group=group)}"}
        ).status_code
        == 200
    )


@pytest.mark.parametrize("proto", ["javascript:alert(1)//", "data:text/html,x", "HTTPS"])
def test_a_portal_link_is_an_http_url_whatever_the_forwarded_proto(stack: LocalStack, group: str, proto: str) -> None:
    """The link is handed to a tenant as a URL to open: a forwarded header must not make it a script URL."""
    headers = {"PRIVATE-TOKEN": stack.admin_token, "X-Forwarded-Proto": proto}
    link = httpx.post(f"{_api(stack)}/portal_links", headers=headers, json={"group": group}, timeout=30)
    assert link.status_code == 201, link.text
    assert link.json()["url"].startswith(("https://", "http://"))
