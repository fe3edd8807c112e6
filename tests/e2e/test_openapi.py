"""The OpenAPI document: served publicly by the API, and the committed copy matches the routes."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from hookline.api.app import openapi_json
from infra.local.stack import LocalStack

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
REGENERATE = "PYTHONPATH=functions:. .venv/bin/python -m hookline.api.openapi"


def test_committed_openapi_document_has_not_drifted() -> None:
    assert json.loads(COMMITTED.read_text()) == json.loads(openapi_json()), f"docs/openapi.json drifted: {REGENERATE}"


def test_the_document_and_swagger_ui_are_public_and_nothing_else_is(running: LocalStack) -> None:
    served = httpx.get(f"{running.api_url}/api/v4/openapi.json")
    assert served.status_code == 200 and served.headers["Content-Type"] == "application/json"
    document = served.json()
    assert document == json.loads(COMMITTED.read_text())
    paths = document["paths"]
    for path in ("/api/v4/hooks/{hook_id}", "/api/v4/projects/{id}/hooks/{hook_id}/events/{hook_event_id}/resend"):
        assert path in paths
    docs = httpx.get(f"{running.api_url}/api/v4/docs")
    assert docs.status_code == 200 and docs.headers["Content-Type"].startswith("text/html")
    assert "swagger" in docs.text.lower()
    for method, path in (("GET", "/api/v4/hooks"), ("POST", "/api/v4/openapi.json"), ("GET", "/api/v4/projects/1")):
        answer = httpx.request(method, f"{running.api_url}{path}")
        assert (answer.status_code, answer.json()) == (401, {"message": "401 Unauthorized"})


TAGS = {
    "project hooks", "group hooks", "system hooks", "events", "access tokens", "namespaces", "portal links", "instance",
}  # fmt: skip
#: GitLab's docs' names for the path parameters.
PATH_PARAMETERS = {"id", "hook_id", "hook_event_id", "key", "trigger", "token_id"}


def test_every_operation_is_tagged_summarised_described_and_typed() -> None:
    document = json.loads(openapi_json())
    assert {tag["name"] for tag in document["tags"]} == TAGS
    untyped, unnamed = [], set()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            label = f"{method.upper()} {path}"
            assert len(operation["tags"]) == 1 and operation["tags"][0] in TAGS, label
            assert operation["summary"] and not operation["summary"].startswith(method.upper()), label
            assert len(operation["description"]) > 20, label
            (success,) = [status for status in operation["responses"] if status.startswith("2")]
            if success != "204" and "$ref" not in str(operation["responses"][success].get("content")):
                untyped.append(label)
            unnamed |= {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"} - PATH_PARAMETERS
    assert untyped == [] and unnamed == set()
    create = document["paths"]["/api/v4/groups/{id}/hooks"]["post"]["responses"]["201"]
    assert create["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/GroupHook"}
    group_hook = document["components"]["schemas"]["GroupHook"]["properties"]
    assert {"group_id", "subgroup_events", "push_events"} <= set(group_hook) and "project_id" not in group_hook


def test_the_swagger_ui_page_serves_the_document_and_keeps_its_headers(running: LocalStack) -> None:
    """The page's handler is Powertools' own, made at the first request (Powertools' OpenAPI models are not loaded at
    cold start): it embeds the same document, answers ``?format=json`` with it, and keeps the framing headers."""
    page = httpx.get(f"{running.api_url}/api/v4/docs")
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert (page.headers["X-Frame-Options"], page.headers["Referrer-Policy"]) == ("DENY", "no-referrer")
    assert page.headers["Content-Security-Policy"] == "frame-ancestors 'none'"
    assert "persistAuthorization: true" in page.text
    as_json = httpx.get(f"{running.api_url}/api/v4/docs", params={"format": "json"})
    assert as_json.status_code == 200 and as_json.json() == json.loads(openapi_json())
    assert as_json.text == openapi_json().replace("</", "<\\/")
    assert as_json.text in page.text
    redirect = httpx.get(f"{running.api_url}/api/v4/docs", params={"format": "oauth2-redirect"})
    assert redirect.status_code == 200 and "oauth2" in redirect.text.lower()
