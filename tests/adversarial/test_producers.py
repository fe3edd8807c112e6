"""Hostile producers: whatever one event on the bus holds, the other events of its ingest batch are delivered.

A rejected event goes to the ingest DLQ with a reason (the event contract's rule); nothing else does.
"""

from __future__ import annotations

import json

import pytest

from hookline import settings
from tests.adversarial.neighbours import Bulkhead, envelope, push_payload


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


HOSTILE_MESSAGES = {
    "nested-50000-deep": lambda b: (
        json.dumps(envelope(b.hostile_project, {"object_kind": "push"}))[:-2] + ', "deep": ' + _nested(50_000) + "}}"
    ),
    "not-json": lambda b: "{not json",
    "unknown-detail-type": lambda b: json.dumps({**envelope(b.hostile_project, {}), "detail-type": "Nope Hook"}),
    "41-digit-project-id": lambda b: json.dumps(
        {**envelope(b.hostile_project, {}), "detail": {"scope": {"project": {"id": 10**40}}, "payload": {}}}
    ),
    "10000-deep-path": lambda b: json.dumps(envelope("/".join(["g"] * 10_000), push_payload("x/y"))),
    "scope-is-a-list": lambda b: json.dumps(
        {**envelope(b.hostile_project, {}), "detail": {"scope": [], "payload": {}}}
    ),
    "an-array-envelope": lambda b: "[1, 2, 3]",
}


@pytest.mark.parametrize("name", list(HOSTILE_MESSAGES))
def test_a_hostile_event_is_dead_lettered_alone(bulkhead: Bulkhead, name: str) -> None:
    bulkhead.run(hostile_message=HOSTILE_MESSAGES[name](bulkhead))
    bulkhead.assert_invariant(dead_lettered=1)
    sqs = bulkhead.stack.client("sqs")
    (message,) = sqs.receive_message(
        QueueUrl=bulkhead.stack.environment[settings.INGEST_QUEUE.dlq_env_var],
        MaxNumberOfMessages=10,
        MessageAttributeNames=["All"],
    )["Messages"]
    assert message["MessageAttributes"]["reason"]["StringValue"]


def test_a_payload_with_a_lone_surrogate_is_still_delivered(bulkhead: Bulkhead) -> None:
    hook = bulkhead.hostile_hook()
    payload = push_payload(bulkhead.hostile_project)
    payload["commits"][0]["message"] = "half a pair: \ud800"
    bulkhead.run(hostile_payload=payload)
    bulkhead.assert_invariant()
    (received,) = bulkhead.receiver.to(bulkhead.hostile_path)
    assert received.json["commits"][0]["message"] == "half a pair: \ud800"
    assert bulkhead.hostile_logs(hook.json()["id"])[0]["response_status"] == "200"
