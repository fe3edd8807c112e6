"""Swagger UI's Authorize button: the served document declares GitLab's two ways of sending a token, every operation
requires one of them, and a request built from the document the way Swagger UI builds it (server URL + path template,
the scheme's header) succeeds; the Swagger UI page carries the same schemes."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest

from infra.local.stack import LocalStack

METHODS = ("get", "put", "post", "delete", "patch")


@pytest.fixture(scope="module")
def document(running: LocalStack) -> dict[str, Any]:
    served = httpx.get(f"{running.api_url}/api/v4/openapi.json")
    assert served.status_code == 200
    return dict(served.json())


def _operation(document: dict[str, Any], operation_id: str) -> tuple[str, str]:
    """The method and path template of an operation, found by its id as Swagger UI lists it."""
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS and operation["operationId"] == operation_id:
                return method.upper(), path
    raise AssertionError(f"no operation {operation_id}")


def _authorized_header(scheme: dict[str, Any], token: str) -> dict[str, str]:
    """What Swagger UI sends once a value is entered for ``scheme`` in the Authorize dialog."""
    if scheme["type"] == "apiKey":
        assert scheme["in"] == "header"
        return {scheme["name"]: token}
    assert (scheme["type"], scheme["scheme"].lower()) == ("http", "bearer")
    return {"Authorization": f"Bearer {token}"}


def _try_it_out(
    stack: LocalStack, document: dict[str, Any], operation_id: str, path_values: dict[str, str], **kwargs: Any
) -> httpx.Response:
    method, template = _operation(document, operation_id)
    server = document["servers"][0]["url"].rstrip("/")
    path = re.sub(r"{(\w+)}", lambda match: path_values[match.group(1)], template)
    return httpx.request(method, f"{stack.api_url}{server}{path}", **kwargs)


def test_the_document_declares_private_token_and_bearer_for_every_operation(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes["PRIVATE-TOKEN"] | {"description": ""} == {
        "type": "apiKey",
        "in": "header",
        "name": "PRIVATE-TOKEN",
        "description": "",
    }
    assert (schemes["Bearer"]["type"], schemes["Bearer"]["scheme"]) == ("http", "bearer")
    assert document["security"] == [{"PRIVATE-TOKEN": []}, {"Bearer": []}]
    operations = [op for item in document["paths"].values() for method, op in item.items() if method in METHODS]
    assert operations and not [op["operationId"] for op in operations if "security" in op]  # none opts out
    assert "/api/v4/docs" not in document["paths"] and "/api/v4/openapi.json" not in document["paths"]


@pytest.mark.parametrize("scheme_name", ["PRIVATE-TOKEN", "Bearer"])
def test_an_operation_called_as_swagger_ui_calls_it_succeeds(
    running: LocalStack, document: dict[str, Any], scheme_name: str
) -> None:
    scheme = document["components"]["securitySchemes"][scheme_name]
    admin = _authorized_header(scheme, running.admin_token)
    created = _try_it_out(
        running,
        document,
        "create_project_hook",
        {"id": "swagger%2Fauthorize"},
        headers=admin,
        json={"url": "https://example.invalid/swagger", "push_events": True},
    )
    assert created.status_code == 201, created.text
    hook = created.json()
    listed = _try_it_out(running, document, "list_project_hooks", {"id": "swagger%2Fauthorize"}, headers=admin)
    assert listed.status_code == 200 and hook["id"] in [item["id"] for item in listed.json()]

    # an access token works the same way through the same scheme
    token = _try_it_out(
        running,
        document,
        "create_project_access_token",
        {"id": "swagger%2Fauthorize"},
        headers=admin,
        json={"name": f"swagger-{scheme_name}", "scopes": ["api"]},
    ).json()["token"]
    values = {"id": "swagger%2Fauthorize", "hook_id": str(hook["id"])}
    read = _try_it_out(running, document, "get_project_hook", values, headers=_authorized_header(scheme, token))
    assert (read.status_code, read.json()["id"]) == (200, hook["id"])

    # without Authorize, or with a wrong value, Swagger UI's request is refused as GitLab refuses it
    for headers in ({}, _authorized_header(scheme, "not-a-token")):
        refused = _try_it_out(running, document, "get_project_hook", values, headers=headers)
        assert (refused.status_code, refused.json()) == (401, {"message": "401 Unauthorized"})
    deleted = _try_it_out(running, document, "delete_project_hook", values, headers=admin)
    assert deleted.status_code == 204


def test_the_swagger_ui_page_is_served_with_the_schemes(running: LocalStack, document: dict[str, Any]) -> None:
    page = httpx.get(f"{running.api_url}/api/v4/docs")
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "SwaggerUIBundle" in page.text and "persistAuthorization: true" in page.text
    embedded = re.search(r"spec: (\{.*?\n\}),\n", page.text, re.DOTALL)
    assert embedded, "the page embeds its OpenAPI document"
    spec = json.loads(embedded.group(1).replace("<\\/", "</"))
    assert spec["components"]["securitySchemes"] == document["components"]["securitySchemes"]
    assert spec["security"] == document["security"]
    as_json = httpx.get(f"{running.api_url}/api/v4/docs", params={"format": "json"})
    assert as_json.status_code == 200 and as_json.json()["paths"] == document["paths"]


def test_the_swagger_ui_page_cannot_be_framed(running: LocalStack) -> None:
    """Swagger UI keeps the token it was given (persistAuthorization): another site must not frame it for clickjacking."""
    page = httpx.get(f"{running.api_url}/api/v4/docs")
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["Referrer-Policy"] == "no-referrer"
