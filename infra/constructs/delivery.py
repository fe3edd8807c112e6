"""Delivery: the delivery queue (and DLQ) and the sender function that POSTs webhooks from it."""

from __future__ import annotations

from aws_cdk import aws_events as events
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from hookline import settings
from infra.constructs.function import HooklineFunction
from infra.constructs.queue import WorkQueue
from infra.constructs.storage import KEY_READS, UPDATE_ITEM, WRITE_ITEMS, Storage
from infra.nag import INDEX_WILDCARD_REASON, acknowledge, index_wildcard_finding


class Delivery(Construct):
    """Delivery queue → sender. The sender re-queues retries itself and disables hooks that keep failing."""

    def __init__(self, scope: Construct, construct_id: str, *, layer: lambda_.ILayerVersion, storage: Storage) -> None:
        super().__init__(scope, construct_id)
        self.queue = WorkQueue(self, settings.DELIVERY_QUEUE)
        self.sender = HooklineFunction(
            self,
            settings.SENDER_FUNCTION,
            layer=layer,
            environment={
                settings.HOOKS_TABLE.env_var: storage.hooks_table.table_name,
                settings.DELIVERIES_TABLE.env_var: storage.deliveries_table.table_name,
                settings.DELIVERY_QUEUE.env_var: self.queue.queue.queue_url,
                # Empty: deployed, hooks may only target public addresses.
                settings.OUTBOUND_ALLOWLIST_ENV: "",
            },
        )
        role = self.sender.role
        storage.hooks_table.grant(role, *KEY_READS, UPDATE_ITEM)
        storage.deliveries_table.grant(role, *KEY_READS, *WRITE_ITEMS, UPDATE_ITEM)  # + the rate-limit counter
        self.queue.queue.grant_send_messages(role)
        self.queue.subscribe(self.sender.function)
        acknowledge(
            role,
            index_wildcard_finding(storage.hooks_table),
            INDEX_WILDCARD_REASON,
        )

    def publish_events_to(self, bus: events.IEventBus) -> None:
        """Let the sender put Hookline's own operational events (e.g. hook disabled) on bus."""
        self.sender.add_environment(settings.BUS_NAME_ENV, bus.event_bus_name)
        bus.grant_put_events_to(self.sender.role)
