"""Our SQS batch processing answers as Powertools' batch processor did, for the part Hookline uses."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from hookline.services.sqs_batch import BatchFailed, SQSRecord, process_sqs_batch


def _record(message_id: str, body: str, receive_count: str = "1") -> dict[str, Any]:
    return {
        "messageId": message_id,
        "receiptHandle": f"handle-{message_id}",
        "body": body,
        "attributes": {"ApproximateReceiveCount": receive_count, "SentTimestamp": "1700000000000"},
        "messageAttributes": {},
        "eventSource": "aws:sqs",
    }


@dataclass
class Outcome:
    keep_message_ids: list[str] = field(default_factory=list)


def _parse(record: SQSRecord) -> str | None:
    if record.body == "bad":
        raise ValueError("unparseable")
    return None if record.body == "skip" else record.body


BATCHES = [
    pytest.param([], id="empty"),
    pytest.param([_record("a", "1")], id="one good"),
    pytest.param([_record("a", "1"), _record("b", "bad"), _record("c", "skip")], id="one bad"),
    pytest.param([_record("a", "bad"), _record("b", "bad")], id="all bad"),
    pytest.param([_record("a", "skip")], id="all skipped"),
]


@pytest.mark.parametrize("records", BATCHES)
def test_failures_as_powertools_reports_them(records: list[dict[str, Any]]) -> None:
    event = {"Records": records}
    acted: list[list[str]] = []

    def act(items: list[str]) -> Outcome:
        acted.append(items)
        return Outcome()

    try:
        theirs: Any = process_partial_response(event, _parse, BatchProcessor(EventType.SQS))
    except BatchProcessingError:
        theirs = BatchFailed
    try:
        ours: Any = process_sqs_batch(event, None, _parse, act)  # type: ignore[arg-type]
    except BatchFailed:
        ours = BatchFailed
    assert ours == theirs
    expected = [record["body"] for record in records if record["body"] not in ("bad", "skip")]
    assert acted == ([expected] if expected and ours is not BatchFailed else [])


def test_kept_messages_are_reported_after_the_failed_ones() -> None:
    event = {"Records": [_record("a", "bad"), _record("b", "1"), _record("c", "2")]}
    answer = process_sqs_batch(event, None, _parse, lambda items: Outcome(["c"]))  # type: ignore[arg-type]
    assert answer == {"batchItemFailures": [{"itemIdentifier": "a"}, {"itemIdentifier": "c"}]}


def test_an_act_that_raises_fails_the_invocation() -> None:
    def act(items: list[str]) -> Outcome:
        raise RuntimeError("table unavailable")

    with pytest.raises(RuntimeError):
        process_sqs_batch({"Records": [_record("a", "1")]}, None, _parse, act)  # type: ignore[arg-type]


@pytest.mark.parametrize("event", [{"Records": "x"}, {}, {"records": [_record("a", "1")]}])
def test_not_an_sqs_event(event: dict[str, Any]) -> None:
    with pytest.raises(BatchProcessingError):
        process_partial_response(event, _parse, BatchProcessor(EventType.SQS))
    with pytest.raises(BatchFailed, match="Records"):
        process_sqs_batch(event, None, _parse, lambda items: Outcome())  # type: ignore[arg-type]


def test_a_record_reads_as_powertools_record() -> None:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord as PowertoolsRecord

    data = _record("m-1", '{"x": 1}', receive_count="3")
    ours, theirs = SQSRecord(data), PowertoolsRecord(data)
    for name in ("message_id", "receipt_handle", "body"):
        assert getattr(ours, name) == getattr(theirs, name), name
    for name in ("approximate_receive_count", "sent_timestamp", "message_group_id"):
        assert getattr(ours.attributes, name) == getattr(theirs.attributes, name), name
    assert ours.raw_event is data
