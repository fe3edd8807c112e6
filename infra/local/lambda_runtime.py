"""What Lambda's side of things does, in-process: the invocation context and the SQS event source mapping."""

from __future__ import annotations

import logging
import threading
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
    redrive policy moves them to the DLQ after maxReceiveCount, as with Lambda.
    """

    def __init__(self, name: str, sqs: Any, queue_url: str, spec: QueueSpec, handler: Handler) -> None:
        super().__init__(name=name, daemon=True)
        self.sqs, self.queue_url, self.spec, self.handler = sqs, queue_url, spec, handler
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

    def poll_once(self, wait_seconds: int = 0) -> int:
        messages = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=min(self.spec.batch_size, 10),
            WaitTimeSeconds=wait_seconds,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
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
