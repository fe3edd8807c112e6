"""Items 1-10 of the bulkheads issue as they were seen; each failed before the change.

Where the API now refuses a hostile value, the sender is also tried with that value stored directly (as a hook saved
before the rule, or written by a bug would be): containment must not depend on validation.
"""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime, timedelta

import pytest

from bench.meter import item_size
from hookline.adapters.delivery_store import LOG_BLOB_LIMIT, DeliveryStore, payload_key
from hookline.adapters.hook_store import HookStore
from hookline.domain.delivery import DeliveryLog, DeliveryResult, DeliveryTask, idempotency_key
from hookline.domain.events import HookKind
from hookline.domain.hook_state import HookState
from hookline.services.delivery import QueuedTask
from hookline.wiring import delivery_sender
from tests.adversarial.neighbours import DYNAMODB_ITEM_LIMIT, Bulkhead, assert_no_secret, push_payload


def stored_hostile(bulkhead: Bulkhead, **fields: object) -> int:
    """A healthy hook made through the API, then given hostile fields in the store, past the API's checks."""
    answer = bulkhead.hostile_hook()
    assert answer.status_code == 201
    store = HookStore()
    hook = store.get(answer.json()["id"])
    assert hook is not None
    store.put(hook.model_copy(update=fields), new=False)
    return hook.id


@pytest.mark.parametrize("bad", ["\x01", "\x00", "\x7f"])
def test_1_a_control_character_in_the_url_is_refused(bulkhead: Bulkhead, bad: str) -> None:
    answer = bulkhead.hostile_hook(url=bulkhead.receiver.url(f"/a{bad}b"))
    assert answer.status_code in (400, 422) and "url" in answer.text
    bulkhead.run()
    bulkhead.assert_invariant()


@pytest.mark.parametrize(
    "fields",
    [
        {"url": "http://127.0.0.1:9/a\x01b"},
        {"url": "http://127.0.0.1:9/" + "a" * 66_000},
        {"url": "http://127.0.0.1:9/{v}", "url_variables": {"v": "a\x00b"}},
        {"token": "secret-with\r\nInjected: header"},
        {"custom_headers": {"X-Custom": " secret-with-spaces "}},
    ],
    ids=["control-char-url", "66k-url", "control-char-variable", "crlf-token", "spaced-header"],
)
def test_1_a_hook_that_cannot_be_sent_fails_only_its_own_delivery(bulkhead: Bulkhead, fields: dict) -> None:
    hook_id = stored_hostile(bulkhead, **fields)
    bulkhead.run()
    bulkhead.assert_invariant()
    logs = bulkhead.hostile_logs(hook_id)
    assert logs and all(log["response_status"] == "internal error" for log in logs)
    for secret in ("secret-with\r\nInjected: header", " secret-with-spaces "):
        assert_no_secret(secret, json.dumps(logs))


def test_3_a_log_item_stays_under_the_item_limit_whatever_the_receiver_and_template(bulkhead: Bulkhead) -> None:
    now = datetime.now(UTC)
    noise = secrets.token_hex(60_000)  # 120 KB of text that compresses only to half
    result = DeliveryResult(
        0.5,
        status_code=200,
        response_headers={f"X-Big-{i}": noise[i * 1024 : (i + 1) * 1024] for i in range(50)},
        response_body=noise[:8192],
    )
    logs = [
        DeliveryLog(
            hook_id=1,
            hook_kind=HookKind.PROJECT,
            trigger="push_hooks",
            url="https://example.com",
            request_headers={},
            request_data=noise[:100_000] * 8,  # what an uncapped template could render
            event_uuid="ev",
            idempotency_key=f"k{i}",
            attempt=1,
            created_at=now,
            result=result,
        )
        for i in range(10)
    ]
    items = DeliveryStore().log_items(logs)
    assert all(len(item["blob"]["B"]) <= LOG_BLOB_LIMIT for item in items)
    assert all(item_size(item) < DYNAMODB_ITEM_LIMIT for item in items)
    assert sum(len(item["statuses"]["L"]) for item in items) == 10  # every attempt kept, none lost


def test_3_a_huge_template_rendering_fails_only_its_own_delivery(bulkhead: Bulkhead) -> None:
    answer = bulkhead.hostile_hook(custom_webhook_template='{"m":"' + "{{commits.0.message}}" * 8 + '"}')
    assert answer.status_code == 201
    payload = push_payload(bulkhead.hostile_project)
    payload["commits"][0]["message"] = "x" * 100_000
    bulkhead.run(hostile_payload=payload)
    bulkhead.assert_invariant()
    assert bulkhead.hostile_logs(answer.json()["id"])


def test_9_a_payload_not_found_is_retried_never_dropped(bulkhead: Bulkhead) -> None:
    answer = bulkhead.hostile_hook()
    hook_id = answer.json()["id"]
    task = DeliveryTask(
        hook_id=hook_id,
        event_uuid="never-stored",
        event_name="Push Hook",
        idempotency_key=idempotency_key("never-stored", hook_id),
        queued_at=datetime.now(UTC),
    )
    report = delivery_sender().deliver([QueuedTask(task, "m", "rh", 1)])
    assert report.dropped == 0 and report.retried == 1
    (log,) = bulkhead.hostile_logs(hook_id)
    assert log["response_status"] == "internal error"


def test_9_a_parked_delivery_keeps_its_payload_past_the_payloads_own_ttl(bulkhead: Bulkhead) -> None:
    hook_id = bulkhead.hostile_hook().json()["id"]
    store, deliveries = HookStore(), DeliveryStore()
    assert store.replace_state(hook_id, HookState(), HookState(40))  # disabled for good: its deliveries are parked
    now = datetime.now(UTC)
    body = json.dumps(push_payload(bulkhead.hostile_project, blob="x" * 20_000))  # over the inline size
    deliveries.write_items([deliveries.payload_item("ev-parked", "Push Hook", body, now)])
    task = DeliveryTask(
        hook_id=hook_id,
        event_uuid="ev-parked",
        event_name="Push Hook",
        idempotency_key=idempotency_key("ev-parked", hook_id),
        queued_at=now,
    )
    assert delivery_sender().deliver([QueuedTask(task, "m", "rh", 1)]).parked == 1

    deliveries.delete_items([payload_key("ev-parked")])  # the payload's TTL ran out days ago
    assert store.replace_state(hook_id, HookState(40), HookState())  # the owner repaired the receiver
    since = (now - timedelta(minutes=1)).isoformat()
    assert bulkhead.request("POST", f"/{hook_id}/recover", json={"since": since}).json()["recovered"] == 1
    bulkhead.run()  # the recovered delivery goes in the same sender batch as the scenario's two pushes

    bulkhead.assert_invariant()
    recovered = [r for r in bulkhead.receiver.to(bulkhead.hostile_path) if r.body == body.encode()]
    assert len(recovered) == 1


def test_3_an_entry_cut_down_to_fit_is_marked_and_is_not_resent(bulkhead: Bulkhead) -> None:
    hook_id = bulkhead.hostile_hook().json()["id"]
    noise = secrets.token_hex(600_000)  # 1.2 MB of text that compresses only to half
    result = DeliveryResult(0.1, status_code=500)
    log = DeliveryLog(
        hook_id=hook_id,
        hook_kind=HookKind.PROJECT,
        trigger="push_hooks",
        url=bulkhead.receiver.url(bulkhead.hostile_path),
        request_headers={},
        request_data=noise,
        event_uuid="ev-huge",
        idempotency_key=idempotency_key("ev-huge", hook_id),
        attempt=1,
        created_at=datetime.now(UTC),
        result=result,
    )
    (item,) = DeliveryStore().log_items([log])
    assert item_size(item) < DYNAMODB_ITEM_LIMIT
    DeliveryStore().write_items([item])
    (entry,) = bulkhead.request("GET", f"/{hook_id}/events").json()
    answer = bulkhead.request("POST", f"/{hook_id}/events/{entry['id']}/resend")
    assert answer.status_code == 422 and "too large" in answer.text
    assert bulkhead.receiver.to(bulkhead.hostile_path) == []
