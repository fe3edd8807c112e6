"""SQS batches the way Lambda delivers them: parse each record on its own, then act on the batch at once.

Powertools' batch processor does the same for one record at a time; this is the part Hookline uses, without its
import (its data classes of every event source and asyncio cost each cold start ~20 ms). A record whose parse raises
is reported as a batch item failure (``batchItemFailures``); when every record of the batch fails, the invocation fails
and Lambda returns them all, as Powertools' processor does.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import TYPE_CHECKING, Any, Protocol, TypedDict, TypeVar

from aws_lambda_powertools import Logger

from hookline import settings

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

T = TypeVar("T")
logger = Logger(service=settings.SERVICE_NAME)


class ItemFailure(TypedDict):
    itemIdentifier: str


class BatchResponse(TypedDict):
    """Lambda's partial batch response for SQS."""

    batchItemFailures: list[ItemFailure]


class BatchFailed(Exception):
    """Every record of the batch failed, or the event holds none: the invocation fails, and SQS makes each record
    visible again."""


class SQSRecordAttributes:
    """A record's system attributes (Powertools' ``SQSRecordAttributes`` names, what Hookline reads)."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = data

    @property
    def approximate_receive_count(self) -> str:
        return self._data["ApproximateReceiveCount"]

    @property
    def sent_timestamp(self) -> str:
        return self._data["SentTimestamp"]

    @property
    def message_group_id(self) -> str | None:
        return self._data.get("MessageGroupId")


class SQSRecord:
    """One record of Lambda's SQS event (Powertools' ``SQSRecord`` names, what Hookline reads)."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.raw_event = data

    @property
    def message_id(self) -> str:
        return self.raw_event["messageId"]

    @property
    def receipt_handle(self) -> str:
        return self.raw_event["receiptHandle"]

    @property
    def body(self) -> str:
        return self.raw_event["body"]

    @property
    def attributes(self) -> SQSRecordAttributes:
        return SQSRecordAttributes(self.raw_event["attributes"])


class BatchOutcome(Protocol):
    @property
    def keep_message_ids(self) -> Collection[str]:
        """Messages to leave on the queue (reported as batch item failures): held, not failed."""
        ...


def process_sqs_batch(
    event: dict[str, Any],
    context: LambdaContext,
    parse: Callable[[SQSRecord], T | None],
    act: Callable[[list[T]], BatchOutcome],
) -> BatchResponse:
    """A record whose parse raises is reported as a batch item failure; the rest go to ``act`` together.

    When ``act`` raises, the whole invocation fails and every record comes back: at-least-once.
    """
    records = event.get("Records")
    if not records or not isinstance(records, list):
        raise BatchFailed("Unexpected batch event type: an SQS event has a non-empty list of Records")
    parsed: list[T] = []
    failed: list[ItemFailure] = []
    for data in records:
        record = SQSRecord(data)
        try:
            item = parse(record)
        except Exception as error:
            logger.debug(f"Record processing exception: {type(error)}:{error}")
            failed.append({"itemIdentifier": record.message_id})
            continue
        if item is not None:
            parsed.append(item)
    if len(failed) == len(records):
        raise BatchFailed(f"All {len(failed)} records failed processing")
    response: BatchResponse = {"batchItemFailures": failed}
    if parsed:
        outcome = act(parsed)
        response["batchItemFailures"].extend({"itemIdentifier": message_id} for message_id in outcome.keep_message_ids)
    return response
