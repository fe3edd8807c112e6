"""SQS batches the way Lambda delivers them: parse each record on its own, then act on the batch at once."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any, Protocol, TypeVar

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

T = TypeVar("T")


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
) -> PartialItemFailureResponse:
    """A record whose parse raises is reported as a batch item failure; the rest go to ``act`` together.

    When ``act`` raises, the whole invocation fails and every record comes back: at-least-once.
    """
    parsed: list[T] = []

    def record_handler(record: SQSRecord) -> None:
        item = parse(record)
        if item is not None:
            parsed.append(item)

    response = process_partial_response(
        event=event, record_handler=record_handler, processor=BatchProcessor(EventType.SQS), context=context
    )
    if parsed:
        outcome = act(parsed)
        response["batchItemFailures"].extend({"itemIdentifier": message_id} for message_id in outcome.keep_message_ids)
    return response
