"""What Lambda's side of things does, in-process: the invocation context and the SQS event source mapping."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hookline.settings import QueueSpec

log = logging.getLogger("hookline.local")
Handler = Callable[[dict[str, Any], Any], Any]


@dataclass
class LocalContext:
    """The attributes Powertools reads from a Lambda context."""

    function_name: str
    memory_limit_in_mb: int = 512
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = "local"
    log_stream_name: str = "local"

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:us-east-1:000000000000:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def sqs_event(messages: list[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
    """The event Lambda's SQS poller hands a function."""
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": message.get("Attributes", {}),
                "messageAttributes": message.get("MessageAttributes", {}),
                "md5OfBody": message.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": "us-east-1",
            }
            for message in messages
        ]
    }


class SqsPoller(threading.Thread):
    """Long-polls a queue, invokes the handler with batches and deletes what it did not report as failed.

    A handler that raises fails the whole batch: its messages return after the visibility timeout, and the queue's
    redrive policy moves them to the DLQ after maxReceiveCount, as with Lambda. With a batching window
    (``spec.max_batching_window_s``), a poll gathers messages until the batch is full or the window, which begins when
    the previous invocation ends, is over.
    """

    def __init__(
        self,
        name: str,
        sqs: Any,
        queue_url: str,
        spec: QueueSpec,
        handler: Handler,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(name=name, daemon=True)
        self.sqs, self.queue_url, self.spec, self.handler = sqs, queue_url, spec, handler
        self.clock = clock
        self.queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        self.stopping = threading.Event()
        self.batches = 0

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.poll_once(wait_seconds=1)
            except Exception:
                if not self.stopping.is_set():
                    log.exception("poller %s failed; retrying", self.name)
                    self.stopping.wait(0.5)

    def _receive(self, most: int, wait_seconds: int) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=min(most, 10),
            WaitTimeSeconds=wait_seconds,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        return found

    def _gather(self, window_s: float) -> list[dict[str, Any]]:
        """Receives until the batch is full or the window is over (long polls of at most a second within it)."""
        messages: list[dict[str, Any]] = []
        ends = self.clock() + window_s
        while len(messages) < self.spec.batch_size and not self.stopping.is_set():
            left = ends - self.clock()
            if left <= 0:
                break
            wait = 1 if left >= 1 else 0
            received = self._receive(self.spec.batch_size - len(messages), wait)
            if not received and not wait:
                self.stopping.wait(min(left, 0.05))  # the window's last fraction of a second: poll gently
            messages += received
        return messages

    def poll_once(self, wait_seconds: int = 0) -> int:
        if self.spec.max_batching_window_s > 0:
            messages = self._gather(self.spec.max_batching_window_s)
        else:
            messages = self._receive(self.spec.batch_size, wait_seconds)
        if not messages:
            return 0
        self.batches += 1
        try:
            response = self.handler(sqs_event(messages, self.queue_arn), LocalContext(self.name)) or {}
        except Exception:
            log.exception("handler of %s raised; the batch will be retried", self.name)
            return len(messages)
        failed = {item["itemIdentifier"] for item in response.get("batchItemFailures", [])}
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
        return len(messages)

    def stop(self) -> None:
        self.stopping.set()
