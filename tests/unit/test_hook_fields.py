"""URL variables, custom headers and the "Recent events" status filter: pure rules of the domain."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from hookline.domain.delivery import (
    REDACTED,
    DeliveryTask,
    MaskedCredentials,
    RequestContext,
    idempotency_key,
    prepare_outgoing,
    status_matches,
    unmasked_url,
    url_hash,
)
from hookline.domain.events import HookKind
from hookline.domain.hooks import (
    Hook,
    InvalidHookField,
    UrlTemplateError,
    check_custom_headers,
    check_url_variables,
    interpolated_url,
)

NOW = datetime(2026, 11, 23, tzinfo=UTC)
CONTEXT = RequestContext("https://hookline.example", "Hookline/0.1.0")


def _hook(**fields) -> Hook:
    return Hook(id=5, kind=HookKind.PROJECT, scope_key="project:42", created_at=NOW, **fields)


def _task() -> DeliveryTask:
    return DeliveryTask(
        hook_id=5, event_uuid="ev-1", event_name="Push Hook", idempotency_key=idempotency_key("ev-1", 5), queued_at=NOW
    )


@pytest.mark.parametrize(
    ("field", "pairs", "ok"),
    [
        ("url_variables", {"token": "x"}, True),
        ("url_variables", {"_a1": "x" * 100}, True),
        ("url_variables", {f"k{i}": "v" for i in range(20)}, True),
        ("url_variables", {f"k{i}": "v" for i in range(21)}, False),
        ("url_variables", {"1abc": "x"}, False),
        ("url_variables", {"a-b": "x"}, False),
        ("url_variables", {"a": ""}, False),
        ("url_variables", {"a": "x" * 101}, False),
        ("custom_headers", {"X-Api-Key": "v"}, True),
        ("custom_headers", {"Trace.id_2": "v" * 2048}, True),
        ("custom_headers", {"abc123": "v"}, True),
        ("custom_headers", {f"H{i}x": "v" for i in range(21)}, False),
        ("custom_headers", {"1abc": "v"}, False),
        ("custom_headers", {"a--b": "v"}, False),
        ("custom_headers", {"trailing-": "v"}, False),
        ("custom_headers", {"X-Empty": ""}, False),
        ("custom_headers", {"X-Long": "v" * 2049}, False),
    ],
)
def test_url_variables_and_custom_headers_rules(field: str, pairs: dict[str, str], ok: bool) -> None:
    check = check_url_variables if field == "url_variables" else check_custom_headers
    if ok:
        assert check(pairs) == pairs
        return
    with pytest.raises(InvalidHookField) as error:
        check(pairs)
    assert (error.value.field, error.value.message) == (field, "must be a valid json schema")


def test_url_interpolation_and_missing_keys() -> None:
    assert interpolated_url("https://h.example/{a}?k={b}", {"a": "p", "b": "q"}) == "https://h.example/p?k=q"
    assert interpolated_url("https://h.example/{}", {}) == "https://h.example/{}"
    with pytest.raises(UrlTemplateError) as error:
        interpolated_url("https://h.example/{a}/{b}/{a}", {"b": "x"})
    assert str(error.value) == 'Invalid URL template. Missing keys: ["a"]'


def test_outgoing_fills_variables_adds_custom_headers_and_redacts_them() -> None:
    hook = _hook(
        url="https://example.invalid/{path}",
        token="tok",
        url_variables={"path": "s3cret-path"},
        custom_headers={"X-Api-Key": "key-value", "Idempotency-Key": "override", "x-gitlab-event": "nope"},
    )
    outgoing = prepare_outgoing(hook, _task(), '{"a":1}', CONTEXT, 1700000000)
    assert outgoing.error is None and outgoing.url == "https://example.invalid/s3cret-path"
    assert outgoing.url_hash == url_hash("https://example.invalid/s3cret-path")
    assert outgoing.headers["X-Api-Key"] == "key-value"
    assert outgoing.headers["Idempotency-Key"] == idempotency_key("ev-1", 5)  # delivery headers win
    assert "x-gitlab-event" not in outgoing.headers and outgoing.headers["X-Gitlab-Event"] == "Push Hook"
    assert outgoing.logged_headers["X-Api-Key"] == REDACTED
    assert outgoing.logged_headers["X-Gitlab-Token"] == REDACTED
    logged = json.dumps(outgoing.logged_headers)
    assert "key-value" not in logged and "tok" not in logged.replace("Token", "")
    assert outgoing.body == '{"a":1}' and outgoing.rendered is None
    assert outgoing.scrub("failed for s3cret-path with key-value") == "failed for {path} with [REDACTED]"


def test_outgoing_with_a_missing_url_variable_cannot_be_sent() -> None:
    outgoing = prepare_outgoing(_hook(url="https://example.invalid/{gone}"), _task(), "{}", CONTEXT, 1)
    assert outgoing.error == 'Invalid URL template. Missing keys: ["gone"]'


def test_outgoing_renders_the_template_unless_told_not_to() -> None:
    hook = _hook(url="https://example.invalid/h", custom_webhook_template='{"kind":"{{object_kind}}"}')
    rendered = prepare_outgoing(hook, _task(), '{"object_kind":"push"}', CONTEXT, 1)
    assert rendered.body == rendered.rendered == '{"kind":"push"}'
    raw = prepare_outgoing(hook, _task(), '{"object_kind":"push"}', CONTEXT, 1, render=False)
    assert raw.body == '{"object_kind":"push"}' and raw.rendered is None
    broken = prepare_outgoing(
        hook.model_copy(update={"custom_webhook_template": '{"x":"{{a}}}'}), _task(), "{}", CONTEXT, 1
    )
    assert broken.body is None and broken.rendered == "{}"
    assert broken.error is not None and broken.error.startswith("Error while parsing rendered custom webhook template:")


@pytest.mark.parametrize(
    ("status", "wanted", "matches"),
    [
        ("200", {"200"}, True),
        ("201", {"200"}, False),
        ("204", {"successful"}, True),
        ("404", {"client_failure"}, True),
        ("404", {"server_failure", "successful"}, False),
        ("503", {"server_failure"}, True),
        ("503", {"200", "503"}, True),
        ("internal error", {"server_failure"}, True),  # GitLab's server_failure scope includes it
        ("internal error", {"client_failure", "successful", "500"}, False),
    ],
)
def test_status_filter(status: str, wanted: set[str], matches: bool) -> None:
    assert status_matches(status, frozenset(wanted)) is matches


STORED = "https://us%40er:p%3Ass@example.com:8443/a/{v}?q=1"


@pytest.mark.parametrize(
    ("sent", "stored", "expected"),
    [
        ("https://example.com/x", STORED, "https://example.com/x"),  # no userinfo: as sent
        ("https://new:creds@example.com/x", STORED, "https://new:creds@example.com/x"),  # new credentials: as sent
        ("https://[REDACTED]@example.com:8443/a/{v}?q=1", STORED, STORED),  # the URL as shown: unchanged
        ("https://[REDACTED]@EXAMPLE.com:8443/b", STORED, "https://us%40er:p%3Ass@EXAMPLE.com:8443/b"),
        ("https://[REDACTED]@[::1]:9/x", "https://u:p@[::1]:9/y", "https://u:p@[::1]:9/x"),
        ("https://[REDACTED]@example.org:8443/a", STORED, MaskedCredentials),  # another host
        ("https://[REDACTED]@example.com/a", STORED, MaskedCredentials),  # another port
        ("http://[REDACTED]@example.com:8443/a", STORED, MaskedCredentials),  # another scheme
        ("https://[REDACTED]@example.com:8443/a", "https://example.com:8443/a", MaskedCredentials),  # none stored
        ("https://[REDACTED]@example.com/a", None, MaskedCredentials),  # a new hook
        ("https://[REDACTED]:x@example.com:8443/a", STORED, "https://[REDACTED]:x@example.com:8443/a"),  # not masked
    ],
)
def test_a_masked_url_sent_back_keeps_the_stored_credentials(
    sent: str, stored: str | None, expected: str | type[Exception]
) -> None:
    if isinstance(expected, str):
        assert unmasked_url(sent, stored) == expected
    else:
        with pytest.raises(expected):
            unmasked_url(sent, stored)
