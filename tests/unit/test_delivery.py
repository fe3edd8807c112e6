import base64
from datetime import UTC, datetime

import pytest

from hookline.domain.delivery import (
    DeliveryResult,
    DeliveryTask,
    EventDeliveries,
    FailureClass,
    Outgoing,
    Redirect,
    RequestContext,
    checked_gitlab_version,
    delivery_headers,
    for_log,
    idempotency_key,
    masked_url,
    parse_delivery_message,
    prepare_outgoing,
    redact_headers,
    split_userinfo,
    user_agent,
)
from hookline.domain.events import HookKind
from hookline.domain.hooks import Hook

NOW = datetime(2026, 11, 23, tzinfo=UTC)


def _hook(kind: HookKind = HookKind.PROJECT, token: str | None = "s3cret") -> Hook:
    return Hook(id=5, kind=kind, scope_key="project:42", url="https://example.com/h", token=token, created_at=NOW)


def _task() -> DeliveryTask:
    return DeliveryTask(
        hook_id=5, event_uuid="ev-1", event_name="Push Hook", idempotency_key=idempotency_key("ev-1", 5), queued_at=NOW
    )


def test_idempotency_key_is_stable_per_hook_and_event() -> None:
    assert idempotency_key("ev-1", 5) == idempotency_key("ev-1", 5)
    assert idempotency_key("ev-1", 5) != idempotency_key("ev-1", 6)
    assert idempotency_key("ev-1", 5) != idempotency_key("ev-2", 5)


def test_a_delivery_message_carries_one_event_for_several_hooks_or_one_task() -> None:
    message = EventDeliveries(hook_ids=[5, 6, 5], event_uuid="ev-1", event_name="Push Hook", body="{}", queued_at=NOW)
    tasks = parse_delivery_message(message.model_dump_json())
    assert [(t.hook_id, t.idempotency_key, t.body, t.attempt) for t in tasks] == [
        (5, idempotency_key("ev-1", 5), "{}", 1),
        (6, idempotency_key("ev-1", 6), "{}", 1),
    ]
    assert parse_delivery_message(_task().model_dump_json()) == [_task()]
    for bad in ('{"hook_ids": [], "event_uuid": "e", "event_name": "Push Hook", "queued_at": "2026-11-23T00:00Z"}',
                '{"hook_id": "x"}', "not json", "[]"):  # fmt: skip
        with pytest.raises(ValueError):
            parse_delivery_message(bad)


def test_delivery_headers() -> None:
    context = RequestContext("https://hookline.example")
    headers = delivery_headers(_hook(), _task(), context, 1_700_000_000)
    assert headers["Content-Type"] == "application/json"
    assert headers["User-Agent"] == "GitLab/19.0.0"  # the release whose webhooks Hookline follows
    assert headers["X-Gitlab-Event"] == "Push Hook"
    assert headers["X-Gitlab-Instance"] == "https://hookline.example"
    assert headers["X-Gitlab-Event-UUID"] == "ev-1"
    assert headers["X-Gitlab-Token"] == "s3cret"
    assert headers["Idempotency-Key"] == headers["webhook-id"] == idempotency_key("ev-1", 5)
    assert headers["webhook-timestamp"] == "1700000000"
    again = delivery_headers(_hook(), _task(), context, 1_700_000_001)
    assert again["X-Gitlab-Webhook-UUID"] != headers["X-Gitlab-Webhook-UUID"]
    assert "X-Gitlab-Token" not in delivery_headers(_hook(token=None), _task(), context, 1)
    assert delivery_headers(_hook(HookKind.SYSTEM), _task(), context, 1)["X-Gitlab-Event"] == "System Hook"


def test_secrets_are_redacted_in_logged_headers() -> None:
    logged = redact_headers({"X-Gitlab-Token": "s3cret", "Authorization": "Basic x", "X-Other": "v"})
    assert logged == {"X-Gitlab-Token": "[REDACTED]", "Authorization": "[REDACTED]", "X-Other": "v"}


@pytest.mark.parametrize(
    ("status", "succeeded", "failure", "shown"),
    [
        (200, True, None, "200"),
        (204, True, None, "204"),
        (302, True, None, "302"),
        (404, False, FailureClass.CLIENT, "404"),
        (429, False, FailureClass.CLIENT, "429"),
        (500, False, FailureClass.SERVER, "500"),
        (None, False, FailureClass.INTERNAL, "internal error"),
    ],
)
def test_classification(status: int | None, succeeded: bool, failure: FailureClass | None, shown: str) -> None:
    result = DeliveryResult(0.1, status_code=status, internal_error=None if status else "Request timed out")
    assert (result.succeeded, result.failure_class, result.response_status) == (succeeded, failure, shown)


@pytest.mark.parametrize(
    ("url", "credentials"),
    [
        ("https://u:p@example.com:8443/x?y=1", (b"u", b"p")),
        ("http://us%40er:p%3Ass@host/x", (b"us@er", b"p:ss")),  # percent-decoded, as GitLab's CGI.unescape
        ("http://a+b:c%2Bd@host/", (b"a b", b"c+d")),  # CGI.unescape reads + as a space
        ("http://%C3%A9:%FF@host/", ("é".encode(), b"\xff")),  # bytes, as they were encoded
        ("http://user@host/", (b"user", b"")),
        ("http://user:@host/", (b"user", b"")),
        ("http://host/", None),
    ],
)
def test_userinfo_becomes_basic_auth_decoded(url: str, credentials: tuple[bytes, bytes] | None) -> None:
    bare, found = split_userinfo(url)
    assert found == credentials
    assert "@" not in bare


def test_userinfo_is_masked() -> None:
    assert split_userinfo("https://u:p@example.com:8443/x?y=1")[0] == "https://example.com:8443/x?y=1"
    assert masked_url("https://u:p@example.com/x") == "https://[REDACTED]@example.com/x"
    assert masked_url("https://example.com/x") == "https://example.com/x"


@pytest.mark.parametrize("version", ["19.0.0", "17.4.0", "18.2.1-ee", "19.0.0-pre", "1.2.3-rc1.ee"])
def test_user_agent_is_gitlabs_for_a_release(version: str) -> None:
    assert user_agent(version) == f"GitLab/{version}"


@pytest.mark.parametrize(
    "version", ["", "19", "19.0", "v19.0.0", "19.0.0 ", "19.0.0\r\nX: y", "19.0.0-", "1.2.3-" + "a" * 40]
)
def test_a_version_that_is_not_a_release_is_refused(version: str) -> None:
    with pytest.raises(ValueError, match="not a GitLab version"):
        checked_gitlab_version(version)


def test_the_log_caps_response_headers_in_bytes_and_marks_each_cut() -> None:
    logged = for_log(DeliveryResult(0.1, 200, {f"H{i}": "v" * 2000 for i in range(60)}))
    assert len(logged.response_headers) <= 50
    assert all(len(value.encode()) <= 1024 and value.endswith("…") for value in logged.response_headers.values())
    assert sum(len(n.encode()) + len(v.encode()) for n, v in logged.response_headers.items()) <= 16 * 1024
    wide = for_log(DeliveryResult(0.1, 200, {"X-Wide": "é" * 600}))  # 1200 bytes in 600 characters
    assert wide.response_headers["X-Wide"] == "é" * 510 + "…"
    assert for_log(DeliveryResult(0.1, 200, {"X-Small": "é" * 512})).response_headers["X-Small"] == "é" * 512


@pytest.mark.parametrize(
    ("body", "cut", "logged"),
    [
        ("ok", False, "ok"),
        ("a" * 8192, False, "a" * 8192),
        ("a" * 8193, False, "a" * 8189 + "…"),  # GitLab's truncate_bytes(8 KB): the mark counts in the 8 KB
        ("a" * 100, True, "a" * 100 + "…"),  # the client read only part of it
    ],
)
def test_the_log_cuts_the_body_at_8_kb_as_gitlab_marks_it(body: str, cut: bool, logged: str) -> None:
    assert for_log(DeliveryResult(0.1, 200, response_body=body, body_cut=cut)).response_body == logged


def test_a_secret_across_a_cut_is_scrubbed_whole() -> None:
    """The client keeps more than the log; the log scrubs, then cuts: no secret's first part stands at a cut."""
    secret = "S3cretVariableValue"
    outgoing = Outgoing("https://example.com/{v}", {}, {}, "{}", secrets=((secret, "{v}"),))
    header = "x" * 1015 + secret  # the 1 KB cut falls inside the secret
    body = "y" * 8185 + secret + "z" * 8000
    answer = DeliveryResult(0.1, 200, {"X-Echo": header, f"X-{secret}": "1"}, body)
    logged = for_log(outgoing.scrubbed(answer))
    assert logged.response_headers == {"X-Echo": "x" * 1015 + "{v}", "X-{v}": "1"}  # 1018 bytes once scrubbed
    assert logged.response_body == "y" * 8185 + "{v}" + "z…"
    # the client cut its read inside the secret: the tail goes, the rest is scrubbed, the cut is marked
    partial = outgoing.scrubbed(DeliveryResult(0.1, 200, response_body=secret + "y" * 20 + secret[:7], body_cut=True))
    assert for_log(partial).response_body == "{v}" + "y" * 9 + "…"  # the last len(secret) - 1 characters went


def test_redirect_locations_are_masked_scrubbed_and_capped() -> None:
    outgoing = Outgoing("https://example.com/{v}", {}, {}, "{}", secrets=(("S3cret", "{v}"),))
    hops = (
        Redirect(302, "https://user:pw@elsewhere.example/S3cret"),
        Redirect(301, "/relative/s3CRET"),
        Redirect(307, "https://example.com/" + "l" * 5000),
    )
    logged = for_log(outgoing.scrubbed(DeliveryResult(0.1, 200, redirects=hops)))
    assert [hop.location for hop in logged.redirects[:2]] == [
        "https://[REDACTED]@elsewhere.example/{v}",
        "/relative/{v}",
    ]
    assert len(logged.redirects[2].location.encode()) == 1024 and logged.redirects[2].location.endswith("…")


def test_basic_auth_from_url_variables_is_a_secret_too() -> None:
    hook = Hook(
        id=5, kind=HookKind.PROJECT, scope_key="project:42", url="https://{user}:{password}@example.com/h",
        url_variables={"user": "us%40er", "password": "p%3Ass"}, created_at=NOW,
    )  # fmt: skip
    outgoing = prepare_outgoing(hook, _task(), "{}", RequestContext("https://hookline.example"), 1)
    echoed = "Basic " + base64.b64encode(b"us@er:p:ss").decode()
    assert outgoing.scrub(f"you sent {echoed} and p:ss") == "you sent Basic [REDACTED] and [REDACTED]"
