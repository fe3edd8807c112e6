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
