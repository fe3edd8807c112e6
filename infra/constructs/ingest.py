"""Ingest: the event bus, the rule that feeds the ingest queue, and the ingest function that fans events out."""

from __future__ import annotations

from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from hookline import settings
from infra.constructs.function import HooklineFunction
from infra.constructs.queue import WorkQueue
from infra.constructs.storage import KEY_READS, UPDATE_ITEM, WRITE_ITEMS, Storage
from infra.nag import INDEX_WILDCARD_REASON, acknowledge, index_wildcard_finding


class Ingest(Construct):
    """Bus → rule (settings.INGEST_EVENT_PATTERN) → ingest queue → ingest function → delivery queue."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bus_name: str,
        layer: lambda_.ILayerVersion,
        storage: Storage,
        delivery_queue: sqs.IQueue,
    ) -> None:
        super().__init__(scope, construct_id)
        self.bus = events.EventBus(
            self, "Bus", event_bus_name=bus_name, description="Events Hookline turns into webhooks"
        )
        self.queue = WorkQueue(self, settings.INGEST_QUEUE)

        # L1 rule: the pattern is settings' JSON as is, which the typed fields of events.EventPattern cannot carry.
        # Events EventBridge cannot hand to the queue (after its retries) land in the ingest DLQ, whose messages
        # then look exactly like the queue's, so a DLQ redrive replays them.
        self.rule = events.CfnRule(
            self,
            "Rule",
            description="Every event on the bus except Hookline's own, to the ingest queue",
            event_bus_name=self.bus.event_bus_name,
            event_pattern=settings.INGEST_EVENT_PATTERN,
            targets=[
                events.CfnRule.TargetProperty(
                    id=settings.INGEST_QUEUE.logical_id,
                    arn=self.queue.queue.queue_arn,
                    dead_letter_config=events.CfnRule.DeadLetterConfigProperty(arn=self.queue.dlq.queue_arn),
                )
            ],
        )
        for queue in (self.queue.queue, self.queue.dlq):
            queue.add_to_resource_policy(
                iam.PolicyStatement(
                    sid="IngestRuleSendMessage",
                    principals=[iam.ServicePrincipal("events.amazonaws.com")],
                    actions=["sqs:SendMessage"],
                    resources=[queue.queue_arn],
                    conditions={"ArnEquals": {"aws:SourceArn": self.rule.attr_arn}},
                )
            )

        self.function = HooklineFunction(
            self,
            settings.INGEST_FUNCTION,
            layer=layer,
            environment={
                settings.HOOKS_TABLE.env_var: storage.hooks_table.table_name,
                settings.DELIVERIES_TABLE.env_var: storage.deliveries_table.table_name,
                settings.DELIVERY_QUEUE.env_var: delivery_queue.queue_url,
                # Events that break the contract go straight to the DLQ, with the reason as a message attribute.
                settings.INGEST_QUEUE.dlq_env_var: self.queue.dlq.queue_url,
            },
        )
        role = self.function.role
        # UpdateItem: ingest records the namespace aliases it learns on routing items.
        storage.hooks_table.grant(role, *KEY_READS, UPDATE_ITEM)
        # Reads: the recursion chains an ingest batch's events join (written back with conditional puts).
        storage.deliveries_table.grant(role, *KEY_READS, *WRITE_ITEMS)
        delivery_queue.grant_send_messages(role)
        self.queue.dlq.grant_send_messages(role)
        self.queue.subscribe(self.function.function)
        acknowledge(role, index_wildcard_finding(storage.hooks_table), INDEX_WILDCARD_REASON)
