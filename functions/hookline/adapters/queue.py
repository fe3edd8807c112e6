"""SQS sends and visibility changes, ten entries a call."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hookline.adapters.aws import sqs

_BATCH_LIMIT = 10
_MAX_ROUNDS = 3


class QueueSendError(RuntimeError):
    """Some messages could not be queued after retries."""


@dataclass(frozen=True)
class OutgoingMessage:
    body: str
    delay_seconds: int = 0


def send_messages(queue_url: str, messages: Sequence[OutgoingMessage]) -> None:
    """SendMessageBatch in chunks of ten, re-sending entries SQS failed; raise if any still fail."""
    for start in range(0, len(messages), _BATCH_LIMIT):
        pending = {str(index): message for index, message in enumerate(messages[start : start + _BATCH_LIMIT])}
        for _ in range(_MAX_ROUNDS):
            answer = sqs().send_message_batch(
                QueueUrl=queue_url,
                Entries=[
                    {"Id": entry_id, "MessageBody": message.body, "DelaySeconds": message.delay_seconds}
                    for entry_id, message in pending.items()
                ],
            )
            pending = {entry["Id"]: pending[entry["Id"]] for entry in answer.get("Failed", [])}
            if not pending:
                break
        if pending:
            raise QueueSendError(f"{len(pending)} message(s) could not be queued")


def hide_messages(queue_url: str, hidden: Sequence[tuple[str, int]]) -> None:
    """Make received messages invisible for the given seconds (ChangeMessageVisibilityBatch)."""
    for start in range(0, len(hidden), _BATCH_LIMIT):
        sqs().change_message_visibility_batch(
            QueueUrl=queue_url,
            Entries=[
                {"Id": str(index), "ReceiptHandle": receipt, "VisibilityTimeout": seconds}
                for index, (receipt, seconds) in enumerate(hidden[start : start + _BATCH_LIMIT])
            ],
        )
