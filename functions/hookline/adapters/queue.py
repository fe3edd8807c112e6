"""SQS sends, ten messages a call."""

from __future__ import annotations

from collections.abc import Sequence

from hookline.adapters.aws import sqs

_BATCH_LIMIT = 10
_MAX_ROUNDS = 3


class QueueSendError(RuntimeError):
    """Some messages could not be queued after retries."""


def send_messages(queue_url: str, bodies: Sequence[str], delay_seconds: int = 0) -> None:
    """SendMessageBatch in chunks of ten, re-sending entries SQS failed; raise if any still fail."""
    for start in range(0, len(bodies), _BATCH_LIMIT):
        pending = {str(index): body for index, body in enumerate(bodies[start : start + _BATCH_LIMIT])}
        for _ in range(_MAX_ROUNDS):
            answer = sqs().send_message_batch(
                QueueUrl=queue_url,
                Entries=[
                    {"Id": entry_id, "MessageBody": body, "DelaySeconds": delay_seconds}
                    for entry_id, body in pending.items()
                ],
            )
            pending = {entry["Id"]: pending[entry["Id"]] for entry in answer.get("Failed", [])}
            if not pending:
                break
        if pending:
            raise QueueSendError(f"{len(pending)} message(s) could not be queued")
