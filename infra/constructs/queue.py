"""A work queue and its dead-letter queue, built from a QueueSpec."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from aws_cdk.aws_lambda_event_sources import SqsEventSource
from constructs import Construct

from hookline.settings import QueueSpec


class WorkQueue(Construct):
    """Queue + DLQ (redrive after spec.max_receive_count receives), TLS-only, SQS-managed encryption."""

    def __init__(self, scope: Construct, spec: QueueSpec) -> None:
        super().__init__(scope, spec.logical_id)
        self.spec = spec
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
            visibility_timeout=Duration.seconds(spec.visibility_timeout_s),
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
                max_batching_window=Duration.seconds(self.spec.max_batching_window_s),
                report_batch_item_failures=True,
            )
        )
