"""The reference's validation rules through the HTTP API: for each, a value GitLab accepts and one it refuses.

Covered elsewhere and not repeated here: a missing url, an ftp URL and ``push_events: "banana"``
(test_core_path.py); 21 custom headers on PUT, a url variable key or a custom header value refused by the
``PUT …/:key`` endpoints, a ``{key}`` with no variable (test_hook_fields.py).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from infra.local.stack import LocalStack

URL = "https://example.invalid/validation"
HOOKS = "/api/v4/projects/validation%2Ftable/hooks"
#: Generous: a test asserts answers, not speed (a loaded machine once took over httpx's default 5 s).
CALL_TIMEOUT_S = 60


def _schema_error(field: str) -> dict[str, Any]:
    return {"message": {field: ["must be a valid json schema"]}}


def _too_long(field: str, limit: int) -> dict[str, Any]:
    return {"message": {field: [f"is too long (maximum is {limit} characters)"]}}


def _pairs(count: int, key: str = "k{}", value: str = "v") -> list[dict[str, str]]:
    return [{"key": key.format(i), "value": value} for i in range(count)]


def _branch_error(reason: str) -> dict[str, str]:
    return {"error": f"push_events_branch_filter {reason}"}


ACCEPTED = 201
INVALID_URL = (422, {"error": "Invalid url given"})
INVALID_HEADERS = (422, {"error": "Custom headers validation failed"})
INVALID_FILTER = (422, {"error": "Invalid branch filter given"})
# (fields sent with the url, then the status and either the hook fields expected back or the exact error body)
TABLE = [
    # custom_headers: at most 20, name ^[A-Za-z]+[0-9]*(?:[._-][A-Za-z0-9]+)*$, value 1 to 2048 characters
    pytest.param({"custom_headers": _pairs(20, "X-H{}")}, ACCEPTED, {"custom_headers": [{"key": f"X-H{i}"} for i in range(20)]}, id="headers-20"),
    pytest.param({"custom_headers": _pairs(21, "X-H{}")}, *INVALID_HEADERS, id="headers-21"),
    pytest.param({"custom_headers": [{"key": "Trace.id_2", "value": "v" * 2048}]}, ACCEPTED, {"custom_headers": [{"key": "Trace.id_2"}]}, id="header-value-2048"),
    pytest.param({"custom_headers": [{"key": "X-Long", "value": "v" * 2049}]}, *INVALID_HEADERS, id="header-value-2049"),
    pytest.param({"custom_headers": [{"key": "X-Empty", "value": ""}]}, *INVALID_HEADERS, id="header-value-empty"),
    pytest.param({"custom_headers": [{"key": "1abc", "value": "v"}]}, *INVALID_HEADERS, id="header-name-digit-first"),
    pytest.param({"custom_headers": [{"key": "a--b", "value": "v"}]}, *INVALID_HEADERS, id="header-name-double-dash"),
    pytest.param({"custom_headers": [{"key": "X-Api Key", "value": "v"}]}, *INVALID_HEADERS, id="header-name-space"),
    # url_variables: at most 20, key ^[A-Za-z_][A-Za-z0-9_]*$, value 1 to 100 characters
    pytest.param({"url_variables": _pairs(20)}, ACCEPTED, {"url_variables": [{"key": f"k{i}"} for i in range(20)]}, id="variables-20"),
    pytest.param({"url_variables": _pairs(21)}, 422, _schema_error("url_variables"), id="variables-21"),
    pytest.param({"url": URL + "/{_a1}", "url_variables": [{"key": "_a1", "value": "v" * 100}]}, ACCEPTED, {"url": URL + "/{_a1}", "url_variables": [{"key": "_a1"}]}, id="variable-value-100"),
    pytest.param({"url_variables": [{"key": "a", "value": "v" * 101}]}, 422, _schema_error("url_variables"), id="variable-value-101"),
    pytest.param({"url_variables": [{"key": "a", "value": ""}]}, 422, _schema_error("url_variables"), id="variable-value-empty"),
    pytest.param({"url_variables": [{"key": "a-b", "value": "v"}]}, 422, _schema_error("url_variables"), id="variable-key-dash"),
    # URL: http or https only, one line
    pytest.param({"url": "http://example.invalid/plain"}, ACCEPTED, {"url": "http://example.invalid/plain"}, id="url-http"),
    pytest.param({"url": "https://example.invalid:8443/p?q=1"}, ACCEPTED, {"url": "https://example.invalid:8443/p?q=1"}, id="url-https"),
    pytest.param({"url": "javascript:alert(1)"}, *INVALID_URL, id="url-javascript"),
    pytest.param({"url": "file:///etc/passwd"}, *INVALID_URL, id="url-file"),
    pytest.param({"url": "example.invalid/no-scheme"}, *INVALID_URL, id="url-no-scheme"),
    pytest.param({"url": URL + "\nX-Injected: 1"}, *INVALID_URL, id="url-two-lines"),
    pytest.param({"url": URL + "/{missing}"}, *INVALID_URL, id="url-template-missing-key"),
    pytest.param({"url": "http://169.254.169.254/latest/meta-data/"}, *INVALID_URL, id="url-blocked-address"),
    # token, name and description lengths (model validations: 422)
    pytest.param({"token": "t" * 2048}, ACCEPTED, {"token_present": True}, id="token-2048"),
    pytest.param({"token": "t" * 2049}, 422, _too_long("token", 2048), id="token-2049"),
    pytest.param({"token": "line\nbreak"}, 422, {"message": {"token": ["is invalid"]}}, id="token-newline"),
    pytest.param({"name": "n" * 255}, ACCEPTED, {"name": "n" * 255}, id="name-255"),
    pytest.param({"name": "n" * 256}, 422, _too_long("name", 255), id="name-256"),
    pytest.param({"description": "d" * 2048}, ACCEPTED, {"description": "d" * 2048}, id="description-2048"),
    pytest.param({"description": "d" * 2049}, 422, _too_long("description", 2048), id="description-2049"),
    # trigger booleans: true/false, 1/0 and their strings
    pytest.param({"tag_push_events": "true", "push_events": 0, "note_events": "1", "job_events": False}, ACCEPTED, {"tag_push_events": True, "push_events": False, "note_events": True, "job_events": False}, id="booleans"),
    pytest.param({"tag_push_events": "yes"}, 400, {"error": "tag_push_events is invalid"}, id="boolean-yes"),
    pytest.param({"note_events": 2}, 400, {"error": "note_events is invalid"}, id="boolean-2"),
    pytest.param({"enable_ssl_verification": "off"}, 400, {"error": "enable_ssl_verification is invalid"}, id="ssl-verification-off"),
    # branch_filter_strategy: wildcard, regex or all_branches
    pytest.param({"branch_filter_strategy": "wildcard", "push_events_branch_filter": "*-stable"}, ACCEPTED, {"branch_filter_strategy": "wildcard", "push_events_branch_filter": "*-stable"}, id="strategy-wildcard"),
    pytest.param({"branch_filter_strategy": "all_branches", "push_events_branch_filter": "main"}, ACCEPTED, {"branch_filter_strategy": "all_branches", "push_events_branch_filter": None}, id="strategy-all-branches"),
    pytest.param({"branch_filter_strategy": "glob"}, 400, {"error": "branch_filter_strategy does not have a valid value"}, id="strategy-glob"),
    # regex: RE2 syntax; what RE2 rejects is refused, naming the field
    pytest.param({"branch_filter_strategy": "regex", "push_events_branch_filter": "^(main|release/.+)$"}, ACCEPTED, {"branch_filter_strategy": "regex", "push_events_branch_filter": "^(main|release/.+)$"}, id="regex-re2"),
    pytest.param({"branch_filter_strategy": "regex", "push_events_branch_filter": "(?=main)"}, 400, _branch_error("is not a valid RE2 regular expression: invalid perl operator: (?="), id="regex-lookahead"),
    pytest.param({"branch_filter_strategy": "regex", "push_events_branch_filter": "(?<!x)main"}, 400, _branch_error("is not a valid RE2 regular expression: invalid perl operator: (?<!"), id="regex-lookbehind"),
    pytest.param({"branch_filter_strategy": "regex", "push_events_branch_filter": "(main"}, 400, _branch_error("is not a valid RE2 regular expression: missing ): (main"), id="regex-unbalanced"),
    # wildcard: a git branch name once each * stands for a character, squished, at most 4000 characters
    pytest.param({"push_events_branch_filter": "b" * 4000}, ACCEPTED, {"push_events_branch_filter": "b" * 4000}, id="wildcard-4000"),
    pytest.param({"push_events_branch_filter": "b" * 4001}, *INVALID_FILTER, id="wildcard-4001"),
    pytest.param({"push_events_branch_filter": "  release/*\t"}, ACCEPTED, {"push_events_branch_filter": "release/*"}, id="wildcard-squished"),
    pytest.param({"push_events_branch_filter": "bad branch~name"}, *INVALID_FILTER, id="wildcard-not-a-branch-name"),
    pytest.param({"push_events_branch_filter": "feature/../x"}, *INVALID_FILTER, id="wildcard-dot-dot"),
    pytest.param({"push_events_branch_filter": "refs/heads/main"}, *INVALID_FILTER, id="wildcard-refs-heads"),
    # custom_webhook_template: at most 4096 characters
    pytest.param({}, ACCEPTED, {"concurrency_limit": 4}, id="concurrency-default"),
    pytest.param({"concurrency_limit": 1}, ACCEPTED, {"concurrency_limit": 1}, id="concurrency-1"),
    pytest.param({"concurrency_limit": "50"}, ACCEPTED, {"concurrency_limit": 50}, id="concurrency-50"),
    pytest.param({"concurrency_limit": 0}, 400, {"error": "concurrency_limit is invalid"}, id="concurrency-0"),
    pytest.param({"concurrency_limit": 51}, 400, {"error": "concurrency_limit is invalid"}, id="concurrency-51"),
    pytest.param({"concurrency_limit": "many"}, 400, {"error": "concurrency_limit is invalid"}, id="concurrency-text"),
    pytest.param({"custom_webhook_template": "t" * 4096}, ACCEPTED, {"custom_webhook_template": "t" * 4096}, id="template-4096"),
    pytest.param({"custom_webhook_template": "t" * 4097}, 422, _too_long("custom_webhook_template", 4096), id="template-4097"),
]  # fmt: skip


@pytest.mark.parametrize(("fields", "status", "expected"), TABLE)
def test_validation_rule(running: LocalStack, fields: dict[str, Any], status: int, expected: dict[str, Any]) -> None:
    api = f"{running.api_url}{HOOKS}"
    auth = {"PRIVATE-TOKEN": running.admin_token}
    answer = httpx.post(api, json={"url": URL, **fields}, headers=auth, timeout=CALL_TIMEOUT_S)
    assert answer.headers["Content-Type"] == "application/json"
    if status != ACCEPTED:
        assert (answer.status_code, answer.json()) == (status, expected)
        return
    assert answer.status_code == ACCEPTED, answer.text
    hook = answer.json()
    try:
        assert {key: hook[key] for key in expected} == expected
        # an update passes the same rules: sending the hook's own values back changes nothing
        again = httpx.put(
            f"{api}/{hook['id']}", json={"url": hook["url"], **fields}, headers=auth, timeout=CALL_TIMEOUT_S
        )
        assert (again.status_code, {key: again.json()[key] for key in expected}) == (200, expected)
    finally:
        assert httpx.delete(f"{api}/{hook['id']}", headers=auth, timeout=CALL_TIMEOUT_S).status_code == 204


@pytest.mark.parametrize(("fields", "status", "expected"), [case for case in TABLE if case.values[1] != ACCEPTED])
def test_a_refused_update_changes_nothing(
    running: LocalStack, fields: dict[str, Any], status: int, expected: dict[str, Any]
) -> None:
    api = f"{running.api_url}{HOOKS}"
    auth = {"PRIVATE-TOKEN": running.admin_token}
    hook = httpx.post(api, json={"url": URL, "name": "before"}, headers=auth, timeout=CALL_TIMEOUT_S).json()
    try:
        answer = httpx.put(f"{api}/{hook['id']}", json=fields, headers=auth, timeout=CALL_TIMEOUT_S)
        assert (answer.status_code, answer.json()) == (status, expected)
        assert httpx.get(f"{api}/{hook['id']}", headers=auth, timeout=CALL_TIMEOUT_S).json() == hook
    finally:
        assert httpx.delete(f"{api}/{hook['id']}", headers=auth, timeout=CALL_TIMEOUT_S).status_code == 204
