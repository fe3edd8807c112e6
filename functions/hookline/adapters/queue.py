"""SQS sends and visibility changes, ten entries a call."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_sqs.type_defs import SendMessageBatchRequestEntryTypeDef

from hookline.adapters.aws import sqs

_BATCH_LIMIT = 10
_MAX_ROUNDS = 3


class QueueSendError(RuntimeError):
    """Some messages could not be queued after retries."""


@dataclass(frozen=True)
class OutgoingMessage:
    """A message to send. ``group`` is its MessageGroupId (its tenant on a fair queue); when None, the body's own
    ``message_group`` (a delivery task names its tenant's group), if it has one."""

    body: str
    delay_seconds: int = 0
    group: str | None = None

    def entry(self, entry_id: str) -> SendMessageBatchRequestEntryTypeDef:
        entry: SendMessageBatchRequestEntryTypeDef = {
            "Id": entry_id,
            "MessageBody": self.body,
            "DelaySeconds": self.delay_seconds,
        }
        group = self.group if self.group is not None else _group_in(self.body)
        if group:
            entry["MessageGroupId"] = group
        return entry


def _group_in(body: str) -> str | None:
    """The ``message_group`` a JSON body names at its top level (a re-queued delivery task's), else None."""
    if '"message_group"' not in body:
        return None
    try:
        document = json.loads(body)
    except ValueError:
        return None
    group = document.get("message_group") if isinstance(document, dict) else None
    return group if isinstance(group, str) else None


def send_messages(queue_url: str, messages: Sequence[OutgoingMessage]) -> None:
    """SendMessageBatch in chunks of ten, re-sending entries SQS failed; raise if any still fail."""
    for start in range(0, len(messages), _BATCH_LIMIT):
        pending = {str(index): message for index, message in enumerate(messages[start : start + _BATCH_LIMIT])}
        for _ in range(_MAX_ROUNDS):
            answer = sqs().send_message_batch(
                QueueUrl=queue_url,
                Entries=[message.entry(entry_id) for entry_id, message in pending.items()],
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
