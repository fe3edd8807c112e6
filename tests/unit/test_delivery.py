from datetime import UTC, datetime

import pytest

from hookline.domain.delivery import (
    DeliveryResult,
    DeliveryTask,
    EventDeliveries,
    FailureClass,
    RequestContext,
    capped_response_headers,
    delivery_headers,
    idempotency_key,
    masked_url,
    parse_delivery_message,
    redact_headers,
    split_userinfo,
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
    context = RequestContext("https://hookline.example", "Hookline/0.1.0")
    headers = delivery_headers(_hook(), _task(), context, 1_700_000_000)
    assert headers["Content-Type"] == "application/json"
    assert headers["User-Agent"] == "Hookline/0.1.0"
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


def test_userinfo_becomes_basic_auth_and_is_masked() -> None:
    assert split_userinfo("https://u:p@example.com:8443/x?y=1") == ("https://example.com:8443/x?y=1", ("u", "p"))
    assert masked_url("https://u:p@example.com/x") == "https://[REDACTED]@example.com/x"
    assert masked_url("https://example.com/x") == "https://example.com/x"


def test_response_headers_are_capped() -> None:
    capped = capped_response_headers([(f"h{i}", "v" * 2000) for i in range(60)])
    assert len(capped) == 50
    assert all(len(value) == 1024 for value in capped.values())
