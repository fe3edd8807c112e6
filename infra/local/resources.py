"""Creates the stack's resources in moto from the same specs CDK uses (hookline.settings)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import boto3

from hookline import settings
from hookline.settings import QueueSpec, TableSpec


@dataclass(frozen=True)
class QueueUrls:
    queue_url: str
    queue_arn: str
    dlq_url: str


def create_table(dynamodb: Any, spec: TableSpec) -> None:
    attributes = {spec.partition_key: "S", spec.sort_key: "S"}
    for index in spec.indexes:
        attributes[index.partition_key] = index.partition_type
        attributes[index.sort_key] = index.sort_type
    request: dict[str, Any] = {
        "TableName": spec.name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": name, "AttributeType": kind} for name, kind in attributes.items()],
        "KeySchema": [
            {"AttributeName": spec.partition_key, "KeyType": "HASH"},
            {"AttributeName": spec.sort_key, "KeyType": "RANGE"},
        ],
    }
    if spec.indexes:
        request["GlobalSecondaryIndexes"] = [
            {
                "IndexName": index.name,
                "KeySchema": [
                    {"AttributeName": index.partition_key, "KeyType": "HASH"},
                    {"AttributeName": index.sort_key, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
            for index in spec.indexes
        ]
    dynamodb.create_table(**request)
    if spec.ttl_attribute:
        dynamodb.update_time_to_live(
            TableName=spec.name, TimeToLiveSpecification={"Enabled": True, "AttributeName": spec.ttl_attribute}
        )


def create_queue(sqs: Any, spec: QueueSpec) -> QueueUrls:
    dlq_url = sqs.create_queue(
        QueueName=spec.dlq_name, Attributes={"MessageRetentionPeriod": str(spec.dlq_retention_s)}
    )["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue_url = sqs.create_queue(
        QueueName=spec.default_name,
        Attributes={
            "VisibilityTimeout": str(spec.visibility_timeout_s),
            "MessageRetentionPeriod": str(spec.retention_s),
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": spec.max_receive_count}),
        },
    )["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return QueueUrls(queue_url, queue_arn, dlq_url)


def create_resources(session: boto3.Session) -> dict[str, str]:
    """Tables, queues with DLQs, the bus and its ingest rule. Returns the environment the handlers read."""
    dynamodb, sqs, events = session.client("dynamodb"), session.client("sqs"), session.client("events")
    for table in (settings.HOOKS_TABLE, settings.DELIVERIES_TABLE):
        create_table(dynamodb, table)
    ingest = create_queue(sqs, settings.INGEST_QUEUE)
    delivery = create_queue(sqs, settings.DELIVERY_QUEUE)
    key_id = session.client("kms").create_key(Description="hookline secrets at rest")["KeyMetadata"]["KeyId"]
    bus = settings.bus_name()
    events.create_event_bus(Name=bus)
    events.put_rule(Name="hookline-ingest", EventBusName=bus, EventPattern=json.dumps(settings.INGEST_EVENT_PATTERN))
    events.put_targets(Rule="hookline-ingest", EventBusName=bus, Targets=[{"Id": "ingest", "Arn": ingest.queue_arn}])
    return {
        settings.HOOKS_TABLE.env_var: settings.HOOKS_TABLE.name,
        settings.DELIVERIES_TABLE.env_var: settings.DELIVERIES_TABLE.name,
        settings.INGEST_QUEUE.env_var: ingest.queue_url,
        settings.INGEST_QUEUE.dlq_env_var: ingest.dlq_url,
        settings.DELIVERY_QUEUE.env_var: delivery.queue_url,
        settings.DELIVERY_QUEUE.dlq_env_var: delivery.dlq_url,
        settings.BUS_NAME_ENV: bus,
        settings.KMS_KEY_ENV: key_id,
    }
