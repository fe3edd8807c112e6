"""A work queue and its dead-letter queue, built from a QueueSpec."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from aws_cdk.aws_lambda_event_sources import SqsEventSource
from constructs import Construct

from hookline import settings
from hookline.settings import QueueSpec


def batching_window(scope: Construct, spec: QueueSpec) -> int:
    """The event source mapping's batching window: CDK context ``batching_window_seconds`` (whole seconds, 0 to 300),
    else the spec's."""
    given = scope.node.try_get_context(settings.BATCHING_WINDOW_CONTEXT)
    if given is None or given == "":
        return spec.max_batching_window_s
    text = str(given).strip()
    if not text.isdigit() or int(text) > settings.MAX_BATCHING_WINDOW_S:
        raise ValueError(
            f"context {settings.BATCHING_WINDOW_CONTEXT}={given!r}: "
            f"whole seconds from 0 to {settings.MAX_BATCHING_WINDOW_S}"
        )
    return int(text)


class WorkQueue(Construct):
    """Queue + DLQ (redrive after spec.max_receive_count receives), TLS-only, SQS-managed encryption. A batching
    window lengthens the visibility timeout by as much, as Lambda advises (a batch's messages wait in it, hidden)."""

    def __init__(self, scope: Construct, spec: QueueSpec) -> None:
        super().__init__(scope, spec.logical_id)
        self.spec = spec
        self.batching_window_s = batching_window(self, spec)
        self.dlq = sqs.Queue(
            self,
            "Dlq",
            retention_period=Duration.seconds(spec.dlq_retention_s),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
        )
        self.queue = sqs.Queue(
            self,
            "Queue",
            visibility_timeout=Duration.seconds(spec.visibility_timeout_s + self.batching_window_s),
            retention_period=Duration.seconds(spec.retention_s),
            dead_letter_queue=sqs.DeadLetterQueue(queue=self.dlq, max_receive_count=spec.max_receive_count),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
        )

    def subscribe(self, function: lambda_.IFunction) -> None:
        """Have function consume the queue with the spec's batching and partial batch failures."""
        function.add_event_source(
            SqsEventSource(
                self.queue,
                batch_size=self.spec.batch_size,
                max_batching_window=Duration.seconds(self.batching_window_s),
                report_batch_item_failures=True,
            )
        )
